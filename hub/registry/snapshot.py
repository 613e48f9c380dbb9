"""The public registry: one dict that every export (HTML, JSON, CSV) and the report are made of.

This is the one place that decides what leaves the hub. It reads organizations,
the current responsible person's name and position, the accounts' public flags
and what ``hub sync`` saw on each page — and never the attestations table, a
responsible person's phone or a token variable. :func:`check_public` then looks
for tokens and private numbers in the finished text, so a bug, or a page whose
description carries a token, stops the export instead of publishing it.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Callable
from typing import Any

from .. import secrets
from ..config import Config
from ..errors import HubError
from ..store import Store, utcnow
from .events import dicts
from .model import list_orgs
from .settings import parse_notices, phone_digits
from .sync import sync_registry

SCHEMA = "pablik-hub/registry@1"
#: keys of a page's synced contacts worth publishing (VK also gives a user id: a person)
PAGE_CONTACT_KEYS = ("desc", "phone", "email")


#: digits with the separators phone numbers are written with
PHONE_RUN = re.compile(r"\+?\d[\d\s()\-.]{3,}\d")


def registry_snapshot(store: Store, config: Config, *, sync: bool = True) -> dict[str, Any]:
    """The registry as published, shaped for exports and the Gospabliki report's ``registry``.

    ``{"schema", "generated_at", "region", "organizations": [{name, level, kind,
    parent, exempt, exempt_reason, declared, contacts: {address, email, phones,
    website, working_hours, geo}, responsible: {name, position, since} | None,
    accounts: [{id, network, external_id, url, title, description, members_count,
    has_avatar, has_cover, verified, gospabliki, page_contacts, synced_at}]}],
    "totals": {...}}``. With ``sync`` (the default) the config is synced into the
    registry first, so the snapshot is never behind the config.
    """
    if sync:
        sync_registry(store, config)
    private_phones = _private_phone_digits(store)
    accounts = _accounts(store, private_phones)
    organizations = []
    declared_names = set()
    for org in list_orgs(store):
        declared_names.add(org["name"])
        organizations.append(_organization(store, org, accounts.pop(org["name"], [])))
    for name in sorted(accounts):  # accounts naming an organization the registry lacks
        organizations.append(_undeclared_organization(name, accounts[name]))
    return {
        "schema": SCHEMA,
        "generated_at": utcnow(),
        "region": parse_notices(config.raw).region,
        "organizations": organizations,
        "totals": _totals(organizations),
    }


def _totals(organizations: list[dict[str, Any]]) -> dict[str, int]:
    all_accounts = [a for o in organizations for a in o["accounts"]]
    return {
        "organizations": len(organizations),
        "exempt": sum(o["exempt"] for o in organizations),
        "accounts": len(all_accounts),
        "gospabliki_connected": sum(a["gospabliki"] is True for a in all_accounts),
        "verified": sum(a["verified"] is True for a in all_accounts),
    }


def scoped_snapshot(snapshot: dict[str, Any], sees: Callable[[str | None], bool]) -> dict[str, Any]:
    """``snapshot`` with only the organizations ``sees`` admits, totals counted again (a copy).

    For an operator of the console limited to some organizations
    (:meth:`hub.operators.Operator.sees`): their export is their part of the registry.
    Accounts the config gives no organization sit under the name ``""``; ``sees`` gets
    None for them.
    """
    organizations = [o for o in snapshot["organizations"] if sees(o["name"] or None)]
    return {**snapshot, "organizations": organizations, "totals": _totals(organizations)}


def _organization(store: Store, org: dict[str, Any], accounts: list[dict]) -> dict[str, Any]:
    person = store.db.execute(
        "SELECT name, position, since FROM responsible_persons "
        "WHERE organization = ? AND until IS NULL",
        [org["name"]],
    ).fetchone()
    geo = {"lat": org["lat"], "lon": org["lon"]} if org["lat"] is not None else None
    return {
        "name": org["name"],
        "level": org["level"],
        "kind": org["kind"],
        "parent": org["parent"],
        "exempt": org["exempt"],
        "exempt_reason": org["exempt_reason"],
        "declared": True,
        "contacts": {
            "address": org["address"],
            "email": org["email"],
            "phones": org["phones"],
            "website": org["website"],
            "working_hours": org["working_hours"],
            "geo": geo,
        },
        "responsible": (
            {"name": person[0], "position": person[1], "since": person[2]} if person else None
        ),
        "accounts": accounts,
    }


def _undeclared_organization(name: str, accounts: list[dict]) -> dict[str, Any]:
    contacts = dict.fromkeys(("address", "email", "website", "working_hours", "geo"))
    return {
        "name": name,
        "level": None,
        "kind": None,
        "parent": None,
        "exempt": False,
        "exempt_reason": None,
        "declared": False,
        "contacts": {**contacts, "phones": []},
        "responsible": None,
        "accounts": accounts,
    }


def _accounts(store: Store, private_phones: set[str]) -> dict[str, list[dict[str, Any]]]:
    """Listed accounts by organization, with what the last sync saw on each page."""
    rows = dicts(
        store.db.execute(
            "SELECT a.id, a.network, a.external_id, a.organization, a.url, a.name AS title, "
            "a.description, a.contacts_json, a.members_count, a.has_avatar, a.has_cover, "
            "a.verified AS network_verified, a.meta_synced_at AS synced_at, f.gospabliki, "
            "f.verified_mark FROM accounts a JOIN account_flags f ON f.account_id = a.id "
            "WHERE f.removed_at IS NULL ORDER BY a.organization, a.network, a.id"
        )
    )
    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        synced = row["synced_at"] is not None
        # an operator's attestation wins: not every network's API shows the state mark
        if row["verified_mark"] is not None:
            verified: bool | None = bool(row["verified_mark"])
        else:
            verified = bool(row["network_verified"]) if synced else None
        out.setdefault(row["organization"] or "", []).append(
            {
                "id": row["id"],
                "network": row["network"],
                "external_id": row["external_id"],
                "url": row["url"],
                "title": row["title"],
                "description": row["description"],
                "members_count": row["members_count"],
                "has_avatar": bool(row["has_avatar"]) if synced else None,
                "has_cover": bool(row["has_cover"]) if synced else None,
                "verified": verified,
                "gospabliki": None if row["gospabliki"] is None else bool(row["gospabliki"]),
                "page_contacts": _page_contacts(row["contacts_json"], private_phones),
                "synced_at": row["synced_at"],
            }
        )
    return out


def _page_contacts(contacts_json: str | None, private_phones: set[str]) -> list[dict[str, str]]:
    """The page's own contact list, without user ids and without any private number."""
    out = []
    for contact in json.loads(contacts_json or "[]"):
        if not isinstance(contact, dict):
            continue
        kept = {k: str(contact[k]) for k in PAGE_CONTACT_KEYS if contact.get(k)}
        if "phone" in kept and phone_digits(kept["phone"])[-10:] in private_phones:
            del kept["phone"]
        if kept:
            out.append(kept)
    return out


