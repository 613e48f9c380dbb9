"""The interface a network plugin implements.

A plugin subclasses :class:`Network` and hands the class to the core through the
``register_networks`` hook. The core drives sync and moderation by calling these
methods; it never sees an HTTP request. Read methods take a *batch* of requests
so that a network that can batch (VK's ``execute``) saves round trips; each
returns a list aligned with its input where an item is either the result or the
:class:`~hub.errors.ApiError` that stopped that item.
"""

from __future__ import annotations

import abc
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from .errors import ApiError
from .models import Account, AccountMeta, Author, Comment, CommentId, Post

T = TypeVar("T")
Outcome = T | ApiError


def community_ids(raw: dict[str, Any], keys: Sequence[str]) -> set[int]:
    """The ids under ``keys`` of a page's payload, as authors name a community (negative)."""
    ids = set()
    for key in keys:
        value = raw.get(key)
        if isinstance(value, int | str) and str(value).lstrip("-").isdigit():
            ids.add(-abs(int(value)))
    return ids


#: capability names a network declares in :attr:`Network.capabilities`
DELETE_COMMENT = "delete_comment"
BAN_USER = "ban_user"
#: restrict a comment's author as part of deleting the comment
BLOCK_AUTHOR = "block_author"
#: mute a user (keep their messages, stop new ones) for a while
RESTRICT_USER = "restrict_user"
#: a sync can see that a post or comment was removed on the network
DETECTS_DELETIONS = "detects_deletions"
#: bring a deleted comment back (undoes ``delete_comment`` where the network allows it)
RESTORE_COMMENT = "restore_comment"
#: lift a ban or a mute (undoes ``ban_user`` and ``restrict_user``)
UNBAN_USER = "unban_user"
#: the network's bans have no end (MAX blocks for good): the hub lifts a ban of some days
#: itself once they are over (:func:`hub.actions.expiry.lift_due_bans`, from the actions table)
BANS_LIFTED_BY_HUB = "bans_lifted_by_hub"

#: the network pushes new posts and comments to an account that names ``events_token_env``
EVENTS = "events"
#: the network POSTs events to the daemon (``[networks.<name>] webhook_path``): hub.sync.webhooks
WEBHOOKS = "webhooks"
#: publish a post on the account's page (the content plan)
PUBLISH_POST = "publish_post"
#: answer a comment as the community
REPLY_COMMENT = "reply_comment"

#: how the core syncs a network: walk each wall (VK, OK), or read a stream of updates (Telegram)
WALK = "walk"
UPDATES = "updates"


@dataclass(frozen=True)
class PostPageRequest:
    """One page of an account's posts, newest first; ``cursor`` None = the first page."""

    account: Account
    cursor: str | None = None


@dataclass
class PostPage:
    posts: list[Post]
    #: where the next (older) page starts; None when the wall is exhausted
    next_cursor: str | None
    authors: list[Author] = field(default_factory=list)


@dataclass(frozen=True)
class CommentsRequest:
    """All comments of one post."""

    account: Account
    post_network_id: int


@dataclass
class CommentsResult:
    comments: list[Comment]
    authors: list[Author] = field(default_factory=list)
    #: False when the list moved while it was paged: nothing may be inferred deleted
    #: from it, and the post is read again next time
    complete: bool = True


@dataclass(frozen=True)
class CommentRef:
    """A stored comment, with what a network may need to act on it."""

    account: Account
    network_id: CommentId
    post_network_id: int
    author_id: int | None = None
    #: Unix time it was written (Telegram lets bots delete only messages under 48 hours old)
    published_at: int | None = None


@dataclass
class ActionResult:
    """What a moderation call achieved. ``already`` = the network was already in that state.

    ``manual``: the network will not let the hub do it (a Telegram message past 48
    hours); a person must, and ``detail`` says how.
    """

    done: bool
    already: bool = False
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)
    manual: bool = False


@dataclass(frozen=True)
class ThreadComment:
    """A comment that names its thread by the network's thread id, not yet by its post.

    On Telegram a comment lives in the discussion group under the automatic
    forward of a channel post; which post that is arrives as a :class:`ThreadLink`,
    possibly later than the comment. ``comment.post_network_id`` is ignored.
    """

    account: Account
    thread_id: int
    comment: Comment


@dataclass(frozen=True)
class ThreadLink:
    account: Account
    thread_id: int
    post_network_id: int


