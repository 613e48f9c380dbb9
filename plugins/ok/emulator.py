"""A loopback HTTP emulator of the OK (Odnoklassniki) REST API for tests, demos, benchmarks.

Why a real server rather than mocks: the production OK client (httpx, form POST to
``/fb.do``, md5 signature, error-code handling, anchor paging, rate limiting, retries)
must be exercised end to end, including what api.ok.ru actually does — errors at HTTP
200 with an ``invocation-error`` header, bare-array and bare-``true`` success bodies,
a ``mediatopic.getTopics`` that may not exist (``get_topics=False`` forces the
``stream.get`` fallback), flood blocks, HTML 500 pages and slow answers. The rules
follow /work/shared/api/ok-api.md; only the standard library (plus click for the CLI)
is used so the emulator starts anywhere the hub runs.

Control endpoints under ``/_emulator/`` let tests change the world (new topics,
moderator deletions "in the OK UI") and read the ground truth to compare with.
"""

from __future__ import annotations

import random
import signal
import sys
import threading
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import click

from . import emulator_texts as tx
from .emulator_data import (
    ADMIN_BASE,
    Group,
    OkState,
    Topic,
    base_now_ms,
    generate_state,
    reply_comment,
    resident_comment,
    topic_text,
)
from .emulator_http import (
    HTML_500,
    OkHttpServer,
    Reply,
    error_reply,
    json_reply,
    parse_form,
    route_control,
)
from .emulator_methods import METHODS, Call
from .emulator_protocol import FloodGuard, OkError, authenticate, missing


