"""``hub report push``: the registry, per-account statistics and pending notices to Gospabliki.

A report is built once and kept in ``report_outbox`` with its idempotency key
until Gospabliki acknowledges it: a push that failed half-way (or whose answer
was lost) sends the very same report again, which the receiver recognises, so a
report is never filed twice. Notices are marked sent only with the receipt that
acknowledges them. Each report also carries the compliance summary of the last
completed week (``compliance``, :mod:`hub.compliance.summary`) as it stood when the
report was built; a resend carries that same summary, and the next report a fresh one.

The very first report of an install goes only after a person has seen it: a
misread config must not reach the regional centre in the daemon's first minute.
``hub report push --dry-run`` shows it (and records in ``hub_state`` what it
showed), then ``hub report push`` sends it if it carries nothing more; ``hub
report push --first`` sends it at once. The daemon never sends the first one.

    [gospabliki]
    endpoint = "https://gospabliki.example/api/v1"   # the stub: http://127.0.0.1:8710/api/v1
    token_env = "HUB_GOSPABLIKI_TOKEN"
    municipality = "Клочковский сельсовет"
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .compliance import summary_week, weekly_summary
from .config import Config
from .errors import ApiError, AuthError, ConfigError, HubError, TransientError
from .gospabliki.client import push_report, report_key
from .registry import mark_notices_sent, pending_notices, registry_snapshot
from .registry.notices import KIND_TEXT
from .secrets import redact, secret_from_env
from .settings import Section
from .store import Store, utcnow

GOSPABLIKI_KEYS = {"endpoint", "token_env", "municipality"}
#: the name reported for accounts whose config names no organization (the API needs one)
UNNAMED_ORGANIZATION = "Организация не указана"


@dataclass(frozen=True)
class GospablikiSettings:
    endpoint: str
    token_env: str
    municipality: str


def gospabliki_settings(config: Config) -> GospablikiSettings:
    if "gospabliki" not in config.raw:
        raise ConfigError(
            "no [gospabliki] section in the config: set endpoint, token_env and municipality"
        )
    table = Section.of(config.raw, "gospabliki", GOSPABLIKI_KEYS)
    endpoint = table.url("endpoint").rstrip("/")
    token_env = table.required_text(
        "token_env", "the NAME of the variable holding the Gospabliki token"
    )
    municipality = table.required_text(
        "municipality", "the municipality's name as Gospabliki knows it"
    )
    return GospablikiSettings(endpoint, token_env, municipality)


def _organization(org: dict[str, Any]) -> dict[str, Any]:
    contacts = org.get("contacts") or {}
    geo = contacts.get("geo")
    responsible = org.get("responsible")
    return {
        "name": org["name"] or UNNAMED_ORGANIZATION,
        "level": org.get("level"),
        "kind": org.get("kind"),
        "parent": org.get("parent"),
        "exempt": bool(org.get("exempt")),
        "contacts": {
            "postal_address": contacts.get("address"),
            "email": contacts.get("email"),
            "phones": list(contacts.get("phones") or []),
            "website": contacts.get("website"),
            "geolocation": geo if isinstance(geo, dict) and {"lat", "lon"} <= set(geo) else None,
            "working_hours": contacts.get("working_hours"),
        },
        "responsible": {
            "name": responsible["name"],
            "position": responsible.get("position"),
            "since": responsible.get("since"),
        }
        if responsible
        else None,
        "accounts": [
            {
                "network": a["network"],
                "url": a["url"],
                "title": a.get("title"),
                "members": a.get("members_count"),
                "connected_to_gospabliki": bool(a.get("gospabliki")),
                "verified": bool(a.get("verified")),
            }
            for a in org.get("accounts") or []
            if a.get("url")
        ],
    }


def _rfc3339(value: str | None) -> str | None:
    """The store's times (UTC, with or without 'Z') as RFC 3339 with an explicit zone."""
    if not value:
        return None
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.isoformat(timespec="seconds").replace("+00:00", "Z")


def _statistics(store: Store, config: Config) -> list[dict[str, Any]]:
    """Per-account counts of the municipality's own pages (a ``watch`` page is not one)."""
    watching = {a.id for a in config.accounts if a.watch}
    rows = store.db.execute(
        "SELECT a.id, a.network, "
        "(SELECT COUNT(*) FROM posts p WHERE p.account_id = a.id AND p.deleted_at IS NULL), "
        "(SELECT COUNT(*) FROM comments c WHERE c.account_id = a.id AND c.deleted_at IS NULL), "
        "(SELECT COUNT(*) FROM verdicts v WHERE v.account_id = a.id AND v.status = 'done'), "
        "(SELECT COUNT(*) FROM verdicts v WHERE v.account_id = a.id AND v.status = 'queued'), "
        "s.last_finished_at FROM accounts a LEFT JOIN sync_state s ON s.account_id = a.id "
        "ORDER BY a.id"
    ).fetchall()
    return [
        {
            "account": r[0],
            "network": r[1],
            "posts": r[2],
            "comments": r[3],
            "deleted_by_moderation": r[4],
            "queued_for_review": r[5],
            "last_sync": _rfc3339(r[6]),
        }
        for r in rows
        if r[0] not in watching
    ]


