"""A loopback HTTP emulator of the OK (Odnoklassniki) REST API for tests, demos, benchmarks.

Why a real server rather than mocks: the production OK client (httpx, form POST to
``/fb.do``, md5 signature, error-code handling, anchor paging, rate limiting, retries)
must be exercised end to end, including what api.ok.ru actually does — errors at HTTP
200 with an ``invocation-error`` header, bare-array and bare-``true`` success bodies,
a ``mediatopic.getTopics`` that may not exist (``get_topics=False`` forces the
``stream.get`` fallback), flood blocks, HTML 500 pages and slow answers. The rules
follow docs/networks/ok.md; only the standard library (plus click for the CLI)
is used so the emulator starts anywhere the hub runs.

Control endpoints under ``/_emulator/`` let tests change the world (new topics,
moderator deletions "in the OK UI") and read the ground truth to compare with.
Publishing (photo upload, ``mediatopic.post``, ``addDiscussionComment`` behind the
``discussion_writes`` switch, token permissions) is in ``publish``.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

from hub.sandbox.harness import (
    ANSWER_LOST,
    HTTP500,
    Faults,
    LoopbackEmulator,
    RateWindow,
    Reply,
)
from hub.sandbox.sample_texts import resident_remark

from . import texts as tx
from .data import (
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
from .http import HTML_500, JSON_TYPE, error_reply, parse_form
from .methods import METHODS, PERMISSIONS, Call
from .oauth import OkOAuth
from .protocol import OkError, authenticate, missing
from .publish import ADD_COMMENT, LOSABLE, PUBLISH_METHODS, UPLOAD_PATH, Publishing

ERROR = "error_burst"  # the fault kind answering error 1 (UNKNOWN), named by its burst keyword


class OkEmulator(Publishing, LoopbackEmulator):
    """The emulator: generated state + OK's auth rules + faults + mutations.

    Serving, faults, counters and ``/_emulator/*`` come from :mod:`hub.sandbox.harness`.
    """

    thread_name = "ok-emulator"
    server_software = "nginx"
    json_type = JSON_TYPE
    error_page = HTML_500
    touched_ids = ("comment_id", "topic_id")

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
        discussion_writes: bool = False,
        token_permissions: Mapping[str, Iterable[str]] | None = None,
        now: float | None = None,
        fault_error_rate: float = 0.0,
        fault_http500_rate: float = 0.0,
        slow_ms: int = 0,
    ) -> None:
        super().__init__(
            host=host,
            port=port,
            now=now,
            # Seeded apart from the data: injected faults never disturb the generated world.
            faults=Faults(seed, {HTTP500: fault_http500_rate, ERROR: fault_error_rate}, slow_ms),
        )
        self.rate_limit = rate_limit
        self.application_key = application_key
        self.application_secret = application_secret
        self.tokens = {tok: ADMIN_BASE + 1 + i for i, tok in enumerate(dict.fromkeys(tokens))}
        self.expired_tokens = set(expired_tokens)
        #: OK OAuth: expiring access tokens, the refresh endpoint (oauth.py)
        self.oauth = OkOAuth(self._register_token, self.expired_tokens, application_secret)
        self.get_topics = get_topics
        #: whether discussions.addDiscussionComment is open to this application (notes §4.2:
        #: probably not, for an ordinary app, so off by default: error 3 as OK answers)
        self.discussion_writes = discussion_writes
        #: the scopes of tokens that did not grant everything (notes §2), e.g. no GROUP_CONTENT
        self.token_permissions = {
            tok: frozenset(perms) for tok, perms in (token_permissions or {}).items()
        }
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
        # A separate RNG: mutations never disturb the generated data either.
        self._mut_rng = random.Random(f"mutations-{seed}")
        self._flood = RateWindow(lambda: self.rate_limit)

    @property
    def url(self) -> str:
        return f"{self.base_url}/fb.do"

    def clock_ms(self) -> int:
        """Emulated time in ms, the unit OK's API speaks."""
        return int(self.clock() * 1000)

    # ------------------------------------------------------------------ inspection

    def group_ids(self) -> list[int]:
        with self.lock:
            return list(self.state.groups)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return self.state.snapshot()

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

    def resident_comment(self, rng: random.Random) -> None:
        """Live activity: a resident writes under one of a group's newest topics."""
        snapshot = self.snapshot()["groups"]
        gid = rng.choice(sorted(snapshot))
        topics = sorted(snapshot[gid]["topics"], key=int)[-3:]
        if topics:
            self.add_comment(int(gid), rng.choice(topics), resident_remark(rng, "нашем посёлке"))

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

    def edit_comment(self, group_id: int, topic_id: str, comment_id: str, text: str) -> None:
        """Its author edits a live comment: the topic's counter does not move."""
        with self.lock:
            topic = self._topic(self._group(group_id), topic_id)
            comment = topic.by_id.get(str(comment_id))
            if comment is None or comment.deleted:
                raise KeyError(f"no live comment {comment_id} on topic {topic_id}")
            comment.text = str(text)

    def edit_topic(self, group_id: int, topic_id: str, text: str) -> None:
        with self.lock:
            topic = self._topic(self._group(group_id), topic_id)
            topic.text, topic.edited_ms = text, self.clock_ms()

    def delete_topic(self, group_id: int, topic_id: str) -> None:
        with self.lock:
            self._topic(self._group(group_id), topic_id).deleted = True

    def mutations(self) -> dict[str, Callable[..., Any]]:
        return {
            "add_topic": self.add_topic,
            "add_comment": self.add_comment,
            "delete_comment": self.delete_comment,
            "edit_comment": self.edit_comment,
            "edit_topic": self.edit_topic,
            "delete_topic": self.delete_topic,
        }

    def set_faults(
        self, *, error_burst: int = 0, http500: int = 0, slow_ms: int | None = None
    ) -> None:
        """Next ``error_burst`` requests answer error 1 (UNKNOWN), next ``http500`` a 500."""
        self._faults.set(error_burst=error_burst, http500=http500, slow_ms=slow_ms)

    # ------------------------------------------------------------------ /fb.do

    def _register_token(self, token: str) -> None:
        with self.lock:
            self.tokens[token] = ADMIN_BASE + 1  # the first admin's, as signing in gives

    def handle(
        self, verb: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """The API is ``/fb.do`` (method in the ``method`` parameter) and
        ``/api/<group>/<method>`` (method in the path), by GET query or POST form;
        the harness answers the rest (``/_emulator/*``, 404).
        """
        parts = path.strip("/").split("/")
        if path == UPLOAD_PATH and verb == "POST":
            return self.handle_upload(query, headers, body)
        if path == "/fb.do":
            return self.handle_api(None, query, headers, body)
        if path == "/oauth/token.do" and verb == "POST":  # OK OAuth (oauth.py)
            self._stats.count(requests=1, by_method="oauth/token.do")
            form = dict(parse_qsl(query)) | dict(parse_qsl(body.decode("utf-8", "replace")))
            status, answer = self.oauth.token(form)
            return self.json_reply(answer, status)
        if path == "/oauth/authorize":
            status, location = self.oauth.authorize(query)
            return status, "text/plain; charset=utf-8", b"", location
        if len(parts) == 3 and parts[0] == "api" and all(parts):
            return self.handle_api(f"{parts[1]}.{parts[2]}", query, headers, body)
        return super().handle(verb, path, query, headers, body)

    def handle_api(
        self, method: str | None, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """One REST call, from raw HTTP parts to the reply (``method`` set by ``/api/a/b``)."""
        query_params = parse_qsl(query, keep_blank_values=True)
        params = dict(query_params)
        params.update(parse_form(headers.get("Content-Type", ""), body))
        name = method or params.get("method", "")
        fault = self.begin_call(name or "(none)", query_params)
        if fault == HTTP500:
            return self.html_500()
        try:
            if fault == ERROR:
                raise OkError(1, "Unknown error")
            self.oauth.check_expiry(params.get("access_token", ""))
            token = authenticate(
                params,
                application_key=self.application_key,
                application_secret=self.application_secret,
                tokens=self.tokens,
                expired_tokens=self.expired_tokens,
            )
            if not self._flood.allow(token):
                raise OkError(8, "Flood blocked")
            payload = self._dispatch(name, params, token)
        except OkError as err:
            return self._error(err)
        except Exception:  # noqa: BLE001 - OK never leaks tracebacks; neither do we
            return self._error(OkError(9999, "Critical system error"))
        if name in LOSABLE and self.answer_lost(name):
            return ANSWER_LOST  # applied, and the client never hears of it
        return self.json_reply(payload)

    def _dispatch(self, name: str, params: dict[str, str], token: str) -> Any:
        if not name:
            raise missing("method")
        impl = METHODS.get(name) or PUBLISH_METHODS.get(name)
        closed = (name == "mediatopic.getTopics" and not self.get_topics) or (
            name == ADD_COMMENT and not self.discussion_writes
        )
        if impl is None or closed:
            raise OkError(3, f"Method {name} does not exist")
        permissions = self.token_permissions.get(token, PERMISSIONS)
        with self.lock:
            call = Call(params, self.state, self.clock_ms(), self.tokens[token], permissions)
            call.rng, call.base_url = self._mut_rng, self.base_url
            return impl(call)

    def _error(self, err: OkError) -> Reply:
        self._stats.count(errors=str(err.code))
        return error_reply(err)
