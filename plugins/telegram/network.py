"""The Telegram network: channel posts and discussion-group comments from the update stream.

The Bot API cannot read history, so Telegram is a ``sync_mode = UPDATES``
network: the core reads ``getUpdates`` batch by batch (see hub.sync.stream) and this
module turns each batch into posts, thread links and comments. Moderation acts
in the channel's linked discussion group, never on the channel or the group
themselves.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from hub import settings as settings_check
from hub.answers import MALFORMED, count, skipped
from hub.batching import gather_by_token
from hub.errors import ApiError, ConfigError, ConflictError, EntityGoneError
from hub.models import Account, AccountMeta
from hub.network import (
    BAN_USER,
    BLOCK_AUTHOR,
    DELETE_COMMENT,
    PUBLISH_POST,
    REPLY_COMMENT,
    RESTORE_COMMENT,
    RESTRICT_USER,
    UNBAN_USER,
    UPDATES,
    ActionResult,
    BanRequest,
    CommentRef,
    Network,
    Outcome,
    Published,
    PublishRequest,
    ReplyRequest,
    ThreadComment,
    ThreadLink,
    UpdateBatch,
    community_ids,
)

from . import mapping, publish, undo
from .checks import check_rights
from .client import CANNOT_DELETE, TelegramClient

ALLOWED_UPDATES = [
    "channel_post",
    "edited_channel_post",
    "message",
    "edited_message",
    "my_chat_member",
]
#: Telegram lets a bot delete messages younger than 48 hours; keep an hour in hand
DELETE_WINDOW_SECONDS = 47 * 3600
MUTED = dict.fromkeys(undo.PERMISSIONS, False)


@dataclass
class Chats:
    """An account's channel and its linked discussion group, as Telegram numbers them."""

    channel: dict[str, Any]
    group_id: int | None
    #: whether the bot reads the group, where its own posts come back (asked once per sync)
    own_posts: bool | None = None


