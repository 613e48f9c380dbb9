"""A loopback HTTP emulator of the VK API (5.199 subset) for tests, demos and benchmarks.

Why a real server rather than mocks: the production ``VkClient`` (httpx, form POST,
Bearer token, rate limiter, retry/back-off, execute batching) must be exercised
end-to-end, including the failure modes VK actually produces — error 6 bursts,
HTML 500 pages, slow answers, ``false`` slots in ``execute``. Only the standard
library is used so the emulator starts anywhere the hub runs.

Control endpoints under ``/_emulator/`` let tests change the world (new posts,
moderator deletions in the "VK UI") and read the ground truth to compare with.

Bots Long Poll: ``groups.getLongPollServer`` points at ``/lp/<group_id>`` on this
server, and every change to a wall — made here or through the API — is logged as
the event VK would send (``wall_post_new``, ``wall_reply_new/edit/delete/restore``,
``user_block/unblock``). VK has no event for an edited or deleted post, so
``edit_post``/``delete_post`` log none.

Publishing (:mod:`.publish`): ``wall.post`` with its ``guid``, the wall photo
upload served at ``/upload/wall``, ``wall.createComment``. ``community_tokens`` are
community keys, refused (error 27) where VK refuses them. ``lose_answers`` applies a
write and then hangs up, as a timeout after the request left would look.
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
    Stats,
    json_reply,
)
from hub.sandbox.sample_texts import resident_remark

from .data import (
    Comment,
    Community,
    Post,
    base_now,
    generate_state,
    plan_threads,
    post_text,
    reply_comment,
    top_comment,
)
from .execute import parse_execute
from .http import HTML_500, parse_body
from .longpoll import (
    DEFAULT_KEY_TTL,
    LP_VERSION,
    WALL_EVENTS,
    LongPollKeys,
    a_check,
    parse_wait,
)
from .methods import (
    METHODS,
    Call,
    VkError,
    log_post_new,
    log_reply,
    log_reply_delete,
)
from .publish import (
    PUBLISH_METHODS,
    UPLOAD_PATH,
    place_comment,
    refuse_token_kind,
    upload_answer,
)
from .vkid import VkIdIssuer

API_VERSION = "5.199"
MIN_MINOR_VERSION = 131
TOKEN_OWNER_BASE = 700_000_001  # user id behind each configured token (the admin account)
ERROR6 = "error6_burst"  # the fault kind answering VK's error 6, named by its burst keyword
LP_FAILED = (1, 2, 3)  # the Long Poll failures ``set_faults(lp_failed=...)`` can inject


class VkEmulator(LoopbackEmulator):
    """The emulator: generated state + VK's rules + fault injection + mutations.

    Serving, faults, counters and ``/_emulator/*`` come from :mod:`hub.sandbox.harness`.
    """

    thread_name = "vk-emulator"
    server_software = "kittenx"
    error_page = HTML_500
    touched_ids = ("comment_id", "post_id")

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        seed: int = 1,
        communities: int = 3,
        posts: int = 50,
        comments: int = 20,
        rate_limit: float = 3.0,
        tokens: Iterable[str] = ("demo-vk-token",),
        community_tokens: Mapping[str, int] | None = None,
        big_post: bool = False,
        now: float | None = None,
        fault_error6_rate: float = 0.0,
        fault_http500_rate: float = 0.0,
        slow_ms: int = 0,
        key_ttl: float = DEFAULT_KEY_TTL,
    ) -> None:
        super().__init__(
            host=host,
            port=port,
            now=now,
            stats=Stats(
                requests=0,
                by_method={},
                execute_calls=0,
                execute_inner_calls=0,
                inner_by_method={},
                errors={},
                execute_errors=0,
                http500=0,
                tokens_in_url=0,
            ),
            # Seeded apart from the data: injected faults never disturb the generated world.
            faults=Faults(seed, {HTTP500: fault_http500_rate, ERROR6: fault_error6_rate}, slow_ms),
        )
        self.rate_limit = rate_limit
        self.tokens = {tok: TOKEN_OWNER_BASE + i for i, tok in enumerate(dict.fromkeys(tokens))}
        #: community keys: token → the group it belongs to (VK refuses them for most methods)
        self.community_tokens = {tok: abs(int(g)) for tok, g in (community_tokens or {}).items()}
        #: a community key's rights (groups.getTokenPermissions); unnamed keys have manage, photos
        self.community_token_rights: dict[str, frozenset[str]] = {}
        #: a user token's role in every community (1 moderator, 2 editor, 3 admin; 0 none)
        self.admin_levels: dict[str, int] = {}
        self.lock = threading.RLock()
        self.state = generate_state(
            seed=seed,
            communities=communities,
            posts=posts,
            comments=comments,
            big_post=big_post,
            now=base_now(now, time.time()),
        )
        # A separate RNG: mutations never disturb the generated data either.
        self._mut_rng = random.Random(f"mutations-{seed}")
        self._limiter = RateWindow(lambda: self.rate_limit)
        #: VK ID: expiring access tokens, rotating refresh tokens (vkid.py)
        self.vkid = VkIdIssuer(self._register_token)
        self._lp_keys = LongPollKeys(lambda gid: f"{self.base_url}/lp/{gid}", key_ttl)
        self._lp_fault = 0  # the failure the next a_check answers (0: none)

    @property
    def url(self) -> str:
        return f"{self.base_url}/method"

    def _register_token(self, token: str, user_id: int) -> None:
        with self.lock:
            self.tokens[token] = user_id

    # ------------------------------------------------------------------ inspection

    def community_ids(self) -> list[int]:
        with self.lock:
            return list(self.state.communities)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return self.state.snapshot(self.clock())

    def ban_exists(self, group_id: int, user_id: int) -> bool:
        with self.lock:
            ban = self._community(group_id).bans.get(int(user_id))
            return ban is not None and ban.active(self.clock())

    # ------------------------------------------------------------------ mutations

    def _community(self, group_id: int) -> Community:
        com = self.state.communities.get(abs(int(group_id)))
        if com is None:
            raise KeyError(f"unknown community {group_id}")
        return com

    def _post(self, com: Community, post_id: int) -> Post:
        post = com.posts.get(int(post_id))
        if post is None:
            raise KeyError(f"unknown post {post_id} in community {com.id}")
        return post

    def add_post(self, group_id: int, text: str | None = None, comments: int = 0) -> int:
        """Publish a post now (as the community), optionally with fresh comments."""
        with self.lock:
            com = self._community(group_id)
            post = Post(
                id=com.new_item_id(),
                owner_id=-com.id,
                from_id=-com.id,
                created_by=com.admin_id,
                date=int(self.clock()),
                text=text if text is not None else post_text(self._mut_rng, com),
            )
            com.posts[post.id] = post
            log_post_new(com, post)
            for _, replies in plan_threads(self._mut_rng, int(comments), allow_deleted=False):
                root = self.add_comment(com.id, post.id)
                for _ in range(replies):
                    self.add_comment(com.id, post.id, reply_to=root)
            return post.id

    def resident_comment(self, rng: random.Random) -> None:
        """Live activity: a resident writes under one of a community's newest posts."""
        snapshot = self.snapshot()["communities"]
        gid = rng.choice(sorted(snapshot))
        posts = sorted(snapshot[gid]["posts"], key=int)[-3:]
        if posts:
            self.add_comment(
                int(gid), int(rng.choice(posts)), resident_remark(rng, "нашем посёлке")
            )

    def add_comment(
        self,
        group_id: int,
        post_id: int,
        text: str | None = None,
        reply_to: int | None = None,
        from_id: int | None = None,
    ) -> int:
        """A resident (or ``from_id``) comments now; ``reply_to`` makes it a thread reply."""
        with self.lock:
            com = self._community(group_id)
            post = self._post(com, post_id)
            if post.deleted:
                raise ValueError(f"post {post_id} is deleted")
            target: Comment | None = None
            if reply_to is not None:
                target = com.comments.get(int(reply_to))
                if target is None or target.post_id != post.id:
                    raise KeyError(f"unknown comment {reply_to} on post {post_id}")
                author, auto_text = reply_comment(self._mut_rng, self.state, com, target.from_id)
            else:
                author, auto_text = top_comment(self._mut_rng, self.state, com)
            comment = Comment(
                com.new_item_id(),
                post.id,
                int(from_id) if from_id is not None else author,
                int(self.clock()),
                text if text is not None else auto_text,
            )
            place_comment(com, post, comment, target)
            log_reply(com, "wall_reply_new", comment)
            return comment.id

    def delete_comment(self, group_id: int, comment_id: int) -> None:
        """As if a moderator deleted it in the VK UI (no API call, no stats)."""
        with self.lock:
            com = self._community(group_id)
            comment = com.comments.get(int(comment_id))
            if comment is None:
                raise KeyError(f"unknown comment {comment_id}")
            if not comment.deleted:
                comment.deleted, comment.deleted_by = True, "ui"
                comment.deleted_at = int(self.clock())
                log_reply_delete(com, comment, com.admin_id)

    def edit_comment(self, group_id: int, comment_id: int, text: str) -> None:
        """Its author edits a live comment (VK sends ``wall_reply_edit``)."""
        with self.lock:
            com = self._community(group_id)
            comment = com.comments.get(int(comment_id))
            if comment is None:
                raise KeyError(f"unknown comment {comment_id}")
            if comment.deleted:
                raise ValueError(f"comment {comment_id} is deleted")
            comment.text = str(text)
            log_reply(com, "wall_reply_edit", comment)

    def edit_post(self, group_id: int, post_id: int, text: str) -> None:
        with self.lock:
            post = self._post(self._community(group_id), post_id)
            post.text = text
            post.edited = int(self.clock())

    def delete_post(self, group_id: int, post_id: int) -> None:
        with self.lock:
            self._post(self._community(group_id), post_id).deleted = True

    def close_comments(self, group_id: int, post_id: int, closed: bool = True) -> None:
        """As if an admin closed (or opened) the post's comments in the VK UI."""
        with self.lock:
            self._post(self._community(group_id), post_id).comments_closed = bool(closed)

    def mutations(self) -> dict[str, Callable[..., Any]]:
        return {
            "add_post": self.add_post,
            "add_comment": self.add_comment,
            "delete_comment": self.delete_comment,
            "edit_comment": self.edit_comment,
            "edit_post": self.edit_post,
            "delete_post": self.delete_post,
            "close_comments": self.close_comments,
        }

    def set_faults(
        self,
        *,
        error6_burst: int = 0,
        http500: int = 0,
        slow_ms: int | None = None,
        lp_failed: int = 0,
    ) -> None:
        """Next ``error6_burst`` requests answer error 6, next ``http500`` an HTML 500;
        the next Long Poll ``a_check`` answers ``{"failed": lp_failed}`` (1, 2 or 3).

        Long Poll requests draw no API faults (its server is not the API's), but
        ``slow_ms`` slows them too. Like every burst, an unnamed ``lp_failed`` ends.
        """
        lp_failed = int(lp_failed or 0)
        if lp_failed and lp_failed not in LP_FAILED:
            raise ValueError(f"lp_failed must be one of {LP_FAILED}, got {lp_failed}")
        self._faults.set(error6_burst=error6_burst, http500=http500, slow_ms=slow_ms)
        with self.lock:
            self._lp_fault = lp_failed

    def expire_longpoll_keys(self) -> None:
        """Every Long Poll key handed out so far expires: the next a_check answers failed 2."""
        self._lp_keys.expire_all()

    def set_long_poll(
        self, group_id: int, *, enabled: bool = True, api_version: str = LP_VERSION, **events: bool
    ) -> None:
        """Long Poll settings as an administrator sets them in the community's UI.

        Without ``events``: every wall event the hub reads is switched on.
        """
        if not events:
            events = dict.fromkeys(WALL_EVENTS, True)
        with self.lock:
            self.state.communities[abs(int(group_id))].events.configure(
                enabled, api_version, events
            )

    def apply_faults(self, data: dict[str, Any]) -> None:
        slow = data.get("slow_ms")
        self.set_faults(
            **{key: int(data[key]) for key in (*self._faults.kinds, "lp_failed") if key in data},
            slow_ms=None if slow is None else int(slow),
        )

    # ------------------------------------------------------------------ /method/*

    def handle(
        self, verb: str, path: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """``/method/<name>`` is the API; the harness answers the rest (control, 404)."""
        if path.startswith("/method/"):
            return self.handle_method(path[len("/method/") :], query, headers, body)
        if path == "/oauth2/auth" and verb == "POST":  # VK ID (vkid.py)
            self._stats.count(requests=1, by_method="oauth2/auth")
            status, answer = self.vkid.token(dict(parse_qsl(body.decode("utf-8", "replace"))))
            return self.json_reply(answer, status)
        if path == "/authorize":
            status, location = self.vkid.authorize(query, TOKEN_OWNER_BASE)
            return status, "text/plain; charset=utf-8", b"", location
        if path.startswith("/lp/"):
            return self.handle_longpoll(path[len("/lp/") :], query)
        if path == UPLOAD_PATH and verb == "POST":
            return self.handle_upload(query, headers, body)
        return super().handle(verb, path, query, headers, body)

    def handle_upload(self, query: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """The wall photo upload server (its own host on VK, so no API faults apply)."""
        in_url = any(k == self.token_param for k, _ in parse_qsl(query))
        self._stats.count(requests=1, by_method="upload.wallPhoto", tokens_in_url=int(in_url))
        self._faults.pause()
        with self.lock:
            answer = upload_answer(self.state, query, headers.get("Content-Type", ""), body)
        # VK's upload servers label their JSON text/html; clients must parse it anyway
        return json_reply(answer, content_type="text/html; charset=utf-8")

    # ------------------------------------------------------------------ /lp/<group_id>

    def handle_longpoll(self, group_ref: str, query: str) -> Reply:
        """``?act=a_check&key=&ts=&wait=`` → ``{ts, updates}`` or ``{failed: 1|2|3}``."""
        params = dict(parse_qsl(query, keep_blank_values=True))
        self._stats.count(requests=1, by_method="lp.a_check")
        self._faults.pause()
        with self.lock:
            com = self.state.communities.get(int(group_ref)) if group_ref.isdigit() else None
            if com is None:
                return self.json_reply({"ok": False, "error": "not found"}, 404)
            if params.get("act") != "a_check":
                return self.json_reply({"ok": False, "error": "act must be a_check"}, 400)
            fault, self._lp_fault = self._lp_fault, 0
            key = params.get("key", "")
            if fault in (2, 3):  # the key is gone for real: a client must take a new one
                self._lp_keys.revoke(key)
                return self.json_reply({"failed": fault})
            if fault == 1:
                return self.json_reply({"failed": 1, "ts": str(com.events.ts)})
            if not self._lp_keys.valid(key, com.id):
                return self.json_reply({"failed": 2})
            try:
                ts = int(params.get("ts", "").strip())
            except ValueError:  # not a position this server gave: history to catch up on
                return self.json_reply({"failed": 1, "ts": str(com.events.ts)})
        answer = a_check(
            self.lock, com.events, ts, parse_wait(params.get("wait")), lambda: self._server is None
        )
        return self.json_reply(answer)

    def handle_method(
        self, name: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """One ``/method/<name>`` request, from raw HTTP parts to the reply."""
        query_params = parse_qsl(query, keep_blank_values=True)
        fault = self.begin_call(name, query_params)
        if fault == HTTP500:
            return self.html_500()
        params = dict(query_params)
        try:
            params.update(parse_body(headers.get("Content-Type", ""), body))
        except VkError as err:
            return self._error(err, name, params, authed=False)
        if fault == ERROR6:
            return self._error(VkError(6, "Too many requests per second"), name, params, True)
        auth = headers.get("Authorization", "")
        token = (
            auth[7:].strip()
            if auth.lower().startswith("bearer ")
            else params.get("access_token", "")
        )
        if not token:
            err = VkError(5, "User authorization failed: no access_token passed.")
            return self._error(err, name, params, authed=False)
        if token not in self.tokens and token not in self.community_tokens:
            err = VkError(5, "User authorization failed: invalid access_token (4).")
            return self._error(err, name, params, authed=False)
        if self.vkid.is_expired(token):
            err = VkError(5, "User authorization failed: access_token has expired.", 1117)
            return self._error(err, name, params, authed=False)
        if not self._limiter.allow(token):
            return self._error(VkError(6, "Too many requests per second"), name, params, True)
        version = params.get("v", "")
        try:
            major, minor = (int(x) for x in version.split("."))
        except ValueError:
            major = minor = -1
        if not version:
            err = VkError(8, "Invalid request: v (version) is required")
            return self._error(err, name, params, True)
        if major != 5 or minor < MIN_MINOR_VERSION:
            err = VkError(
                8,
                f"Invalid request: versions below 5.{MIN_MINOR_VERSION} are not "
                f"supported, current actual version is {API_VERSION}",
            )
            return self._error(err, name, params, True)
        try:
            payload = self._dispatch(name, params, token)
        except VkError as err:
            return self._error(err, name, params, True)
        except Exception:  # noqa: BLE001 - VK never leaks tracebacks; neither do we
            return self._error(VkError(10, "Internal server error"), name, params, True)
        if self.answer_lost(name):  # applied, but the client never hears of it
            return ANSWER_LOST
        return self.json_reply(payload)

    def _call(self, params: dict[str, str], token: str) -> Call:
        """A method invocation's context; the caller holds the lock."""
        group = self.community_tokens.get(token)
        user_id = -group if group is not None else self.tokens[token]
        rights = self.community_token_rights.get(token, frozenset({"manage", "photos"}))
        return Call(
            params,
            self.state,
            self.clock(),
            user_id,
            self._lp_keys,
            group,
            self.base_url,
            token_rights=rights,
            admin_level=self.admin_levels.get(token, 3),
        )

    def _dispatch(self, name: str, params: dict[str, str], token: str) -> dict[str, Any]:
        refuse_token_kind(name, self.community_tokens.get(token))
        if name == "execute":
            return self._execute(params, token)
        method = METHODS.get(name) or PUBLISH_METHODS.get(name)
        if method is None:
            raise VkError(3, "Unknown method passed")
        with self.lock:
            return {"response": method(self._call(params, token))}

    def _execute(self, params: dict[str, str], token: str) -> dict[str, Any]:
        """Run the plain ``return [API.x.y({...}), ...];`` form; failed calls give false."""
        code = params.get("code", "")
        if not code.strip():
            raise VkError(
                100, "One of the parameters specified was missing or invalid: code is undefined"
            )
        calls, single = parse_execute(code)
        self._stats.count(
            execute_calls=1,
            execute_inner_calls=len(calls),
            inner_by_method=[method_name for method_name, _ in calls],
        )
        results: list[Any] = []
        errors: list[dict[str, Any]] = []
        for method_name, inner in calls:
            inner.setdefault("v", params.get("v", API_VERSION))
            method = METHODS.get(method_name) or PUBLISH_METHODS.get(method_name)
            try:
                if method is None:
                    raise VkError(3, "Unknown method passed")
                refuse_token_kind(method_name, self.community_tokens.get(token))
                with self.lock:
                    results.append(method(self._call(inner, token)))
            except Exception as exc:  # noqa: BLE001 - becomes a false slot, like VK
                err = exc if isinstance(exc, VkError) else VkError(10, "Internal server error")
                results.append(False)
                errors.append({"method": method_name, "error_code": err.code, "error_msg": err.msg})
        out: dict[str, Any] = {"response": results[0] if single else results}
        if errors:
            out["execute_errors"] = errors
            self._stats.count(execute_errors=len(errors))
        return out

    def _error(self, err: VkError, name: str, params: dict[str, str], authed: bool) -> Reply:
        self._stats.count(errors=str(err.code))
        request_params = [{"key": "method", "value": name}]
        if "v" in params:
            request_params.append({"key": "v", "value": params["v"]})
        if authed:
            request_params.append({"key": "oauth", "value": "1"})
        request_params += [
            {"key": k, "value": v}
            for k, v in params.items()
            if k not in ("access_token", "v", "method")
        ]
        error: dict[str, Any] = {"error_code": err.code, "error_msg": err.msg}
        if err.subcode is not None:
            error["error_subcode"] = err.subcode
        error["request_params"] = request_params
        return self.json_reply({"error": error})
