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
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, TypeVar

from .errors import ApiError
from .models import Account, AccountMeta, Author, Comment, CommentId, Post

T = TypeVar("T")
Outcome = T | ApiError

#: capability names a network declares in :attr:`Network.capabilities`
DELETE_COMMENT = "delete_comment"
BAN_USER = "ban_user"
#: restrict a comment's author as part of deleting the comment
BLOCK_AUTHOR = "block_author"


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


@dataclass
class ActionResult:
    """What a moderation call achieved. ``already`` = the network was already in that state."""

    done: bool
    already: bool = False
    detail: str = ""
    data: dict[str, Any] = field(default_factory=dict)


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
    capabilities: ClassVar[frozenset[str]] = frozenset()
    #: what to tell an operator who asks for a capability the network lacks
    capability_notes: ClassVar[dict[str, str]] = {}
    #: settings keys and their defaults, for config validation and ``hub plugins``
    default_settings: ClassVar[dict[str, Any]] = {}

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

    @abc.abstractmethod
    async def fetch_post_pages(
        self, requests: Sequence[PostPageRequest]
    ) -> list[Outcome[PostPage]]:
        """One page of posts per request, newest first (a pinned post may come first)."""

    @abc.abstractmethod
    async def fetch_comments(
        self, requests: Sequence[CommentsRequest]
    ) -> list[Outcome[CommentsResult]]:
        """Every visible comment of each post, replies included."""

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

    def post_url(self, account: Account, post_network_id: int) -> str | None:
        return None

    def account_url(self, account: Account) -> str | None:
        return None