def _notices(store: Store) -> list[dict[str, Any]]:
    return [
        {
            "id": notice_id(n),
            "kind": n["kind"],
            "organization": n["organization"] or UNNAMED_ORGANIZATION,
            "account": n.get("account_id"),
            "occurred_at": _rfc3339(n["occurred_at"]),
            "due": n["due_date"],
            "details": {k: v for k, v in (n.get("details") or {}).items() if v is not None},
        }
        for n in pending_notices(store)
    ]


def notice_id(notice: dict[str, Any]) -> str:
    """The local number plus a digest of what the notice says.

    A rebuilt database, or a second hub of the same municipality, numbers its
    notices from 1 again: the digest keeps one municipality's notices apart.
    """
    content = "|".join(
        str(notice.get(k) or "") for k in ("kind", "organization", "account_id", "occurred_at")
    )
    return f"{notice['id']}-{hashlib.sha256(content.encode('utf-8')).hexdigest()[:12]}"


def build_report(
    store: Store, config: Config, municipality: str, *, now: datetime | None = None
) -> dict[str, Any]:
    """The report as filed: the registry, statistics, pending notices and the summary of
    the last completed week (hub.compliance; without security attestations)."""
    snapshot = registry_snapshot(store, config)
    now = now or datetime.now(UTC)
    return {
        "municipality": municipality,
        # to the millisecond: two reports in one second must not share a content key
        "generated_at": now.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        "registry": {"organizations": [_organization(o) for o in snapshot["organizations"]]},
        "statistics": _statistics(store, config),
        "notices": _notices(store),
        "compliance": weekly_summary(store, config, summary_week(config, now), now=now),
    }


@dataclass
class PushOutcome:
    receipt: str
    notices_marked: int
    resent: bool


# -- the first report waits for a person ----------------------------------------
#: hub_state key: what ``hub report push --dry-run`` showed before the first report went
SEEN_KEY = "first_report_seen"
HOW_TO_SEE = "run 'hub report push --dry-run' to see it, then 'hub report push'"


class FirstReportWaiting(HubError):
    """The first report to Gospabliki has not been seen by a person: nothing was sent."""

    exit_code = 2


def first_report_done(store: Store) -> bool:
    """A report has gone out (or was released by a person and waits to be resent)."""
    row = store.db.execute(
        "SELECT 1 FROM report_outbox WHERE status IN ('sent', 'pending') LIMIT 1"
    ).fetchone()
    return row is not None


def _contents(report: dict[str, Any]) -> dict[str, dict[str, str]]:
    """What a person must have seen of a report: its pages and its notices, each named."""
    pages = {
        f"{a['network']} {a['url']}": f"account {a['network']} {a['url']}"
        for org in report["registry"]["organizations"]
        for a in org["accounts"]
    }
    notices = {n["id"]: f"notice {notice_line(n)}" for n in report["notices"]}
    return {"accounts": pages, "notices": notices}


def notice_line(notice: dict[str, Any]) -> str:
    """A notice of a report in one line: 'account created acc-1 («Организация 1»), due …'."""
    subject = notice.get("account") or f"«{notice['organization']}»"
    if notice.get("account"):
        subject += f" («{notice['organization']}»)"
    return f"{KIND_TEXT[notice['kind']]} {subject}, due {notice['due']}"


def preview(store: Store, config: Config) -> dict[str, Any]:
    """The report a push would send now, sending nothing; before the first report, this
    records that a person has seen it (its pages and notices, in ``hub_state``)."""
    gp = gospabliki_settings(config)
    waiting = _unacknowledged(store)
    report = waiting[1] if waiting else build_report(store, config, gp.municipality)
    if not first_report_done(store):
        seen = {k: sorted(v) for k, v in _contents(report).items()}
        with store.transaction():
            store.db.execute(
                "INSERT INTO hub_state (key, value, updated_at) VALUES (?, ?, ?) "
                "ON CONFLICT(key) DO UPDATE SET value = excluded.value, "
                "updated_at = excluded.updated_at",
                [SEEN_KEY, json.dumps(seen, ensure_ascii=False), utcnow()],
            )
    return report


