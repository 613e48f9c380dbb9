"""``hub appeals ...``: thin commands over hub.appeals.service."""

from __future__ import annotations

import asyncio

import click

from ..appeals import service
from ..appeals.finding import KIND_TITLES
from ..i18n import _
from ..safe_text import terminal_text
from .common import Context, echo_json, operator_name, pass_ctx

by_option = click.option("--by", help="Who acts (default: your user name).")


@click.group()
def appeals():
    """Residents' questions, complaints and requests: due, answered, closed."""


def _line(a: dict) -> str:
    late = _(" OVERDUE") if a["overdue"] else ""
    topic = f" [{a['topic']}]" if a["topic"] else ""
    return terminal_text(
        f"#{a['id']:<5} {a['status']:<8}{late} {a['account_id']} {a['kind']}{topic} "
        f"due {a['due_at']}: «{(a['text'] or '')[:70]}»"
    )


@appeals.command(name="list")
@click.option("--overdue", is_flag=True, help="Only open appeals past their deadline.")
@click.option("--account", help="Only this account's appeals.")
@click.option("--status", type=click.Choice(service.STATUSES), help="Only appeals in this state.")
@click.option("--limit", default=100, show_default=True, type=click.IntRange(min=0), help="0: all.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def appeals_list(obj: Context, overdue, account, status, limit, as_json):
    """Appeals, open first and due first."""
    config = obj.config()
    if account:
        config.account(account)
    rows = service.list_appeals(
        obj.store(config, create=False),
        accounts=[account] if account else None,
        status=status,
        overdue=overdue,
        limit=limit,
    )
    if as_json:
        echo_json(rows)
        return
    for row in rows:
        click.echo(_line(row))
    if not rows:
        click.echo(_("no appeals match"))


@appeals.command(name="show")
@click.argument("appeal_id")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def appeals_show(obj: Context, appeal_id, as_json):
    """One appeal: the comment, why it is an appeal, its deadline and answer."""
    config = obj.config()
    a = service.get_appeal(obj.store(config, create=False), appeal_id)
    if as_json:
        echo_json(a)
        return
    click.echo(_line(a))
    click.echo(
        terminal_text(
            _("  {kind} ({rule}: «{match}»), received {received}").format(
                kind=KIND_TITLES[a["kind"]],
                rule=a["rule"],
                match=a["match"] or "",
                received=a["received_at"],
            )
        )
    )
    if a["answered_at"]:
        click.echo(
            _("  answered {at} by {by}, in {minutes} min").format(
                at=a["answered_at"], by=a["answered_by"], minutes=a["response_minutes"]
            )
        )
    if a["closed_at"]:
        click.echo(
            terminal_text(
                _("  closed {at} by {by}: {reason}").format(
                    at=a["closed_at"], by=a["closed_by"], reason=a["close_reason"]
                )
            )
        )


@appeals.command(name="answer")
@click.argument("appeal_id")
@click.option("--template", help="Answer with this approved template.")
@click.option("--text", help="Answer with this text.")
@click.option("--elsewhere", help="It was answered elsewhere (by phone, a letter): say how.")
@by_option
@pass_ctx
def appeals_answer(obj: Context, appeal_id, template, text, elsewhere, by):
    """Answer an appeal as the community (posted once, through the outbox)."""
    config = obj.config()
    store = obj.store(config)
    done = asyncio.run(
        service.answer(
            store,
            obj.pm,
            config,
            appeal_id,
            by=operator_name(by),
            template=template,
            text=text,
            elsewhere=elsewhere,
        )
    )
    click.echo(terminal_text(done.line))


@appeals.command(name="assign")
@click.argument("appeal_id")
@click.option("--to", "to", required=True, help="Who is to answer it.")
@by_option
@pass_ctx
def appeals_assign(obj: Context, appeal_id, to, by):
    """Say who is to answer an appeal."""
    config = obj.config()
    a = service.assign(obj.store(config), appeal_id, to, by=operator_name(by))
    click.echo(terminal_text(_("appeal {id}: assigned to {to}").format(id=a["id"], to=to)))


@appeals.command(name="close")
@click.argument("appeal_id")
@click.option("--reason", required=True, help="Why it needs no answer (a duplicate, …).")
@by_option
@pass_ctx
def appeals_close(obj: Context, appeal_id, reason, by):
    """Close an appeal without an answer, for a reason."""
    config = obj.config()
    a = service.close(obj.store(config), appeal_id, reason, by=operator_name(by))
    click.echo(terminal_text(_("appeal {id}: closed ({reason})").format(id=a["id"], reason=reason)))
