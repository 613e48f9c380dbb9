"""Pushed events (VK Bots Long Poll) for accounts that name ``events_token_env``.

A task per such account waits for the network's next changes, stores them with
the new cursor in one transaction, and then wakes the daemon: new or edited
comments are moderated at once, and a gap (the network says events were missed)
brings the account's REST reconcile forward. The periodic REST sync stays behind
it either way, so an event lost on the way is caught within an interval.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Callable

from ..config import Config
from ..errors import ApiError, ConfigError, TransientError
from ..log import get_logger
from ..models import Account
from ..network import Network
from ..networks import build_network
from ..retry import backoff_seconds
from ..secrets import redact, secret_from_env
from ..store import Store
from .stream_store import poll_state, save_poll_state

log = get_logger("hub.sync.events")
ERROR_PAUSE_SECONDS = 60


def store_events(store: Store, account: Account, batch, poller: str, network: str) -> int:
    """Write a batch and its cursor together; return how many comments arrived or changed."""
    with store.transaction(immediate=True):
        store.upsert_posts(account, batch.posts)
        by_post: dict[int, list] = defaultdict(list)
        for comment in batch.comments:
            by_post[comment.post_network_id].append(comment)
        changed = 0
        for post_network_id, comments in by_post.items():
            post_id = store.post_local_id(account, post_network_id)
            new, updated, _ = store.upsert_comments(account, post_id, post_network_id, comments)
            changed += new + updated
        store.mark_comments_deleted(account.id, batch.deleted_comments)
        save_poll_state(store, poller, network, batch.cursor, len(batch.comments))
    return changed


async def follow_events(
    store: Store,
    config: Config,
    account: Account,
    network_class: type[Network],
    stopping: asyncio.Event,
    on_change: Callable[[Account, bool, bool], None],
    on_failure: Callable[[Account], None] = lambda _account: None,
) -> None:
    """Follow one account's events until the daemon stops; never lose the stored cursor.

    Nothing but a stop ends the follower: network trouble, a refused token, a
    locked database or a surprise is logged, counted (``on_failure``) and tried
    again after a pause.
    """
    poller = f"events:{account.id}"
    try:
        token = secret_from_env(account.events_token_env or "", "the community token for events")
    except ConfigError as exc:
        log.error("events not followed", account=account.id, error=str(exc))
        return
    network = build_network(network_class, config, lambda _account: token)
    failures = 0
    try:
        while not stopping.is_set():
            try:
                cursor = poll_state(store, poller).get("next_offset")
                batch = await network.next_events(
                    account, token, None if cursor is None else str(cursor)
                )
                changed = store_events(store, account, batch, poller, network.name)
            except asyncio.CancelledError:
                raise
            except TransientError as exc:
                failures += 1
                on_failure(account)
                log.warning(
                    "events: network trouble, position kept",
                    account=account.id,
                    error=redact(str(exc)),
                )
                await asyncio.sleep(min(ERROR_PAUSE_SECONDS, backoff_seconds(failures) + 1))
                continue
            except ApiError as exc:
                on_failure(account)
                log.error(
                    "events stopped for a while",
                    account=account.id,
                    error=redact(str(exc)),
                    fix=f"check ${account.events_token_env}",
                )
                await asyncio.sleep(ERROR_PAUSE_SECONDS)
                continue
            except Exception as exc:  # a locked database, a bug: the cursor did not move
                on_failure(account)
                log.error(
                    "events: unexpected failure, tried again later",
                    account=account.id,
                    error_type=type(exc).__name__,
                    error=redact(str(exc)),
                )
                await asyncio.sleep(ERROR_PAUSE_SECONDS)
                continue
            failures = 0
            if changed or batch.gap or batch.deleted_comments:
                log.info(
                    "events",
                    account=account.id,
                    comments=changed,
                    deleted=len(batch.deleted_comments),
                    gap=batch.gap,
                )
            on_change(account, bool(changed), batch.gap)
    finally:
        await network.aclose()