def preview_lines(report: dict[str, Any]) -> list[str]:
    """The dry-run's account of a report: its pages by organization, then its notices."""
    orgs = report["registry"]["organizations"]
    pages = sum(len(o["accounts"]) for o in orgs)
    lines = [f"for «{report['municipality']}»: {len(orgs)} organizations, {pages} accounts"]
    for org in orgs:
        for a in org["accounts"]:
            title = f" «{a['title']}»" if a.get("title") else ""
            lines.append(f"  {org['name']}: {a['network']} {a['url']}{title}")
        if not org["accounts"]:
            lines.append(f"  {org['name']}: no accounts")
    notices = report["notices"]
    noun = "notice" if len(notices) == 1 else "notices"
    lines.append(f"{len(notices)} {noun} to the regional centre" if notices else "no notices")
    lines += [f"  {notice_line(n)}" for n in notices]
    lines.append(f"and statistics for {len(report['statistics'])} accounts")
    return lines


def _check_first(store: Store, report: dict[str, Any]) -> None:
    """Refuse a first report carrying anything the dry-run did not show."""
    row = store.db.execute("SELECT value FROM hub_state WHERE key = ?", [SEEN_KEY]).fetchone()
    if row is None:
        raise FirstReportWaiting(
            "the first report to Gospabliki has not been looked at yet; "
            f"{HOW_TO_SEE} (or send it at once with 'hub report push --first')"
        )
    seen = json.loads(row[0])
    unseen = [
        label
        for part, items in _contents(report).items()
        for key, label in items.items()
        if key not in set(seen.get(part) or [])
    ]
    if unseen:
        more = f" and {len(unseen) - 1} more" if len(unseen) > 1 else ""
        raise FirstReportWaiting(
            f"the first report would carry what the dry-run did not show ({unseen[0]}{more}); "
            "run 'hub report push --dry-run' again, or send it with 'hub report push --first'"
        )


def _unacknowledged(store: Store) -> tuple[str, dict[str, Any]] | None:
    row = store.db.execute(
        "SELECT idempotency_key, body_json FROM report_outbox WHERE status = 'pending' "
        "ORDER BY created_at LIMIT 1"
    ).fetchone()
    return (row[0], json.loads(row[1])) if row else None


async def push(
    store: Store, config: Config, *, first: bool = False, unattended: bool = False
) -> PushOutcome:
    """Send the waiting report, or build a new one; mark acknowledged notices sent.

    The very first report goes only once a person has seen it: after
    :func:`preview` showed all it carries, or with ``first=True`` (``hub report
    push --first``). ``unattended`` (the daemon) never sends the first one;
    each refusal is :class:`FirstReportWaiting`, and nothing is sent.
    """
    gp = gospabliki_settings(config)
    waiting = _unacknowledged(store)
    gated = waiting is None and not first_report_done(store)
    if gated and unattended:
        raise FirstReportWaiting(
            "the first report to Gospabliki waits for a person: "
            f"{HOW_TO_SEE}, or send it with 'hub report push --first'"
        )
    token = secret_from_env(gp.token_env, "the Gospabliki access token")
    resent = waiting is not None
    if waiting is None:
        report = build_report(store, config, gp.municipality)
        if gated and not first:
            _check_first(store, report)
        key = report_key(report)
        with store.transaction():
            store.db.execute(
                "INSERT INTO report_outbox (idempotency_key, body_json, created_at, status, "
                "attempts) VALUES (?, ?, ?, 'pending', 0)",
                [key, json.dumps(report, ensure_ascii=False), utcnow()],
            )
    else:
        key, report = waiting
    try:
        receipt = await push_report(
            endpoint=gp.endpoint,
            token=token,
            report=report,
            idempotency_key=key,
            token_env=gp.token_env,
        )
    except ApiError as exc:
        # Lost on the way (or the token is wrong): the same report goes again next time.
        # Refused as it is (invalid, or its key reused): a new one must be built.
        refused = not isinstance(exc, TransientError | AuthError)
        with store.transaction():
            store.db.execute(
                "UPDATE report_outbox SET attempts = attempts + 1, last_error = ?, status = ? "
                "WHERE idempotency_key = ?",
                [redact(str(exc)), "rejected" if refused else "pending", key],
            )
        then = (
            "the next 'hub report push' builds a new one from the corrected data"
            if refused
            else "it stays queued and the next 'hub report push' sends it again unchanged"
        )
        raise HubError(f"the report was not accepted: {redact(str(exc))}; {then}") from None
    sent_ids = {n["id"] for n in report.get("notices", [])}
    acknowledged = [
        int(str(i).split("-", 1)[0])
        for i in receipt.get("notices_acknowledged", [])
        if i in sent_ids  # only what this report carried, as this report carried it
    ]
    with store.transaction():
        store.db.execute(
            "UPDATE report_outbox SET receipt = ?, sent_at = ?, attempts = attempts + 1, "
            "last_error = NULL, status = 'sent' WHERE idempotency_key = ?",
            [receipt["receipt"], utcnow(), key],
        )
        marked = mark_notices_sent(store, acknowledged, receipt["receipt"]) if acknowledged else 0
    return PushOutcome(receipt["receipt"], marked, resent)
