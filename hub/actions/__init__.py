"""Operator actions (delete a comment, ban a user), recorded before and after they are sent.

The action API is typed: a comment is a :class:`StoredComment` (its row read
once from the store), a user a numeric id, and the networks are the run's
:class:`~hub.networks.NetworkPool`, so a run of many actions opens each network
once::

    async with NetworkPool(pm, config) as networks:
        await delete_comment(store, networks, comment, requested_by="engine")

- :mod:`.outbox`: the ``actions`` rows (pending before, done/failed/unknown after),
  in-flight claims, :class:`ActionOutcome`;
- :mod:`.comments` and :mod:`.users`: delete and restore; ban, mute and unban;
- :mod:`.unfinished`: each run takes up what a crash or a lost answer left, and
  lists what is stuck;
- :mod:`.refs`: comments and users as typed (``4711``, ``klochki-vk:9012``);
  :mod:`.commands`: one action as the CLI gets it, with networks opened for it.
"""

from .comments import delete_comment, delete_key, restore_comment
from .outbox import (
    MAX_ATTEMPTS,
    ActionOutcome,
    begin_action,
    finished_outcome,
    in_flight,
    perform_action,
    record_success,
)
from .refs import (
    StoredComment,
    comment_columns,
    comment_on,
    find_comment,
    parse_user,
    stored_comment,
)
from .users import BAN_CATEGORIES, MAX_BAN_DAYS, ban_user, restrict_user, unban_user

__all__ = [
    "BAN_CATEGORIES",
    "MAX_ATTEMPTS",
    "MAX_BAN_DAYS",
    "ActionOutcome",
    "StoredComment",
    "ban_user",
    "begin_action",
    "comment_columns",
    "comment_on",
    "delete_comment",
    "delete_key",
    "find_comment",
    "finished_outcome",
    "in_flight",
    "parse_user",
    "perform_action",
    "record_success",
    "restore_comment",
    "restrict_user",
    "stored_comment",
    "unban_user",
]