class _Stats:
    """Request counters; tests assert on them (e.g. no token ever sent in a URL)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.by_method: dict[str, int] = defaultdict(int)
        self.errors: dict[str, int] = defaultdict(int)
        self.http500 = 0
        self.tokens_in_url = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_method": dict(self.by_method),
            "errors": dict(self.errors),
            "http500": self.http500,
            "tokens_in_url": self.tokens_in_url,
        }


class OkEmulator:
    """The emulator: generated state + HTTP server + auth rules + faults + mutations."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 1,
        groups: int = 3,
        topics: int = 50,
        comments: int = 20,
        rate_limit: float = 2.0,
        application_key: str = "DEMOOKAPPKEY",
        application_secret: str = "demo-ok-app-secret",
        tokens: Iterable[str] = ("demo-ok-token",),
        expired_tokens: Iterable[str] = (),
        get_topics: bool = True,
        big_topic: bool = False,
        now: float | None = None,
        fault_error_rate: float = 0.0,
        fault_http500_rate: float = 0.0,
        slow_ms: int = 0,
    ) -> None:
        self.host = host
        self._port = port
        self.rate_limit = rate_limit
        self.application_key = application_key
        self.application_secret = application_secret
        self.tokens = {tok: ADMIN_BASE + 1 + i for i, tok in enumerate(dict.fromkeys(tokens))}
        self.expired_tokens = frozenset(expired_tokens)
        self.get_topics = get_topics
        self._fixed_now = now
        self._t0 = time.monotonic()
        self.lock = threading.RLock()
        self.state: OkState = generate_state(
            seed=seed,
            groups=groups,
            topics=topics,
            comments=comments,
            big_topic=big_topic,
            now_ms=base_now_ms(now, time.time()),
        )
        for i, uid in enumerate(self.tokens.values()):
            name = tx.ADMIN_NAMES[i % len(tx.ADMIN_NAMES)]
            self.state.admins[uid] = name if i < len(tx.ADMIN_NAMES) else f"{name} {i + 1}"
        # Separate RNGs: injected faults and mutations never disturb the generated data.
        self._fault_rng = random.Random(f"faults-{seed}")
        self._mut_rng = random.Random(f"mutations-{seed}")
        self._fault_lock = threading.Lock()
        self._error_rate = fault_error_rate
        self._http500_rate = fault_http500_rate
        self._error_burst = 0
        self._http500_burst = 0
        self._slow_ms = slow_ms
        self._flood = FloodGuard(lambda: self.rate_limit)
        self._stats = _Stats()
        self._server: OkHttpServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> OkEmulator:
        """Bind and serve in a daemon thread (port 0 picks a free port)."""
        if self._server is not None:
            return self
        server = OkHttpServer((self.host, self._port), self)
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"ok-emulator-{self._port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, thread = self._server, self._thread
        self._server = self._thread = None
        if server is not None:
            server.shutdown()
            server.close_connections()
            server.server_close()
        if thread is not None:
            thread.join(timeout=5)

    def serve_forever(self) -> None:
        """Serve in the foreground until KeyboardInterrupt (the CLI maps SIGTERM to it)."""
        self.start()
        try:
            while self._thread is not None and self._thread.is_alive():
                self._thread.join(0.5)
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    def __enter__(self) -> OkEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}/fb.do"

    def clock_ms(self) -> int:
        """Emulated time in ms: real time, or ``now`` advancing with real elapsed time."""
        if self._fixed_now is None:
            return int(time.time() * 1000)
        return int((self._fixed_now + time.monotonic() - self._t0) * 1000)

    # ------------------------------------------------------------------ inspection

    def group_ids(self) -> list[int]:
        with self.lock:
            return list(self.state.groups)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return self.state.snapshot()

    def stats(self) -> dict[str, Any]:
        with self._stats.lock:
            return self._stats.as_dict()

    def reset_stats(self) -> None:
        with self._stats.lock:
            self._stats.reset()

    def is_blocked(self, group_id: int, user_id: int) -> bool:
        with self.lock:
            return int(user_id) in self._group(group_id).blocked

    # ------------------------------------------------------------------ mutations

    def _group(self, group_id: int) -> Group:
        group = self.state.groups.get(int(group_id))
        if group is None:
            raise KeyError(f"unknown group {group_id}")
        return group

    def _topic(self, group: Group, topic_id: str) -> Topic:
        topic = group.topics.get(str(topic_id))
        if topic is None:
            raise KeyError(f"unknown topic {topic_id} in group {group.id}")
        return topic

    def add_topic(self, group_id: int, text: str | None = None, comments: int = 0) -> str:
        """Publish a topic now (as the group), optionally with fresh comments."""
        with self.lock:
            group = self._group(group_id)
            topic = Topic(
                self.state.new_topic_id(self._mut_rng),
                group.id,
                self.clock_ms(),
                text if text is not None else topic_text(self._mut_rng, group),
            )
            group.topics[topic.id] = topic
            self.state.topics[topic.id] = topic
            for _ in range(int(comments)):
                self.add_comment(group.id, topic.id)
            return topic.id

    def add_comment(
        self,
        group_id: int,
        topic_id: str,
        text: str | None = None,
        reply_to: str | None = None,
        author_id: int | None = None,
    ) -> str:
        """Someone comments now: a resident, or ``author_id`` (the group id = the group)."""
        with self.lock:
            group = self._group(group_id)
            topic = self._topic(group, topic_id)
            if topic.deleted:
                raise ValueError(f"topic {topic_id} is deleted")
            target = None
            if reply_to is not None:
                target = topic.by_id.get(str(reply_to))
                if target is None or target.deleted:
                    raise KeyError(f"unknown comment {reply_to} on topic {topic_id}")
                author, by_group, auto_text = reply_comment(
                    self._mut_rng, self.state, group, target
                )
            else:
                author, auto_text = resident_comment(self._mut_rng, self.state, group)
                by_group = False
            if author_id is not None:
                author, by_group = int(author_id), int(author_id) == group.id
            last = topic.comments[-1].date_ms if topic.comments else topic.created_ms
            comment = self.state.new_comment(
                topic,
                author,
                by_group,
                max(self.clock_ms(), last + 1),  # a discussion never goes back in time
                text if text is not None else auto_text,
                target=target,
            )
            return comment.id

    def delete_comment(self, group_id: int, topic_id: str, comment_id: str) -> None:
        """As if a moderator deleted it in the OK UI (no API call, no stats)."""
        with self.lock:
            topic = self._topic(self._group(group_id), topic_id)
            comment = topic.by_id.get(str(comment_id))
            if comment is None:
                raise KeyError(f"unknown comment {comment_id}")
            if not comment.deleted:
                comment.deleted, comment.deleted_by = True, "ui"

    def edit_topic(self, group_id: int, topic_id: str, text: str) -> None:
        with self.lock:
            topic = self._topic(self._group(group_id), topic_id)
            topic.text, topic.edited_ms = text, self.clock_ms()

    def delete_topic(self, group_id: int, topic_id: str) -> None:
        with self.lock:
            self._topic(self._group(group_id), topic_id).deleted = True

    def set_faults(
        self, *, error_burst: int = 0, http500: int = 0, slow_ms: int | None = None
    ) -> None:
        """Next ``error_burst`` requests answer error 1 (UNKNOWN), next ``http500`` a 500."""
        with self._fault_lock:
            self._error_burst = max(0, int(error_burst))
            self._http500_burst = max(0, int(http500))
            if slow_ms is not None:
                self._slow_ms = max(0, int(slow_ms))

    # ------------------------------------------------------------------ /fb.do

    def _next_fault(self) -> int | None:
        """500 or 1 when a burst or a random fault hits this request, else None."""
        with self._fault_lock:
            if self._http500_burst > 0:
                self._http500_burst -= 1
                return 500
            if self._error_burst > 0:
                self._error_burst -= 1
                return 1
            if self._http500_rate > 0 and self._fault_rng.random() < self._http500_rate:
                return 500
            if self._error_rate > 0 and self._fault_rng.random() < self._error_rate:
                return 1
        return None

    def handle_api(
        self, method: str | None, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """One REST call, from raw HTTP parts to the reply (``method`` set by ``/api/a/b``)."""
        query_params = parse_qsl(query, keep_blank_values=True)
        params = dict(query_params)
        params.update(parse_form(headers.get("Content-Type", ""), body))
        name = method or params.get("method", "")
        with self._stats.lock:
            self._stats.requests += 1
            self._stats.by_method[name or "(none)"] += 1
            if any(k == "access_token" for k, _ in query_params):
                self._stats.tokens_in_url += 1
        with self._fault_lock:
            slow = self._slow_ms
        if slow:
            time.sleep(slow / 1000)
        fault = self._next_fault()
        if fault == 500:
            with self._stats.lock:
                self._stats.http500 += 1
            return 500, "text/html; charset=utf-8", HTML_500, {}
        try:
            if fault == 1:
                raise OkError(1, "Unknown error")
            token = authenticate(
                params,
                application_key=self.application_key,
                application_secret=self.application_secret,
                tokens=self.tokens,
                expired_tokens=self.expired_tokens,
            )
            if not self._flood.allow(token):
                raise OkError(8, "Flood blocked")
            payload = self._dispatch(name, params, self.tokens[token])
        except OkError as err:
            return self._error(err)
        except Exception:  # noqa: BLE001 - OK never leaks tracebacks; neither do we
            return self._error(OkError(9999, "Critical system error"))
        return json_reply(payload)

    def _dispatch(self, name: str, params: dict[str, str], user_id: int) -> Any:
        if not name:
            raise missing("method")
        impl = METHODS.get(name)
        if impl is None or (name == "mediatopic.getTopics" and not self.get_topics):
            raise OkError(3, f"Method {name} does not exist")
        with self.lock:
            return impl(Call(params, self.state, self.clock_ms(), user_id))

    def _error(self, err: OkError) -> Reply:
        with self._stats.lock:
            self._stats.errors[str(err.code)] += 1
        return error_reply(err)

    # ------------------------------------------------------------------ /_emulator/*

    def handle_control(self, verb: str, path: str, body: bytes) -> Reply:
        """Test-only endpoints: JSON in, JSON out, no token, no signature."""
        routes = {
            ("GET", "state"): lambda _: self.snapshot(),
            ("GET", "stats"): lambda _: self.stats(),
            ("POST", "stats/reset"): self._control_reset,
            ("POST", "mutate"): self._control_mutate,
            ("POST", "faults"): self._control_faults,
        }
        return route_control(routes, verb, path, body)

    def _control_reset(self, _: dict[str, Any]) -> dict[str, Any]:
        self.reset_stats()
        return {"ok": True}

    def _control_faults(self, data: dict[str, Any]) -> dict[str, Any]:
        self.set_faults(
            error_burst=int(data.get("error_burst", 0)),
            http500=int(data.get("http500", 0)),
            slow_ms=None if data.get("slow_ms") is None else int(data["slow_ms"]),
        )
        return {"ok": True}

    def _control_mutate(self, data: dict[str, Any]) -> dict[str, Any]:
        kwargs = dict(data)
        op = kwargs.pop("op", None)
        ops = {
            "add_topic": self.add_topic,
            "add_comment": self.add_comment,
            "delete_comment": self.delete_comment,
            "edit_topic": self.edit_topic,
            "delete_topic": self.delete_topic,
        }
        if op not in ops:
            raise ValueError(f"unknown op {op!r}; expected one of {sorted(ops)}")
        result = ops[op](**kwargs)
        if result is None:  # changes answer the id of the object they touched
            result = kwargs.get("comment_id", kwargs.get("topic_id"))
        return {"ok": True, "id": result}


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.command("ok")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8702, show_default=True, type=int, help="0 = any free port")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--groups", default=3, show_default=True, type=int)
@click.option("--topics", default=50, show_default=True, type=int)
@click.option("--comments", default=20, show_default=True, type=int)
@click.option(
    "--rate-limit",
    default=2.0,
    show_default=True,
    type=float,
    help="requests per second per token; 0 disables",
)
@click.option("--application-key", default="DEMOOKAPPKEY", show_default=True)
@click.option("--application-secret", default="demo-ok-app-secret", show_default=True)
@click.option("--token", "tokens", multiple=True, default=("demo-ok-token",), show_default=True)
@click.option("--no-get-topics", is_flag=True, help="mediatopic.getTopics answers error 3")
@click.option("--big-topic", is_flag=True, help="add a 250-comment topic to each group")
@click.option("--fault-error-rate", default=0.0, type=float)
@click.option("--fault-http500-rate", default=0.0, type=float)
@click.option("--slow-ms", default=0, type=int)
def emulator_command(
    host: str,
    port: int,
    seed: int,
    groups: int,
    topics: int,
    comments: int,
    rate_limit: float,
    application_key: str,
    application_secret: str,
    tokens: tuple[str, ...],
    no_get_topics: bool,
    big_topic: bool,
    fault_error_rate: float,
    fault_http500_rate: float,
    slow_ms: int,
) -> None:
    """Run the OK API emulator in the foreground (Ctrl-C or SIGTERM stops it)."""
    emulator = OkEmulator(
        host=host,
        port=port,
        seed=seed,
        groups=groups,
        topics=topics,
        comments=comments,
        rate_limit=rate_limit,
        application_key=application_key,
        application_secret=application_secret,
        tokens=tokens,
        get_topics=not no_get_topics,
        big_topic=big_topic,
        fault_error_rate=fault_error_rate,
        fault_http500_rate=fault_http500_rate,
        slow_ms=slow_ms,
    ).start()
    ids = emulator.group_ids()
    click.echo(f"OK emulator on {emulator.url} ({len(ids)} groups: {','.join(map(str, ids))})")
    sys.stdout.flush()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupt)
    emulator.serve_forever()


if __name__ == "__main__":
    emulator_command()
