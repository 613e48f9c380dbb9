"""A loopback HTTP emulator of the VK API (5.199 subset) for tests, demos and benchmarks.

Why a real server rather than mocks: the production ``VkClient`` (httpx, form POST,
Bearer token, rate limiter, retry/back-off, execute batching) must be exercised
end-to-end, including the failure modes VK actually produces — error 6 bursts,
HTML 500 pages, slow answers, ``false`` slots in ``execute``. Only the standard
library is used so the emulator starts anywhere the hub runs.

Control endpoints under ``/_emulator/`` let tests change the world (new posts,
moderator deletions in the "VK UI") and read the ground truth to compare with.
"""

from __future__ import annotations

import json
import random
import signal
import sys
import threading
import time
from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qsl

import click

from .emulator_data import (
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
from .emulator_execute import parse_execute
from .emulator_http import HTML_500, EmulatorServer, Reply, json_reply, parse_body
from .emulator_methods import METHODS, Call, VkError

API_VERSION = "5.199"
MIN_MINOR_VERSION = 131
TOKEN_OWNER_BASE = 700_000_001  # user id behind each configured token (the admin account)


class _Stats:
    """Request counters; tests assert on them (e.g. no token ever sent in a URL)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        self.requests = 0
        self.by_method: dict[str, int] = defaultdict(int)
        self.execute_calls = 0
        self.execute_inner_calls = 0
        self.inner_by_method: dict[str, int] = defaultdict(int)
        self.errors: dict[str, int] = defaultdict(int)
        self.execute_errors = 0
        self.http500 = 0
        self.tokens_in_url = 0

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "by_method": dict(self.by_method),
            "execute_calls": self.execute_calls,
            "execute_inner_calls": self.execute_inner_calls,
            "inner_by_method": dict(self.inner_by_method),
            "errors": dict(self.errors),
            "execute_errors": self.execute_errors,
            "http500": self.http500,
            "tokens_in_url": self.tokens_in_url,
        }


class VkEmulator:
    """The emulator: generated state + HTTP server + fault injection + mutations."""

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
        big_post: bool = False,
        now: float | None = None,
        fault_error6_rate: float = 0.0,
        fault_http500_rate: float = 0.0,
        slow_ms: int = 0,
    ) -> None:
        self.host = host
        self._port = port
        self.rate_limit = rate_limit
        self.tokens = {tok: TOKEN_OWNER_BASE + i for i, tok in enumerate(dict.fromkeys(tokens))}
        self._fixed_now = now
        self._t0 = time.monotonic()
        self.lock = threading.RLock()
        self.state = generate_state(
            seed=seed,
            communities=communities,
            posts=posts,
            comments=comments,
            big_post=big_post,
            now=base_now(now, time.time()),
        )
        # Separate RNGs: injected faults and mutations never disturb the generated data.
        self._fault_rng = random.Random(f"faults-{seed}")
        self._mut_rng = random.Random(f"mutations-{seed}")
        self._fault_lock = threading.Lock()
        self._error6_rate = fault_error6_rate
        self._http500_rate = fault_http500_rate
        self._error6_burst = 0
        self._http500_burst = 0
        self._slow_ms = slow_ms
        self._rate_lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {}
        self._stats = _Stats()
        self._server: EmulatorServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle

    def start(self) -> VkEmulator:
        """Bind and serve in a daemon thread (port 0 picks a free port)."""
        if self._server is not None:
            return self
        server = EmulatorServer((self.host, self._port), self)
        self._server = server
        self._port = server.server_address[1]
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"vk-emulator-{self._port}",
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

    def __enter__(self) -> VkEmulator:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self._port}/method"

    def clock(self) -> float:
        """Emulated unix time: real time, or ``now`` advancing with real elapsed time."""
        if self._fixed_now is None:
            return time.time()
        return self._fixed_now + (time.monotonic() - self._t0)

    # ------------------------------------------------------------------ inspection

    def community_ids(self) -> list[int]:
        with self.lock:
            return list(self.state.communities)

    def snapshot(self) -> dict[str, Any]:
        with self.lock:
            return self.state.snapshot(self.clock())

    def stats(self) -> dict[str, Any]:
        with self._stats.lock:
            return self._stats.as_dict()

    def reset_stats(self) -> None:
        with self._stats.lock:
            self._stats.reset()

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
            for _, replies in plan_threads(self._mut_rng, int(comments), allow_deleted=False):
                root = self.add_comment(com.id, post.id)
                for _ in range(replies):
                    self.add_comment(com.id, post.id, reply_to=root)
            return post.id

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
            if target is not None:
                root = com.comments[target.root_id] if target.root_id else target
                comment.root_id = root.id
                comment.reply_to_user, comment.reply_to_comment = target.from_id, target.id
                root.replies.append(comment.id)
            else:
                post.roots.append(comment.id)
            com.comments[comment.id] = comment
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

    def edit_post(self, group_id: int, post_id: int, text: str) -> None:
        with self.lock:
            post = self._post(self._community(group_id), post_id)
            post.text = text
            post.edited = int(self.clock())

    def delete_post(self, group_id: int, post_id: int) -> None:
        with self.lock:
            self._post(self._community(group_id), post_id).deleted = True

    def set_faults(
        self, *, error6_burst: int = 0, http500: int = 0, slow_ms: int | None = None
    ) -> None:
        """Next ``error6_burst`` requests answer error 6, next ``http500`` an HTML 500."""
        with self._fault_lock:
            self._error6_burst = max(0, int(error6_burst))
            self._http500_burst = max(0, int(http500))
            if slow_ms is not None:
                self._slow_ms = max(0, int(slow_ms))

    # ------------------------------------------------------------------ /method/*

    def _next_fault(self) -> int | None:
        """500 or 6 when a burst or a random fault hits this request, else None."""
        with self._fault_lock:
            if self._http500_burst > 0:
                self._http500_burst -= 1
                return 500
            if self._error6_burst > 0:
                self._error6_burst -= 1
                return 6
            if self._http500_rate > 0 and self._fault_rng.random() < self._http500_rate:
                return 500
            if self._error6_rate > 0 and self._fault_rng.random() < self._error6_rate:
                return 6
        return None

    def _rate_ok(self, token: str) -> bool:
        """Sliding one-second window over the token's accepted requests."""
        if self.rate_limit <= 0:
            return True
        with self._rate_lock:
            now = time.monotonic()
            window = self._windows.setdefault(token, deque())
            while window and window[0] <= now - 1.0:
                window.popleft()
            if len(window) >= self.rate_limit:
                return False
            window.append(now)
            return True

    def handle_method(
        self, name: str, query: str, headers: Mapping[str, str], body: bytes
    ) -> Reply:
        """One ``/method/<name>`` request, from raw HTTP parts to the reply."""
        query_params = parse_qsl(query, keep_blank_values=True)
        with self._stats.lock:
            self._stats.requests += 1
            self._stats.by_method[name] += 1
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
            return 500, "text/html; charset=utf-8", HTML_500
        params = dict(query_params)
        try:
            params.update(parse_body(headers.get("Content-Type", ""), body))
        except VkError as err:
            return self._error(err, name, params, authed=False)
        if fault == 6:
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
        if token not in self.tokens:
            err = VkError(5, "User authorization failed: invalid access_token (4).")
            return self._error(err, name, params, authed=False)
        if not self._rate_ok(token):
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
            payload = self._dispatch(name, params, self.tokens[token])
        except VkError as err:
            return self._error(err, name, params, True)
        except Exception:  # noqa: BLE001 - VK never leaks tracebacks; neither do we
            return self._error(VkError(10, "Internal server error"), name, params, True)
        return json_reply(payload)

    def _dispatch(self, name: str, params: dict[str, str], user_id: int) -> dict[str, Any]:
        if name == "execute":
            return self._execute(params, user_id)
        method = METHODS.get(name)
        if method is None:
            raise VkError(3, "Unknown method passed")
        with self.lock:
            return {"response": method(Call(params, self.state, self.clock(), user_id))}

    def _execute(self, params: dict[str, str], user_id: int) -> dict[str, Any]:
        """Run the plain ``return [API.x.y({...}), ...];`` form; failed calls give false."""
        code = params.get("code", "")
        if not code.strip():
            raise VkError(
                100, "One of the parameters specified was missing or invalid: code is undefined"
            )
        calls, single = parse_execute(code)
        with self._stats.lock:
            self._stats.execute_calls += 1
            self._stats.execute_inner_calls += len(calls)
            for method_name, _ in calls:
                self._stats.inner_by_method[method_name] += 1
        results: list[Any] = []
        errors: list[dict[str, Any]] = []
        for method_name, inner in calls:
            inner.setdefault("v", params.get("v", API_VERSION))
            method = METHODS.get(method_name)
            try:
                if method is None:
                    raise VkError(3, "Unknown method passed")
                with self.lock:
                    results.append(method(Call(inner, self.state, self.clock(), user_id)))
            except Exception as exc:  # noqa: BLE001 - becomes a false slot, like VK
                err = exc if isinstance(exc, VkError) else VkError(10, "Internal server error")
                results.append(False)
                errors.append({"method": method_name, "error_code": err.code, "error_msg": err.msg})
        out: dict[str, Any] = {"response": results[0] if single else results}
        if errors:
            out["execute_errors"] = errors
            with self._stats.lock:
                self._stats.execute_errors += len(errors)
        return out

    def _error(self, err: VkError, name: str, params: dict[str, str], authed: bool) -> Reply:
        with self._stats.lock:
            self._stats.errors[str(err.code)] += 1
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
        return json_reply(
            {
                "error": {
                    "error_code": err.code,
                    "error_msg": err.msg,
                    "request_params": request_params,
                }
            }
        )

    # ------------------------------------------------------------------ /_emulator/*

    def handle_control(self, verb: str, path: str, body: bytes) -> Reply:
        """Test-only endpoints: JSON in, JSON out, no token."""
        routes = {
            ("GET", "state"): lambda _: self.snapshot(),
            ("GET", "stats"): lambda _: self.stats(),
            ("POST", "stats/reset"): self._control_reset,
            ("POST", "mutate"): self._control_mutate,
            ("POST", "faults"): self._control_faults,
        }
        action = path.strip("/").removeprefix("_emulator/")
        handler = routes.get((verb, action))
        if handler is None:
            known = any(a == action for _, a in routes)
            return json_reply(
                {"ok": False, "error": f"no route {verb} {path}"}, 405 if known else 404
            )
        data: Any = {}
        if verb == "POST" and body.strip():
            try:
                data = json.loads(body)
            except ValueError:
                return json_reply({"ok": False, "error": "body is not valid JSON"}, 400)
            if not isinstance(data, dict):
                return json_reply({"ok": False, "error": "body must be a JSON object"}, 400)
        try:
            return json_reply(handler(data))
        except KeyError as exc:
            return json_reply({"ok": False, "error": str(exc.args[0] if exc.args else exc)}, 404)
        except (TypeError, ValueError) as exc:
            return json_reply({"ok": False, "error": str(exc)}, 400)

    def _control_reset(self, _: dict[str, Any]) -> dict[str, Any]:
        self.reset_stats()
        return {"ok": True}

    def _control_faults(self, data: dict[str, Any]) -> dict[str, Any]:
        self.set_faults(
            error6_burst=int(data.get("error6_burst", 0)),
            http500=int(data.get("http500", 0)),
            slow_ms=None if data.get("slow_ms") is None else int(data["slow_ms"]),
        )
        return {"ok": True}

    def _control_mutate(self, data: dict[str, Any]) -> dict[str, Any]:
        kwargs = dict(data)
        op = kwargs.pop("op", None)
        ops = {
            "add_post": self.add_post,
            "add_comment": self.add_comment,
            "delete_comment": self.delete_comment,
            "edit_post": self.edit_post,
            "delete_post": self.delete_post,
        }
        if op not in ops:
            raise ValueError(f"unknown op {op!r}; expected one of {sorted(ops)}")
        result = ops[op](**kwargs)
        if result is None:  # changes return the id of the object they touched
            result = kwargs.get("comment_id", kwargs.get("post_id"))
        return {"ok": True, "id": result}


def _raise_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


@click.command("vk")
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8701, show_default=True, type=int, help="0 = any free port")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--communities", default=3, show_default=True, type=int)
@click.option("--posts", default=50, show_default=True, type=int)
@click.option("--comments", default=20, show_default=True, type=int)
@click.option(
    "--rate-limit",
    default=3.0,
    show_default=True,
    type=float,
    help="requests per second per token; 0 disables",
)
@click.option("--token", "tokens", multiple=True, default=("demo-vk-token",), show_default=True)
@click.option("--big-post", is_flag=True, help="add a 145-comment post to each community")
@click.option("--fault-error6-rate", default=0.0, type=float)
@click.option("--fault-http500-rate", default=0.0, type=float)
@click.option("--slow-ms", default=0, type=int)
def emulator_command(
    host: str,
    port: int,
    seed: int,
    communities: int,
    posts: int,
    comments: int,
    rate_limit: float,
    tokens: tuple[str, ...],
    big_post: bool,
    fault_error6_rate: float,
    fault_http500_rate: float,
    slow_ms: int,
) -> None:
    """Run the VK API emulator in the foreground (Ctrl-C or SIGTERM stops it)."""
    emulator = VkEmulator(
        host=host,
        port=port,
        seed=seed,
        communities=communities,
        posts=posts,
        comments=comments,
        rate_limit=rate_limit,
        tokens=tokens,
        big_post=big_post,
        fault_error6_rate=fault_error6_rate,
        fault_http500_rate=fault_http500_rate,
        slow_ms=slow_ms,
    ).start()
    ids = emulator.community_ids()
    click.echo(f"VK emulator on {emulator.url} ({len(ids)} communities: {','.join(map(str, ids))})")
    sys.stdout.flush()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _raise_interrupt)
    emulator.serve_forever()


if __name__ == "__main__":
    emulator_command()
