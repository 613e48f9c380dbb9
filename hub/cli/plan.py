"""``hub plan ...``, ``hub reply`` and ``hub templates ...``: thin commands over hub.plan."""

from __future__ import annotations

import asyncio
import json
import sys
from datetime import UTC, datetime, timedelta

import click

from .. import plugins
from ..actions import commands as actions
from ..errors import ConfigError, HubError
from ..i18n import _, ngettext
from ..networks import build_network
from ..plan import drafts, publish, replies
from ..plan.settings import parse_plan
from ..safe_text import terminal_text
from ..web.settings import parse_web
from .common import operator_name, pass_ctx

#: a draft's number: SQLite takes no integer past 2**63 - 1 (a traceback, not an answer)
DRAFT_ID = click.IntRange(1, 2**63 - 1)


def _accounts(config, account_ids, organization, all_accounts):
    if all_accounts:
        if not config.own_accounts:
            raise ConfigError(_("no accounts are declared; add [[accounts]] to the config first"))
        return list(config.own_accounts)  # not the watch pages: the hub only reads those
    chosen = [config.account(a) for a in account_ids]
    if organization:
        chosen += [a for a in config.own_accounts if a.organization == organization]
        if not any(a.organization == organization for a in config.accounts):
            known = sorted({a.organization for a in config.accounts if a.organization})
            raise ConfigError(
                _(
                    "no account belongs to organization «{organization}»; the accounts' "
                    "organizations are: {known}"
                ).format(
                    organization=organization,
                    known=", ".join(f"«{k}»" for k in known) or _("none"),
                )
            )
    seen: dict[str, object] = {}
    for account in chosen:
        seen.setdefault(account.id, account)
    return list(seen.values())


def _local(moment, config) -> str:
    zone = parse_plan(config.raw).time_zone
    return moment.astimezone(zone).strftime("%Y-%m-%d %H:%M") + f" ({zone.key})"


def _headline(draft: drafts.Draft, width: int = 72) -> str:
    """The title, else the first line cut at a word, for a one-line list."""
    text = draft.title or draft.text.strip().splitlines()[0]
    if len(text) <= width:
        return text
    return text[:width].rsplit(" ", 1)[0] + " …"


def _at(stamp: str | None, config) -> str:
    """A stored UTC time, shown in the municipality's time like every other time here."""
    if not stamp:
        return "-"
    return _local(datetime.fromisoformat(stamp.replace("Z", "+00:00")), config)


def _say(text: str) -> None:
    """A line of a draft, a network's answer or URL: no escape sequence reaches the terminal."""
    click.echo(terminal_text(text))


def _show(draft: drafts.Draft, config) -> None:
    title = f" «{draft.title}»" if draft.title else ""
    _say(
        _("draft #{id}{title}: {state}, at {at}").format(
            id=draft.id, title=title, state=draft.state, at=_local(draft.publish_at, config)
        )
    )
    _say(
        _("  written by {who} at {at}").format(
            who=draft.created_by, at=_at(draft.created_at, config)
        )
    )
    if draft.approved_by:
        _say(
            _("  approved by {who} at {at}").format(
                who=draft.approved_by, at=_at(draft.approved_at, config)
            )
        )
    if draft.rejected_by:
        _say(
            _("  rejected by {who} at {at}: {reason}").format(
                who=draft.rejected_by, at=_at(draft.rejected_at, config), reason=draft.reject_reason
            )
        )
    _say(_("  bureaucratese score {score}").format(score=draft.lint_score))
    for item in draft.attachments:
        _say(_("  attachment {item}").format(item=item))
    for t in draft.targets:
        where = f" {t.url}" if t.url else ""
        error = f" — {t.error}" if t.error else ""
        when = _(" at {at}").format(at=_at(t.published_at, config)) if t.published_at else ""
        _say(f"  {t.account_id}: {t.state}{when}{where}{error}")


def _report(outcomes: list[publish.TargetOutcome]) -> None:
    for outcome in outcomes:
        click.echo(outcome.line())
    bad = [o for o in outcomes if o.state in ("failed", "unknown", "pending")]
    if bad:
        raise HubError(
            ngettext(
                "{n} publication did not go out, listed above",
                "{n} publications did not go out, listed above",
                len(bad),
            ).format(n=len(bad))
        )


