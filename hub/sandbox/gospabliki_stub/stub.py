"""A loopback stand-in for Gospabliki (and the regional centre) that files reports.

Why a real server: Gospabliki has no public API, so the hub defines one
(``docs/gospabliki-openapi.yaml``) and this stub is its reference implementation:
``hub report push`` is tested against it over real HTTP, and a municipality can run
it to see what the hub would send. It checks what a real service would — a bearer
token, the body's size and type, an ``Idempotency-Key``, every field of the report —
and files each report exactly once in its own SQLite file (:mod:`.store`).

Faults come from :mod:`hub.sandbox.harness`: ``http500`` answers an HTML error page before
anything is stored (a proxy failing), ``lost_reply`` stores the report and *then*
answers 500 (the answer lost on the way back), which is the case idempotency keys
exist for. Tokens are compared in constant time and never logged, echoed or stored.

It is a server you could expose (:mod:`.server`): the token is checked from a
request's head before its body is read, bodies are capped (``max_body`` for reports),
and the harness's ``/_emulator/*`` control endpoints — which can fail or slow every
request — are off unless the stub is started with ``test_controls=True``
(``--enable-test-controls``), and even then need the token.
"""

from __future__ import annotations

import hmac
import json
import math
import os
import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import click

from hub.gospabliki.schema import (
    LIST_LIMIT_DEFAULT,
    LIST_LIMIT_MAX,
    MAX_BODY,
    content_hash,
    validate_report,
)
from hub.sandbox.harness import (
    HTTP500,
    Faults,
    LoopbackEmulator,
    Reply,
    Stats,
    serve_until_signalled,
)
from hub.secrets import remember

from .server import StubServer
from .store import StubStore, StubStoreError

API_PREFIX = "/api/v1"
SMALL_BODY = 64 * 1024  # any other route's body, a control request's included
CONTROL_PREFIX = "/_emulator/"  # the harness's test-only endpoints
LOST_REPLY = "lost_reply"  # fault kind: stored, then answered 500
TOKEN_ENV = "HUB_GOSPABLIKI_TOKEN"
IDEMPOTENCY_KEY_RE = re.compile(r"[A-Za-z0-9_-]{8,128}")

#: (verb, path template, operationId): the API as served; the OpenAPI document must match.
ROUTES: tuple[tuple[str, str, str], ...] = (
    ("GET", "/api/v1/health", "getHealth"),
    ("POST", "/api/v1/reports", "createReport"),
    ("GET", "/api/v1/reports", "listReports"),
    ("GET", "/api/v1/reports/{receipt}", "getReport"),
    ("GET", "/api/v1/notices", "listNotices"),
)
PUBLIC = frozenset({"getHealth"})  # answered without a token (a liveness probe has none)

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_receipt(now: float) -> str:
    """``GP-`` and a ULID: sortable by time, and random enough never to repeat.

    The random part comes from the OS, not the seed: a restarted stub on the same
    file must not hand out receipts it already gave.
    """
    value = (int(now * 1000) << 80) | int.from_bytes(os.urandom(10), "big")
    return "GP-" + "".join(_CROCKFORD[(value >> shift) & 31] for shift in range(125, -1, -5))


def rfc3339(now: float) -> str:
    return (
        datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    )


def match_route(verb: str, path: str) -> tuple[str | None, dict[str, str], list[str]]:
    """The operationId for a request, its path parameters, and the verbs the path allows."""
    segments = path.rstrip("/").split("/")
    allowed: list[str] = []
    for route_verb, template, operation in ROUTES:
        parts = template.split("/")
        if len(parts) != len(segments):
            continue
        params: dict[str, str] = {}
        for part, segment in zip(parts, segments, strict=True):
            if part.startswith("{") and segment:
                params[part[1:-1]] = segment
            elif part != segment:
                break
        else:
            if route_verb == verb:
                return operation, params, [route_verb]
            allowed.append(route_verb)
    return None, {}, allowed


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


