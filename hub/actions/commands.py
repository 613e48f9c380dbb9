"""The operator's door: one action as a person typed it, with networks opened for it alone.

Each function reads what was typed (``4711``, ``klochki-vk:9012``, ``id55501``)
once, through :mod:`hub.actions.refs`, opens a
:class:`~hub.networks.NetworkPool` for this one command and calls the typed
action API with it. The CLI commands are thin wrappers over these; a run of
many actions (moderation, the resumer, the daemon) calls the typed API with
the run's own pool instead.
"""

from __future__ import annotations

import pluggy

from ..config import Config
from ..networks import NetworkPool
from ..store import Store
from . import comments, users
from .outbox import ActionOutcome
from .refs import find_comment, parse_user


async def delete_comment(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    comment: str,
    requested_by: str = "cli",
    *,
    block_author: bool = False,
) -> ActionOutcome:
    """``hub comments delete COMMENT [--block-author]``."""
    stored = find_comment(store, config, comment)
    async with NetworkPool(pm, config) as networks:
        return await comments.delete_comment(
            store, networks, stored, requested_by=requested_by, block_author=block_author
        )


async def restore_comment(
    store: Store, pm: pluggy.PluginManager, config: Config, comment: str, requested_by: str = "cli"
) -> ActionOutcome:
    """``hub comments restore COMMENT``."""
    stored = find_comment(store, config, comment)
    async with NetworkPool(pm, config) as networks:
        return await comments.restore_comment(store, networks, stored, requested_by=requested_by)


async def ban_user(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    account_id: str,
    user: str,
    *,
    days: int | None,
    reason: str,
    category: str = "other",
    requested_by: str = "cli",
) -> ActionOutcome:
    """``hub users ban ACCOUNT USER``."""
    account = config.account(account_id)
    user_id = parse_user(user)
    async with NetworkPool(pm, config) as networks:
        return await users.ban_user(
            store,
            networks,
            account,
            user_id,
            days=days,
            reason=reason,
            category=category,
            requested_by=requested_by,
        )


async def restrict_user(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    account_id: str,
    user: str,
    *,
    days: int | None,
    reason: str,
    requested_by: str = "cli",
) -> ActionOutcome:
    """``hub users restrict ACCOUNT USER``."""
    account = config.account(account_id)
    user_id = parse_user(user)
    async with NetworkPool(pm, config) as networks:
        return await users.restrict_user(
            store, networks, account, user_id, days=days, reason=reason, requested_by=requested_by
        )


async def unban_user(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    account_id: str,
    user: str,
    requested_by: str = "cli",
) -> ActionOutcome:
    """``hub users unban ACCOUNT USER``."""
    account = config.account(account_id)
    user_id = parse_user(user)
    async with NetworkPool(pm, config) as networks:
        return await users.unban_user(store, networks, account, user_id, requested_by=requested_by)


async def reply(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    comment: str,
    template_name: str,
    requested_by: str = "cli",
    *,
    resend: bool = False,
) -> ActionOutcome:
    """``hub reply COMMENT --template NAME [--resend]``."""
    from ..plan import replies  # the content plan builds on the actions, not the reverse

    template = replies.approved_template(store, template_name)
    stored = find_comment(store, config, comment)
    async with NetworkPool(pm, config) as networks:
        return await replies.reply(
            store, networks, stored, template, requested_by=requested_by, resend=resend
        )