@click.group()
def plan():
    """The content plan: drafts, approval, publishing, and the bureaucratese linter."""


@plan.command(name="add")
@click.option("--account", "account_ids", multiple=True, help="An account (repeatable).")
@click.option("--organization", help="Every account of this organization.")
@click.option("--all", "all_accounts", is_flag=True, help="Every declared account.")
@click.option("--text", help="The post's text (default: --file, else standard input).")
@click.option("--file", "text_file", type=click.File(encoding="utf-8"), help="Text file.")
@click.option(
    "--at",
    "when",
    default="now",
    show_default=True,
    help="When to publish: 03.12.2026 09:00 or 2026-12-03 09:00 "
    "(local time, [plan] time_zone), or now.",
)
@click.option(
    "--attach",
    multiple=True,
    help="An image file, a picture's URL (downloaded now) or a link (repeatable).",
)
@click.option("--title", help="A short name for the plan.")
@click.option("--by", help="Who wrote it (default: your user name).")
@pass_ctx
def plan_add(
    obj, account_ids, organization, all_accounts, text, text_file, when, attach, title, by
):  # noqa: E501
    """Write a draft for one or many accounts; it goes out only once approved."""
    config = obj.config()
    if text is None:
        text = text_file.read() if text_file else sys.stdin.read()
    settings = parse_plan(config.raw)
    draft, findings = drafts.add_draft(
        obj.store(config),
        obj.pm,
        config,
        accounts=_accounts(config, account_ids, organization, all_accounts),
        text=text,
        publish_at=drafts.parse_when(when, settings),
        attachments=list(attach),
        title=title,
        created_by=operator_name(by),
    )
    click.echo(
        _("draft #{id} written for {accounts}, to go out at {at} once approved").format(
            id=draft.id,
            accounts=", ".join(t.account_id for t in draft.targets),
            at=_local(draft.publish_at, config),
        )
    )
    if when.strip().lower() != "now" and draft.publish_at < datetime.now(UTC) - timedelta(
        minutes=15
    ):
        click.echo(_("warning: that time has passed; it goes out as soon as it is approved"))
    if findings:
        click.echo(_("bureaucratese score {score}; consider:").format(score=draft.lint_score))
        for line in findings:
            click.echo(f"  {line}")


