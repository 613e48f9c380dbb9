"""The registry's writes: organizations, responsible persons, account flags and attestations.

Every function here changes rows and appends the event that says so, inside the
caller's transaction, so a change and its record commit together. The config
sync (hub.registry.sync) and the CLI both come through here: a rule (a parent
must exist, a new responsible person closes the previous one's period) holds
wherever the change comes from.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from ..errors import ConfigError, HubError, NotFoundError
from ..secrets import MASK
from ..store import Store, utcnow
from .events import dicts, record_event
from .notices import open_notice
from .settings import ORG_FIELDS, NoticeSettings, ResponsibleDecl, check_org_values

#: attestation columns: stored for the municipality's own accounting, never exported
ATTESTATION_FIELDS = ("two_factor", "logins_keeper", "service_phone", "service_phone_number")
#: public per-account flags, exported
FLAG_FIELDS = ("gospabliki", "verified_mark")
#: values kept out of the event log (private: that they changed is enough)
MASKED_IN_EVENTS = {"phone", "service_phone_number", "logins_keeper"}


def _masked(values: dict[str, Any]) -> dict[str, Any]:
    return {k: (MASK if k in MASKED_IN_EVENTS and v else v) for k, v in values.items()}


# -- organizations -----------------------------------------------------------
def _org_from_row(row: dict[str, Any]) -> dict[str, Any]:
    row = dict(row)
    row["phones"] = json.loads(row.pop("phones_json") or "[]")
    row["exempt"] = bool(row["exempt"])
    return row


def get_org(store: Store, name: str) -> dict[str, Any] | None:
    rows = dicts(store.db.execute("SELECT * FROM organizations WHERE name = ?", [name]))
    return _org_from_row(rows[0]) if rows else None


def require_org(store: Store, name: str) -> dict[str, Any]:
    org = get_org(store, name)
    if org is None:
        known = ", ".join(o["name"] for o in list_orgs(store)) or "none yet"
        raise NotFoundError(f"no organization {name!r} in the registry; known: {known}")
    return org


def list_orgs(store: Store) -> list[dict[str, Any]]:
    """Organizations, the administration first, then departments, then subordinate ones."""
    rows = dicts(
        store.db.execute(
            "SELECT * FROM organizations ORDER BY CASE level WHEN 'administration' THEN 0 "
            "WHEN 'department' THEN 1 ELSE 2 END, name"
        )
    )
    return [_org_from_row(r) for r in rows]


def _check_parent(store: Store, name: str, parent: str | None) -> None:
    """The parent exists and is not the organization itself or one of its descendants."""
    seen = {name}
    current = parent
    while current is not None:
        if current in seen:
            raise ConfigError(
                f"organization {name!r}: parent {parent!r} would make a loop of parents"
            )
        row = store.db.execute(
            "SELECT parent FROM organizations WHERE name = ?", [current]
        ).fetchone()
        if row is None:
            raise ConfigError(
                f"organization {name!r}: parent {current!r} is not in the registry; "
                "declare it in [[organizations]] or add it with 'hub orgs add'"
            )
        seen.add(current)
        current = row[0]


def _column_values(values: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in values.items() if k != "phones"}
    if "phones" in values:
        out["phones_json"] = json.dumps(values["phones"] or [], ensure_ascii=False)
    if "exempt" in out:
        out["exempt"] = int(bool(out["exempt"]))
    return out


def create_org(store: Store, name: str, values: dict[str, Any], *, actor: str) -> dict[str, Any]:
    """Add an organization (its fields already checked by settings.check_field)."""
    if get_org(store, name) is not None:
        raise ConfigError(f"organization {name!r} is already in the registry; change it with set")
    if "level" not in values:
        raise ConfigError(f"organization {name!r} needs a level")
    check_org_values({"name": name, **values})
    _check_parent(store, name, values.get("parent"))
    now = utcnow()
    columns = {"name": name, **_column_values(values), "created_at": now, "updated_at": now}
    store.db.execute(
        f"INSERT INTO organizations ({', '.join(columns)}) "
        f"VALUES ({', '.join('?' for _ in columns)})",
        list(columns.values()),
    )
    record_event(store, actor=actor, entity="organization", key=name, action="created", new=values)
    return require_org(store, name)


def update_org(store: Store, name: str, values: dict[str, Any], *, actor: str) -> dict[str, Any]:
    """Change the given fields; return {field: (old, new)} of those that really changed."""
    current = require_org(store, name)
    changes = {k: (current[k], v) for k, v in values.items() if current.get(k) != v}
    if not changes:
        return {}
    merged = {**current, **values}
    check_org_values(merged)
    if "parent" in changes:
        _check_parent(store, name, values["parent"])
    columns = _column_values({k: new for k, (_old, new) in changes.items()})
    columns["updated_at"] = utcnow()
    store.db.execute(
        f"UPDATE organizations SET {', '.join(f'{c} = ?' for c in columns)} WHERE name = ?",
        [*columns.values(), name],
    )
    record_event(
        store,
        actor=actor,
        entity="organization",
        key=name,
        action="changed",
        old={k: old for k, (old, _new) in changes.items()},
        new={k: new for k, (_old, new) in changes.items()},
    )
    return changes


# -- responsible persons -----------------------------------------------------
def current_responsible(store: Store, organization: str) -> dict[str, Any] | None:
    rows = dicts(
        store.db.execute(
            "SELECT * FROM responsible_persons WHERE organization = ? AND until IS NULL",
            [organization],
        )
    )
    return rows[0] if rows else None


def responsible_history(store: Store, organization: str) -> list[dict[str, Any]]:
    """Every period, oldest first; ``has_phone`` instead of the private phone number."""
    require_org(store, organization)
    rows = dicts(
        store.db.execute(
            "SELECT name, position, since, until, phone IS NOT NULL AS has_phone "
            "FROM responsible_persons WHERE organization = ? ORDER BY since, id",
            [organization],
        )
    )
    for row in rows:
        row["has_phone"] = bool(row["has_phone"])
    return rows


def set_responsible(
    store: Store,
    organization: str,
    person: ResponsibleDecl,
    *,
    actor: str,
    notices: NoticeSettings,
    today: date | None = None,
) -> str:
    """Make ``person`` the organization's responsible person.

    Returns what happened: ``unchanged``; ``updated`` (the same person's position,
    phone or start date); ``appointed`` (the first one: nothing to report);
    ``changed`` (another person: the previous period ends the day the new one
    starts, and a ``responsible_changed`` notice opens, due from that day).
    """
    require_org(store, organization)
    current = current_responsible(store, organization)
    if current is not None and current["name"] == person.name:
        return _update_current(store, organization, current, person, actor)
    since = person.since or today or date.today()
    if current is not None and since.isoformat() < current["since"]:
        raise ConfigError(
            f"organization {organization!r}: the new responsible person's since ({since}) is "
            f"before the current one's ({current['since']}); give the day they took over"
        )
    if current is not None:
        store.db.execute(
            "UPDATE responsible_persons SET until = ? WHERE id = ?",
            [since.isoformat(), current["id"]],
        )
    store.db.execute(
        "INSERT INTO responsible_persons (organization, name, position, phone, since, created_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        [organization, person.name, person.position, person.phone, since.isoformat(), utcnow()],
    )
    old = None
    if current is not None:
        old = {k: current[k] for k in ("name", "position", "since")} | {"until": str(since)}
    record_event(
        store,
        actor=actor,
        entity="responsible",
        key=organization,
        action="appointed" if current is None else "replaced",
        old=old,
        new={"name": person.name, "position": person.position, "since": str(since)},
    )
    if current is None:
        return "appointed"
    open_notice(
        store,
        kind="responsible_changed",
        organization=organization,
        details={
            "from": {"name": current["name"], "position": current["position"]},
            "to": {"name": person.name, "position": person.position},
        },
        occurred=since,
        settings=notices,
        actor=actor,
    )
    return "changed"


def _update_current(
    store: Store, organization: str, current: dict[str, Any], person: ResponsibleDecl, actor: str
) -> str:
    """The same person again: record a new position, phone or start date, without a notice."""
    updates = {"position": person.position}
    if person.phone is not None:
        updates["phone"] = person.phone
    if person.since is not None:
        updates["since"] = person.since.isoformat()
    changed = {k: v for k, v in updates.items() if current[k] != v}
    if not changed:
        return "unchanged"
    store.db.execute(
        f"UPDATE responsible_persons SET {', '.join(f'{k} = ?' for k in changed)} WHERE id = ?",
        [*changed.values(), current["id"]],
    )
    if "since" in changed:  # the previous period ended the day this one began
        store.db.execute(
            "UPDATE responsible_persons SET until = ? WHERE organization = ? AND until = ?",
            [changed["since"], organization, current["since"]],
        )
    record_event(
        store,
        actor=actor,
        entity="responsible",
        key=organization,
        action="changed",
        old=_masked({k: current[k] for k in changed}),
        new=_masked(changed),
    )
    return "updated"


# -- accounts: public flags and private attestations -------------------------
def require_listed_account(store: Store, account_id: str) -> dict[str, Any]:
    rows = dicts(
        store.db.execute(
            "SELECT a.id, a.network, a.organization FROM accounts a "
            "JOIN account_flags f ON f.account_id = a.id "
            "WHERE a.id = ? AND f.removed_at IS NULL",
            [account_id],
        )
    )
    if not rows:
        listed = [
            r[0]
            for r in store.db.execute(
                "SELECT account_id FROM account_flags WHERE removed_at IS NULL ORDER BY account_id"
            )
        ]
        raise NotFoundError(
            f"no account {account_id!r} in the registry; declared accounts: "
            f"{', '.join(listed) or 'none'}"
        )
    return rows[0]


def attest(store: Store, account_id: str, changes: dict[str, Any], *, actor: str) -> list[str]:
    """Record attestations and flags of an account; return the names of fields that changed.

    ``changes`` holds any of :data:`ATTESTATION_FIELDS` and :data:`FLAG_FIELDS`;
    None means "not given" and leaves the field alone.
    """
    require_listed_account(store, account_id)
    unknown = set(changes) - set(ATTESTATION_FIELDS) - set(FLAG_FIELDS)
    if unknown:
        raise HubError(f"cannot attest {sorted(unknown)[0]!r}")
    given = {k: v for k, v in changes.items() if v is not None}
    flags = {k: bool(v) for k, v in given.items() if k in FLAG_FIELDS}
    attestation = {
        k: (int(v) if isinstance(v, bool) else v)
        for k, v in given.items()
        if k in ATTESTATION_FIELDS
    }
    changed: list[str] = []
    if flags:
        changed += _update_flags(store, account_id, flags, actor)
    if attestation:
        changed += _update_attestation(store, account_id, attestation, actor)
    return changed


def _update_flags(store: Store, account_id: str, flags: dict[str, bool], actor: str) -> list[str]:
    row = dicts(
        store.db.execute(
            "SELECT gospabliki, verified_mark FROM account_flags WHERE account_id = ?",
            [account_id],
        )
    )[0]
    old = {k: None if row[k] is None else bool(row[k]) for k in flags}
    diff = {k: v for k, v in flags.items() if old[k] != v}
    if diff:
        store.db.execute(
            f"UPDATE account_flags SET {', '.join(f'{k} = ?' for k in diff)}, updated_at = ? "
            "WHERE account_id = ?",
            [*(int(v) for v in diff.values()), utcnow(), account_id],
        )
        record_event(
            store,
            actor=actor,
            entity="account_flags",
            key=account_id,
            action="changed",
            old={k: old[k] for k in diff},
            new=diff,
        )
    return list(diff)


def _update_attestation(
    store: Store, account_id: str, values: dict[str, Any], actor: str
) -> list[str]:
    rows = dicts(
        store.db.execute("SELECT * FROM account_attestations WHERE account_id = ?", [account_id])
    )
    old = rows[0] if rows else dict.fromkeys(ATTESTATION_FIELDS)
    diff = {k: v for k, v in values.items() if old[k] != v}
    if not diff:
        return []
    merged = {k: old[k] for k in ATTESTATION_FIELDS} | diff
    store.db.execute(
        "INSERT INTO account_attestations (account_id, two_factor, logins_keeper, service_phone, "
        "service_phone_number, attested_by, attested_at) VALUES (?, ?, ?, ?, ?, ?, ?) "
        "ON CONFLICT(account_id) DO UPDATE SET two_factor = excluded.two_factor, "
        "logins_keeper = excluded.logins_keeper, service_phone = excluded.service_phone, "
        "service_phone_number = excluded.service_phone_number, "
        "attested_by = excluded.attested_by, attested_at = excluded.attested_at",
        [account_id, *(merged[k] for k in ATTESTATION_FIELDS), actor, utcnow()],
    )
    record_event(
        store,
        actor=actor,
        entity="attestation",
        key=account_id,
        action="changed" if rows else "attested",
        old=_masked({k: old[k] for k in diff}) if rows else None,
        new=_masked(diff),
    )
    return list(diff)


def attestation_summary(store: Store, account_id: str) -> dict[str, Any]:
    """What is attested for an account, saying whether a keeper and a number are on record
    but never what they are (the CLI shows this; the values stay in the database)."""
    require_listed_account(store, account_id)
    row = dicts(
        store.db.execute(
            "SELECT f.gospabliki, f.verified_mark, t.two_factor, t.service_phone, "
            "t.logins_keeper IS NOT NULL AS logins_keeper_recorded, "
            "t.service_phone_number IS NOT NULL AS service_phone_number_recorded, "
            "t.attested_by, t.attested_at FROM account_flags f "
            "LEFT JOIN account_attestations t ON t.account_id = f.account_id "
            "WHERE f.account_id = ?",
            [account_id],
        )
    )[0]
    out: dict[str, Any] = {"account": account_id}
    for key, value in row.items():
        is_flag = key not in ("attested_by", "attested_at")
        out[key] = bool(value) if is_flag and value is not None else value
    return out


__all__ = [
    "ATTESTATION_FIELDS",
    "FLAG_FIELDS",
    "ORG_FIELDS",
    "attest",
    "attestation_summary",
    "create_org",
    "current_responsible",
    "get_org",
    "list_orgs",
    "require_org",
    "responsible_history",
    "set_responsible",
    "update_org",
]
