"""Drafts of the content plan and their approval: draft → approved → published | failed.

Only an approved draft goes out, and approval is a person's act recorded with
their name and the time. A draft is written once for one or many accounts; each
account gets its own publication row (``draft_targets``) because each network
succeeds or fails on its own. A rejected draft is final: the specialist writes a
new one, so the record of what was refused stays as it was.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import pluggy

from .. import plugins
from ..config import Config
from ..errors import ConfigError, HubError, NotFoundError
from ..i18n import MOMENT_FORMS, _, parse_moment
from ..models import Account
from ..network import PublishRequest
from ..networks import build_network
from ..store import Store, utcnow
from .attachments import check_attachments, is_url
from .settings import PlanSettings, parse_plan

STATES = ("draft", "approved", "rejected", "published", "failed")
TARGET_STATES = ("pending", "sending", "unknown", "published", "failed")


@dataclass
class Target:
    account_id: str
    state: str
    guid: str
    attempts: int = 0
    first_sent_at: str | None = None
    published_at: str | None = None
    post_network_id: int | None = None
    url: str | None = None
    error: str | None = None


@dataclass
class Draft:
    id: int
    text: str
    publish_at: datetime
    state: str
    created_by: str
    created_at: str
    title: str | None = None
    attachments: list[str] = field(default_factory=list)
    lint_score: int | None = None
    approved_by: str | None = None
    approved_at: str | None = None
    rejected_by: str | None = None
    rejected_at: str | None = None
    reject_reason: str | None = None
    targets: list[Target] = field(default_factory=list)

    @property
    def photos(self) -> tuple[str, ...]:
        return tuple(a for a in self.attachments if not is_url(a))

    @property
    def links(self) -> tuple[str, ...]:
        return tuple(a for a in self.attachments if is_url(a))

    def request_for(self, account: Account, guid: str) -> PublishRequest:
        return PublishRequest(account, self.text, self.photos, self.links, guid)

    def as_dict(self) -> dict[str, Any]:
        """The JSON form ``hub plan list/show --json`` print (no secrets live in a draft)."""
        data = {k: v for k, v in self.__dict__.items() if k != "targets"}
        data["publish_at"] = self.publish_at.astimezone(UTC).isoformat().replace("+00:00", "Z")
        data["targets"] = [t.__dict__ for t in self.targets]
        return data


# --------------------------------------------------------------------------- parsing input


def parse_when(value: str, settings: PlanSettings, now: datetime | None = None) -> datetime:
    """``now``, ``03.12.2026 09:00`` or ``2026-12-03 09:00`` (the municipality's local
    time), a day alone (its midnight), or ISO with an offset."""
    text = value.strip()
    if text.lower() == "now":
        return (now or datetime.now(UTC)).astimezone(UTC)
    try:
        moment = parse_moment(text)
    except ValueError:
        raise ConfigError(
            _(
                "cannot read the time {value!r}; write it like {forms} (local time in "
                "{zone}) or 'now'"
            ).format(value=value, forms=MOMENT_FORMS, zone=settings.time_zone.key)
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=settings.time_zone)
    try:
        return moment.astimezone(UTC)
    except OverflowError:  # year 1 in a zone east of UTC: before any time there is
        raise ConfigError(
            _(
                "cannot read the time {value!r}; write it like {forms} (local time in "
                "{zone}) or 'now'"
            ).format(value=value, forms=MOMENT_FORMS, zone=settings.time_zone.key)
        ) from None


def _network_classes(pm: pluggy.PluginManager, accounts: list[Account]) -> dict[str, Any]:
    available = plugins.networks(pm)
    for account in accounts:
        if account.network not in available:
            raise ConfigError(
                f"account {account.id!r} uses network {account.network!r}, which no installed "
                "plugin provides; see 'hub plugins'"
            )
    return available


def publish_problems(
    pm: pluggy.PluginManager, config: Config, accounts: list[Account], draft_like: Draft
) -> list[str]:
    """What each account's network would refuse in this draft, as ``account: reason`` lines.

    The network objects are made without calling anything, so this works on a
    specialist's laptop that has no tokens.
    """
    classes = _network_classes(pm, accounts)
    networks = {  # one object per network, not per account: each makes an HTTP client
        name: build_network(classes[name], config) for name in {a.network for a in accounts}
    }
    problems = []
    for account in accounts:
        network = networks[account.network]
        for problem in network.publish_problems(draft_like.request_for(account, "check")):
            problems.append(f"{account.id}: {problem}")
    return problems


# --------------------------------------------------------------------------- reading


def _target(row: dict[str, Any]) -> Target:
    return Target(**{k: row[k] for k in Target.__dataclass_fields__})


def load_draft(store: Store, draft_id: int) -> Draft:
    row = store.db.execute("SELECT * FROM drafts WHERE id = ?", [draft_id]).fetchone()
    if row is None:
        raise NotFoundError(f"draft #{draft_id} does not exist; 'hub plan list' shows the drafts")
    names = [d[0] for d in store.db.execute("SELECT * FROM drafts LIMIT 0").description]
    data = dict(zip(names, row, strict=True))
    cursor = store.db.execute(
        "SELECT * FROM draft_targets WHERE draft_id = ? ORDER BY account_id", [draft_id]
    )
    tnames = [d[0] for d in cursor.description]
    targets = [_target(dict(zip(tnames, r, strict=True))) for r in cursor.fetchall()]
    return Draft(
        id=data["id"],
        text=data["text"],
        publish_at=datetime.fromisoformat(data["publish_at"]),
        state=data["state"],
        created_by=data["created_by"],
        created_at=data["created_at"],
        title=data["title"],
        attachments=json.loads(data["attachments_json"]),
        lint_score=data["lint_score"],
        approved_by=data["approved_by"],
        approved_at=data["approved_at"],
        rejected_by=data["rejected_by"],
        rejected_at=data["rejected_at"],
        reject_reason=data["reject_reason"],
        targets=targets,
    )


def list_drafts(store: Store, state: str | None = None, limit: int | None = None) -> list[Draft]:
    """Drafts by publication time; ``limit``: only the first ones (a page of the console)."""
    if state is not None and state not in STATES:
        raise ConfigError(f"unknown state {state!r}; use one of {', '.join(STATES)}")
    sql = "SELECT id FROM drafts" + (" WHERE state = ?" if state else "") + " ORDER BY publish_at"
    params: list[Any] = [state] if state else []
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return [load_draft(store, r[0]) for r in store.db.execute(sql, params).fetchall()]


# --------------------------------------------------------------------------- changes


def _guid(draft_id: int, account_id: str) -> str:
    """Stable per (draft, account) and unguessable: VK deduplicates a resend on it."""
    digest = hashlib.sha256(f"{draft_id}:{account_id}:{secrets.token_hex(8)}".encode())
    return "hub" + digest.hexdigest()[:29]


def _refuse_watch_pages(accounts: list[Account]) -> None:
    """A watch page (the governor's, the region's: ``watch = true``) is read, never posted to."""
    watched = [a.id for a in accounts if a.watch]
    if watched:
        raise ConfigError(
            f"account {watched[0]!r} is a watch page (watch = true): the hub only reads it; "
            "choose the municipality's own accounts"
        )


def add_draft(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    *,
    accounts: list[Account],
    text: str,
    publish_at: datetime,
    attachments: list[str] = (),  # type: ignore[assignment]
    title: str | None = None,
    created_by: str,
) -> tuple[Draft, list[str]]:
    """Write a new draft; return it and what the linter thinks of it (the problems stop it).

    A draft the networks would refuse (a caption too long for Telegram, a
    missing file) is refused now, not at 9 a.m. on publication day.
    """
    from .lint import lint

    text = text.strip()
    if not text:
        raise ConfigError("the draft has no text; give --text, --file or standard input")
    if not accounts:
        raise ConfigError("name at least one account (--account ID, --organization NAME or --all)")
    _refuse_watch_pages(accounts)
    files = check_attachments(list(attachments), config.db_path.parent / "attachments")
    probe = Draft(0, text, publish_at, "draft", created_by, utcnow(), attachments=files)
    problems = publish_problems(pm, config, accounts, probe)
    if problems:
        raise ConfigError(
            _("the draft cannot go out as written: {problems}").format(problems="; ".join(problems))
        )
    report = lint(text)
    now = utcnow()
    store.sync_accounts_from_config(config.accounts)
    with store.transaction(immediate=True):
        cursor = store.db.execute(
            "INSERT INTO drafts (title, text, attachments_json, publish_at, state, lint_score, "
            "created_by, created_at, updated_at) VALUES (?, ?, ?, ?, 'draft', ?, ?, ?, ?)",
            [
                title,
                text,
                json.dumps(files, ensure_ascii=False),
                publish_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                round(report.score),
                created_by,
                now,
                now,
            ],
        )
        draft_id = cursor.lastrowid
        for account in accounts:
            store.db.execute(
                "INSERT INTO draft_targets (draft_id, account_id, state, guid, updated_at) "
                "VALUES (?, ?, 'pending', ?, ?)",
                [draft_id, account.id, _guid(draft_id, account.id), now],
            )
    findings = [f"«{f.match}» → {f.suggestion}" for f in report.findings]
    return load_draft(store, draft_id), findings


def update_draft(
    store: Store,
    pm: pluggy.PluginManager,
    config: Config,
    draft_id: int,
    *,
    accounts: list[Account],
    text: str,
    publish_at: datetime,
    title: str | None = None,
) -> tuple[Draft, list[str], bool]:
    """Rewrite a draft not yet out: its text, title, time and accounts, checked as
    :func:`add_draft` checks a new one; return it, the linter's findings, and whether
    an approval was withdrawn.

    An approved draft goes back to ``draft``: what was approved is no longer what
    would go out, so it must be approved again. A draft any of whose publications
    has begun (sending, unknown, published, failed) is refused: a post may already
    be up with the old text. The check and the change are one immediate
    transaction, so a publication that claims a row first makes the edit fail, and
    one that comes after finds the draft no longer approved. Attachments stay as
    they were; the author is still the one who wrote it.
    """
    from .lint import lint

    text = text.strip()
    if not text:
        raise ConfigError("the draft has no text")
    if not accounts:
        raise ConfigError("name at least one account")
    _refuse_watch_pages(accounts)
    current = load_draft(store, draft_id)
    probe = Draft(0, text, publish_at, "draft", current.created_by, utcnow(),
                  attachments=current.attachments)  # fmt: skip
    problems = publish_problems(pm, config, accounts, probe)
    if problems:
        raise ConfigError(
            _("the draft cannot go out as written: {problems}").format(problems="; ".join(problems))
        )
    report = lint(text)
    store.sync_accounts_from_config(config.accounts)
    wanted = {a.id for a in accounts}
    with store.transaction(immediate=True):
        draft = load_draft(store, draft_id)
        if draft.state not in ("draft", "approved"):
            raise HubError(f"draft #{draft_id} is {draft.state}; it can no longer be edited")
        begun = [t.account_id for t in draft.targets if t.state != "pending"]
        if begun:
            raise HubError(
                f"draft #{draft_id} has begun going out on {', '.join(begun)}; it can no "
                "longer be edited (reject it and write a new one)"
            )
        now = utcnow()
        store.db.execute(
            "UPDATE drafts SET title = ?, text = ?, publish_at = ?, lint_score = ?, "
            "state = 'draft', approved_by = NULL, approved_at = NULL, updated_at = ? "
            "WHERE id = ?",
            [
                title,
                text,
                publish_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
                round(report.score),
                now,
                draft_id,
            ],
        )
        had = {t.account_id for t in draft.targets}
        for gone in sorted(had - wanted):
            store.db.execute(
                "DELETE FROM draft_targets WHERE draft_id = ? AND account_id = ?",
                [draft_id, gone],
            )
        for account in accounts:
            if account.id not in had:
                store.db.execute(
                    "INSERT INTO draft_targets (draft_id, account_id, state, guid, updated_at) "
                    "VALUES (?, ?, 'pending', ?, ?)",
                    [draft_id, account.id, _guid(draft_id, account.id), now],
                )
    findings = [f"«{f.match}» → {f.suggestion}" for f in report.findings]
    return load_draft(store, draft_id), findings, draft.state == "approved"


def approve(
    store: Store, config: Config, draft_id: int, by: str, *, separate: bool = False
) -> tuple[Draft, str | None]:
    """Approve a draft; return it and a warning when its bureaucratese score is too high.

    A draft whose time has already passed goes out at the next run, which the
    warning says, so an announcement approved too late is not a surprise.
    ``separate``: its author may not approve it (the console's ``[web]
    separate_approval``: the acts want the plan approved by someone else); checked
    inside the same transaction as the approval itself.
    """
    settings = parse_plan(config.raw)
    with store.transaction(immediate=True):
        draft = load_draft(store, draft_id)
        if draft.state != "draft":
            who = f" by {draft.approved_by} at {draft.approved_at}" if draft.approved_by else ""
            raise HubError(
                f"draft #{draft_id} is {draft.state}{who}; only a draft can be approved"
                + (" (write a new one)" if draft.state == "rejected" else "")
            )
        if separate and draft.created_by == by:
            raise HubError(
                f"draft #{draft_id} was written by {by}; with separate approval someone "
                "else must approve it"
            )
        now = utcnow()
        store.db.execute(
            "UPDATE drafts SET state = 'approved', approved_by = ?, approved_at = ?, "
            "updated_at = ? WHERE id = ?",
            [by, now, now, draft_id],
        )
    warnings = []
    if draft.lint_score is not None and draft.lint_score > settings.lint_threshold:
        warnings.append(
            f"draft #{draft_id} scores {draft.lint_score} for bureaucratese, above the threshold "
            f"{settings.lint_threshold}; 'hub plan show {draft_id}' lists what to rewrite"
        )
    late = datetime.now(UTC) - draft.publish_at
    if late.total_seconds() > 15 * 60:
        local = draft.publish_at.astimezone(settings.time_zone).strftime("%Y-%m-%d %H:%M")
        warnings.append(
            f"draft #{draft_id} was due at {local} ({settings.time_zone.key}); it goes out at "
            f"the next run, now — reject it if it is out of date"
        )
    return load_draft(store, draft_id), "; ".join(warnings) or None


def reject(store: Store, draft_id: int, by: str, reason: str) -> Draft:
    """Refuse a draft, or stop one part-way: accounts it has not reached never get it.

    Posts already up stay up (the hub does not delete them; ``hub plan show`` lists
    their URLs). A publication whose outcome is not known yet must be settled
    first, or the draft could be called off while its post is going up.
    """
    if not reason.strip():
        raise ConfigError("say why with --reason; the specialist needs to know what to change")
    with store.transaction(immediate=True):
        draft = load_draft(store, draft_id)
        if draft.state not in ("draft", "approved", "failed"):
            raise HubError(f"draft #{draft_id} is {draft.state}; it can no longer be rejected")
        unsettled = [t.account_id for t in draft.targets if t.state in ("sending", "unknown")]
        if unsettled:
            raise HubError(
                f"draft #{draft_id} may be going up on {', '.join(unsettled)} right now; run "
                "'hub plan publish' to settle it (or 'hub plan resolve'), then reject"
            )
        now = utcnow()
        store.db.execute(
            "UPDATE drafts SET state = 'rejected', rejected_by = ?, rejected_at = ?, "
            "reject_reason = ?, updated_at = ? WHERE id = ?",
            [by, now, reason.strip(), now, draft_id],
        )
    return load_draft(store, draft_id)


def settle_draft_state(store: Store, draft_id: int) -> str:
    """Published when every account has it, failed when one refused; else still approved.

    Called inside the transaction that changed a target.
    """
    states = [
        r[0]
        for r in store.db.execute(
            "SELECT state FROM draft_targets WHERE draft_id = ?", [draft_id]
        ).fetchall()
    ]
    if states and all(s == "published" for s in states):
        new = "published"
    elif "failed" in states:
        new = "failed"
    else:
        new = "approved"
    store.db.execute(
        "UPDATE drafts SET state = ?, updated_at = ? WHERE id = ? AND state != ?",
        [new, utcnow(), draft_id, new],
    )
    return new