@plan.command(name="list")
@click.option("--state", type=click.Choice(drafts.STATES), help="Only drafts in this state.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def plan_list(obj, state, as_json):
    """Drafts by publication time, with their state on each account."""
    config = obj.config()
    items = drafts.list_drafts(obj.store(config), state)
    if as_json:
        _say(json.dumps([d.as_dict() for d in items], ensure_ascii=False, indent=2))
        return
    if not items:
        click.echo(_("no drafts in state {state}").format(state=state) if state else _("no drafts"))
    for d in items:
        targets = ", ".join(f"{t.account_id}={t.state}" for t in d.targets)
        out = [t.published_at for t in d.targets if t.published_at]
        when = (
            _("out {at}").format(at=_at(max(out), config))
            if out
            else _("at {at}").format(at=_local(d.publish_at, config))
        )
        click.echo(f"#{d.id:<4} {d.state:<9} {when}  [{targets}]")
        _say(f"      {_headline(d)}")


@plan.command(name="show")
@click.argument("draft_id", type=DRAFT_ID)
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def plan_show(obj, draft_id, as_json):
    """One draft: its text, who approved it, where it went out, what the linter found."""
    from ..plan.lint import lint

    config = obj.config()
    draft = drafts.load_draft(obj.store(config), draft_id)
    if as_json:
        _say(json.dumps(draft.as_dict(), ensure_ascii=False, indent=2))
        return
    _show(draft, config)
    click.echo("")
    _say(draft.text)
    findings = lint(draft.text).findings
    if findings:
        click.echo("")
        for f in findings:
            _say(f"  {f.rule:<24} «{f.match}» → {f.suggestion}")


@plan.command(name="approve")
@click.argument("draft_id", type=DRAFT_ID)
@click.option("--by", help="Who approves (default: your user name).")
@pass_ctx
def plan_approve(obj, draft_id, by):
    """Approve a draft: it goes out at its time (the daemon, or 'hub plan publish')."""
    config = obj.config()
    separate = parse_web(config.raw).separate_approval  # the console's rule, here too
    draft, warning = drafts.approve(
        obj.store(config), config, draft_id, operator_name(by), separate=separate
    )
    if warning:
        click.echo(_("warning: {message}").format(message=warning), err=True)
    click.echo(
        _("draft #{id} approved by {who}; goes out at {at}").format(
            id=draft.id, who=draft.approved_by, at=_local(draft.publish_at, config)
        )
    )


@plan.command(name="reject")
@click.argument("draft_id", type=DRAFT_ID)
@click.option("--reason", required=True, help="What the author should change.")
@click.option("--by", help="Who rejects (default: your user name).")
@pass_ctx
def plan_reject(obj, draft_id, reason, by):
    """Refuse a draft (or withdraw an approved one before it goes out)."""
    config = obj.config()
    draft = drafts.reject(obj.store(config), draft_id, operator_name(by), reason)
    click.echo(
        _("draft #{id} rejected by {who}: {reason}").format(
            id=draft.id, who=draft.rejected_by, reason=draft.reject_reason
        )
    )
    for t in draft.targets:
        if t.state == "published":
            click.echo(
                _("  already up on {account}: {url} (delete it there if need be)").format(
                    account=t.account_id, url=t.url
                )
            )
        else:
            click.echo(_("  {account}: will not get it").format(account=t.account_id))


@plan.command(name="publish")
@click.argument("draft_id", type=DRAFT_ID, required=False)
@pass_ctx
def plan_publish(obj, draft_id):
    """Publish what is due now; with DRAFT_ID, that approved draft at once.

    A draft that failed on an account is tried again there. One whose
    answer was lost is first looked for on the network, never sent blind.
    """
    config = obj.config()
    store = obj.store(config)
    if draft_id is None:
        outcomes = asyncio.run(publish.publish_due(store, obj.pm, config))
        if not outcomes:
            click.echo(_("nothing is due"))
    else:
        outcomes = asyncio.run(
            publish.publish_draft(store, obj.pm, config, draft_id, retry_failed=True)
        )
        if not outcomes:
            click.echo(_("draft #{id} is already out on every account").format(id=draft_id))
    _report(outcomes)


@plan.command(name="resolve")
@click.argument("draft_id", type=DRAFT_ID)
@click.argument("account_id")
@click.option("--post-id", type=int, help="The post is up: its id on the network.")
@click.option("--not-published", is_flag=True, help="It is not up: send it next run.")
@click.option("--by", help="Who looked (default: your user name).")
@pass_ctx
def plan_resolve(obj, draft_id, account_id, post_id, not_published, by):
    """Settle a publication the hub could not verify, after looking at the page."""
    if (post_id is None) == (not not_published):
        raise ConfigError(_("give exactly one of --post-id N or --not-published"))
    config = obj.config()
    account = config.account(account_id)
    network_class = plugins.networks(obj.pm).get(account.network)
    if network_class is None:
        raise ConfigError(
            _("no installed plugin provides network {network!r}").format(network=account.network)
        )
    network = build_network(network_class, config)
    outcome = publish.resolve(
        obj.store(config), config, network, draft_id, account_id,
        post_id=post_id, by=operator_name(by),
    )  # fmt: skip
    click.echo(outcome.line())


@plan.command(name="lint")
@click.argument("draft_id", type=DRAFT_ID, required=False)
@click.option("--text", help="The text to check (default: the draft, else standard input).")
@click.option("--max-sentence-words", default=25, show_default=True, type=click.IntRange(min=1))
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def plan_lint(obj, draft_id, text, max_sentence_words, as_json):
    """Flag канцеляризмы and press-release form, with a plain suggestion for each."""
    from ..plan.lint import lint

    if draft_id is not None:
        config = obj.config()
        text = drafts.load_draft(obj.store(config, create=False), draft_id).text
    if text is None and sys.stdin.isatty():
        raise ConfigError(_("give a draft number, --text '...', or pipe the text in"))
    report = lint(
        text if text is not None else sys.stdin.read(), max_sentence_words=max_sentence_words
    )
    if as_json:
        click.echo(json.dumps(_lint_dict(report), ensure_ascii=False, indent=2))
        return
    for f in report.findings:
        click.echo(f"{f.rule:<24} «{f.match}» → {f.suggestion}")
    count = len(report.findings)
    click.echo(
        ngettext(
            "score {score:.0f} of 100 ({n} finding)",
            "score {score:.0f} of 100 ({n} findings)",
            count,
        ).format(score=report.score, n=count)
    )


def _lint_dict(report) -> dict:
    """``hub plan lint --json``: the score and each finding with its span."""
    findings = [
        {
            "rule": f.rule,
            "span": list(f.span),
            "match": f.match,
            "suggestion": f.suggestion,
            "severity": f.severity,
        }
        for f in report.findings
    ]
    return {"score": report.score, "findings": findings}


@click.command(name="reply")
@click.argument("comment")
@click.option("--template", "template_name", required=True, help="An approved template.")
@click.option("--by", help="Who answers (default: your user name).")
@click.option(
    "--resend",
    is_flag=True,
    help="You looked: the earlier answer the hub could not verify is not there; send it.",
)
@pass_ctx
def reply(obj, comment, template_name, by, resend):
    """Answer COMMENT (hub id, or ACCOUNT:COMMENT_ID) as the community, from a template."""
    config = obj.config()
    outcome = asyncio.run(
        actions.reply(
            obj.store(config, create=False), obj.pm, config, comment, template_name,
            operator_name(by), resend=resend,
        )
    )  # fmt: skip
    url = outcome.result.data.get("url")
    what = _("reply to {comment}").format(comment=comment)
    click.echo(outcome.summary(what) + (f" {url}" if url else ""))
    store = obj.store(config, create=False)
    row = store.db.execute(
        "SELECT params_json FROM actions WHERE id = ?", [outcome.action_id]
    ).fetchone()
    if row and not outcome.result.already:
        click.echo(f"  «{json.loads(row[0]).get('text', '')}»")


@click.group()
def templates():
    """Reply templates: written, then approved, then used by 'hub reply'."""


@templates.command(name="add")
@click.argument("name")
@click.option("--text", required=True, help="The answer; {author} is the resident's name.")
@click.option("--by", help="Who wrote it (default: your user name).")
@pass_ctx
def templates_add(obj, name, text, by):
    """Write a template (rewriting one withdraws its approval)."""
    config = obj.config()
    store = obj.store(config)
    before = {t.name: t for t in replies.list_templates(store)}.get(name)
    template = replies.add_template(store, name, text, operator_name(by))
    if template.approved:
        click.echo(
            _("template {name!r} unchanged (approved by {who})").format(
                name=name, who=template.approved_by
            )
        )
    elif before is not None and before.approved:
        click.echo(
            _(
                "template {name!r} rewritten; its approval by {who} is withdrawn: "
                "hub templates approve {plain}"
            ).format(name=name, who=before.approved_by, plain=name)
        )
    else:
        click.echo(
            _("template {name!r} written; approve it: hub templates approve {plain}").format(
                name=name, plain=name
            )
        )


@templates.command(name="approve")
@click.argument("name")
@click.option("--by", help="Who approves (default: your user name).")
@pass_ctx
def templates_approve(obj, name, by):
    """Approve a template so that 'hub reply' can use it."""
    config = obj.config()
    template = replies.approve_template(obj.store(config), name, operator_name(by))
    click.echo(
        _("template {name!r} approved by {who}").format(
            name=template.name, who=template.approved_by
        )
    )


@templates.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def templates_list(obj, as_json):
    """Every template and whether it is approved."""
    config = obj.config()
    items = replies.list_templates(obj.store(config))
    if as_json:
        click.echo(json.dumps([t.__dict__ for t in items], ensure_ascii=False, indent=2))
        return
    if not items:
        click.echo(_("no templates; write one: hub templates add NAME --text '...'"))
    for t in items:
        state = _("NOT approved")
        if t.approved:
            state = _("approved by {who}").format(who=t.approved_by)
        click.echo(f"{t.name:<16} {state:<24} {t.text}")
