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
from collections.abc import Callable, Sequence

import pluggy

from .. import plugins
from ..config import Config
from ..errors import ApiError, ConfigError, HubError, TransientError
from ..i18n import _
from ..log import get_logger
from ..models import Account
from ..network import EVENTS, Finding, Network
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
    on_skipped: Callable[[Account, str, int], None] = lambda _account, _version, _n: None,
) -> None:
    """Follow one account's events until the daemon stops; never lose the stored cursor.

    First the network is asked to push what the hub reads (``prepare_events``);
    should it refuse, that is said in one line and the follower ends: the periodic
    sync goes on as without events. After that nothing but a stop ends the
    follower: network trouble, a refused token, a locked database or a surprise is
    logged, counted (``on_failure``) and tried again after a pause. Events in
    another API version are counted (``on_skipped``) and warned of once per version.
    """
    poller = f"events:{account.id}"
    try:
        token = secret_from_env(account.events_token_env or "", "the community token for events")
    except ConfigError as exc:
        log.error("events not followed", account=account.id, error=str(exc))
        return
    network = build_network(network_class, config, lambda _account: token)
    failures = 0
    warned: set[str] = set()  # the versions already warned of
    try:
        if not await _prepare(network, account, token, stopping, on_failure):
            return
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
            _count_skipped(account, batch.skipped_versions, warned, on_skipped)
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


async def _prepare(
    network: Network,
    account: Account,
    token: str,
    stopping: asyncio.Event,
    on_failure: Callable[[Account], None],
) -> bool:
    """Switch the account's events on (one log line); False when refused or stopping."""
    failures = 0
    while not stopping.is_set():
        try:
            setup = await network.prepare_events(account, token)
        except asyncio.CancelledError:
            raise
        except TransientError as exc:  # try again: the settings decide whether events come
            failures += 1
            on_failure(account)
            log.warning(
                "events: settings not read yet, tried again",
                account=account.id,
                error=redact(str(exc)),
            )
            await asyncio.sleep(min(ERROR_PAUSE_SECONDS, backoff_seconds(failures) + 1))
            continue
        except ApiError as exc:
            on_failure(account)
            log.error(
                f"{network.title} events not switched on for {account.id}; "
                "the periodic sync goes on without them",
                account=account.id,
                error=redact(str(exc)),
                fix=f"give the key in ${account.events_token_env} the 'manage' right, "
                "or switch the events on in the community's settings",
            )
            return False
        if setup.text:
            log.info(setup.text, account=account.id, changed=setup.changed)
        return True
    return False


def _count_skipped(
    account: Account,
    skipped: dict[str, int],
    warned: set[str],
    on_skipped: Callable[[Account, str, int], None],
) -> None:
    """Count events of another API version; warn once per version, not per event."""
    for version, n in skipped.items():
        on_skipped(account, version, n)
        if version not in warned:
            warned.add(version)
            log.warning(
                "events in another API version are not read",
                account=account.id,
                version=version,
                events=n,
                fix="run 'hub accounts check --fix' or restart the daemon to set it again",
            )


async def set_up_events(
    pm: pluggy.PluginManager, config: Config, accounts: Sequence[Account]
) -> list[tuple[Account, Finding]]:
    """``hub accounts check --fix``: each account with ``events_token_env`` on a network
    that pushes events gets them switched on; one finding per such account."""
    available = plugins.networks(pm)
    out: list[tuple[Account, Finding]] = []
    for account in accounts:
        cls = available.get(account.network)
        if not (account.events_token_env and cls and EVENTS in cls.capabilities):
            continue
        try:
            token = secret_from_env(account.events_token_env, "the community token for events")
        except ConfigError as exc:
            out.append((account, Finding(False, str(exc))))
            continue
        network = build_network(cls, config, lambda _account, token=token: token)
        try:
            setup = await network.prepare_events(account, token)
            out.append((account, Finding(True, setup.text or _("events: nothing to switch on"))))
        except HubError as exc:
            why = _("events not switched on: {error}").format(error=redact(str(exc)))
            out.append((account, Finding(False, why)))
        finally:
            await network.aclose()
    return out
