"""Comments and users as the store and the networks know them, and as people type them.

The action API (:mod:`hub.actions.comments`, :mod:`hub.actions.users`) takes a
:class:`StoredComment` — the comment's row read once, with the
:class:`~hub.network.CommentRef` its network acts on — and a numeric user id.
Only the edge that reads what a person typed (the CLI) turns ``123`` or
``klochki-vk:9012`` into one (:func:`find_comment`) and ``id55501`` into a user
id (:func:`parse_user`); the moderation pipeline and the resumer build theirs
from the rows they already hold.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from ..config import Config
from ..errors import NotFoundError
from ..models import Account
from ..network import CommentRef
from ..store import Store

#: the ``comments`` columns a :class:`StoredComment` is made of, in :func:`stored_comment` order
COMMENT_COLUMNS = (
    "id",
    "account_id",
    "network_id",
    "post_network_id",
    "author_id",
    "published_at",
    "text",
    "deleted_at",
)
#: the largest id SQLite can hold; a bigger number is no hub id and no network's user
MAX_ID = 2**63 - 1


@dataclass(frozen=True)
class StoredComment:
    """A stored comment: its hub id, what its network needs to act on it, and its row."""

    hub_id: int
    ref: CommentRef
    #: how the comment was named (``4711``, ``klochki-vk:9012``), for messages
    label: str
    text: str | None = None
    deleted_at: str | None = None

    @property
    def account(self) -> Account:
        return self.ref.account

    @property
    def network_id(self):
        return self.ref.network_id

    @property
    def author_id(self) -> int | None:
        return self.ref.author_id


def comment_columns(alias: str = "") -> str:
    """The :data:`COMMENT_COLUMNS` for a SELECT, prefixed with the table's alias."""
    prefix = f"{alias}." if alias else ""
    return ", ".join(prefix + column for column in COMMENT_COLUMNS)


def stored_comment(config: Config, row: Sequence, label: str | None = None) -> StoredComment:
    """A :class:`StoredComment` from a row of :func:`comment_columns`."""
    local_id, account_id, network_id, post_network_id, author_id, published, text, deleted = row
    published_at = None
    if published:
        published_at = int(datetime.fromisoformat(published.replace("Z", "+00:00")).timestamp())
    ref = CommentRef(
        config.account(account_id), network_id, post_network_id, author_id, published_at
    )
    return StoredComment(local_id, ref, str(local_id) if label is None else label, text, deleted)


def find_comment(store: Store, config: Config, typed: str) -> StoredComment:
    """A stored comment by hub id (``123``) or by account and network id (``klochki-vk:9012``)."""
    ref = typed.strip()
    if ref.isdigit():  # an id beyond 64 bits is no hub id (and SQLite could not take it)
        row = None
        if int(ref) <= MAX_ID:
            row = store.db.execute(
                f"SELECT {comment_columns()} FROM comments WHERE id = ?", [int(ref)]
            ).fetchone()
    else:
        account_id, sep, comment_id = ref.partition(":")
        if not sep or not account_id or not comment_id:
            raise NotFoundError(
                f"cannot read comment {ref!r}; give its hub id (123) or ACCOUNT:COMMENT_ID "
                "(klochki-vk:9012), as 'hub comments list' shows"
            )
        config.account(account_id)
        row = _on_account(store, account_id, comment_id)
    if row is None:
        raise NotFoundError(f"comment {ref!r} is not in the database; run 'hub sync' first")
    return stored_comment(config, row, typed)


def comment_on(store: Store, config: Config, account_id: str, network_id: str) -> StoredComment:
    """The stored comment with this network id in the account (an action's ``target``)."""
    ref = f"{account_id}:{network_id}"
    config.account(account_id)
    row = _on_account(store, account_id, network_id)
    if row is None:
        raise NotFoundError(f"comment {ref!r} is not in the database; run 'hub sync' first")
    return stored_comment(config, row, ref)


def _on_account(store: Store, account_id: str, network_id: str) -> tuple | None:
    return store.db.execute(
        f"SELECT {comment_columns()} FROM comments WHERE account_id = ? AND network_id = ?",
        [account_id, network_id],
    ).fetchone()


def parse_user(user: str) -> int:
    """A user id as typed: ``55501``, ``id55501`` or a negative chat id."""
    match = re.fullmatch(r"(?:id)?(-?\d+)", user.strip())
    if not match:
        raise NotFoundError(f"cannot read user {user!r}; give the numeric user id, like 55501")
    if abs(int(match.group(1))) > MAX_ID:  # no network's id: SQLite could not store it
        raise NotFoundError(f"user id {user.strip()!r} is too large to be a user id")
    return int(match.group(1))