class TelegramNetwork(Network):
    name = "telegram"
    title = "Telegram"
    sync_mode = UPDATES
    capabilities = frozenset(
        {
            DELETE_COMMENT,
            BLOCK_AUTHOR,
            BAN_USER,
            RESTRICT_USER,
            UNBAN_USER,
            PUBLISH_POST,
            REPLY_COMMENT,
        }
    )
    capability_notes = {
        RESTORE_COMMENT: (
            "Telegram cannot bring a deleted message back: the hub keeps its text "
            "('hub comments list'); post it again by hand in the discussion group, "
            "or ask its author to write it again"
        ),
    }
    #: a channel has a description and a photo; no website, contacts or cover fields, so
    #: working hours can only be written in the description
    page_fields = frozenset({"description", "avatar", "working_hours"})
    #: getUpdates is one cheap call for every chat of the bot: read it often
    default_sync_seconds = 30.0
    #: the Bot API wants the token in the URL path: ``/bot<digits>:<secret>``
    token_patterns = (r"(/bot)\d+:[A-Za-z0-9_-]+",)

    @classmethod
    def own_author_ids(cls, account: Account, raw: dict[str, Any]) -> set[int]:
        """The channel, and its discussion group: anonymous admins write as the group."""
        return super().own_author_ids(account, raw) | community_ids(raw, ("linked_chat_id",))

    default_settings = {
        "api_base": "https://api.telegram.org",
        "requests_per_second": 20,
        **settings_check.LIMIT_DEFAULTS,
        "poll_timeout_seconds": 0,
        "max_retry_after_seconds": 60,
    }

    def __init__(self, settings: dict[str, Any], token_for: Callable[[Account], str]):
        super().__init__(settings, token_for)
        self.client = TelegramClient(
            api_base=self.settings["api_base"],
            requests_per_second=float(self.settings["requests_per_second"]),
            limits=settings_check.http_limits(self.settings, "telegram"),
            max_retry_after=float(self.settings["max_retry_after_seconds"]),
        )
        self._chats: dict[str, Chats] = {}
        self._webhook_checked: set[str] = set()

    @classmethod
    def validate_settings(cls, settings: dict[str, Any]) -> None:
        settings_check.http_url(settings, "api_base", "telegram")
        settings_check.positive_number(settings, "requests_per_second", "telegram")
        settings_check.http_limits(settings, "telegram")
        settings_check.positive_number(settings, "max_retry_after_seconds", "telegram")
        poll = settings.get("poll_timeout_seconds")
        if isinstance(poll, bool) or not isinstance(poll, int) or not 0 <= poll <= 50:
            raise ConfigError(
                "[networks.telegram] poll_timeout_seconds must be a whole number from 0 to 50 "
                "(Telegram's long-poll limit)"
            )

    async def aclose(self) -> None:
        await self.client.aclose()

    # -- metadata ------------------------------------------------------------
    async def fetch_account_meta(self, accounts: Sequence[Account]) -> list[Outcome[AccountMeta]]:
        async def run_group(token: str, group: list[Account]) -> list[Outcome[AccountMeta]]:
            out: list[Outcome[AccountMeta]] = []
            for account in group:
                try:
                    out.append(await self._meta(token, account))
                except ApiError as exc:
                    out.append(exc)
            return out

        return await gather_by_token(accounts, self.token_for, run_group)

    async def _meta(self, token: str, account: Account) -> AccountMeta:
        chat = await self.client.call(token, "getChat", {"chat_id": _chat_ref(account)})
        if not isinstance(chat, dict) or "id" not in chat:
            raise ApiError("Telegram getChat answer has no chat id", method="getChat")
        members = await self.client.call(token, "getChatMemberCount", {"chat_id": chat["id"]})
        self._chats[account.id] = Chats(chat, chat.get("linked_chat_id"))
        return mapping.chat_meta(chat, members if isinstance(members, int) else None)

    async def _chats_of(self, account: Account) -> Chats:
        if account.id not in self._chats:
            await self._meta(self.token_for(account), account)
        return self._chats[account.id]

    # -- the update stream ---------------------------------------------------
    async def fetch_updates(
        self, token: str, accounts: Sequence[Account], offset: int | None
    ) -> UpdateBatch:
        if token not in self._webhook_checked:
            # Polling and a webhook exclude each other. A webhook set means another program
            # receives this bot's updates: stop rather than take them away from it.
            info = await self.client.call(token, "getWebhookInfo")
            if isinstance(info, dict) and info.get("url"):
                raise ConflictError(
                    "a webhook is set for this bot, so another program receives its updates; "
                    "remove it (deleteWebhook) or give the hub a bot of its own",
                    method="getWebhookInfo",
                )
            self._webhook_checked.add(token)
        poll = int(self.settings["poll_timeout_seconds"])
        params: dict[str, Any] = {"limit": 100, "timeout": poll, "allowed_updates": ALLOWED_UPDATES}
        if offset is not None:
            params["offset"] = offset
        updates = await self.client.call(token, "getUpdates", params, wait=poll)
        if not isinstance(updates, list):
            raise ApiError("Telegram getUpdates answer is not a list", method="getUpdates")
        return self._batch(updates, accounts)

    def _batch(self, updates: list[dict[str, Any]], accounts: Sequence[Account]) -> UpdateBatch:
        channels: dict[int, Account] = {}
        groups: dict[int, Account] = {}
        for account in accounts:
            chats = self._chats.get(account.id)
            if chats:
                channels[int(chats.channel["id"])] = account
                if chats.group_id:
                    groups[int(chats.group_id)] = account
        batch = UpdateBatch(updates=len(updates))
        for update in updates:
            try:
                self._route(update, channels, groups, batch)
            except MALFORMED as exc:  # one broken message is left out, never the batch
                skipped("Telegram", "update", update, exc, "getUpdates")
        batch.posts = mapping.one_per_post(batch.posts)
        update_ids = [count(u.get("update_id")) for u in updates if isinstance(u, dict)]
        if any(i is not None for i in update_ids):
            batch.next_offset = max(i for i in update_ids if i is not None) + 1
        return batch

    @staticmethod
    def _route(update: dict[str, Any], channels: dict, groups: dict, batch: UpdateBatch) -> None:
        post = update.get("channel_post") or update.get("edited_channel_post")
        if post:
            account = channels.get(int((post.get("chat") or {}).get("id", 0)))
            if account:
                batch.posts.append((account, mapping.channel_post(post)))
                batch.authors += mapping.authors(post)
            return
        message = update.get("message") or update.get("edited_message")
        if not message:
            return  # my_chat_member and the like: rights are read by 'hub accounts check'
        account = groups.get(int((message.get("chat") or {}).get("id", 0)))
        if account is None:
            return
        linked = mapping.forward_link(message)
        if linked is not None:
            batch.links.append(ThreadLink(account, int(message["message_id"]), linked))
            # the post too: a bot's own posts reach it only this way (docs/networks/telegram.md §3)
            if channels.get(mapping.forward_channel_id(message) or 0) is account:
                post = mapping.forward_post(message)
                if post is not None:
                    batch.posts.append((account, post))
                    batch.authors += mapping.authors(message)
            return
        thread = mapping.thread_of(message)
        if thread is not None:
            batch.comments.append(
                ThreadComment(account, thread, mapping.group_comment(message, thread))
            )
            batch.authors += mapping.authors(message)

    # -- moderation ----------------------------------------------------------
    async def delete_comment(
        self, comment: CommentRef, *, block_author: bool = False
    ) -> ActionResult:
        """``deleteMessage`` in the discussion group; a message already gone is success.

        Telegram lets a bot delete only messages younger than 48 hours: an older
        one is flagged for a person instead of failing.
        """
        chats = await self._chats_of(comment.account)
        group = self._group(chats, comment.account)
        self._refuse_own(chats, group, comment.author_id, "delete a message of")
        age = time.time() - (comment.published_at or time.time())
        if age > DELETE_WINDOW_SECONDS:
            return _manual(comment, "it is older than 48 hours")
        token = self.token_for(comment.account)
        try:
            await self.client.call(
                token, "deleteMessage", {"chat_id": group, "message_id": int(comment.network_id)}
            )
            result = ActionResult(done=True, detail=f"comment {comment.network_id} deleted")
        except EntityGoneError:
            result = ActionResult(
                done=True, already=True, detail=f"comment {comment.network_id} is already gone"
            )
        except ApiError as exc:
            if CANNOT_DELETE in str(exc).lower():
                return _manual(comment, "Telegram refused (too old, or the bot lacks the right)")
            raise
        if block_author and comment.author_id:
            result.detail += "; " + await self._restrict_author(
                token, chats, group, comment.author_id
            )
        return result

    async def _restrict_author(self, token: str, chats: Chats, group: int, author: int) -> str:
        if author in mapping.SERVICE_USER_IDS or author in (group, int(chats.channel["id"])):
            return "the author is the channel or the group itself, and stays as it is"
        if author < 0:
            await self.client.call(
                token, "banChatSenderChat", {"chat_id": group, "sender_chat_id": author}
            )
            return f"channel {author} may no longer comment"
        await self.client.call(
            token,
            "restrictChatMember",
            {
                "chat_id": group,
                "user_id": author,
                "permissions": MUTED,
                "use_independent_chat_permissions": True,
            },
        )
        return f"user {author} is muted in the discussion group"

    async def ban_user(self, request: BanRequest) -> ActionResult:
        """``banChatMember`` (a chat that posts: ``banChatSenderChat``) in the discussion group."""
        chats = await self._chats_of(request.account)
        group = self._group(chats, request.account)
        self._refuse_own(chats, group, request.user_id, "ban")
        token = self.token_for(request.account)
        if request.user_id < 0:
            await self.client.call(
                token, "banChatSenderChat", {"chat_id": group, "sender_chat_id": request.user_id}
            )
            return ActionResult(done=True, detail=f"channel {request.user_id} banned from comments")
        params = {"chat_id": group, "user_id": request.user_id, "until_date": request.until or 0}
        await self.client.call(token, "banChatMember", params)
        return ActionResult(
            done=True,
            detail=f"user {request.user_id} banned (Telegram also removes their messages there)",
            data={"author_messages_removed": True},  # and tells no bot: the core marks them
        )

    async def restrict_user(self, request: BanRequest) -> ActionResult:
        """Mute: ``restrictChatMember`` with every permission off, until ``request.until``."""
        chats = await self._chats_of(request.account)
        group = self._group(chats, request.account)
        self._refuse_own(chats, group, request.user_id, "mute")
        if request.user_id < 0:  # a channel cannot be muted: it can only stop commenting
            await self.client.call(
                self.token_for(request.account),
                "banChatSenderChat",
                {"chat_id": group, "sender_chat_id": request.user_id},
            )
            return ActionResult(
                done=True, detail=f"channel {request.user_id} may no longer comment"
            )
        await self.client.call(
            self.token_for(request.account),
            "restrictChatMember",
            {
                "chat_id": group,
                "user_id": request.user_id,
                "permissions": MUTED,
                "use_independent_chat_permissions": True,
                "until_date": request.until or 0,
            },
        )
        return ActionResult(
            done=True, detail=f"user {request.user_id} muted in the discussion group"
        )

    @staticmethod
    def _group(chats: Chats, account: Account) -> int:
        if not chats.group_id:
            raise ApiError(
                f"channel {account.external_id} has no discussion group, so it has no comments "
                "to moderate"
            )
        return int(chats.group_id)

    @staticmethod
    def _refuse_own(chats: Chats, group: int, who: int | None, verb: str) -> None:
        protected = {group, int(chats.channel["id"]), *mapping.SERVICE_USER_IDS}
        if who in protected:
            raise ApiError(
                f"refusing to {verb} the channel, its discussion group or Telegram's service "
                "account: that is the administration's own voice"
            )

    async def unban_user(self, request: BanRequest) -> ActionResult:
        """Lift a ban or a mute in the discussion group (hub_telegram.undo)."""
        return await undo.unban_user(self, request)

    # -- publishing: hub_telegram.publish (sent once; a lost answer is the core's to reconcile)
    def publish_problems(self, request: PublishRequest) -> list[str]:
        return publish.publish_problems(request)

    async def publish_post(self, request: PublishRequest) -> Published:
        return await publish.publish(self, request)

    async def sees_own_posts(self, account: Account) -> bool:
        return await publish.sees_own_posts(self, account)

    async def reply_to_comment(self, request: ReplyRequest) -> ActionResult:
        return await publish.reply(self, request)

    async def check_account(self, account: Account):
        return await check_rights(self.client, self.token_for(account), account)

    def post_url(self, account: Account, post_network_id: int) -> str | None:
        chats = self._chats.get(account.id)
        return mapping.post_url(chats.channel, post_network_id) if chats else None


def _chat_ref(account: Account) -> int | str:
    ref = account.external_id
    return int(ref) if ref.lstrip("-").isdigit() else ref


def _manual(comment: CommentRef, why: str) -> ActionResult:
    return ActionResult(
        done=False,
        manual=True,
        detail=(
            f"comment {comment.network_id} was not deleted: {why}; delete it by hand in the "
            "discussion group (Telegram app: long press → Delete)"
        ),
    )
