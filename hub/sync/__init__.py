"""Sync: reading each network into the store, network-neutral.

The package's parts, side by side:

- :mod:`~hub.sync.run` — a run: the accounts chosen, each network's syncer at once;
- :mod:`~hub.sync.walk` and :mod:`~hub.sync.comments` — networks read by their wall
  (VK, OK): the walk of posts, then the comments that need reading;
- :mod:`~hub.sync.reconcile` — the walk's periodic re-read of unmoved posts;
- :mod:`~hub.sync.stream` and :mod:`~hub.sync.stream_store` — networks read as an
  update stream (Telegram);
- :mod:`~hub.sync.events` — events a network pushes (VK Long Poll), for the daemon.

All three store posts and comments, and mark comments deleted, through the same
:class:`hub.store.Store` methods (``upsert_posts``, ``upsert_comments``,
``mark_comments_deleted``). Opening the networks is :mod:`hub.networks`'; its
names are re-exported here for the callers that import them from ``hub.sync``.
"""

from ..networks import (
    NetworkPool,
    check_account,
    check_accounts,
    check_all,
    check_networks,
    describe_error,
    open_networks,
    without_tokens,
)
from .run import interrupted_line, not_synced_line, run_sync, select_accounts
from .runs import AccountRun, Progress
from .walk import Syncer

__all__ = [
    "AccountRun",
    "NetworkPool",
    "Progress",
    "Syncer",
    "check_account",
    "check_accounts",
    "check_all",
    "check_networks",
    "describe_error",
    "interrupted_line",
    "not_synced_line",
    "open_networks",
    "run_sync",
    "select_accounts",
    "without_tokens",
]