@dataclass
class UpdateBatch:
    """One batch of a network's update stream, already sorted to accounts.

    ``next_offset`` is where the stream continues once this batch is stored;
    None when the batch is empty (nothing to store, nothing to confirm).
    """

    posts: list[tuple[Account, Post]] = field(default_factory=list)
    comments: list[ThreadComment] = field(default_factory=list)
    links: list[ThreadLink] = field(default_factory=list)
    authors: list[Author] = field(default_factory=list)
    updates: int = 0
    next_offset: int | None = None


@dataclass
class EventBatch:
    """Pushed changes of one account since ``cursor``; ``gap``: some may have been missed."""

    posts: list[Post] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)
    deleted_comments: list[CommentId] = field(default_factory=list)
    cursor: str | None = None
    gap: bool = False
    #: events left unread because the network sent them in another API version than the
    #: hub reads: version → how many (the batch then says ``gap``: REST catches them up)
    skipped_versions: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class EventsSetup:
    """What :meth:`Network.prepare_events` found: ``changed`` when it switched events on
    now; ``text`` the one line to log (empty: nothing to say)."""

    changed: bool = False
    text: str = ""


@dataclass(frozen=True)
class Finding:
    """One line of ``hub accounts check``: something in order, or a gap in plain words.

    ``checked=False``: the network cannot tell this right without doing the action;
    the line says "not checked" and what to verify by hand (it is no problem).
    """

    ok: bool
    text: str
    checked: bool = True

    @property
    def status(self) -> str:
        """``ok``, ``PROBLEM`` or ``not checked``, as the line starts."""
        if not self.checked:
            return "not checked"
        return "ok" if self.ok else "PROBLEM"


@dataclass(frozen=True)
class PublishRequest:
    """One approved draft going out on one account.

    ``photos`` are local image files the plugin uploads; ``links`` are URLs
    (a network that cannot take an image by URL sends it as a link). ``guid`` is
    the hub's stable key for this draft on this account: a network with an
    idempotency key (VK's ``guid``) gets it, so a resend can never be a second post.
    """

    account: Account
    text: str
    photos: tuple[str, ...] = ()
    links: tuple[str, ...] = ()
    guid: str = ""


@dataclass
class Published:
    """Where a published draft now lives; ``post`` is the network's post when it said so."""

    post_network_id: int
    url: str | None
    post: Post | None = None


@dataclass(frozen=True)
class ReplyRequest:
    """An answer to a comment, written as the community.

    ``guid`` is stable across resends of the same reply. ``retry`` says an
    earlier send may have been applied (its answer was lost): the plugin must
    make sure it is not posting the reply twice — pass the guid to a network
    that deduplicates, look first where it can, or answer ``manual``.
    """

    comment: CommentRef
    text: str
    guid: str
    retry: bool = False


@dataclass(frozen=True)
class BanRequest:
    account: Account
    user_id: int
    #: Unix time the ban ends; None = permanent
    until: int | None
    reason: str = ""
    category: str = "other"


