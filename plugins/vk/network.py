"""The VK network: sync reads batched through ``execute``, moderation with verification."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from hub import settings as settings_check
from hub.answers import count
from hub.batching import chunks_per_token, gather_by_token
from hub.errors import ApiError, ConfigError, EntityGoneError, TransientError
from hub.models import Account, AccountMeta, Author, Comment
from hub.network import (
    BAN_USER,
    BLOCK_AUTHOR,
    DELETE_COMMENT,
    DETECTS_DELETIONS,
    EVENTS,
    PUBLISH_POST,
    REPLY_COMMENT,
    RESTORE_COMMENT,
    RESTRICT_USER,
    UNBAN_USER,
    ActionResult,
    BanRequest,
    CommentRef,
    CommentsRequest,
    CommentsResult,
    EventBatch,
    EventsSetup,
    Finding,
    Network,
    Outcome,
    PostPage,
    PostPageRequest,
    Published,
    PublishRequest,
    ReplyRequest,
)

from . import auth, mapping, publish, undo
from .client import Call, VkClient

PAGE_SIZE = 100
GROUPS_PER_CALL = 100
THREAD_ITEMS = 10
BAN_REASONS = {"other": 0, "spam": 1, "abuse": 2, "language": 3, "flood": 4}
COMMENT_PARAMS = {
    "count": PAGE_SIZE,
    "sort": "asc",
    "preview_length": 0,
    "extended": 1,
    "need_likes": 1,
}


@dataclass
class _CommentWalk:
    """The comments of one post being collected over several rounds of batched calls."""

    request: CommentsRequest
    comments: dict[int, Comment] = field(default_factory=dict)
    authors: list[Author] = field(default_factory=list)
    error: ApiError | None = None
    #: the size each list (None = top level, else a thread's root id) had when first seen
    totals: dict[int | None, int] = field(default_factory=dict)
    complete: bool = True

    def saw_total(self, root: int | None, total: int) -> None:
        """A list that shrank while paged has shifted under the offsets: some item was skipped."""
        first = self.totals.setdefault(root, total)
        if total < first:
            self.complete = False

    def result(self) -> Outcome[CommentsResult]:
        if self.error:
            return self.error
        return CommentsResult(list(self.comments.values()), self.authors, self.complete)


class VkNetwork(Network):
    name = "vk"
    title = "VK"
    capabilities = frozenset(
        {
            DELETE_COMMENT,
            BAN_USER,
            BLOCK_AUTHOR,
            DETECTS_DELETIONS,
            EVENTS,
            PUBLISH_POST,
            REPLY_COMMENT,
            RESTORE_COMMENT,
            UNBAN_USER,
        }
    )
    capability_notes = {
        RESTRICT_USER: (
            "VK has no mute: ban the user for a number of days instead "
            "('hub users ban ACCOUNT USER --days N')"
        ),
    }
    #: walls change by the minute; the Bots Long Poll brings events sooner where set up
    default_sync_seconds = 300.0
    #: a user token ("vk1.a." and its body), should one reach a message outside the header
    token_patterns = (r"vk1\.a\.[A-Za-z0-9_-]+",)
    # own_author_ids: the base's (external_id, and the "id" of groups.getById) is VK's
    default_settings = {
        "api_base": "https://api.vk.ru/method",
        "api_version": "5.199",
        "requests_per_second": 3,
        **settings_check.LIMIT_DEFAULTS,
        "events_wait_seconds": 25,
        # VK ID (hub auth vk): the OAuth 2.1 server, the application, the rights asked for
        "id_base": "https://id.vk.com",
        "id_client_id": "",
        "id_scope": "wall groups",
    }
    signs_in = True

    def __init__(self, settings: dict[str, Any], token_for: Callable[[Account], str]):
        super().__init__(settings, token_for)
        self.client = VkClient(
            api_base=self.settings["api_base"],
            version=self.settings["api_version"],
            requests_per_second=self.settings["requests_per_second"],
            limits=settings_check.http_limits(self.settings, "vk"),
        )
        self.client.renew = getattr(token_for, "renew", None)  # a stored token, refreshed
        self._group_ids: dict[str, int] = {}
        self._longpolls: dict[str, Any] = {}

    @classmethod
    def validate_settings(cls, settings: dict[str, Any]) -> None:
        settings_check.http_url(settings, "api_base", "vk")
        settings_check.http_url(settings, "id_base", "vk")
        settings_check.positive_number(
            settings, "requests_per_second", "vk", "VK allows 3 per user token"
        )
        settings_check.http_limits(settings, "vk")
        wait = settings_check.positive_number(settings, "events_wait_seconds", "vk")
        if wait > 90:
            raise ConfigError("[networks.vk] events_wait_seconds must be at most 90 (VK's limit)")
        if not isinstance(settings.get("api_version"), str):
            raise ConfigError('[networks.vk] api_version must be a string such as "5.199"')

    # -- VK ID (hub auth vk; plugins/vk/auth.py) ------------------------------
    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str:
        return auth.authorize_url(
            self.settings, redirect_uri=redirect_uri, state=state, code_challenge=code_challenge
        )

    def exchange_code(self, *, answer, code_verifier: str, redirect_uri: str):
        return auth.exchange_code(
            self.settings, answer=answer, code_verifier=code_verifier, redirect_uri=redirect_uri
        )

    def imported_token(self, *, refresh_token, device_id, access_token):
        if access_token:
            raise ConfigError("a fixed VK token goes in the account's token_env variable")
        if not refresh_token:
            raise ConfigError("give --refresh-token (and --device-id), or sign in without them")
        return auth.imported(self.settings, refresh_token=refresh_token, device_id=device_id)

    def refresh_token(self, account: Account, stored):
        return auth.refresh(self.settings, account, stored)

    async def aclose(self) -> None:
        for poll in self._longpolls.values():
            await poll.aclose()
        await self.client.aclose()

    async def next_events(self, account: Account, token: str, cursor: str | None) -> EventBatch:
        """Bots Long Poll on the community token (``docs/networks/vk.md`` §7.1).

        Events in another API version than ``api_version`` are counted, not read;
        the batch then says ``gap`` so that REST catches up what they carried.
        """
        from .longpoll import LongPoll, events_to_models, split_by_version

        group = await self._resolve(account)
        poll = self._longpolls.get(account.id)
        if poll is None:
            poll = self._longpolls[account.id] = LongPoll(self.client, token, group)
        batch = await poll.next_batch(cursor, wait=int(self.settings["events_wait_seconds"]))
        events, skipped = split_by_version(batch.events, self.settings["api_version"])
        posts, comments, deleted = events_to_models(events, group)
        return EventBatch(posts, comments, deleted, batch.ts, batch.gap or bool(skipped), skipped)

    async def prepare_events(self, account: Account, token: str) -> EventsSetup:
        """Long Poll on at ``api_version`` with the events the hub reads (§7.1)."""
        from .longpoll import NEEDED_EVENTS, ensure_settings

        version = self.settings["api_version"]
        gaps = await ensure_settings(self.client, token, await self._resolve(account), version)
        what = "enabled" if gaps else "already on"
        return EventsSetup(
            bool(gaps),
            f"VK Long Poll {what} for {account.id}: events {', '.join(NEEDED_EVENTS)}, "
            f"API {version}",
        )

    # -- batching helpers ----------------------------------------------------
    async def _run(self, jobs: Sequence[tuple[Account, Call]]) -> list[Any]:
        """Run calls through execute, one sequence per token, tokens in parallel."""
        return await gather_by_token(
            jobs,
            lambda job: self.token_for(job[0]),
            lambda token, group: self.client.batch(token, [call for _account, call in group]),
        )

    def group_id(self, account: Account) -> int:
        if account.external_id.lstrip("-").isdigit():
            return abs(int(account.external_id))
        if account.external_id in self._group_ids:
            return self._group_ids[account.external_id]
        raise ApiError(f"VK community {account.external_id!r} has not been resolved to an id")

    async def _resolve(self, account: Account) -> int:
        try:
            return self.group_id(account)
        except ApiError:
            await self.fetch_account_meta([account])
            return self.group_id(account)

    async def resolve_group(self, account: Account) -> int:
        """The community's numeric id, asking VK once when the config names it by screen name."""
        return await self._resolve(account)

    # -- metadata ------------------------------------------------------------
    async def fetch_account_meta(self, accounts: Sequence[Account]) -> list[Outcome[AccountMeta]]:
        """``groups.getById`` with up to 100 communities a call, grouped by token.

        One unknown id fails a multi-id call, so a failed chunk is asked again
        one community a call, and only the bad one fails.
        """
        chunks = chunks_per_token(accounts, self.token_for, GROUPS_PER_CALL)
        results = await self._run([(chunk[0], _get_by_id(chunk)) for chunk in chunks])
        found: dict[str, Outcome[dict]] = {}
        retry_one_by_one: list[Account] = []
        for chunk, result in zip(chunks, results, strict=True):
            if isinstance(result, ApiError) and len(chunk) > 1 and type(result) is ApiError:
                retry_one_by_one.extend(chunk)
                continue
            for account in chunk:
                found[account.id] = _pick_group(account, result)
        if retry_one_by_one:
            singles = await self._run([(a, _get_by_id([a])) for a in retry_one_by_one])
            for account, result in zip(retry_one_by_one, singles, strict=True):
                found[account.id] = _pick_group(account, result)
        return [self._meta(account, found[account.id]) for account in accounts]

    def _meta(self, account: Account, group: Outcome[dict]) -> Outcome[AccountMeta]:
        if isinstance(group, ApiError):
            return group
        self._group_ids[account.external_id] = int(group["id"])
        meta = mapping.group_meta(group)
        if meta.deactivated:
            return EntityGoneError(f"VK community {account.external_id} is {meta.deactivated}")
        return meta

    # -- posts ---------------------------------------------------------------
    async def fetch_post_pages(
        self, requests: Sequence[PostPageRequest]
    ) -> list[Outcome[PostPage]]:
        jobs = []
        for r in requests:
            offset, _count = _read_cursor(r.cursor)
            jobs.append(
                (
                    r.account,
                    (
                        "wall.get",
                        {
                            "owner_id": -self.group_id(r.account),
                            "offset": offset,
                            "count": PAGE_SIZE,
                            "extended": 1,
                        },
                    ),
                )
            )
        out: list[Outcome[PostPage]] = []
        for request, result in zip(requests, await self._run(jobs), strict=True):
            if isinstance(result, ApiError):
                out.append(result)
            else:
                out.append(_post_page(request.cursor, result))
        return out

    # -- comments ------------------------------------------------------------
    async def fetch_comments(
        self, requests: Sequence[CommentsRequest]
    ) -> list[Outcome[CommentsResult]]:
        walks = [_CommentWalk(r) for r in requests]
        pending = [(w, self._comments_call(w.request, offset=0)) for w in walks]
        while pending:
            results = await self._run([(w.request.account, call) for w, call in pending])
            follow_ups = []
            for (walk, call), result in zip(pending, results, strict=True):
                if walk.error:
                    continue
                if isinstance(result, ApiError):
                    walk.error = result
                    continue
                follow_ups.extend((walk, c) for c in self._absorb(walk, call[1], result))
            pending = follow_ups
        return [w.result() for w in walks]

    def _comments_call(
        self, request: CommentsRequest, *, offset: int, root: int | None = None
    ) -> Call:
        params = {
            "owner_id": -self.group_id(request.account),
            "post_id": request.post_network_id,
            "offset": offset,
            **COMMENT_PARAMS,
        }
        if root is None:
            params["thread_items_count"] = THREAD_ITEMS
        else:
            params["comment_id"] = root
        return ("wall.getComments", params)

    def _absorb(self, walk: _CommentWalk, params: dict[str, Any], result: Any) -> list[Call]:
        """Keep one answer's comments; return the calls still needed for this post."""
        if not isinstance(result, dict) or not isinstance(result.get("items"), list):
            walk.error = ApiError("VK wall.getComments answer has no items list")
            return []
        post_id = walk.request.post_network_id
        walk.authors.extend(mapping.authors(result))
        items = result["items"]
        more: list[Call] = []
        offset = params["offset"] + len(items)
        root = params.get("comment_id")
        level = None if root else count(result.get("current_level_count"))
        total = level if level is not None else count(result.get("count")) or 0
        walk.saw_total(root, total)
        if items and offset < total:
            more.append(self._comments_call(walk.request, offset=offset, root=root))
        for raw in items:
            mapped = mapping.comments([raw], post_id)  # an unreadable one is logged, left out
            if not mapped:
                continue
            top = mapped[0]
            walk.comments[top.network_id] = top
            thread = raw.get("thread") if isinstance(raw.get("thread"), dict) else {}
            listed = thread.get("items") if isinstance(thread.get("items"), list) else []
            for reply in mapping.comments(listed, post_id):
                walk.comments[reply.network_id] = reply
            thread_count = count(thread.get("count")) or 0
            if root is None and thread_count > len(listed):
                walk.saw_total(int(top.network_id), thread_count)
                more.append(
                    self._comments_call(walk.request, offset=len(listed), root=int(top.network_id))
                )
        return more

    # -- moderation ----------------------------------------------------------
    async def delete_comment(
        self, comment: CommentRef, *, block_author: bool = False
    ) -> ActionResult:
        """``wall.deleteComment``; an already deleted comment is success.

        A refusal or a lost answer is checked with ``wall.getComment`` before it
        is called a failure, so a repeat never errs on work already done. With
        ``block_author`` the author is then banned for good (VK has no
        block-on-delete of its own).
        """
        token = self.token_for(comment.account)
        owner = -(await self._resolve(comment.account))
        cid = int(comment.network_id)
        params = {"owner_id": owner, "comment_id": cid}
        try:
            await self.client.call(token, "wall.deleteComment", params, retry=False)
            result = ActionResult(done=True, detail=f"comment {cid} deleted on VK")
        except ApiError as exc:
            verifiable = isinstance(exc, EntityGoneError | TransientError) or exc.code == 15
            if not (verifiable and await self._comment_gone(token, owner, cid)):
                raise
            if isinstance(exc, TransientError):
                detail = f"comment {cid} deleted on VK (confirmed after an unclear answer)"
                result = ActionResult(done=True, detail=detail)
            else:
                detail = f"comment {cid} is already deleted on VK"
                result = ActionResult(done=True, already=True, detail=detail)
        if block_author and comment.author_id and comment.author_id > 0:
            ban = await self.ban_user(
                BanRequest(
                    comment.account, comment.author_id, None, "blocked with a deleted comment"
                )
            )
            result.detail += f"; {ban.detail}"
        return result

    async def _comment_gone(self, token: str, owner: int, comment_id: int) -> bool:
        try:
            result = await self.client.call(
                token, "wall.getComment", {"owner_id": owner, "comment_id": comment_id}
            )
        except EntityGoneError:
            return True
        items = result.get("items") if isinstance(result, dict) else None
        return not items or bool(items[0].get("deleted"))

    async def ban_user(self, request: BanRequest) -> ActionResult:
        """``groups.ban`` unless a ban at least as long is in place (``groups.getBanned``).

        A lost answer is checked the same way before it counts as a failure.
        """
        token = self.token_for(request.account)
        group = await self._resolve(request.account)
        existing = await self._ban_end(token, group, request.user_id)
        if existing is not None and _ban_covers(existing, request.until):
            return ActionResult(
                done=True,
                already=True,
                detail=f"user {request.user_id} is already banned {_until(existing)}",
                data={"end_date": existing},
            )
        params = {
            "group_id": group,
            "owner_id": request.user_id,
            "reason": BAN_REASONS.get(request.category, 0),
            "comment": request.reason,
            "comment_visible": 1,
            "end_date": request.until,
        }
        detail = f"user {request.user_id} banned {_until(request.until or 0)}"
        try:
            await self.client.call(token, "groups.ban", params, retry=False)
        except TransientError:
            existing = await self._ban_end(token, group, request.user_id)
            if existing is None or not _ban_covers(existing, request.until):
                raise
            detail += " (confirmed after an unclear answer)"
        return ActionResult(done=True, detail=detail, data={"end_date": request.until or 0})

    async def _ban_end(self, token: str, group: int, user_id: int) -> int | None:
        """The end of the user's current ban (0 = permanent), or None when not banned."""
        banned = await self.client.call(
            token, "groups.getBanned", {"group_id": group, "owner_id": user_id}
        )
        for item in (banned or {}).get("items", []):
            target = item.get("profile") or item.get("group") or {}
            if target.get("id") == user_id:  # owner_id may not narrow the list: check
                return int((item.get("ban_info") or {}).get("end_date") or 0)
        return None

    # -- undoing (plugins/vk/undo.py) -----------------------------------------
    async def restore_comment(self, comment: CommentRef) -> ActionResult:
        return await undo.restore_comment(self, comment)

    async def unban_user(self, request: BanRequest) -> ActionResult:
        return await undo.unban_user(self, request)

    # -- publishing (plugins/vk/publish.py) -----------------------------------
    def publish_problems(self, request: PublishRequest) -> list[str]:
        return publish.publish_problems(request)

    async def publish_post(self, request: PublishRequest) -> Published:
        return await publish.publish_post(self, request)

    async def sees_own_posts(self, account: Account) -> bool:
        """True: ``wall.get`` lists the community's own posts, those the hub made included."""
        return True

    async def reply_to_comment(self, request: ReplyRequest) -> ActionResult:
        return await publish.reply_to_comment(self, request)

    # -- links ---------------------------------------------------------------
    async def check_account(self, account: Account) -> list[Finding]:
        """Each right the hub uses, tried as sync tries it (hub_vk.checks)."""
        from .checks import check_rights

        return await check_rights(self, account)

    def post_url(self, account: Account, post_network_id: int) -> str | None:
        return f"https://vk.com/wall-{self.group_id(account)}_{post_network_id}"

    def account_url(self, account: Account) -> str | None:
        return f"https://vk.com/club{self.group_id(account)}"


