"""``hub moderate`` and ``hub moderation ...``: thin commands over hub.moderation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys

import click

from ..actions import unfinished
from ..errors import HubError
from ..i18n import _, ngettext
from ..live import interruptible, say
from ..moderation import audit, service
from ..safe_text import terminal_text
from ..sync import select_accounts
from ..verdicts import CATEGORIES
from .common import Context, echo_json, operator_name, pass_ctx, warn_overdue


@click.command()
@click.argument("account_ids", nargs=-1)
@click.option("--dry-run", is_flag=True, help="Only report what would be done.")
@pass_ctx
def moderate(obj: Context, account_ids, dry_run):
    """Judge every synced comment not yet judged and carry out the decisions."""
    config = obj.config()
    accounts = select_accounts(config, account_ids)
    store = obj.store(config, create=False)
    tally = {"judged": 0, "delete": 0, "review": 0, "deleted": 0}
    with interruptible(lambda: _interrupted_line(tally)):
        report = asyncio.run(
            service.moderate(
                store, obj.pm, config, accounts, dry_run=dry_run, on_item=_say_item(tally)
            )
        )
    for resumed in report.resumed:
        click.echo(
            terminal_text(
                _("  resumed {account}: {outcome}").format(
                    account=resumed.account_id, outcome=resumed.outcome
                )
            )
        )
    click.echo(_judged_line(len(report.judged), report.counts(), dry_run))
    warn_overdue(store)
    failed = [i for i in report.carried_out if not i.outcome.startswith("done")]
    failed += [r for r in report.resumed if not r.ok]
    if failed:
        raise HubError(
            ngettext(
                "{n} action could not be carried out yet, listed above",
                "{n} actions could not be carried out yet, listed above",
                len(failed),
            ).format(n=len(failed))
        )


def _interrupted_line(tally: dict[str, int]) -> str:
    return _(
        "interrupted: judged {judged}, deleted {deleted}, queued {queued}; "
        "the rest continues on the next run"
    ).format(judged=tally["judged"], deleted=tally["deleted"], queued=tally["review"])


def _say_item(tally: dict[str, int]):
    """``on_item`` for :func:`hub.moderation.service.moderate`: each line as it happens."""

    def on_item(stage: str, item) -> None:
        if stage == "carried_out":
            tally["deleted"] += item.outcome.startswith("done")
            say(terminal_text(f"  #{item.comment_id}: {item.outcome}"))
            return
        tally["judged"] += 1
        tally[item.decision] = tally.get(item.decision, 0) + 1
        if item.decision != "keep" or item.verdict.criticism:
            v = item.verdict
            flag = _(" [criticism]") if v.criticism else ""
            say(
                terminal_text(  # a reason quotes the comment
                    f"{item.decision:<6} #{item.comment_id} {item.account.id} "
                    f"{v.category or '-'} {v.rule}{flag}: {v.reason}"
                )
            )

    return on_item


def _judged_line(judged: int, counts, dry_run: bool) -> str:
    if dry_run:
        text = ngettext(
            "judged {n} comment: {keep} kept, {review} would be queued for review, "
            "{delete} would be deleted",
            "judged {n} comments: {keep} kept, {review} would be queued for review, "
            "{delete} would be deleted",
            judged,
        )
    else:
        text = ngettext(
            "judged {n} comment: {keep} kept, {review} were queued for review, "
            "{delete} were deleted",
            "judged {n} comments: {keep} kept, {review} were queued for review, "
            "{delete} were deleted",
            judged,
        )
    return text.format(
        n=judged, keep=counts["keep"], review=counts["review"], delete=counts["delete"]
    )


@click.group()
def moderation():
    """The review queue, operators' decisions, the audit log, and a classifier."""