class Network(abc.ABC):
    """A social network as the core sees it.

    ``settings`` is the ``[networks.<name>]`` table of the config; ``token_for``
    resolves an account's token (the core reads it from the account's
    ``token_env`` and registers it for redaction).
    """

    name: ClassVar[str]
    title: ClassVar[str]
    sync_mode: ClassVar[str] = WALK
    capabilities: ClassVar[frozenset[str]] = frozenset()
    #: what to tell an operator who asks for a capability the network lacks
    capability_notes: ClassVar[dict[str, str]] = {}
    #: settings keys and their defaults, for config validation and ``hub plugins``
    default_settings: ClassVar[dict[str, Any]] = {}
    #: what this network's pages can show, for the compliance report's completeness check
    #: (hub.compliance.page): a field left out is "not offered", never held against a page
    page_fields: ClassVar[frozenset[str]] = frozenset(
        {"description", "contacts", "working_hours", "website", "avatar", "cover"}
    )
    #: how often the daemon syncs an account of this network unless ``[daemon] sync_seconds``
    #: says otherwise (hub.daemon.schedule)
    default_sync_seconds: ClassVar[float] = 300.0
    #: regular expressions for this network's tokens, wherever they travel (a URL path, a
    #: message): the redaction step masks every match besides the remembered values. Group 1,
    #: when there is one, is what stays ("/bot" of "/bot<token>"); the rest becomes ``***``
    token_patterns: ClassVar[tuple[str, ...]] = ()
    #: whether a post carries a comment counter the walk can watch (``Post.comments_count``).
    #: False (MAX): a post's comments are read when the post is new, and again by the
    #: reconcile (every synced post of the window, not only those with a count) and events
    comment_counts: ClassVar[bool] = True

    @classmethod
    def own_author_ids(cls, account: Account, raw: dict[str, Any]) -> set[int]:
        """Author ids that are the administration itself, from the account and its page.

        ``raw`` is the page's payload as the last sync stored it (``AccountMeta.raw``;
        empty before the first sync). By default: the community named by
        ``external_id`` and by the payload's ``id``, written as negative ids, the way
        walls name a community. A network whose payload names its page otherwise, or
        names more (a linked group), says so here.
        """
        ids = community_ids(raw, ("id",))
        external = account.external_id
        if external.lstrip("-").isdigit():
            ids.add(-abs(int(external)))
        return ids

    def __init__(self, settings: dict[str, Any], token_for: Callable[[Account], str]):
        self.settings = self.checked_settings(settings)
        self.token_for = token_for

    @classmethod
    def checked_settings(cls, settings: dict[str, Any]) -> dict[str, Any]:
        """The config's table over the defaults, with unknown keys and bad values refused."""
        from .settings import known_keys

        known_keys(settings, set(cls.default_settings), cls.name)
        merged = {**cls.default_settings, **settings}
        cls.validate_settings(merged)
        return merged

    @classmethod
    def validate_settings(cls, settings: dict[str, Any]) -> None:  # noqa: B027 - optional hook
        """Raise ConfigError naming the bad ``[networks.<name>]`` key; runs before any write."""
        return None

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    @abc.abstractmethod
    async def fetch_account_meta(self, accounts: Sequence[Account]) -> list[Outcome[AccountMeta]]:
        """Page metadata for each account."""

    async def fetch_post_pages(
        self, requests: Sequence[PostPageRequest]
    ) -> list[Outcome[PostPage]]:
        """One page of posts per request, newest first (a pinned post may come first).

        Required when ``sync_mode`` is WALK.
        """
        raise NotImplementedError(f"{self.title} is not synced by walking its wall")

    async def fetch_comments(
        self, requests: Sequence[CommentsRequest]
    ) -> list[Outcome[CommentsResult]]:
        """Every visible comment of each post, replies included (WALK networks)."""
        raise NotImplementedError(f"{self.title} is not synced by walking its wall")

    def missing(self, capability: str) -> str:
        """One line for an operator: why the capability is missing and what to do instead."""
        note = self.capability_notes.get(capability)
        return note or f"{self.title} does not let the hub {capability.replace('_', ' ')}"

    async def delete_comment(
        self, comment: CommentRef, *, block_author: bool = False
    ) -> ActionResult:
        """Delete the comment; with ``block_author``, also restrict its author."""
        raise ApiError(self.missing(DELETE_COMMENT))

    async def ban_user(self, request: BanRequest) -> ActionResult:
        raise ApiError(self.missing(BAN_USER))

    async def restrict_user(self, request: BanRequest) -> ActionResult:
        """Mute the user until ``request.until`` (their messages stay)."""
        raise ApiError(self.missing(RESTRICT_USER))

    async def restore_comment(self, comment: CommentRef) -> ActionResult:
        """Bring the deleted comment back; a comment not deleted is ``done=True, already=True``.

        A network that lets a comment be restored only for a while raises ApiError
        saying so when that time is over.
        """
        raise ApiError(self.missing(RESTORE_COMMENT))

    async def unban_user(self, request: BanRequest) -> ActionResult:
        """Lift the user's ban or mute (``until`` is ignored); nothing to lift is ``already``."""
        raise ApiError(self.missing(UNBAN_USER))

    async def fetch_updates(
        self, token: str, accounts: Sequence[Account], offset: int | None
    ) -> UpdateBatch:
        """The next batch of the update stream of one token (``sync_mode = UPDATES`` only).

        Calling it with ``offset`` confirms everything before it to the network,
        so the core passes an offset only once the batch before it is stored.
        """
        raise NotImplementedError(f"{self.title} does not sync through updates")

    async def prepare_events(self, account: Account, token: str) -> EventsSetup:
        """Make the network push what :meth:`next_events` reads (capability EVENTS).

        Called before following an account's events (the daemon) and by ``hub
        accounts check --fix``: switches on what is off, and leaves alone what is
        right. Raises ApiError when the token may not change the settings.
        """
        return EventsSetup()

    async def next_events(self, account: Account, token: str, cursor: str | None) -> EventBatch:
        """Wait for the account's next pushed changes (capability EVENTS).

        ``token`` is read from the account's ``events_token_env``. A None cursor
        starts from now; a gap asks the caller to reconcile by a REST sync.
        """
        raise NotImplementedError(f"{self.title} pushes no events")

    #: the request header carrying the webhook's secret (capability WEBHOOKS)
    webhook_secret_header: ClassVar[str | None] = None

    async def webhook_batches(
        self, accounts: Sequence[Account], body: bytes
    ) -> list[tuple[Account, EventBatch]]:
        """One webhook delivery as event batches of the accounts it concerns (WEBHOOKS).

        The core has checked the secret; it stores the batches before it answers 200.
        Raise TransientError when the network must be asked something first.
        """
        raise NotImplementedError(f"{self.title} sends no webhooks")

    def poller_key(self, token: str) -> str:
        """Names one update stream (one per token) for its stored offset and its lock."""
        return f"{self.name}:" + hashlib.sha256(token.encode()).hexdigest()[:16]

    async def check_account(self, account: Account) -> list[Finding]:
        """What ``hub accounts check`` reports; by default: the token works, the page is there."""
        outcome = (await self.fetch_account_meta([account]))[0]
        if isinstance(outcome, ApiError):
            raise outcome  # the core words it, naming the token's variable
        return [Finding(True, f"the token works and the page «{outcome.name}» is readable")]

    def post_url(self, account: Account, post_network_id: int) -> str | None:
        return None

    # ------------------------------------------------------------------ signing in (hub.tokens)

    #: ``hub auth <name> ACCOUNT`` signs an account in: the network implements the methods below
    signs_in: ClassVar[bool] = False

    def authorize_url(self, *, redirect_uri: str, state: str, code_challenge: str) -> str:
        """The address a person opens to sign in (OAuth code flow, PKCE S256)."""
        raise NotImplementedError(f"{self.title} has no sign-in")

    def exchange_code(
        self, *, answer: dict[str, str], code_verifier: str, redirect_uri: str
    ) -> Any:
        """The stored token (:class:`hub.tokens.StoredToken`) for the redirect's parameters."""
        raise NotImplementedError(f"{self.title} has no sign-in")

    def imported_token(
        self, *, refresh_token: str | None, device_id: str | None, access_token: str | None
    ) -> Any:
        """A record for a token obtained elsewhere; with a refresh token, refreshed at once."""
        raise NotImplementedError(f"{self.title} has no sign-in")

    def refresh_token(self, account: Account, stored: Any) -> Any:
        """The record after a refresh; :class:`hub.tokens.RefreshRefused` when refused.

        Synchronous: :func:`hub.tokens.refresh` calls it under a file lock, off the
        event loop. The answer is written to disk before anyone uses it.
        """
        raise NotImplementedError(f"{self.title} cannot refresh tokens")

    # ------------------------------------------------------------------ publishing

    def publish_problems(self, request: PublishRequest) -> list[str]:
        """Why the network would refuse this post (too long, too many photos), in plain words.

        Checked when a draft is added and again before it is sent, so a specialist
        hears about a 1,100-character Telegram caption the day they write it.
        """
        return [] if PUBLISH_POST in self.capabilities else [self.missing(PUBLISH_POST)]

    async def publish_post(self, request: PublishRequest) -> Published:
        """Publish now; raise ApiError when refused, TransientError when the answer was lost.

        Never retry a write whose answer may have been applied: the core
        reconciles (it syncs the account and looks for the post) before any resend.
        """
        raise ApiError(self.missing(PUBLISH_POST))

    async def sees_own_posts(self, account: Account) -> bool:
        """Whether a sync of the account shows the posts the hub itself published.

        The core's check after an ambiguous failure relies on it: when False, a
        post that is not found may still exist, and a person must look.
        """
        return True

    async def reply_to_comment(self, request: ReplyRequest) -> ActionResult:
        """Answer the comment as the community; ``data`` carries ``comment_id`` and ``url``."""
        raise ApiError(self.missing(REPLY_COMMENT))

    def account_url(self, account: Account) -> str | None:
        return None
