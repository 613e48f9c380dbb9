"""The MAX network: channel posts and their comments, walked like a VK wall.

See ``docs/networks/max.md``. MAX keeps a channel's history and pages it by time
(``GET /messages?chat_id=&before=``, newest first), so MAX is a ``sync_mode =
WALK`` network: the core's walk keeps a high-water mark per channel and per
post, survives any downtime (long polling keeps events only for a while) and
needs no webhook. What MAX lacks is a comment counter on a post (§2): a post's
comments are read when the post is new (``comment_counts = False``), then by the
core's reconcile and, live, by the events (§5): long polling (``GET /updates``) for
an account that names ``events_token_env``, or webhooks received by the daemon
(``[networks.max] webhook_path``, :mod:`hub.sync.webhooks`).

Moderation acts on the channel itself: deleting a comment, blocking its author
(MAX has no timed block: the core lifts it when its days are over, capability
``BANS_LIFTED_BY_HUB``). Every write looks on the network first when it may
already have happened (§4).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from typing import Any

from hub import settings as settings_check
from hub.answers import MALFORMED, skipped
from hub.batching import gather_by_token
from hub.errors import ApiError, ConfigError, EntityGoneError
from hub.models import Account, AccountMeta, CommentId
from hub.network import (
    BAN_USER,
    BANS_LIFTED_BY_HUB,
    BLOCK_AUTHOR,
    DELETE_COMMENT,
    EVENTS,
    PUBLISH_POST,
    REPLY_COMMENT,
    RESTORE_COMMENT,
    RESTRICT_USER,
    UNBAN_USER,
    WALK,
    WEBHOOKS,
    ActionResult,
    BanRequest,
    CommentRef,
    CommentsRequest,
    CommentsResult,
    EventBatch,
    EventsSetup,
    Network,
    Outcome,
    PostPage,
    PostPageRequest,
    Published,
    PublishRequest,
    ReplyRequest,
    community_ids,
)

from . import mapping, publish
from .checks import check_account
from .client import MaxClient

PAGE = 100  # the most GET /messages and GET /messages/{mid}/comments give at once
EVENT_TYPES = [
    "message_created",
    "message_edited",
    "comment_created",
    "comment_edited",
    "comment_removed",
]
#: the key of the bot's user id in the page's stored payload (own_author_ids reads it)
BOT_KEY = "hub_bot_user_id"


class MaxNetwork(Network):
    name = "max"
    title = "MAX"
    sync_mode = WALK
    comment_counts = False
    capabilities = frozenset(
        {
            DELETE_COMMENT,
            BLOCK_AUTHOR,
            BAN_USER,
            UNBAN_USER,
            BANS_LIFTED_BY_HUB,
            PUBLISH_POST,
            REPLY_COMMENT,
            EVENTS,
            WEBHOOKS,
        }
    )
    capability_notes = {
        RESTORE_COMMENT: (
            "MAX cannot bring a deleted comment back: the hub keeps its text "
            "('hub comments list'); ask its author to write it again"
        ),
        RESTRICT_USER: (
            "MAX has no mute: block the user instead ('hub users ban'), the hub lifts a "
            "block of some days itself when they are over"
        ),
    }
    #: a channel has a title, a description and an icon; nothing else of a page
    page_fields = frozenset({"description", "avatar", "working_hours"})
    default_settings = {
        "api_base": "https://platform-api2.max.ru",
        "ca_bundle": "",
        "requests_per_second": 25,
        **settings_check.LIMIT_DEFAULTS,
        "poll_timeout_seconds": 30,
        "max_retry_after_seconds": 60,
        # webhooks (§5): the daemon listens on webhook_host:webhook_port, behind HTTPS on 443
        "webhook_path": "",
        "webhook_secret_env": "",
        "webhook_host": "127.0.0.1",
        "webhook_port": 8705,
    }
    webhook_secret_header = "X-Max-Bot-Api-Secret"

    @classmethod
    def own_author_ids(cls, account: Account, raw: dict[str, Any]) -> set[int]:
        """The channel (its negative chat id) and the hub's bot, which answers comments."""
        ids = super().own_author_ids(account, raw) | community_ids(raw, ("chat_id",))
        bot = raw.get(BOT_KEY)
        if isinstance(bot, int) and not isinstance(bot, bool):
            ids.add(bot)
        return ids

    def __init__(self, settings: dict[str, Any], token_for: Callable[[Account], str]):
        super().__init__(settings, token_for)
        self.client = MaxClient(
            api_base=self.settings["api_base"],
            requests_per_second=float(self.settings["requests_per_second"]),
            ca_bundle=self.settings["ca_bundle"] or None,
            max_retry_after=float(self.settings["max_retry_after_seconds"]),
            limits=settings_check.http_limits(self.settings, "max"),
        )
        #: (account id, seq) → mid, from every message read (the calls name the mid)
        self._mids: dict[tuple[str, int], str] = {}
        self._seqs: dict[tuple[str, str], int] = {}
        self._bots: dict[str, dict[str, Any]] = {}  # token → GET /me

    @classmethod
    def validate_settings(cls, settings: dict[str, Any]) -> None:
        from pathlib import Path

        settings_check.http_url(settings, "api_base", "max")
        settings_check.positive_number(settings, "requests_per_second", "max")
        settings_check.http_limits(settings, "max")
        settings_check.positive_number(settings, "max_retry_after_seconds", "max")
        poll = settings.get("poll_timeout_seconds")
        if isinstance(poll, bool) or not isinstance(poll, int) or not 0 <= poll <= 90:
            raise ConfigError(
                "[networks.max] poll_timeout_seconds must be a whole number from 0 to 90 "
                "(MAX's long-poll limit)"
            )
        path = settings.get("webhook_path")
        if not isinstance(path, str) or (path and not path.startswith("/")):
            raise ConfigError(
                "[networks.max] webhook_path must be a path starting with '/', like "
                '"/max/webhook" (or empty: no webhooks)'
            )
        port = settings.get("webhook_port")
        if isinstance(port, bool) or not isinstance(port, int) or not 0 <= port <= 65535:
            raise ConfigError("[networks.max] webhook_port must be a port number (0 to 65535)")
        bundle = settings.get("ca_bundle")
        if not isinstance(bundle, str):
            raise ConfigError("[networks.max] ca_bundle must be the path of a PEM file, as text")
        if bundle and not Path(bundle).expanduser().is_file():
            raise ConfigError(
                f"[networks.max] ca_bundle {bundle!r} is not a file: save the Минцифры root "
                "CA (PEM) there, or leave ca_bundle out if the system trusts it"
            )
        if bundle:
            settings["ca_bundle"] = str(Path(bundle).expanduser())

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- helpers ---------------------------------------------------------------
    @staticmethod
    def chat_id(account: Account) -> int:
        ref = account.external_id.strip()
        if not ref.lstrip("-").isdigit():
            raise ApiError(
                f"MAX account {account.id}: external_id {ref!r} must be the channel's numeric "
                "chat id (negative; 'hub accounts check' lists the bot's channels)"
            )
        return int(ref)

    def _remember(self, account: Account, message: dict[str, Any]) -> None:
        try:
            mid, seq = mapping.mid_of(message), mapping.seq_of(message)
        except MALFORMED:
            return
        self._mids[(account.id, seq)] = mid
        self._seqs[(account.id, mid)] = seq

    async def bot(self, token: str) -> dict[str, Any]:
        if token not in self._bots:
            me = await self.client.call(token, "GET", "/me", method="getMyInfo")
            self._bots[token] = me if isinstance(me, dict) else {}
        return self._bots[token]

    async def messages(
        self, token: str, account: Account, before: int | None
    ) -> list[dict[str, Any]]:
        """One page of the channel, newest first, strictly older than ``before`` (ms)."""
        params = {"chat_id": self.chat_id(account), "count": PAGE, "before": before}
        answer = await self.client.call(
            token, "GET", "/messages", method="getMessages", params=params
        )
        messages = (answer or {}).get("messages") if isinstance(answer, dict) else None
        if not isinstance(messages, list):
            raise ApiError("MAX getMessages answer has no messages list", method="getMessages")
        out = [m for m in messages if isinstance(m, dict)]
        for message in out:
            self._remember(account, message)
        return out

    async def post_mid(self, account: Account, seq: int) -> str:
        """The mid of the post ``seq``: remembered, else found by reading the channel back."""
        key = (account.id, seq)
        if key in self._mids:
            return self._mids[key]
        token = self.token_for(account)
        before = None
        while True:
            page = await self.messages(token, account, before)
            if key in self._mids:
                return self._mids[key]
            seqs = [s for s in (_seq_or_none(m) for m in page) if s is not None]
            if len(page) < PAGE or not seqs or min(seqs) < seq:
                raise EntityGoneError(f"post {seq} is no longer in the MAX channel")
            before = min(int(m.get("timestamp") or 0) for m in page)

    async def post_seq(self, account: Account, mid: str) -> int | None:
        """The seq of the post ``mid`` (an event names a post by its mid only)."""
        key = (account.id, mid)
        if key not in self._seqs:
            try:
                message = await self.client.call(
                    self.token_for(account), "GET", f"/messages/{mid}", method="getMessageById"
                )
            except EntityGoneError:
                return None
            if isinstance(message, dict):
                self._remember(account, message)
        return self._seqs.get(key)

    # -- metadata ----------------------------------------------------------------
    async def fetch_account_meta(self, accounts: Sequence[Account]) -> list[Outcome[AccountMeta]]:
        async def run_group(token: str, group: list[Account]) -> list[Outcome[AccountMeta]]:
            out: list[Outcome[AccountMeta]] = []
            for account in group:
                try:
                    chat = await self.client.call(
                        token, "GET", f"/chats/{self.chat_id(account)}", method="getChat"
                    )
                    if not isinstance(chat, dict) or "chat_id" not in chat:
                        raise ApiError("MAX getChat answer has no chat_id", method="getChat")
                    bot = await self.bot(token)
                    if isinstance(bot.get("user_id"), int):
                        chat = {**chat, BOT_KEY: bot["user_id"]}
                    chat.pop("pinned_message", None)  # a whole message: not page metadata
                    out.append(mapping.chat_meta(chat))
                except ApiError as exc:
                    out.append(exc)
            return out

        return await gather_by_token(accounts, self.token_for, run_group)

    # -- the walk ----------------------------------------------------------------
    async def fetch_post_pages(
        self, requests: Sequence[PostPageRequest]
    ) -> list[Outcome[PostPage]]:
        async def one(request: PostPageRequest) -> Outcome[PostPage]:
            account = request.account
            try:
                before = int(request.cursor) if request.cursor else None
                page = await self.messages(self.token_for(account), account, before)
            except ApiError as exc:
                return exc
            posts, authors = [], []
            for message in page:
                try:
                    posts.append(mapping.channel_post(message))
                    authors += mapping.authors(message)
                except MALFORMED as exc:
                    skipped("MAX", "message", message, exc, "getMessages")
            times = [int(m["timestamp"]) for m in page if isinstance(m.get("timestamp"), int)]
            cursor = str(min(times)) if len(page) >= PAGE and times else None
            return PostPage(posts, cursor, authors)

        return list(await asyncio.gather(*(one(r) for r in requests)))

    async def fetch_comments(
        self, requests: Sequence[CommentsRequest]
    ) -> list[Outcome[CommentsResult]]:
        async def one(request: CommentsRequest) -> Outcome[CommentsResult]:
            try:
                return await self._comments(request.account, request.post_network_id)
            except ApiError as exc:
                return exc

        return list(await asyncio.gather(*(one(r) for r in requests)))

    async def _comments(self, account: Account, seq: int) -> CommentsResult:
        mid = await self.post_mid(account, seq)
        token = self.token_for(account)
        result = CommentsResult([])
        seen: set[CommentId] = set()
        before = None
        while True:
            page = await self.comment_page(token, mid, before)
            for message in page:
                try:
                    item = mapping.comment(message, seq)
                except MALFORMED as exc:
                    skipped("MAX", "comment", message, exc, "getComments")
                    continue
                if item.network_id not in seen:
                    seen.add(item.network_id)
                    result.comments.append(item)
                    result.authors += mapping.authors(message)
            times = [int(m["timestamp"]) for m in page if isinstance(m.get("timestamp"), int)]
            if len(page) < PAGE or not times:
                return result
            before = min(times)

    async def comment_page(
        self, token: str, post_mid: str, before: int | None
    ) -> list[dict[str, Any]]:
        answer = await self.client.call(
            token,
            "GET",
            f"/messages/{post_mid}/comments",
            method="getComments",
            params={"count": PAGE, "before": before},
        )
        messages = (answer or {}).get("messages") if isinstance(answer, dict) else None
        if not isinstance(messages, list):
            raise ApiError("MAX getComments answer has no messages list", method="getComments")
        return [m for m in messages if isinstance(m, dict)]

    # -- moderation ----------------------------------------------------------------
    def _refuse_own(self, account: Account, who: int | None, verb: str) -> None:
        if who is not None and who < 0:
            raise ApiError(
                f"refusing to {verb} the channel itself: that is the administration's own voice"
            )

    async def _comment_exists(self, token: str, post_mid: str, comment_id: str) -> bool:
        try:
            await self.client.call(
                token,
                "GET",
                f"/messages/{post_mid}/comments/{comment_id}",
                method="getCommentById",
            )
        except EntityGoneError:
            return False
        return True

    async def delete_comment(
        self, comment: CommentRef, *, block_author: bool = False
    ) -> ActionResult:
        """``DELETE /messages/{post}/comments?comment_id=``, after looking whether it is there.

        Looking first makes a repeat after a lost answer safe and says ``already``.
        """
        account = comment.account
        self._refuse_own(account, comment.author_id, "delete a comment of")
        token = self.token_for(account)
        cid = str(comment.network_id)
        try:
            post = await self.post_mid(account, comment.post_network_id)
        except EntityGoneError:
            result = ActionResult(
                done=True, already=True, detail=f"comment {cid}: its post is gone from MAX"
            )
        else:
            if not await self._comment_exists(token, post, cid):
                result = ActionResult(
                    done=True, already=True, detail=f"comment {cid} is already gone"
                )
            else:
                try:
                    await self.client.call(
                        token,
                        "DELETE",
                        f"/messages/{post}/comments",
                        method="deleteComment",
                        params={"comment_id": cid},
                        write=True,
                    )
                    result = ActionResult(done=True, detail=f"comment {cid} deleted")
                except EntityGoneError:
                    result = ActionResult(
                        done=True, already=True, detail=f"comment {cid} is already gone"
                    )
        if block_author and comment.author_id and comment.author_id > 0:
            await self._block(token, account, comment.author_id)
            result.detail += f"; user {comment.author_id} blocked in the channel"
        return result

    async def _block(self, token: str, account: Account, user: int) -> None:
        """Remove and block: an absolute state, so a repeat after a lost answer is harmless."""
        await self.client.call(
            token,
            "DELETE",
            f"/chats/{self.chat_id(account)}/members",
            method="removeMember",
            params={"user_id": user, "block": True},
            write=True,
        )

    async def _is_member(self, token: str, account: Account, user: int) -> bool:
        answer = await self.client.call(
            token,
            "GET",
            f"/chats/{self.chat_id(account)}/members",
            method="getMembers",
            params={"user_ids": [user]},
        )
        members = (answer or {}).get("members") if isinstance(answer, dict) else None
        return any(isinstance(m, dict) and m.get("user_id") == user for m in members or [])

    async def ban_user(self, request: BanRequest) -> ActionResult:
        """Block the user in the channel; MAX has no end date (the core lifts it, §4)."""
        self._refuse_own(request.account, request.user_id, "block")
        await self._block(self.token_for(request.account), request.account, request.user_id)
        until = "" if request.until is None else " (the hub lifts it when its days are over)"
        return ActionResult(
            done=True, detail=f"user {request.user_id} blocked in the channel{until}"
        )

    async def unban_user(self, request: BanRequest) -> ActionResult:
        """Lift a block: ``POST /chats/{id}/members`` with the user (§4, modelled)."""
        self._refuse_own(request.account, request.user_id, "unblock")
        token = self.token_for(request.account)
        if await self._is_member(token, request.account, request.user_id):
            # a member is not blocked (a block removes): a repeat after a lost answer lands here
            return ActionResult(
                done=True, already=True, detail=f"user {request.user_id} is not blocked"
            )
        answer = await self.client.call(
            token,
            "POST",
            f"/chats/{self.chat_id(request.account)}/members",
            method="addMembers",
            json={"user_ids": [request.user_id]},
            write=True,
        )
        failed = (answer or {}).get("failed_user_ids") if isinstance(answer, dict) else None
        if (
            isinstance(answer, dict)
            and answer.get("success") is False
            or (failed and request.user_id in failed)
        ):
            why = (answer or {}).get("message") or "MAX refused to add the user back"
            raise ApiError(f"user {request.user_id} not unblocked: {why}", method="addMembers")
        return ActionResult(done=True, detail=f"user {request.user_id} may comment again")

    # -- publishing and replies: hub_max.publish ---------------------------------
    def publish_problems(self, request: PublishRequest) -> list[str]:
        return publish.publish_problems(request)

    async def publish_post(self, request: PublishRequest) -> Published:
        return await publish.publish(self, request)

    async def reply_to_comment(self, request: ReplyRequest) -> ActionResult:
        return await publish.reply(self, request)

    # -- events: long polling (§5) -----------------------------------------------
    async def prepare_events(self, account: Account, token: str) -> EventsSetup:
        """Long polling needs no webhook subscription: say which mode is live."""
        answer = await self.client.call(token, "GET", "/subscriptions", method="getSubscriptions")
        subs = (answer or {}).get("subscriptions") if isinstance(answer, dict) else None
        if subs:
            urls = ", ".join(str(s.get("url")) for s in subs if isinstance(s, dict))
            raise ApiError(
                f"the bot has a webhook subscription ({urls}), so MAX sends its events there "
                "and long polling is refused: let the daemon receive them ([networks.max] "
                "webhook_path) and drop events_token_env, or remove the subscription"
            )
        return EventsSetup(False, f"MAX events by long polling for {account.id}")

    async def next_events(self, account: Account, token: str, cursor: str | None) -> EventBatch:
        """``GET /updates`` from ``cursor`` (the marker); passing it commits what came before.

        The core stores the batch and its marker in one transaction before it asks
        again, so an update is committed on MAX only once it is in the database.
        """
        poll = int(self.settings["poll_timeout_seconds"])
        params: dict[str, Any] = {"timeout": poll, "limit": 100, "types": EVENT_TYPES}
        if cursor is not None:
            params["marker"] = int(cursor)
        answer = await self.client.call(
            token, "GET", "/updates", method="getUpdates", params=params, wait=poll
        )
        if not isinstance(answer, dict) or not isinstance(answer.get("updates"), list):
            raise ApiError("MAX getUpdates answer has no updates list", method="getUpdates")
        batch = EventBatch(cursor=cursor)
        chat = self.chat_id(account)
        for update in answer["updates"]:
            try:
                await self._route(account, chat, update, batch)
            except MALFORMED as exc:
                skipped("MAX", "update", update, exc, "getUpdates")
        marker = answer.get("marker")
        if isinstance(marker, int) and not isinstance(marker, bool):
            batch.cursor = str(marker)
        return batch

    async def webhook_batches(
        self, accounts: Sequence[Account], body: bytes
    ) -> list[tuple[Account, EventBatch]]:
        """One ``Update`` per delivery (§5), routed to the account of its channel."""
        import json

        update = json.loads(body)
        if not isinstance(update, dict) or "update_type" not in update:
            raise ValueError("a MAX webhook body is one Update object with update_type")
        out = []
        for account in accounts:
            batch = EventBatch()
            await self._route(account, self.chat_id(account), update, batch)
            if batch.posts or batch.comments or batch.deleted_comments or batch.gap:
                out.append((account, batch))
        return out

    async def _route(
        self, account: Account, chat: int, update: dict[str, Any], batch: EventBatch
    ) -> None:
        kind = update.get("update_type")
        message = update.get("message") if isinstance(update.get("message"), dict) else None
        if kind in ("message_created", "message_edited") and message:
            if (message.get("recipient") or {}).get("chat_id") == chat:
                self._remember(account, message)
                batch.posts.append(mapping.channel_post(message))
            return
        if kind in ("comment_created", "comment_edited") and message:
            if (message.get("recipient") or {}).get("chat_id") != chat:
                return
            post = mapping.post_id_of_comment(message)
            seq = await self.post_seq(account, post) if post else None
            if seq is None:
                batch.gap = True  # the post is not known: the next sync reads it
                return
            batch.comments.append(mapping.comment(message, seq))
            return
        removed = update.get("message_id")
        if kind == "comment_removed" and update.get("chat_id") == chat and isinstance(removed, str):
            batch.deleted_comments.append(removed)

    async def check_account(self, account: Account):
        return await check_account(self, account)

    def post_url(self, account: Account, post_network_id: int) -> str | None:
        return None


def _seq_or_none(message: dict[str, Any]) -> int | None:
    try:
        return mapping.seq_of(message)
    except MALFORMED:
        return None