@moderation.command(name="queue")
@click.option("--account", help="Only this account's items (its id in the config).")
@click.option(
    "--category",
    help=f"Only this category ({', '.join(CATEGORIES)}); '-' for items with none (floods).",
)
@click.option("--rule", help="Only this rule's items, e.g. flood.same_text.")
@click.option("--limit", default=50, show_default=True, type=click.IntRange(min=0), help="0: all.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def queue(obj: Context, account, category, rule, limit, as_json):
    """Comments waiting for an operator: 'hub moderation delete' or 'keep' them by id."""
    config = obj.config()
    if account:
        config.account(account)  # an unknown id is a mistake, not an empty queue
    page = service.review_queue(
        obj.store(config, create=False), limit, account=account, category=category, rule=rule
    )
    if as_json:  # residents' text: no escape sequence reaches the terminal (still JSON)
        data = {"total": page.total, "items": page.rows}
        echo_json(data)
        return
    for r in page:
        flag = _(" [criticism]") if r["criticism"] else ""
        click.echo(
            terminal_text(
                f"#{r['id']:<6} {r['account_id']} {r['category'] or '-'} {r['rule']}{flag}: "
                f"«{(r['text'] or '')[:70]}» — {r['reason']}"
            )
        )
    click.echo(_queue_summary(page, account or category or rule))


def _queue_summary(page, filtered) -> str:
    if page.total == 0:
        if filtered:
            return _("no review item matches these filters")
        return _("the queue is empty")
    more = _("; --limit 0 shows all") if len(page) < page.total else ""
    return _("showing {shown} of {total}{more}").format(
        shown=len(page), total=page.total, more=more
    )


def _report(decided, failed_line: str) -> None:
    """One line per item; a non-zero exit if any failed (the others were still done)."""
    for d in decided:
        click.echo(terminal_text(d.line))
    failed = [d for d in decided if not d.ok]
    if failed:
        raise HubError(failed_line.format(failed=len(failed), total=len(decided)))


def _delete(obj: Context, item_ids, by) -> None:
    config = obj.config()
    store = obj.store(config, create=False)
    who = operator_name(by)
    decided = asyncio.run(service.delete_items(store, obj.pm, config, item_ids, who))
    _report(decided, _("{failed} of {total} review items not deleted, see above"))


def _keep(obj: Context, item_ids, by) -> None:
    config = obj.config()
    store = obj.store(config, create=False)
    decided = service.keep_items(store, item_ids, operator_name(by))
    _report(decided, _("{failed} of {total} review items not kept, see above"))


def _renamed(old: str, new: str, what: str) -> None:
    click.echo(
        _(
            "hub: warning: 'hub moderation {old}' is now 'hub moderation {new}' ({what}); "
            "the old name goes in the next release"
        ).format(old=old, new=new, what=what),
        err=True,
    )


item_ids_argument = click.argument("item_ids", nargs=-1, required=True)
by_option = click.option("--by", help="Who decides (default: your user name).")


@moderation.command(name="delete")
@item_ids_argument
@by_option
@pass_ctx
def delete(obj: Context, item_ids, by):
    """Delete these review items' comments; restrict their authors as the policy says."""
    _delete(obj, item_ids, by)


@moderation.command(name="keep")
@item_ids_argument
@by_option
@pass_ctx
def keep(obj: Context, item_ids, by):
    """Keep these review items' comments: nothing is sent, the decision is logged."""
    _keep(obj, item_ids, by)


@moderation.command(name="approve", hidden=True)
@item_ids_argument
@by_option
@pass_ctx
def approve(obj: Context, item_ids, by):
    """Old name of 'delete'."""
    _renamed("approve", "delete", _("it deletes the comment"))
    _delete(obj, item_ids, by)


@moderation.command(name="reject", hidden=True)
@item_ids_argument
@by_option
@pass_ctx
def reject(obj: Context, item_ids, by):
    """Old name of 'keep'."""
    _renamed("reject", "keep", _("it keeps the comment"))
    _keep(obj, item_ids, by)


@moderation.command(name="log")
@click.option("--verify", is_flag=True, help="Check the hash chain of the whole log.")
@click.option("--limit", default=30, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def log(obj: Context, verify, limit, as_json):
    """The append-only, hash-chained audit log of moderation."""
    config = obj.config()
    store = obj.store(config, create=False)
    if verify:
        click.echo(_verified_line(audit.verify(store)))
        return
    rows = audit.entries(store, limit)
    if as_json:  # residents' text: no escape sequence reaches the terminal (still JSON)
        echo_json(rows)
        return
    for r in reversed(rows):
        click.echo(
            terminal_text(
                f"#{r['id']} {r['at']} {r['actor']} {r['event']} {r['account_id']} "
                f"comment {r['comment_id']} {r['category'] or ''}: "
                f"«{(r['comment_text'] or '')[:60]}»"
            )
        )


def _verified_line(report) -> str:
    """What ``--verify`` says of an intact chain; a broken one is an error."""
    if not report.intact:
        raise HubError(
            _("the audit log is broken at entry #{n}: {problem}").format(
                n=report.broken_at, problem=report.problem
            )
        )
    return ngettext(
        "the audit log's chain of {n} entry is intact; its head is "
        "{head} (keep it: a rewritten chain would end elsewhere)",
        "the audit log's chain of {n} entries is intact; its head is "
        "{head} (keep it: a rewritten chain would end elsewhere)",
        report.entries,
    ).format(n=report.entries, head=report.head)


@moderation.command()
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
@pass_ctx
def classify(obj: Context, as_json):
    """Read one comment per line on standard input; write one verdict per line."""
    settings = {}
    with contextlib.suppress(HubError):  # no config: the engine's defaults
        settings = obj.config().moderation
    for verdict in service.classify(obj.pm, settings, sys.stdin):
        if as_json:
            click.echo(json.dumps(verdict.as_dict(), ensure_ascii=False))
        else:
            click.echo(
                terminal_text(  # the match and reason quote the input (tabs are kept)
                    f"{verdict.action}\t{verdict.category or '-'}\t{verdict.rule}\t"
                    f"{verdict.match or ''}\t{verdict.reason}"
                )
            )


@moderation.command(name="stuck")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def stuck(obj: Context, as_json):
    """What the hub stopped trying by itself after repeated failures: a person must look."""
    config = obj.config()
    items = unfinished.stuck(obj.store(config, create=False))
    if as_json:
        echo_json([vars(i) for i in items])
        return
    if not items:
        click.echo(_("nothing is stuck: every action finished or is still being tried"))
        return
    for i in items:
        click.echo(terminal_text(_stuck_line(i)))  # the error quotes a network's answer
    click.echo(
        _(
            "{n} stuck. A verdict: delete or keep the comment by hand, then "
            "'hub moderation log'; an action: check it on the network and repeat the command "
            "that made it; a publication: 'hub plan resolve'"
        ).format(n=len(items))
    )


def _stuck_line(i) -> str:
    return f"{i.ref:<14} {i.account_id} {i.kind}, " + ngettext(
        "{n} try, since {since}: {error}",
        "{n} tries, since {since}: {error}",
        i.attempts,
    ).format(n=i.attempts, since=i.since, error=i.error or _("no answer recorded"))
