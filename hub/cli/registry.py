"""``hub orgs``, ``responsible``, ``accounts attest|adopt``, ``registry``, ``notices``.

Thin commands over hub.registry. Each one opens the registry through
:func:`_open`, which syncs the config into it first, so what a command shows or
changes is never behind the config. The config owns the keys it sets: changing
such a key here is refused with a line saying to edit the config, otherwise the
next command would quietly undo the change.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import click

from .. import plugins
from ..config import Config
from ..errors import ConfigError
from ..i18n import DAY_FORMS, _, ngettext, parse_day
from ..registry import export_registry, list_notices, mark_notices_sent, sync_registry
from ..registry.events import list_events
from ..registry.existing import adopt_account
from ..registry.model import (
    attest,
    attestation_summary,
    create_org,
    current_responsible,
    list_orgs,
    require_org,
    responsible_history,
    set_responsible,
    update_org,
)
from ..registry.notices import describe
from ..registry.settings import (
    LEVELS,
    ResponsibleDecl,
    check_field,
    parse_date,
    parse_notices,
    parse_organizations,
    parse_past_date,
)
from ..safe_text import terminal_text
from ..store import Store
from .common import Context, echo_json, operator_name, pass_ctx


def _open(obj: Context) -> tuple[Config, Store]:
    config = obj.config()
    store = obj.store(config)
    if not store.readonly:  # read-only (hub.cli.common): the registry as the hub last synced it
        sync_registry(store, config)
    return config, store


def _day(value: str, label: str) -> date:
    """A day as people write it here (07.12.2026) or ISO (2026-12-07)."""
    try:
        return parse_day(value)
    except ValueError:
        raise ConfigError(
            _("{label} must be a day like {forms}, not {value!r}").format(
                label=label, forms=DAY_FORMS, value=value
            )
        ) from None


def _network_titles(obj: Context) -> dict[str, str]:
    """Names to show for networks ("VK"), from the plugins.

    A broken third-party plugin must not stop a municipality publishing its
    registry, so any failure to load falls back to the networks' ids ("vk").
    """
    try:
        return {name: cls.title for name, cls in plugins.networks(obj.pm).items()}
    except Exception:  # noqa: BLE001 - see above
        return {}


def _config_owned(config: Config, name: str) -> tuple[set[str], bool]:
    """Keys of organization ``name`` set in the config, and whether it names its responsible."""
    for decl in parse_organizations(config.raw):
        if decl.name == name:
            return set(decl.values), decl.responsible is not None
    return set(), False


def _org_options(fn):
    options = [
        click.option("--kind", help="What it is: школа, дом культуры, …"),
        click.option("--parent", help="The organization it belongs to."),
        click.option("--exempt/--no-exempt", default=None, help="Exempt from having pages."),
        click.option("--exempt-reason", help="Why it is exempt (the agreement)."),
        click.option("--address", help="Postal address."),
        click.option("--email", help="Official e-mail."),
        click.option("--phone", "phones", multiple=True, help="Reference phone (repeat for more)."),
        click.option("--website", help="Official website, https://…"),
        click.option("--lat", type=float, help="Latitude, degrees."),
        click.option("--lon", type=float, help="Longitude, degrees."),
        click.option("--working-hours", help="Working hours, e.g. «пн–пт 8:00–17:00»."),
        click.option("--by", help="Who makes the change (default: your user name)."),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _org_values(name: str, given: dict[str, Any]) -> dict[str, Any]:
    label = f"organization {name!r}"
    values = {k: v for k, v in given.items() if v is not None and k != "phones"}
    if given.get("phones"):
        values["phones"] = list(given["phones"])
    return {k: check_field(k, v, label) for k, v in values.items()}


def _org_line(org: dict[str, Any]) -> str:
    person = org["responsible"]
    who = f"{person['name']} ({person['position']})" if person else _("no responsible person")
    kind = f", {org['kind']}" if org["kind"] else ""
    exempt = _("; exempt: {reason}").format(reason=org["exempt_reason"]) if org["exempt"] else ""
    return _("{name} [{level}{kind}] — {who}; accounts: {accounts}{exempt}").format(
        name=org["name"],
        level=org["level"],
        kind=kind,
        who=who,
        accounts=org["accounts"],
        exempt=exempt,
    )


@click.group()
def orgs():
    """Organizations of the registry: the administration, its bodies, subordinate ones."""


@orgs.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def orgs_list(obj, as_json):
    """List organizations with their contacts and current responsible person."""
    _config, store = _open(obj)
    rows = []
    for org in list_orgs(store):
        person = current_responsible(store, org["name"])
        org["responsible"] = (
            {k: person[k] for k in ("name", "position", "since")} if person else None
        )
        org["accounts"] = store.db.execute(
            "SELECT COUNT(*) FROM accounts a JOIN account_flags f ON f.account_id = a.id "
            "WHERE a.organization = ? AND f.removed_at IS NULL",
            [org["name"]],
        ).fetchone()[0]
        rows.append({k: v for k, v in org.items() if k != "id"})
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(_("no organizations yet: declare [[organizations]] or use 'hub orgs add'"))
    for org in rows:
        click.echo(terminal_text(_org_line(org)))


@orgs.command(name="add")
@click.argument("name")
@click.option("--level", required=True, type=click.Choice(LEVELS), help="Its level.")
@_org_options
@pass_ctx
def orgs_add(obj, name, level, by, **given):
    """Add organization NAME to the registry."""
    _config, store = _open(obj)
    values = _org_values(name, {"level": level, **given})
    with store.transaction():
        create_org(store, name.strip(), values, actor=operator_name(by))
    click.echo(_("added {name}").format(name=name))


@orgs.command(name="set")
@click.argument("name")
@click.option("--level", type=click.Choice(LEVELS), help="Its level.")
@_org_options
@pass_ctx
def orgs_set(obj, name, level, by, **given):
    """Change fields of organization NAME (an empty value clears a text field)."""
    config, store = _open(obj)
    values = _org_values(name, {"level": level, **given})
    if not values:
        raise ConfigError(_("nothing to change; give at least one option, see --help"))
    owned = sorted(set(values) & _config_owned(config, name)[0])
    if owned:
        raise ConfigError(
            f"organization {name!r}: {owned[0]} is set in the config ([[organizations]]); "
            "change it there"
        )
    with store.transaction():
        changes = update_org(store, name, values, actor=operator_name(by))
    click.echo(
        _("{name}: changed {fields}").format(name=name, fields=", ".join(changes))
        if changes
        else _("{name}: no change").format(name=name)
    )


@click.group()
def responsible():
    """Responsible persons of organizations, with their history."""


@responsible.command(name="set")
@click.argument("organization")
@click.option("--name", "person", required=True, help="Full name.")
@click.option("--position", required=True, help="Position (заместитель главы, …).")
@click.option("--since", help="The day they took over, DD.MM.YYYY or YYYY-MM-DD (default: today).")
@click.option("--phone", help="Their phone: stored, never published.")
@click.option("--by", help="Who makes the change (default: your user name).")
@pass_ctx
def responsible_set(obj, organization, person, position, since, phone, by):
    """Make a person responsible for ORGANIZATION's pages; a change opens a notice."""
    config, store = _open(obj)
    require_org(store, organization)
    if _config_owned(config, organization)[1]:
        raise ConfigError(
            f"organization {organization!r}: its responsible person is set in the config "
            "([[organizations]] responsible = {...}); change it there"
        )
    decl = _responsible_decl(person, position, since, phone)
    with store.transaction():
        outcome = set_responsible(
            store,
            organization,
            decl,
            actor=operator_name(by),
            notices=parse_notices(config.raw),
        )
    said = {
        "unchanged": _("no change"),
        "updated": _("updated"),
        "appointed": _("{name} is responsible").format(name=decl.name),
        "changed": _("{name} is responsible now; a notice to the regional centre is open").format(
            name=decl.name
        ),
    }
    click.echo(f"{organization}: {said[outcome]}")


