"""The network-neutral shapes every plugin maps its API answers into.

Plugins return these; the store writes them. Ids are the network's own 64-bit
integers; times are Unix seconds (UTC) as the networks give them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: A network's id of a comment: an integer where the network's ids are numbers (VK,
#: Telegram), the network's own opaque text where they are not (OK).
CommentId = int | str


@dataclass(frozen=True)
class Account:
    """An official account as declared in the config file."""

    id: str
    network: str
    external_id: str
    organization: str
    token_env: str
    #: the variable holding a community token for pushed events (VK Bots Long Poll), if any
    events_token_env: str | None = None
    #: the page existed before the hub listed it (``existing_since``): no "created" notice;
    #: or, for a page new to the world (``created``), the day it was created. At most one.
    existing_since: date | None = None
    created: date | None = None
    #: a page the municipality watches but does not run (the governor's, the region's):
    #: synced read-only, never moderated, not in its registry; its comments are appeals
    #: only when they name one of ``[appeals] places``
    watch: bool = False


@dataclass
class AccountMeta:
    """What the network says about the account's page (for the registry and checks)."""

    name: str
    screen_name: str | None = None
    description: str | None = None
    site: str | None = None
    contacts: list[dict[str, Any]] = field(default_factory=list)
    addresses: dict[str, Any] | None = None
    members_count: int | None = None
    has_avatar: bool = False
    has_cover: bool = False
    verified: bool = False
    is_closed: bool = False
    deactivated: str | None = None
    url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Author:
    """A person or a community that wrote a post or a comment."""

    network_id: int
    kind: str  # "user" or "community"
    name: str
    screen_name: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Post:
    network_id: int
    published_at: int
    text: str = ""
    author_id: int | None = None
    edited_at: int | None = None
    is_pinned: bool = False
    kind: str = "post"
    comments_count: int = 0
    likes_count: int | None = None
    reposts_count: int | None = None
    views_count: int | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    url: str | None = None
    raw: dict[str, Any] = field(default_factory=dict)


@dataclass
class Comment:
    network_id: CommentId
    post_network_id: int
    published_at: int
    text: str = ""
    author_id: int | None = None
    parent_network_id: CommentId | None = None
    thread_root_network_id: CommentId | None = None
    likes_count: int | None = None
    attachments: list[dict[str, Any]] = field(default_factory=list)
    #: the network shows a placeholder for a removed comment that still has replies
    deleted: bool = False
    raw: dict[str, Any] = field(default_factory=dict)