def _private_phone_digits(store: Store) -> set[str]:
    """The last ten digits of every private number the registry holds.

    A number that is also an organization's official phone is public by the
    municipality's own choice and is not counted.
    """
    private = {
        phone_digits(r[0])[-10:]
        for r in store.db.execute(
            "SELECT phone FROM responsible_persons WHERE phone IS NOT NULL "
            "UNION SELECT service_phone_number FROM account_attestations "
            "WHERE service_phone_number IS NOT NULL"
        )
    }
    official = {
        phone_digits(p)[-10:]
        for (phones,) in store.db.execute("SELECT phones_json FROM organizations")
        for p in json.loads(phones or "[]")
    }
    return {d for d in private - official if len(d) >= 5}


def check_public(text: str, store: Store, config: Config) -> None:
    """Stop an export that would carry a token or a private phone number.

    Tokens are the config's accounts' (read from their variables only to be
    looked for) and any the process already knows; phones are looked for by their
    digits, so "+7 913 000-11-22" is found however the text writes it.
    """
    for account in config.accounts:
        secrets.remember(os.environ.get(account.token_env, "").strip())
    if secrets.redact(text) != text:
        raise HubError(
            "the export would publish a token; nothing was written. Find it in the synced "
            "page texts (a description?) and revoke it"
        )
    # Each phone-like run of the text on its own: joining every digit of the export would
    # make any number appear somewhere (a date, a member count).
    runs = {phone_digits(run) for run in PHONE_RUN.findall(text)}
    for private in _private_phone_digits(store):
        if any(private in run for run in runs):
            raise HubError(
                "the export would publish a private phone number (a responsible person's or a "
                "service phone); nothing was written. Remove it from the page or the registry"
            )
