"""Bringing the config's ``[[organizations]]`` and ``[[accounts]]`` into the registry.

Runs on every command that opens the registry, so the config is the one place a
municipality edits and the registry never lags behind it. It upserts: only the
keys an ``[[organizations]]`` table sets are the config's, and everything else
(a field set with ``hub orgs set``, attestations, history) is left alone. Every
difference becomes an event; a new responsible person, a new account and a
removed account each open a notice to the regional centre — but not a page that
existed before the hub listed it (hub.registry.existing).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from ..config import Config
from ..errors import ConfigError
from ..store import Store, utcnow
from .events import record_event
from .existing import DECLARED, INSTALLED, first_listing, record_existing, withdraw, withdrawable
from .model import create_org, get_org, set_responsible, update_org
from .notices import open_notice
from .settings import NoticeSettings, OrgDecl, parse_notices, parse_organizations

CONFIG_ACTOR = "config"


@dataclass
class SyncReport:
    """What one sync changed, for a command that wants to say so."""

    organizations_created: list[str] = field(default_factory=list)
    organizations_changed: list[str] = field(default_factory=list)
    responsible_changed: list[str] = field(default_factory=list)
    notices_opened: int = 0


def sync_registry(store: Store, config: Config, *, today: date | None = None) -> SyncReport:
    """Upsert the config's organizations and accounts into the registry, in one transaction.

    The config is checked whole before anything is written; a bad key stops with
    one ConfigError line.
    """
    decls = parse_organizations(config.raw)
    notices = parse_notices(config.raw)
    today = today or date.today()
    report = SyncReport()
    last = "SELECT COALESCE(MAX(id), 0) FROM notices"
    before = store.db.execute(last).fetchone()[0]
    with store.transaction():
        store.sync_accounts_from_config(config.accounts)
        for decl in _parents_first(decls):
            _sync_org(store, decl, notices, today, report)
        _sync_accounts(store, config, notices, today)
    # counted by id: a notice withdrawn in the same sync must not hide a new one
    report.notices_opened = store.db.execute(
        "SELECT COUNT(*) FROM notices WHERE id > ?", [before]
    ).fetchone()[0]
    return report


def _parents_first(decls: list[OrgDecl]) -> list[OrgDecl]:
    """Order declarations so that a parent declared in the same file is written first."""
    pending = list(decls)
    ordered: list[OrgDecl] = []
    while pending:
        names = {d.name for d in pending}
        ready = [d for d in pending if d.values.get("parent") not in names]
        if not ready:
            raise ConfigError(
                f"organization {pending[0].name!r}: the parents in [[organizations]] form a loop"
            )
        ordered += ready
        pending = [d for d in pending if d not in ready]
    return ordered


def _sync_org(
    store: Store, decl: OrgDecl, notices: NoticeSettings, today: date, report: SyncReport
) -> None:
    if get_org(store, decl.name) is None:
        create_org(store, decl.name, decl.values, actor=CONFIG_ACTOR)
        report.organizations_created.append(decl.name)
    elif update_org(store, decl.name, decl.values, actor=CONFIG_ACTOR):
        report.organizations_changed.append(decl.name)
    if decl.responsible is not None:
        outcome = set_responsible(
            store,
            decl.name,
            decl.responsible,
            actor=CONFIG_ACTOR,
            notices=notices,
            today=today,
        )
        if outcome == "changed":
            report.responsible_changed.append(decl.name)


def _sync_accounts(store: Store, config: Config, notices: NoticeSettings, today: date) -> None:
    """A declared account seen for the first time (or declared again) opens account_created;
    one gone from the config opens account_deleted, once.

    Not for a page that existed before the hub: one with ``existing_since``, or one
    listed by the install's first sync without ``created`` (existing.py). The
    day a ``created`` page appeared starts its notice's 10 days.
    """
    declared = {a.id: a for a in config.own_accounts}
    watching = {a.id for a in config.accounts if a.watch}
    installing = first_listing(store)
    removed_at = dict(store.db.execute("SELECT account_id, removed_at FROM account_flags"))
    accounts = store.db.execute(
        "SELECT id, network, external_id, organization, url FROM accounts ORDER BY id"
    ).fetchall()
    now = utcnow()
    for account_id, network, external_id, organization, url in accounts:
        listed = account_id in removed_at and removed_at[account_id] is None
        decl = declared.get(account_id)
        if account_id in watching and not listed:
            continue  # a watch page: never in the registry, never "removed" from it
        if listed and decl is not None and decl.existing_since is not None:
            _withdraw_if_existing(store, decl)
            continue
        if account_id in declared and not listed:
            store.db.execute(
                "INSERT INTO account_flags (account_id, listed_at, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(account_id) DO UPDATE SET removed_at = NULL, "
                "listed_at = excluded.listed_at, updated_at = excluded.updated_at",
                [account_id, now, now],
            )
            kind, action = "account_created", "listed"
        elif account_id not in declared and (listed or account_id not in removed_at):
            store.db.execute(
                "INSERT INTO account_flags (account_id, listed_at, removed_at, updated_at) "
                "VALUES (?, ?, ?, ?) ON CONFLICT(account_id) DO UPDATE SET "
                "removed_at = excluded.removed_at, updated_at = excluded.updated_at",
                [account_id, now, now, now],
            )
            kind, action = "account_deleted", "removed"
        else:
            continue
        details = {"network": network, "external_id": external_id, "url": url}
        occurred = today
        first_time = account_id not in removed_at
        if decl is not None and (
            decl.existing_since or (first_time and installing and decl.created is None)
        ):
            why = DECLARED if decl.existing_since else INSTALLED
            record_existing(store, account_id, details, decl.existing_since, why, CONFIG_ACTOR)
            continue
        if decl is not None and first_time and decl.created:
            occurred = decl.created
        record_event(
            store, actor=CONFIG_ACTOR, entity="account", key=account_id, action=action, new=details
        )
        open_notice(
            store,
            kind=kind,
            organization=organization or None,
            account_id=account_id,
            details=details,
            occurred=occurred,
            settings=notices,
            actor=CONFIG_ACTOR,
        )


def _withdraw_if_existing(store: Store, decl) -> None:
    """``existing_since`` added to a listed account: its "created" notice was not owed.

    Only a notice no report has carried yet; one on its way stays, and
    ``hub accounts adopt`` says what to do about it.
    """
    pending = withdrawable(store, decl.id)
    for notice in pending:
        withdraw(store, notice, reason=f"{DECLARED} ({decl.existing_since})", actor=CONFIG_ACTOR)
    if pending:
        record_existing(store, decl.id, {}, decl.existing_since, DECLARED, CONFIG_ACTOR)