def _responsible_decl(person: str, position: str, since: str | None, phone: str | None):
    """The options of ``responsible set``, checked, as a :class:`ResponsibleDecl`."""
    if not person.strip() or not position.strip():
        raise ConfigError(_("--name and --position must not be empty"))
    phones = check_field("phones", [phone], f"--phone of {person!r}") if phone else []
    return ResponsibleDecl(
        name=person.strip(),
        position=position.strip(),
        since=parse_date(_day(since, "--since"), "--since") if since else None,
        phone=phones[0] if phones else None,
    )


@responsible.command(name="history")
@click.argument("organization")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def responsible_history_command(obj, organization, as_json):
    """Who was responsible for ORGANIZATION's pages, and when."""
    _config, store = _open(obj)
    rows = responsible_history(store, organization)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(
            _("{organization}: no responsible person recorded").format(organization=organization)
        )
    for row in rows:
        click.echo(f"{row['since']} – {row['until'] or _('now')}: {row['name']}, {row['position']}")


@click.command(name="attest")
@click.argument("account_id")
@click.option("--2fa/--no-2fa", "two_factor", default=None, help="Two-factor auth is on.")
@click.option("--logins-keeper", help="Who keeps the logins and passwords (never published).")
@click.option(
    "--service-phone/--no-service-phone",
    default=None,
    help="Bound to the administration's service phone.",
)
@click.option("--service-phone-number", help="That number (stored, never published).")
@click.option("--gospabliki/--no-gospabliki", default=None, help="Connected to Gospabliki.")
@click.option("--verified/--no-verified", default=None, help="Has the state organization mark.")
@click.option("--by", help="Who attests (default: your user name).")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def accounts_attest(obj, account_id, by, as_json, **given):
    """Record ACCOUNT_ID's security attestations and flags; with no option, show them."""
    _config, store = _open(obj)
    changes = _attestations(account_id, given)
    if any(v is not None for v in changes.values()):
        with store.transaction():
            changed = attest(store, account_id, changes, actor=operator_name(by))
        if not as_json:
            click.echo(
                _("{name}: changed {fields}").format(name=account_id, fields=", ".join(changed))
                if changed
                else _("{name}: no change").format(name=account_id)
            )
    summary = attestation_summary(store, account_id)
    if as_json:
        echo_json(summary)
        return
    click.echo(
        "  ".join(
            f"{k}: {_('unknown') if v is None else v}" for k, v in summary.items() if k != "account"
        )
    )


