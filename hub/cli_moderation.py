"""``hub moderate`` and ``hub moderation ...``: thin commands over hub.moderation."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sys

import click

from .cli_common import operator_name
from .errors import HubError
from .moderation import audit, service
from .sync import select_accounts


def install(cli: click.Group, pass_ctx, warn_overdue) -> None:
    @cli.command()
    @click.argument("account_ids", nargs=-1)
    @click.option("--dry-run", is_flag=True, help="Only report what would be done.")
    @pass_ctx
    def moderate(obj, account_ids, dry_run):
        """Judge every synced comment not yet judged and carry out the decisions."""
        config = obj.config()
        accounts = select_accounts(config, account_ids)
        store = obj.store(config, create=False)
        report = asyncio.run(service.moderate(store, obj.pm, config, accounts, dry_run=dry_run))
        for item in report.judged:
            if item.decision != "keep" or item.verdict.criticism:
                v = item.verdict
                flag = " [criticism]" if v.criticism else ""
                click.echo(
                    f"{item.decision:<6} #{item.comment_id} {item.account.id} "
                    f"{v.category or '-'} {v.rule}{flag}: {v.reason}"
                )
        for item in report.carried_out:
            click.echo(f"  #{item.comment_id}: {item.outcome}")
        counts = report.counts()
        verb = "would be" if dry_run else "were"
        click.echo(
            f"judged {len(report.judged)} comments: {counts['keep']} kept, "
            f"{counts['review']} {verb} queued for review, {counts['delete']} {verb} "
            "deleted"
        )
        warn_overdue(store)
        failed = [i for i in report.carried_out if not i.outcome.startswith("done")]
        if failed:
            raise HubError(f"{len(failed)} decisions could not be carried out, listed above")

    @cli.group()
    def moderation():
        """The review queue, operators' decisions, the audit log, and a classifier."""

    @moderation.command(name="queue")
    @click.option("--limit", default=50, show_default=True)
    @click.option("--json", "as_json", is_flag=True, help="Output JSON.")
    @pass_ctx
    def queue(obj, limit, as_json):
        """Comments waiting for an operator's decision."""
        config = obj.config()
        rows = service.review_queue(obj.store(config, create=False), limit)
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        if not rows:
            click.echo("the review queue is empty")
        for r in rows:
            flag = " [criticism]" if r["criticism"] else ""
            click.echo(
                f"#{r['id']:<6} {r['account_id']} {r['category'] or '-'}{flag}: "
                f"«{(r['text'] or '')[:70]}» — {r['reason']}"
            )

    @moderation.command()
    @click.argument("item_id", type=int)
    @click.option("--by", help="Who decides (default: your user name).")
    @pass_ctx
    def approve(obj, item_id, by):
        """Delete review item ITEM_ID's comment (and restrict its author as the policy says)."""
        config = obj.config()
        store = obj.store(config, create=False)
        item = asyncio.run(service.approve(store, obj.pm, config, item_id, operator_name(by)))
        click.echo(f"#{item_id}: {item.outcome}")
        if not item.outcome.startswith("done"):
            raise HubError(f"review item {item_id} was approved but not carried out")

    @moderation.command()
    @click.argument("item_id", type=int)
    @click.option("--by", help="Who decides (default: your user name).")
    @pass_ctx
    def reject(obj, item_id, by):
        """Keep review item ITEM_ID's comment."""
        config = obj.config()
        service.reject(obj.store(config, create=False), item_id, operator_name(by))
        click.echo(f"#{item_id}: kept")

    @moderation.command(name="log")
    @click.option("--verify", is_flag=True, help="Check the hash chain of the whole log.")
    @click.option("--limit", default=30, show_default=True)
    @click.option("--json", "as_json", is_flag=True, help="Output JSON.")
    @pass_ctx
    def log(obj, verify, limit, as_json):
        """The append-only, hash-chained audit log of moderation."""
        config = obj.config()
        store = obj.store(config, create=False)
        if verify:
            report = audit.verify(store)
            if not report.intact:
                raise HubError(
                    f"the audit log is broken at entry #{report.broken_at}: {report.problem}"
                )
            click.echo(
                f"the audit log's chain of {report.entries} entries is intact; its head is "
                f"{report.head} (keep it: a rewritten chain would end elsewhere)"
            )
            return
        rows = audit.entries(store, limit)
        if as_json:
            click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
            return
        for r in reversed(rows):
            click.echo(
                f"#{r['id']} {r['at']} {r['actor']} {r['event']} {r['account_id']} "
                f"comment {r['comment_id']} {r['category'] or ''}: "
                f"«{(r['comment_text'] or '')[:60]}»"
            )

    @moderation.command()
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
    @pass_ctx
    def classify(obj, as_json):
        """Read one comment per line on standard input; write one verdict per line."""
        settings = {}
        with contextlib.suppress(HubError):  # no config: the engine's defaults
            settings = obj.config().moderation
        for verdict in service.classify(obj.pm, settings, sys.stdin):
            if as_json:
                click.echo(json.dumps(verdict.as_dict(), ensure_ascii=False))
            else:
                click.echo(
                    f"{verdict.action}\t{verdict.category or '-'}\t{verdict.rule}\t"
                    f"{verdict.match or ''}\t{verdict.reason}"
                )