class GospablikiStub(LoopbackEmulator):
    """The stub server: routes, checks and SQLite; serving and faults come from the harness."""

    thread_name = "gospabliki-stub"
    server_software = "gospabliki-stub"
    token_param = "access_token"
    server_class = StubServer

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        db_path: str | Path,
        tokens: Iterable[str],
        fault_http500_rate: float = 0.0,
        fault_lost_reply_rate: float = 0.0,
        slow_ms: int = 0,
        seed: int = 1,
        now: float | None = None,
        test_controls: bool = False,
        max_body: int = MAX_BODY,
    ) -> None:
        super().__init__(
            host=host,
            port=port,
            now=now,
            stats=Stats(
                requests=0,
                by_method={},
                errors={},
                http500=0,
                lost_reply=0,
                tokens_in_url=0,
                stored=0,
                replayed=0,
                conflicts=0,
            ),
            faults=Faults(
                seed, {HTTP500: fault_http500_rate, LOST_REPLY: fault_lost_reply_rate}, slow_ms
            ),
        )
        self._tokens = tuple(t.encode("utf-8") for t in dict.fromkeys(tokens) if t and t.strip())
        if not self._tokens:
            raise ValueError("the Gospabliki stub needs at least one token")
        for token in self._tokens:
            remember(token.decode("utf-8"))  # so hub.secrets.redact masks it anywhere
        self.store = StubStore(db_path)
        self.test_controls = test_controls
        self.max_body = max_body

    @property
    def url(self) -> str:
        """The API base the hub's ``[gospabliki] endpoint`` points at."""
        return self.base_url + API_PREFIX

    def start(self) -> GospablikiStub:
        self.store.open()
        super().start()
        return self

    def stop(self) -> None:
        super().stop()
        self.store.close()

    def set_faults(
        self, *, http500: int = 0, lost_reply: int = 0, slow_ms: int | None = None
    ) -> None:
        """The next ``http500`` requests fail before storing, then ``lost_reply`` after it."""
        self._faults.set(http500=http500, lost_reply=lost_reply, slow_ms=slow_ms)

    def snapshot(self) -> dict[str, Any]:
        return self.store.counts()

    # ------------------------------------------------------------------ requests

    def admit(self, verb: str, path: str, query: str, headers: Mapping[str, str]) -> Reply | None:
        """Refuse from the head alone, before a byte of the body is read; None goes on.

        Everything but the health probe needs the token, the control endpoints too;
        without ``test_controls`` they do not exist.
        """
        operation, _, _ = match_route(verb, path)
        if operation in PUBLIC:
            return None
        refused = self._check_token(headers)
        if refused is None and path.startswith(CONTROL_PREFIX) and not self.test_controls:
            refused = self._error(404, "not_found", f"no such endpoint: {path}")
        if refused is not None:
            params = parse_qsl(query, keep_blank_values=True)
            in_url = any(key == self.token_param for key, _ in params)
            self._stats.count(
                requests=1, by_method=operation or "unknown", tokens_in_url=int(in_url)
            )
        return refused

    def body_limit(self, verb: str, path: str) -> int:
        operation, _, _ = match_route(verb, path)
        return self.max_body if operation == "createReport" else SMALL_BODY

    def refuse(self, status: int, error: str, message: str) -> Reply:
        return self._error(status, error, message)

    def handle(
        self, verb: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """``/api/v1/*`` is the API; the harness answers the rest (``/_emulator/*``, 404)."""
        if path != API_PREFIX and not path.startswith(API_PREFIX + "/"):
            refused = self.admit(verb, path, query, headers)  # again: handle is public
            return refused or super().handle(verb, path, query, headers, body)
        params = parse_qsl(query, keep_blank_values=True)
        operation, _, _ = match_route(verb, path)
        if operation == "getHealth":
            self._stats.count(requests=1, by_method=operation)
            return self.json_reply({"status": "ok"})
        fault = self.begin_call(operation or "unknown", params)
        if fault == HTTP500:
            return self.html_500()
        reply = self._answer(verb, path, params, headers, body)
        if fault == LOST_REPLY:  # done, but the answer never reaches the client
            self._stats.count(lost_reply=1)
            return self.html_500()
        return reply

    def _answer(
        self,
        verb: str,
        path: str,
        params: list[tuple[str, str]],
        headers: Mapping[str, str],
        body: bytes,
    ) -> Reply:
        """Auth first, so nothing (not even which endpoints exist) answers without a token."""
        operation, path_params, allowed = match_route(verb, path)
        denied = self._check_token(headers)
        if denied is not None:
            return denied
        if operation is None:
            if allowed:
                message = f"{verb} is not allowed here; use {', '.join(allowed)}"
                return self._error(
                    405, "method_not_allowed", message, headers={"Allow": ", ".join(allowed)}
                )
            return self._error(404, "not_found", f"no such endpoint: {path}")
        if operation == "createReport":
            return self._create_report(headers, body)
        return self._read(operation, dict(params), path_params)

    def _error(
        self, status: int, error: str, message: str, headers: Mapping[str, str] | None = None
    ) -> Reply:
        self._stats.count(errors=str(status))
        return self.json_reply({"error": error, "message": message}, status, headers)

    def _check_token(self, headers: Mapping[str, str]) -> Reply | None:
        scheme, _, token = _header(headers, "Authorization").strip().partition(" ")
        token = token.strip()
        if scheme.lower() != "bearer" or not token:
            message = "send the token as 'Authorization: Bearer <token>'"
            challenge = 'Bearer realm="gospabliki"'
        elif not any(hmac.compare_digest(token.encode("utf-8"), t) for t in self._tokens):
            message = "the bearer token is not valid"
            challenge = 'Bearer realm="gospabliki", error="invalid_token"'
        else:
            return None
        return self._error(401, "unauthorized", message, {"WWW-Authenticate": challenge})

    def _create_report(self, headers: Mapping[str, str], body: bytes) -> Reply:
        if len(body) > self.max_body:
            message = f"the body is {len(body)} bytes; the limit is {self.max_body} bytes"
            return self._error(413, "too_large", message)
        media_type, *type_params = _header(headers, "Content-Type").lower().split(";")
        charset = next((p.split("=", 1)[1].strip() for p in type_params if "=" in p), "utf-8")
        if media_type.strip() != "application/json" or charset.strip('"') != "utf-8":
            return self._error(
                415, "unsupported_media_type", "send the report as application/json (UTF-8)"
            )
        key = _header(headers, "Idempotency-Key").strip()
        if not IDEMPOTENCY_KEY_RE.fullmatch(key):
            what = "is required" if not key else "is malformed"
            return self._error(
                400,
                "bad_request",
                f"the Idempotency-Key header {what}: 8-128 characters of A-Z, a-z, 0-9, _ and -",
            )
        try:
            report = json.loads(
                body.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite
            )
            content_hash(report)  # a lone surrogate in a string cannot be stored: refuse it now
        except (UnicodeError, ValueError, RecursionError) as exc:  # nested 1000s deep
            return self._error(400, "bad_json", f"the body is not valid JSON ({exc})")
        problems = validate_report(report)
        if problems:
            self._stats.count(errors="422")
            return self.json_reply({"error": "validation", "fields": problems}, 422)
        now = self.clock()
        outcome, response = self.store.file_report(
            key=key,
            body_sha256=content_hash(report),
            report=report,
            receipt=new_receipt(now),
            received_at=rfc3339(now),
        )
        if outcome == "conflict":
            self._stats.count(conflicts=1)
            return self._error(
                409,
                "idempotency_conflict",
                "this Idempotency-Key was used for a different report; use a new key",
            )
        if outcome == "replayed":
            self._stats.count(replayed=1)
            return self.json_reply(response, 200, {"Idempotent-Replayed": "true"})
        self._stats.count(stored=1)
        return self.json_reply(response, 201)

    def _read(self, operation: str, query: dict[str, str], path_params: dict[str, str]) -> Reply:
        municipality = query.get("municipality") or None
        if operation == "getReport":
            stored = self.store.get_report(path_params["receipt"])
            if stored is None:
                return self._error(404, "not_found", "no report has this receipt")
            return self.json_reply(stored)
        if operation == "listNotices":
            return self.json_reply({"notices": self.store.list_notices(municipality=municipality)})
        raw_limit = query.get("limit") or str(LIST_LIMIT_DEFAULT)
        limit = int(raw_limit) if raw_limit.isascii() and raw_limit.isdigit() else 0
        if not 1 <= limit <= LIST_LIMIT_MAX:
            field = {"field": "limit", "message": f"must be an integer from 1 to {LIST_LIMIT_MAX}"}
            self._stats.count(errors="422")
            return self.json_reply({"error": "validation", "fields": [field]}, 422)
        reports = self.store.list_reports(municipality=municipality, limit=limit)
        return self.json_reply({"reports": reports})


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite(text: str) -> float:
    """1e400 parses as infinity, which JSON cannot carry back out: refuse it."""
    value = float(text)
    if math.isinf(value) or math.isnan(value):
        raise ValueError(f"{text} is out of range")
    return value


# --------------------------------------------------------------------------- CLI


class MissingTokenError(click.ClickException):
    exit_code = 2  # like the hub's ConfigError: nothing was done


@click.command("gospabliki-stub")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8710, show_default=True, type=int, help="0 = any free port")
@click.option(
    "--db",
    "db_path",
    required=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="the stub's own SQLite file (created if missing)",
)
@click.option(
    "--token",
    "tokens",
    multiple=True,
    help=f"an accepted bearer token (repeatable); default: ${TOKEN_ENV}, which keeps it out of ps",
)
@click.option(
    "--max-body",
    default=MAX_BODY,
    show_default=True,
    type=click.IntRange(min=1),
    help="the largest report body accepted, in bytes (larger ones get 413)",
)
@click.option(
    "--enable-test-controls",
    "test_controls",
    is_flag=True,
    help="serve /_emulator/* (faults, counters: they can fail every report); for tests only",
)
def stub_command(
    host: str,
    port: int,
    db_path: Path,
    tokens: tuple[str, ...],
    max_body: int,
    test_controls: bool,
) -> None:
    """Run the Gospabliki reporting stub in the foreground (Ctrl-C or SIGTERM stops it)."""
    tokens = tuple(t for t in tokens if t.strip()) or tuple(
        t for t in [os.environ.get(TOKEN_ENV, "").strip()] if t
    )
    if not tokens:
        raise MissingTokenError(f"no token: pass --token or set {TOKEN_ENV}")
    try:
        stub = GospablikiStub(
            host=host,
            port=port,
            db_path=db_path,
            tokens=tokens,
            max_body=max_body,
            test_controls=test_controls,
        )
    except StubStoreError as exc:
        raise click.ClickException(str(exc)) from None
    controls = ", test controls on /_emulator/" if test_controls else ""
    serve_until_signalled(stub.start(), f"Gospabliki stub on {stub.url} (db {db_path}{controls})")