def _attestations(account_id: str, given: dict[str, Any]) -> dict[str, Any]:
    """The options of ``accounts attest``, checked, as :func:`attest` takes them."""
    changes = {
        "two_factor": given["two_factor"],
        "logins_keeper": given["logins_keeper"],
        "service_phone": given["service_phone"],
        "service_phone_number": given["service_phone_number"],
        "gospabliki": given["gospabliki"],
        "verified_mark": given["verified"],
    }
    for key in ("logins_keeper", "service_phone_number"):
        if changes[key] is not None and not changes[key].strip():
            raise ConfigError(
                _("--{option} must not be empty").format(option=key.replace("_", "-"))
            )
    if changes["service_phone_number"]:
        check_field("phones", changes["service_phone_number"], f"account {account_id!r}")
    return changes


@click.command(name="adopt")
@click.argument("account_id")
@click.option(
    "--since", help="Since when the page exists, DD.MM.YYYY or YYYY-MM-DD (for the record)."
)
@click.option("--by", help="Who says so (default: your user name).")
@pass_ctx
def accounts_adopt(obj, account_id, since, by):
    """Record ACCOUNT_ID as existing before the hub: withdraw its 'created' notice."""
    config, store = _open(obj)
    day = parse_past_date(_day(since, "--since"), "--since") if since else None
    withdrawn = adopt_account(store, config, account_id, since=day, actor=operator_name(by))
    if not withdrawn:
        click.echo(
            _("{account}: already recorded as existing; no notice to withdraw").format(
                account=account_id
            )
        )
        return
    numbers = ", ".join(f"#{n}" for n in withdrawn)
    click.echo(
        _("{account}: recorded as existing; notice {numbers} withdrawn (never sent)").format(
            account=account_id, numbers=numbers
        )
    )


