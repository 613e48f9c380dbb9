"""VK Bots Long Poll: community events as they happen, instead of polling walls.

``groups.getLongPollServer`` (through :class:`~hub_vk.client.VkClient`, so rate limits
and error classes are the usual ones) gives ``{key, server, ts}``; then
``GET {server}?act=a_check&key=&ts=&wait=`` answers the events after ``ts``
(``docs/networks/vk.md`` §7.1). The position ``ts`` belongs to the caller:
:meth:`LongPoll.next_batch` takes it and returns the next one, and never moves it
on an error, so a caller that stores ``ts`` after handling a batch loses nothing.

Failures, as vk_api and vkbottle handle them:

- ``failed: 1`` — history outdated: continue from the ``ts`` VK gives; events in
  between may be lost, so the batch says ``gap`` (reconcile by REST);
- ``failed: 2`` — the key expired: take a new key, keep ``ts``, ask again;
- ``failed: 3`` — information lost: take a new key and ``ts``; ``gap``.

``groups.getLongPollServer`` is called at most once per batch, and with back-off when
fresh keys keep failing (looping on it ends in error 29, ``docs/networks/vk.md`` §6).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import httpx

from hub.answers import MALFORMED, integer, skipped
from hub.errors import ApiError, TransientError
from hub.http import async_client, decode_json, send_bounded
from hub.models import Comment, Post
from hub.retry import backoff_seconds
from hub.secrets import remember

from . import mapping
from .client import VkClient

MAX_WAIT = 90
#: the read timeout is ``wait`` plus this (vk_api uses wait + 10); the total deadline is
#: ``wait`` plus the client's ``total_timeout_seconds``, the size cap the client's too
TIMEOUT_MARGIN = 10.0
#: network errors in a row after which the server is asked for again
DROP_SERVER_AFTER = 3
REPLY_EVENTS = frozenset({"wall_reply_new", "wall_reply_edit", "wall_reply_restore"})
#: the events the hub reads, which Long Poll must deliver (``docs/networks/vk.md`` §7.3)
NEEDED_EVENTS = (
    "wall_post_new",
    "wall_reply_new",
    "wall_reply_edit",
    "wall_reply_delete",
    "wall_reply_restore",
)


@dataclass(frozen=True)
class LongPollBatch:
    """Events after the ``ts`` asked for, the ``ts`` to ask next, and whether events
    may have been lost in between (then reconcile by REST)."""

    events: list[dict[str, Any]]
    ts: str
    gap: bool


@dataclass(frozen=True)
class _Server:
    server: str
    key: str
    ts: str


class LongPoll:
    """One community's Bots Long Poll session over a community (or admin user) token."""

    def __init__(
        self,
        client: VkClient,
        token: str,
        group_id: int | str,
        *,
        timeout_margin: float = TIMEOUT_MARGIN,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.client = client
        self.token = token
        self.group_id = abs(int(group_id))
        self.timeout_margin = float(timeout_margin)
        self.server_requests = 0  # groups.getLongPollServer calls made
        self._http = async_client(transport=transport)
        self._server: _Server | None = None
        self._refreshes_in_a_row = 0  # keys taken since an a_check last succeeded
        self._network_errors = 0

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> LongPoll:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def next_batch(self, ts: str | None, wait: int = 25) -> LongPollBatch:
        """The events after ``ts`` (``None``: from now on), waiting up to ``wait`` seconds.

        A server (key and ts) is asked for on first use, for ``ts=None``, and again
        on ``failed`` 2 or 3, at most once per call.

        Raises :class:`~hub.errors.TransientError` on a network error or when even a
        fresh key is refused; ``ts`` is then still the position to ask from.
        """
        if not 0 <= int(wait) <= MAX_WAIT:
            raise ValueError(f"wait must be 0..{MAX_WAIT} seconds, got {wait}")
        wait = int(wait)
        refreshed = False
        if self._server is None or ts is None:
            await self._refresh()
            refreshed = True
        assert self._server is not None
        position = str(ts) if ts is not None else self._server.ts
        while True:
            reply = await self._check(position, wait)
            failed = reply.get("failed")
            if failed is None:
                return self._batch(reply)
            if failed == 1 and reply.get("ts") is not None:
                self._refreshes_in_a_row = 0
                return LongPollBatch([], str(reply["ts"]), gap=True)
            if failed == 2:  # the key expired: a new one, the same position
                self._server = None
                if refreshed:
                    raise TransientError(
                        "VK Long Poll refused a fresh key (failed 2); ask again later",
                        code="lp2",
                        method="a_check",
                    )
                await self._refresh()
                refreshed = True
                continue
            if failed not in (1, 3):
                raise ApiError(f"VK Long Poll answered failed {failed!r}", code=f"lp{failed}")
            # 3 (or 1 without a ts): the position is lost: a new key and ts, and a gap.
            # A key taken in this batch is kept; should it be refused, failed 2 says so.
            if not refreshed:
                self._server = None
                await self._refresh()
            assert self._server is not None
            return LongPollBatch([], self._server.ts, gap=True)

    # ------------------------------------------------------------------ internals

    async def _refresh(self) -> None:
        """A new key (and server and ts); backs off when fresh keys keep failing."""
        if self._refreshes_in_a_row:
            await asyncio.sleep(backoff_seconds(self._refreshes_in_a_row))
        self._refreshes_in_a_row += 1
        self.server_requests += 1
        answer = await self.client.call(
            self.token, "groups.getLongPollServer", {"group_id": self.group_id}
        )
        if not isinstance(answer, dict) or not all(
            answer.get(k) not in (None, "") for k in ("key", "server", "ts")
        ):
            raise ApiError(
                "VK groups.getLongPollServer answered without key, server and ts",
                method="groups.getLongPollServer",
            )
        key = str(answer["key"])
        remember(key)  # a credential for this community's events: keep it out of logs
        server = str(answer["server"])
        if "://" not in server:  # User Long Poll style: host and path without a scheme
            server = "https://" + server
        self._server = _Server(server, key, str(answer["ts"]))
        self._network_errors = 0

    async def _check(self, ts: str, wait: int) -> dict[str, Any]:
        assert self._server is not None
        params = {"act": "a_check", "key": self._server.key, "ts": ts, "wait": str(wait)}
        limits = self.client.limits.waiting(wait)
        timeout = httpx.Timeout(limits.connect_seconds, read=wait + self.timeout_margin)
        request = self._http.build_request(
            "GET", self._server.server, params=params, timeout=timeout
        )
        where = self._server.server.split("?")[0]  # the key travels in the query
        try:
            response, content = await send_bounded(
                self._http,
                request,
                limits=limits,
                who="VK Long Poll server",
                method="a_check",
                where=where,
            )
        except TransientError:
            self._network_errors += 1
            if self._network_errors >= DROP_SERVER_AFTER:
                self._server = None  # maybe the server moved: the next batch asks anew
            raise
        status = response.status_code
        if status != 200:
            if 400 <= status < 500 and status != 429:
                self._server = None  # the server does not know this path: ask for another
            raise TransientError(f"VK Long Poll server answered HTTP {status}", method="a_check")
        try:
            reply = decode_json(content, "VK Long Poll server")
        except ValueError:
            reply = None
        if not isinstance(reply, dict) or not ("failed" in reply or "updates" in reply):
            raise TransientError(
                "VK Long Poll server answered something other than its JSON", method="a_check"
            )
        self._network_errors = 0
        return reply

    def _batch(self, reply: dict[str, Any]) -> LongPollBatch:
        updates, ts = reply.get("updates"), reply.get("ts")
        if not isinstance(updates, list) or ts is None:
            raise TransientError("VK Long Poll answer lacks updates or ts", method="a_check")
        self._refreshes_in_a_row = 0
        return LongPollBatch([u for u in updates if isinstance(u, dict)], str(ts), gap=False)


def events_to_models(
    events: list[dict[str, Any]], group_id: int | str
) -> tuple[list[Post], list[Comment], list[int]]:
    """New posts, new/edited/restored comments and deleted comment ids of one community.

    Each id is reported once, in the order first seen, as its last event in the batch
    left it: an edited comment comes with its last text, one written and deleted
    within the batch is only among the deleted ids, one deleted and restored only
    among the comments. Events of other communities or types (reposts, bans) are
    skipped. An event VK sent malformed (an id that is no number or does not fit 64
    bits) is logged and left out; the others are kept.
    """
    gid = abs(int(group_id))
    posts: dict[int, Post] = {}
    comments: dict[int, Comment] = {}
    deleted: dict[int, int | None] = {}  # comment id → who deleted it
    for event in events:
        try:
            _apply(event, gid, posts, comments, deleted)
        except MALFORMED as exc:
            skipped("VK", "Long Poll event", event.get("object"), exc, "a_check")
    return list(posts.values()), list(comments.values()), list(deleted)


def _apply(
    event: dict[str, Any],
    gid: int,
    posts: dict[int, Post],
    comments: dict[int, Comment],
    deleted: dict[int, int | None],
) -> None:
    """One event's change to the batch's posts, comments and deleted ids."""
    obj = event.get("object")
    if not isinstance(obj, dict) or integer(event.get("group_id") or gid, "group_id") != gid:
        return
    kind = event.get("type")
    if kind == "wall_post_new":
        if integer(obj.get("owner_id", -gid), "owner_id") != -gid:
            return
        item = mapping.post(obj)
        posts[item.network_id] = item
    elif kind in REPLY_EVENTS:
        if integer(obj.get("post_owner_id", obj.get("owner_id", -gid)), "owner_id") != -gid:
            return
        reply = mapping.comment(obj, integer(obj["post_id"], "post_id"))
        cid = int(reply.network_id)
        deleted.pop(cid, None)
        comments[cid] = reply
    elif kind == "wall_reply_delete":
        if integer(obj.get("owner_id", -gid), "owner_id") != -gid:
            return
        cid = integer(obj["id"], "comment id")
        comments.pop(cid, None)
        deleted[cid] = mapping.reply_deleter(obj)


# --------------------------------------------------------------------------- settings


def settings_gaps(settings: Any, api_version: str) -> list[str]:
    """What is off in a ``groups.getLongPollSettings`` answer, in plain words (none: all set).

    Long Poll must be on, at the API version the hub reads, with every event of
    :data:`NEEDED_EVENTS` (``docs/networks/vk.md`` §7.1).
    """
    if not isinstance(settings, dict):
        return ["groups.getLongPollSettings answered no settings"]
    gaps = []
    if not settings.get("is_enabled"):
        gaps.append("Bots Long Poll is off")
    version = settings.get("api_version")
    if str(version or "") != api_version:
        gaps.append(f"its API version is {version or 'not set'}, the hub reads {api_version}")
    events = settings.get("events") if isinstance(settings.get("events"), dict) else {}
    off = [e for e in NEEDED_EVENTS if not events.get(e)]
    if off:
        gaps.append(f"these events are off: {', '.join(off)}")
    return gaps


async def ensure_settings(
    client: VkClient, token: str, group_id: int, api_version: str
) -> list[str]:
    """Switch the community's Long Poll on at ``api_version`` with :data:`NEEDED_EVENTS`.

    Returns what was off (empty: it was set already, and nothing was changed).
    Events the hub does not read are left as the community has them. Raises
    :class:`~hub.errors.ApiError` when VK refuses (a key without ``manage``).
    """
    gid = abs(int(group_id))
    settings = await client.call(token, "groups.getLongPollSettings", {"group_id": gid})
    gaps = settings_gaps(settings, api_version)
    if gaps:
        params: dict[str, Any] = {"group_id": gid, "enabled": 1, "api_version": api_version}
        params.update(dict.fromkeys(NEEDED_EVENTS, 1))
        await client.call(token, "groups.setLongPollSettings", params)
    return gaps


def split_by_version(
    events: list[dict[str, Any]], api_version: str
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """The events rendered in ``api_version``, and how many came in each other version.

    An object's shape depends on its version, so an event of another one is not
    read at all rather than read wrong. An event without ``v`` is taken as the
    hub's (VK stamps every Bots Long Poll event; recorded examples may lack it).
    """
    kept: list[dict[str, Any]] = []
    skipped: dict[str, int] = {}
    for event in events:
        version = event.get("v")
        if version is None or str(version) == api_version:
            kept.append(event)
        else:
            skipped[str(version)] = skipped.get(str(version), 0) + 1
    return kept, skipped