def _get_by_id(accounts: Sequence[Account]) -> Call:
    refs = ",".join(a.external_id.lstrip("-") for a in accounts)
    return ("groups.getById", {"group_ids": refs, "fields": mapping.GROUP_FIELDS})


def _pick_group(account: Account, result: Any) -> Outcome[dict]:
    if isinstance(result, ApiError):
        return result
    groups = mapping.listed(result, "groups")
    if groups is None:
        return ApiError("VK groups.getById answer has no groups list", method="groups.getById")
    ref = account.external_id.lstrip("-")
    for group in groups:
        if str(group.get("id")) == ref or group.get("screen_name") == ref:
            return group
    return EntityGoneError(f"VK community {account.external_id} not found")


#: a repeated "ban for N days" a little later wants a slightly later end: that is the same ban
BAN_END_TOLERANCE = 86400


def _ban_covers(existing_end: int, wanted_until: int | None) -> bool:
    if existing_end == 0:
        return True
    if wanted_until is None:
        return False
    return existing_end >= wanted_until - BAN_END_TOLERANCE


def _until(end: int) -> str:
    return "permanently" if not end else f"until {_date(end)}"


def _date(unixtime: int) -> str:
    return datetime.fromtimestamp(unixtime, UTC).strftime("%Y-%m-%d %H:%M UTC")


def _read_cursor(cursor: str | None) -> tuple[int, int | None]:
    if not cursor:
        return 0, None
    offset, _, count = cursor.partition(":")
    return int(offset), int(count) if count else None


def _post_page(cursor: str | None, result: Any) -> Outcome[PostPage]:
    if not isinstance(result, dict) or not isinstance(result.get("items"), list):
        return ApiError("VK wall.get answer has no items list", method="wall.get")
    offset, previous_count = _read_cursor(cursor)
    total = count(result.get("count")) or 0
    items = result["items"]
    next_offset = offset + len(items)
    if previous_count is not None and total < previous_count:
        # Posts above us were removed, so the list moved up and this page skipped some:
        # read again from where they now stand (re-reading is harmless, skipping is not).
        # New posts need nothing: they pushed the list down before this page was read,
        # so this page merely repeats a few posts of the previous one.
        next_offset = max(0, offset - (previous_count - total))
    next_cursor = f"{next_offset}:{total}" if items and next_offset < total else None
    return PostPage(
        posts=mapping.posts(items),
        next_cursor=next_cursor,
        authors=mapping.authors(result),
    )