@click.group()
def registry():
    """Publishing the registry, and its change log."""


@registry.command(name="export")
@click.option("--format", "fmt", required=True, type=click.Choice(["html", "json", "csv"]))
@click.option("--out", required=True, help="File to write ('-' for standard output).")
@pass_ctx
def registry_export(obj, fmt, out):
    """Write the registry as a web page, JSON, or CSV for Excel; no secret ever goes in."""
    config = obj.config()
    store = obj.store(config)
    snapshot = export_registry(store, config, fmt, out, network_titles=_network_titles(obj))
    if out != "-":
        totals = snapshot["totals"]
        click.echo(
            _("wrote {out}: {organizations}, {accounts}").format(
                out=out,
                organizations=ngettext(
                    "{n} organization", "{n} organizations", totals["organizations"]
                ).format(n=totals["organizations"]),
                accounts=ngettext("{n} account", "{n} accounts", totals["accounts"]).format(
                    n=totals["accounts"]
                ),
            )
        )


@registry.command(name="events")
@click.option("--limit", default=30, show_default=True, help="How many, newest last.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def registry_events(obj, limit, as_json):
    """Every change to the registry: who, when, old → new."""
    _config, store = _open(obj)
    rows = list_events(store)[-limit:]
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(
            terminal_text(
                f"#{row['id']} {row['at']} {row['actor']} {row['entity']} "
                f"{row['entity_key']} {row['action']}: "
                f"{json.dumps(row['old'], ensure_ascii=False)} → "
                f"{json.dumps(row['new'], ensure_ascii=False)}"
            )
        )


@click.group(invoke_without_command=True)
@click.option("--overdue", is_flag=True, help="Only those pending past their due date.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@click.pass_context
def notices(ctx, overdue, as_json):
    """Notices to the regional centre: created and deleted accounts, responsible changes."""
    if ctx.invoked_subcommand is not None:
        return
    _config, store = _open(ctx.obj)
    rows = list_notices(store, overdue_only=overdue)
    if as_json:
        echo_json(rows)
        return
    if not rows:
        click.echo(_("no overdue notices") if overdue else _("no notices"))
    today = date.today().isoformat()
    for n in rows:
        if n["status"] == "sent":
            state = _("sent {at} (receipt {receipt})").format(at=n["sent_at"], receipt=n["receipt"])
        else:
            state = (
                _("OVERDUE")
                if n["overdue"]
                else (_("due today") if n["due_date"] == today else _("pending"))
            )
        line = _("#{id} due {due} {state}: {what}").format(
            id=n["id"], due=n["due_date"], state=state, what=describe(n)
        )
        click.echo(terminal_text(line))


@notices.command(name="mark-sent")
@click.argument("ids", nargs=-1, type=int, required=True)
@click.option("--receipt", required=True, help="The regional centre's reference (letter no.).")
@click.option("--by", help="Who sent them (default: your user name).")
@pass_ctx
def notices_mark_sent(obj, ids, receipt, by):
    """Mark notices IDS as reported another way (a letter, the regional portal)."""
    _config, store = _open(obj)
    changed = mark_notices_sent(store, ids, receipt, actor=operator_name(by))
    click.echo(
        ngettext("marked {n} notice as sent", "marked {n} notices as sent", changed).format(
            n=changed
        )
    )
