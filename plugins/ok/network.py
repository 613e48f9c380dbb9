"""The OK network: group topics and their comments, deletion with author blocking,
publishing topics and answering comments as the group (the writing lives in ``publish``).

OK has no batching API the hub can rely on, so reads are one signed request
per page, run one token at a time under its rate limit, tokens in parallel.
``mediatopic.getTopics`` lists a group's topics; it may not be open to every
application (``docs/networks/ok.md`` §3.2), so on "method does not exist" the network falls
back to ``stream.get`` for the rest of its life.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from hub import settings as settings_check
from hub.batching import chunks_per_token, gather_by_token
from hub.errors import ApiError, EntityGoneError, TransientError
from hub.models import Account, AccountMeta
from hub.network import (
    BAN_USER,
    BLOCK_AUTHOR,
    DELETE_COMMENT,
    DETECTS_DELETIONS,
    PUBLISH_POST,
    REPLY_COMMENT,
    RESTORE_COMMENT,
    RESTRICT_USER,
    UNBAN_USER,
    ActionResult,
    CommentRef,
    CommentsRequest,
    CommentsResult,
    Network,
    Outcome,
    PostPage,
    PostPageRequest,
    Published,
    PublishRequest,
    ReplyRequest,
    community_ids,
)
from hub.secrets import secret_from_env

from . import auth, mapping, publish
from .client import OkClient

T = TypeVar("T")
TOPICS_PAGE = 50
COMMENTS_PAGE = 100
GROUPS_PER_CALL = 100
TOPIC_FIELDS = "media_topic.*,group.*,user.*"
METHOD_MISSING = 3


class OkNetwork(Network):
    name = "ok"
    title = "OK"
    capabilities = frozenset(
        {DELETE_COMMENT, BLOCK_AUTHOR, DETECTS_DELETIONS, PUBLISH_POST, REPLY_COMMENT}
    )
    capability_notes = {
        BAN_USER: (
            "OK's API has no separate ban: block the author while deleting one of their "
            "comments, with 'hub comments delete COMMENT --block-author'"
        ),
        RESTRICT_USER: (
            "OK's API has no mute: block the author while deleting one of their comments, "
            "with 'hub comments delete COMMENT --block-author'"
        ),
        RESTORE_COMMENT: (
            "OK's API cannot bring a deleted comment back: the hub keeps its text "
            "('hub comments list'); post it again by hand as the group, or ask its author "
            "to write it again"
        ),
        UNBAN_USER: (
            "OK's API cannot unblock a user: on ok.ru, open the group's members, its black "
            "list, and unblock them there by hand"
        ),
    }
    #: OK's quotas are tight and its groups quieter: a sync every ten minutes
    default_sync_seconds = 600.0

    @classmethod
    def own_author_ids(cls, account: Account, raw: dict[str, Any]) -> set[int]:
        """The group by ``external_id`` and by the ``uid`` of ``group.getInfo``."""
        return super().own_author_ids(account, raw) | community_ids(raw, ("uid",))

    default_settings = {
        "api_base": "https://api.ok.ru/fb.do",
        "application_key": "",
        "application_secret_key_env": "",
        "requests_per_second": 2,
        **settings_check.LIMIT_DEFAULTS,
        # OK OAuth (hub auth ok): the application's numeric id, the endpoints, the rights
        "application_id": "",
        "oauth_authorize_url": "https://connect.ok.ru/oauth/authorize",
        "oauth_token_url": "https://api.ok.ru/oauth/token.do",
        "oauth_scope": "VALUABLE_ACCESS;GROUP_CONTENT;LONG_ACCESS_TOKEN",
    }
    signs_in = True

    def __init__(self, settings: dict[str, Any], token_for: Callable[[Account], str]):
        super().__init__(settings, token_for)
        secret_env = self.settings["application_secret_key_env"]
        self.client = OkClient(
            api_base=self.settings["api_base"],
            application_key=self.settings["application_key"],
            application_secret=secret_from_env(secret_env, "the OK application's secret key"),
            secret_env=secret_env,
            requests_per_second=float(self.settings["requests_per_second"]),
            limits=settings_check.http_limits(self.settings, "ok"),
        )
        self._topics_method = "mediatopic.getTopics"
        self.client.renew = getattr(token_for, "renew", None)  # a stored token, refreshed

    @classmethod
    def validate_settings(cls, settings: dict[str, Any]) -> None:
        settings_check.http_url(settings, "api_base", "ok")
        settings_check.http_url(settings, "oauth_token_url", "ok")
        settings_check.http_url(settings, "oauth_authorize_url", "ok")
        settings_check.text(settings, "application_key", "ok", "your OK application's public key")
        variable = settings_check.text(
            settings,
            "application_secret_key_env",
            "ok",
            "the NAME of the environment variable holding the application's secret key",
        )
        secret_from_env(variable, "the OK application's secret key")
        settings_check.positive_number(settings, "requests_per_second", "ok")
        settings_check.http_limits(settings, "ok")

    # -- OK OAuth (hub auth ok; plugins/ok/auth.py) ----------------------------
    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str:
        return auth.authorize_url(self.settings, redirect_uri=redirect_uri, state=state)

    def exchange_code(self, *, answer, code_verifier: str, redirect_uri: str):
        return auth.exchange_code(self.settings, answer=answer, redirect_uri=redirect_uri)

    def imported_token(self, *, refresh_token, device_id, access_token):
        return auth.imported(self.settings, refresh_token=refresh_token, access_token=access_token)

    def refresh_token(self, account: Account, stored):
        return auth.refresh(self.settings, account, stored)

    async def aclose(self) -> None:
        await self.client.aclose()

    async def _per_token(
        self,
        items: Sequence[T],
        account_of: Callable[[T], Account],
        work: Callable[[str, T], Awaitable[Any]],
    ) -> list[Any]:
        """Run ``work`` for every item: one token's items in turn, tokens in parallel.

        An ApiError becomes that item's result, so one failure stops nothing else;
        so does any other exception (an answer the mapping trips on), which the
        sync engine then reports as that account's unexpected failure.
        """

        async def run_group(token: str, group: list[T]) -> list[Any]:
            out = []
            for item in group:
                try:
                    out.append(await work(token, item))
                except Exception as exc:
                    out.append(exc)
            return out

        return await gather_by_token(
            items, lambda item: self.token_for(account_of(item)), run_group
        )

    # -- metadata ------------------------------------------------------------
    async def fetch_account_meta(self, accounts: Sequence[Account]) -> list[Outcome[AccountMeta]]:
        chunks = chunks_per_token(accounts, self.token_for, GROUPS_PER_CALL)

        async def get_info(token: str, chunk: list[Account]) -> Any:
            uids = ",".join(a.external_id for a in chunk)
            return await self.client.call(
                token, "group.getInfo", {"uids": uids, "fields": mapping.GROUP_FIELDS}
            )

        answers = await self._per_token(chunks, lambda chunk: chunk[0], get_info)
        found: dict[str, Outcome[AccountMeta]] = {}
        for chunk, answer in zip(chunks, answers, strict=True):
            groups = None if isinstance(answer, Exception) else mapping.info_groups(answer)
            by_uid = {str(g.get("uid")): g for g in groups or [] if isinstance(g, dict)}
            for account in chunk:
                if isinstance(answer, Exception):
                    found[account.id] = answer
                elif groups is None:
                    found[account.id] = ApiError("OK group.getInfo answer has no list of groups")
                elif account.external_id in by_uid:
                    found[account.id] = mapping.group_meta(by_uid[account.external_id])
                else:
                    found[account.id] = EntityGoneError(f"OK group {account.external_id} not found")
        return [found[a.id] for a in accounts]

    # -- topics --------------------------------------------------------------
    async def fetch_post_pages(
        self, requests: Sequence[PostPageRequest]
    ) -> list[Outcome[PostPage]]:
        return await self._per_token(requests, lambda r: r.account, self._topics_page)

    async def _topics_page(self, token: str, request: PostPageRequest) -> PostPage:
        gid = int(request.account.external_id)
        params = {
            "gid": gid,
            "count": TOPICS_PAGE,
            "fields": TOPIC_FIELDS,
            "anchor": request.cursor,
        }
        if self._topics_method == "mediatopic.getTopics":
            try:
                answer = await self.client.call(token, "mediatopic.getTopics", params)
                return self._page(
                    answer, answer.get("media_topics") if isinstance(answer, dict) else None, gid
                )
            except ApiError as exc:
                if exc.code != METHOD_MISSING:
                    raise
                self._topics_method = "stream.get"  # not open to this application: use the feed
        answer = await self.client.call(token, "stream.get", {**params, "patterns": "POST"})
        entities = answer.get("entities") if isinstance(answer, dict) else None
        return self._page(answer, (entities or {}).get("media_topics"), gid)

    @staticmethod
    def _page(answer: Any, topics: Any, gid: int) -> PostPage:
        if not isinstance(answer, dict) or not isinstance(topics, list):
            raise ApiError("OK topics answer has no list of media topics")
        anchor = answer.get("anchor")
        more = answer.get("has_more", bool(topics) and bool(anchor))
        return PostPage(
            posts=mapping.topics(topics, gid),
            next_cursor=anchor if more and anchor else None,
            authors=mapping.authors(answer),
        )

    # -- comments ------------------------------------------------------------
    async def fetch_comments(
        self, requests: Sequence[CommentsRequest]
    ) -> list[Outcome[CommentsResult]]:
        return await self._per_token(requests, lambda r: r.account, self._all_comments)

    async def _all_comments(self, token: str, request: CommentsRequest) -> CommentsResult:
        """Every comment of a topic, oldest first, page by page with OK's anchors."""
        result = CommentsResult(comments=[])
        anchor = "FIRST"
        for _page in range(10_000):
            answer = await self.client.call(
                token,
                "discussions.getComments",
                {
                    "discussionId": request.post_network_id,
                    "discussionType": "GROUP_TOPIC",
                    "anchor": anchor,
                    "direction": "FORWARD",
                    "count": COMMENTS_PAGE,
                },
            )
            items = answer.get("comments") if isinstance(answer, dict) else None
            if not isinstance(items, list):
                raise ApiError("OK discussions.getComments answer has no comments list")
            result.comments += mapping.comments(items, request.post_network_id)
            result.authors += mapping.authors(answer)
            anchor = answer.get("anchor")
            if not (answer.get("has_more", bool(items)) and anchor and items):
                return result
        raise ApiError("OK kept answering has_more for one topic; stopped after 10,000 pages")

    # -- moderation ----------------------------------------------------------
    async def delete_comment(
        self, comment: CommentRef, *, block_author: bool = False
    ) -> ActionResult:
        """``discussions.deleteDiscussionComment``; gone already is success, after a look.

        OK blocks an author only as part of a deletion (``block_author``), so a
        comment that was already gone cannot carry a block: the result says so.
        """
        token = self.token_for(comment.account)
        cid = str(comment.network_id)
        topic = str(comment.post_network_id)
        try:
            await self.client.call(
                token,
                "discussions.deleteDiscussionComment",
                {
                    "discussionId": topic,
                    "discussionType": "GROUP_TOPIC",
                    "comment_id": cid,
                    "block_author": block_author or None,
                },
                retry=False,
            )
            result = ActionResult(done=True, detail=f"comment {cid} deleted on OK")
            already = False
        except ApiError as exc:
            verifiable = isinstance(exc, EntityGoneError | TransientError)
            if not (verifiable and await self._comment_gone(token, topic, cid)):
                raise
            result = ActionResult(
                done=True, already=True, detail=f"comment {cid} is already deleted on OK"
            )
            already = True
        if block_author and comment.author_id and comment.author_id > 0:
            blocked = await self._is_blocked(token, comment)
            if blocked:
                result.detail += f"; author {comment.author_id} is blocked in the group"
            elif already:
                result.detail += (
                    f"; author {comment.author_id} was NOT blocked: OK blocks only while "
                    "deleting, and this comment was already gone"
                )
            else:
                result.detail += f"; OK did not confirm the block of author {comment.author_id}"
            result.data["author_blocked"] = blocked
        return result

    async def _comment_gone(self, token: str, topic: str, cid: str) -> bool:
        try:
            await self.client.call(
                token,
                "discussions.getComment",
                {
                    "discussionId": topic,
                    "discussionType": "GROUP_TOPIC",
                    "comment_id": cid,
                },
            )
        except EntityGoneError:
            return True
        return False

    async def _is_blocked(self, token: str, comment: CommentRef) -> bool:
        answer = await self.client.call(
            token,
            "group.getUserGroupsByIds",
            {
                "group_id": comment.account.external_id,
                "uids": comment.author_id,
            },
        )
        return any(
            isinstance(row, dict)
            and str(row.get("userId")) == str(comment.author_id)
            and row.get("status") == "BLOCKED"
            for row in (answer if isinstance(answer, list) else [])
        )

    # -- publishing ----------------------------------------------------------
    def publish_problems(self, request: PublishRequest) -> list[str]:
        return publish.problems(request)

    async def publish_post(self, request: PublishRequest) -> Published:
        """A group topic as the group (see :mod:`.publish`); sent once, never resent here."""
        token = self.token_for(request.account)
        return await publish.publish_post(self.client, token, request)

    async def sees_own_posts(self, account: Account) -> bool:
        """Yes: topics posted as the group are listed by the normal topic walk like any other."""
        return True

    async def reply_to_comment(self, request: ReplyRequest) -> ActionResult:
        """``addDiscussionComment`` as the group, or ``manual`` where OK keeps it closed."""
        ref = request.comment
        token = self.token_for(ref.account)
        url = self.post_url(ref.account, ref.post_network_id)
        listing = CommentsRequest(ref.account, ref.post_network_id)
        return await publish.reply(
            self.client, token, request, url, lambda: self._all_comments(token, listing)
        )

    # -- links ---------------------------------------------------------------
    async def check_account(self, account: Account) -> list:
        """Permissions, the user's status in the group, and reading (hub_ok.checks)."""
        from .checks import check_rights

        return await check_rights(self, account)

    def post_url(self, account: Account, post_network_id: int) -> str | None:
        return f"https://ok.ru/group/{account.external_id}/topic/{post_network_id}"

    def account_url(self, account: Account) -> str | None:
        return f"https://ok.ru/group/{account.external_id}"
