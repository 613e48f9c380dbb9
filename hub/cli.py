"""The ``hub`` command line: thin commands over the library.

Expected failures (a broken config, a bad token, an unknown account) print one
line ``hub: error: ...`` and exit non-zero; no traceback reaches the user.
"""

from __future__ import annotations

import asyncio
import json
import sqlite3
import sys
from pathlib import Path

import click

from . import __version__, plugins
from .actions import ban_user, delete_comment, restore_comment, restrict_user, unban_user
from .cli_common import OPENED, database_error_line, open_store, operator_name
from .cli_compliance import install as install_compliance
from .cli_moderation import install as install_moderation
from .cli_plan import install as install_plan
from .cli_registry import install as install_registry
from .config import Config, config_path, load_config
from .db_lock import is_locked
from .errors import ConfigError, HubError
from .gospabliki.stub import stub_command as gospabliki_stub_command
from .i18n import _, ngettext, translate_commands
from .i18n import setup as setup_language
from .init import write_starter
from .live import interruptible, say
from .log import configure_logging
from .maintenance import backup_database, check_database
from .progress import TerminalProgress
from .queries import account_rows, comment_rows
from .registry import overdue_warning, sync_registry
from .safe_text import terminal_text
from .secrets import redact
from .store import Store
from .sync import (
    check_all,
    check_networks,
    interrupted_line,
    not_synced_line,
    run_sync,
    select_accounts,
    without_tokens,
)
from .unfinished import stuck_warning


class Context:
    def __init__(self, config: str | None, db: str | None):
        self.config_option = config
        self.db_option = db
        self._pm = None

    @property
    def pm(self):
        if self._pm is None:
            self._pm = plugins.make_plugin_manager()
        return self._pm

    def config(self) -> Config:
        return load_config(self.config_option, self.db_option)

    def store(self, config: Config, *, create: bool = True, readonly: bool | None = None) -> Store:
        """Read-only for a command that only reads, run by a user who cannot write the file."""
        return open_store(config.db_path, create=create, readonly=readonly)


pass_ctx = click.make_pass_decorator(Context)


@click.group()
@click.version_option(__version__, prog_name="hub")
@click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False),
    envvar=None,
    help="Config file (default: $HUB_CONFIG, else ./config/hub.toml).",
)
@click.option(
    "--db",
    type=click.Path(dir_okay=False),
    envvar="HUB_DB",
    help="SQLite database (default: $HUB_DB, else the config's [database] path).",
)
@click.option(
    "--log-json/--log-console",
    default=None,
    help="Log format (default: console on a terminal, JSON otherwise).",
)
@click.option("-v", "--verbose", is_flag=True, help="Log debug details.")
@click.pass_context
def cli(ctx: click.Context, config, db, log_json, verbose):
    """Pablik Hub: official municipal accounts in VK, OK and Telegram, synced into SQLite."""
    configure_logging(json=log_json, level="debug" if verbose else "warning")
    setup_language(config_path(config), cli)  # [ui] language of this config, else $LANG
    ctx.obj = Context(config, db)


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    default=".",
    help="Folder to set up (config/hub.toml and the database go there).",
)
def init(directory):
    """Write a starting config and create the database."""
    config_file = Path(directory) / "config" / "hub.toml"
    write_starter(config_file)
    config = load_config(config_file)
    Store.open(config.db_path).close()
    click.echo(_("wrote {config} and created {db}").format(config=config_file, db=config.db_path))
    click.echo(
        _("next: declare your accounts in the config, export their token variables, run 'hub sync'")
    )


@cli.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def plugins_command(obj: Context, as_json):
    """List loaded plugins and the networks they provide."""
    infos = plugins.describe_plugins(obj.pm)
    nets = plugins.networks(obj.pm)
    rows = []
    for info in infos:
        provided = [
            n
            for n, cls in nets.items()
            if cls.__module__.split(".")[0] == _root_module(obj.pm, info.name)
        ]
        rows.append(
            {"name": info.name, "version": info.version, "hooks": info.hooks, "networks": provided}
        )
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    if not rows:
        click.echo(_("no plugins loaded"))
    for row in rows:
        nets_text = f" networks: {', '.join(row['networks'])};" if row["networks"] else ""
        click.echo(
            f"{row['name']} {row['version'] or ''}:{nets_text} hooks: {', '.join(row['hooks'])}"
        )


def _root_module(pm, name: str) -> str:
    plugin = pm.get_plugin(name)
    return getattr(plugin, "__name__", "").split(".")[0]


@cli.group()
def accounts():
    """Accounts declared in the config and what the last sync saw."""


@accounts.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def accounts_list(obj: Context, as_json):
    """List configured accounts with their synced names and last sync status."""
    config = obj.config()
    store = obj.store(config, create=False)
    if not store.readonly:  # read-only: the accounts as the hub last synced them
        store.sync_accounts_from_config(config.accounts)
    rows = account_rows(store, config)
    if as_json:  # page names come from the networks
        click.echo(terminal_text(json.dumps(rows, ensure_ascii=False, indent=2)))
        return
    for r in rows:
        click.echo(
            terminal_text(
                f"{r['id']:<20} {r['network']:<9} {r['external_id']:<12} "
                f"{r['posts']:>6} {ngettext('post', 'posts', r['posts'])} "
                f"{r['comments']:>7} {ngettext('comment', 'comments', r['comments'])}  "
                f"{r['last_status'] or _('never synced')}  {r['name'] or r['organization']}"
            )
        )


@cli.command()
@click.argument("account_ids", nargs=-1)
@click.option("--network", help="Only accounts of this network.")
@click.option("--full", is_flag=True, help="Re-read every post and comment, ignoring cursors.")
@pass_ctx
def sync(obj: Context, account_ids, network, full):
    """Sync posts and comments of ACCOUNT_IDS (default: every account)."""
    config = obj.config()
    accounts_ = select_accounts(config, account_ids, network)
    check_networks(obj.pm, config, accounts_)
    ready, missing = without_tokens(accounts_)  # skipped as the daemon parks them, all named
    if missing and not ready:  # nothing to sync: one line, and no database is written
        raise ConfigError(not_synced_line(missing))
    if missing:
        say(terminal_text(not_synced_line(missing)), err=True)
    store = obj.store(config)
    sync_registry(store, config)  # accounts new to the config open their notices
    runs: list = []
    with (
        interruptible(lambda: interrupted_line(runs, len(ready))),
        TerminalProgress(sys.stderr) as progress,
    ):

        def done(run) -> None:  # each account's line as soon as it is recorded
            runs.append(run)
            progress.say(terminal_text(run.summary()), sys.stdout)  # may quote a network

        returned = []
        if ready:
            returned = asyncio.run(
                run_sync(
                    store,
                    obj.pm,
                    config,
                    ready,
                    full=full,
                    progress=progress.update,
                    on_done=done,
                    waiting=progress.waiting,
                )
            )
        for run in returned:
            if not any(r is run for r in runs):
                done(run)
    warn_overdue(store)
    failed = len([r for r in runs if not r.ok]) + len(missing)
    total = len(runs) + len(missing)
    if failed:
        raise HubError(
            ngettext(
                "{failed} of {total} account did not sync",
                "{failed} of {total} accounts did not sync",
                total,
            ).format(failed=failed, total=total)
        )


def warn_overdue(store: Store) -> None:
    """Every run's summary ends with overdue notices and stuck actions, if any."""
    for warning in (overdue_warning(store), stuck_warning(store)):
        if warning:
            click.echo(_("warning: {message}").format(message=warning), err=True)


@cli.group()
def comments():
    """Synced comments: deleting one, and restoring it."""


@comments.command(name="list")
@click.option("--account", "account_id", help="Only this account.")
@click.option("--limit", default=20, show_default=True, help="How many, newest first.")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def comments_list(obj: Context, account_id, limit, as_json):
    """Show the newest comments with their hub ids."""
    config = obj.config()
    if account_id:
        config.account(account_id)
    rows = comment_rows(obj.store(config, create=False), account_id, limit)
    if as_json:  # residents' text: no escape sequence reaches the terminal (still JSON)
        click.echo(terminal_text(json.dumps(rows, ensure_ascii=False, indent=2)))
        return
    for r in rows:
        state = _(" [deleted]") if r["deleted_at"] else ""
        click.echo(
            terminal_text(
                f"#{r['id']:<7} {r['account_id']}:{r['network_id']} "
                f"{r['published_at']} {r['author'] or r['author_id']}{state}: "
                f"{(r['text'] or '')[:80]}"
            )
        )


@comments.command(name="delete")
@click.argument("comment")
@click.option("--block-author", is_flag=True, help="Also block (ban) the comment's author.")
@pass_ctx
def comments_delete(obj: Context, comment, block_author):
    """Delete COMMENT (hub id, or ACCOUNT:COMMENT_ID) on its network."""
    config = obj.config()
    store = obj.store(config)
    outcome = asyncio.run(delete_comment(store, obj.pm, config, comment, block_author=block_author))
    what = _("delete comment {comment}").format(comment=comment)
    click.echo(terminal_text(outcome.summary(what)))


@comments.command(name="restore")
@click.argument("comment")
@click.option("--by", help="Who restores it (default: your user name); logged.")
@pass_ctx
def comments_restore(obj: Context, comment, by):
    """Bring back deleted COMMENT (hub id, or ACCOUNT:COMMENT_ID) where its network allows."""
    config = obj.config()
    store = obj.store(config)
    actor = f"operator:{operator_name(by)}"
    outcome = asyncio.run(restore_comment(store, obj.pm, config, comment, actor))
    what = _("restore comment {comment}").format(comment=comment)
    click.echo(terminal_text(outcome.summary(what)))


@cli.group()
def users():
    """Restricting users in an account's community, and lifting it."""


@users.command(name="ban")
@click.argument("account_id")
@click.argument("user")
@click.option("--days", type=int, help="Length of the ban (1..365); omit for a permanent ban.")
@click.option("--reason", required=True, help="Why; shown to the user where the network allows.")
@click.option(
    "--category",
    default="other",
    show_default=True,
    type=click.Choice(["other", "spam", "abuse", "language", "flood"]),
    help="The network's reason category.",
)
@pass_ctx
def users_ban(obj: Context, account_id, user, days, reason, category):
    """Ban USER in ACCOUNT_ID's community."""
    config = obj.config()
    store = obj.store(config)
    outcome = asyncio.run(
        ban_user(
            store, obj.pm, config, account_id, user, days=days, reason=reason, category=category
        )
    )
    click.echo(
        outcome.summary(_("ban user {user} in {account}").format(user=user, account=account_id))
    )


@users.command(name="restrict")
@click.argument("account_id")
@click.argument("user")
@click.option("--days", type=int, help="How long (1..365); omit to mute until lifted.")
@click.option("--reason", required=True, help="Why; kept in the action log.")
@pass_ctx
def users_restrict(obj: Context, account_id, user, days, reason):
    """Mute USER in ACCOUNT_ID's community: their messages stay, new ones are stopped."""
    config = obj.config()
    store = obj.store(config)
    outcome = asyncio.run(
        restrict_user(store, obj.pm, config, account_id, user, days=days, reason=reason)
    )
    click.echo(
        outcome.summary(_("mute user {user} in {account}").format(user=user, account=account_id))
    )


@users.command(name="unban")
@click.argument("account_id")
@click.argument("user")
@click.option("--by", help="Who lifts it (default: your user name); logged.")
@pass_ctx
def users_unban(obj: Context, account_id, user, by):
    """Lift USER's ban or mute in ACCOUNT_ID's community."""
    config = obj.config()
    store = obj.store(config)
    actor = f"operator:{operator_name(by)}"
    outcome = asyncio.run(unban_user(store, obj.pm, config, account_id, user, actor))
    what = _("unban user {user} in {account}").format(user=user, account=account_id)
    click.echo(terminal_text(outcome.summary(what)))


@accounts.command(name="check")
@click.argument("account_ids", nargs=-1)
@pass_ctx
def accounts_check(obj: Context, account_ids):
    """Check every right the hub uses on ACCOUNT_IDS (default: every account).

    One line per right: ok, PROBLEM (with what to do) or not checked (the network
    cannot tell without doing it); exit 1 if any PROBLEM."""
    config = obj.config()
    accounts_ = select_accounts(config, account_ids)
    results = asyncio.run(check_all(obj.pm, config, accounts_))
    statuses = {"ok": _("ok"), "PROBLEM": _("PROBLEM"), "not checked": _("not checked")}
    for account, findings in results:
        for finding in findings:
            line = f"{account.id}: {statuses[finding.status]}: {finding.text}"
            click.echo(terminal_text(redact(line)))
    bad = [a.id for a, findings in results if any(f.status == "PROBLEM" for f in findings)]
    problems = sum(f.status == "PROBLEM" for _a, findings in results for f in findings)
    if problems:
        raise HubError(
            ngettext(
                "{account}: {n} problem to fix, listed above",
                "{account}: {n} problems to fix, listed above",
                problems,
            ).format(account=", ".join(bad), n=problems)
        )


@cli.group()
def report():
    """Reports to Gospabliki and the regional centre."""


@report.command(name="push")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@click.option("--first", is_flag=True, help="Send the first report without a dry run first.")
@pass_ctx
def report_push(obj: Context, dry_run, first):
    """Send the registry, per-account statistics and pending notices to Gospabliki.

    The first report goes only after a person has seen it (--dry-run) or with --first."""
    from .errors import ConfigError
    from .report import preview, preview_lines, push

    if dry_run and first:
        raise ConfigError(_("give --dry-run (look first) or --first (send now), not both"))
    config = obj.config()
    store = obj.store(config)
    if dry_run:
        for line in preview_lines(preview(store, config)):
            click.echo(terminal_text(line))  # page titles come from the networks
        click.echo(_("dry run: nothing was sent; 'hub report push' sends this"))
        return
    outcome = asyncio.run(push(store, config, first=first))
    again = _(" (the report waiting from an earlier attempt)") if outcome.resent else ""
    click.echo(
        ngettext(
            "Gospabliki accepted the report{again}: receipt {receipt}; {n} notice marked sent",
            "Gospabliki accepted the report{again}: receipt {receipt}; {n} notices marked sent",
            outcome.notices_marked,
        ).format(again=again, receipt=outcome.receipt, n=outcome.notices_marked)
    )
    warn_overdue(store)


@cli.command()
@click.option("--cycles", type=int, help="Stop after N cycles (default: run until signalled).")
@click.option("--metrics-port", type=int, help="Serve /healthz and /metrics on this port.")
@click.option("--metrics-host", default="127.0.0.1", show_default=True)
@click.pass_context
def daemon(ctx: click.Context, cycles, metrics_port, metrics_host):
    """Run every account on its schedule, moderation, notices and reports (JSON logs)."""
    from .daemon.runner import Daemon

    obj: Context = ctx.obj
    if ctx.parent.params.get("log_json") is None:
        configure_logging(json=True, level="debug" if ctx.parent.params.get("verbose") else "info")
    obj.config()  # a broken config stops here, with one line
    runner = Daemon(
        config_path(obj.config_option),
        obj.pm,
        db_override=obj.db_option,
        cycles=cycles,
        metrics_host=metrics_host,
        metrics_port=metrics_port,
    )
    sys.exit(asyncio.run(runner.run()))


@cli.group()
def db():
    """The database: an online backup and an integrity check."""


@db.command(name="backup")
@click.argument("target", type=click.Path(dir_okay=False))
@pass_ctx
def db_backup(obj: Context, target):
    """Write a consistent copy of the database to TARGET while the hub keeps running."""
    config = obj.config()
    store = obj.store(config, create=False)
    pages = backup_database(store, Path(target))
    click.echo(
        ngettext(
            "backed up {db} to {target} ({n} page)",
            "backed up {db} to {target} ({n} pages)",
            pages,
        ).format(db=config.db_path, target=target, n=pages)
    )


@db.command(name="check")
@pass_ctx
def db_check(obj: Context):
    """Check the database's integrity and its foreign keys."""
    config = obj.config()
    problems = check_database(obj.store(config, create=False))
    if problems:
        for problem in problems:
            click.echo(_("PROBLEM: {problem}").format(problem=problem))
        raise HubError(
            ngettext(
                "{db} has {n} problem, listed above",
                "{db} has {n} problems, listed above",
                len(problems),
            ).format(db=config.db_path, n=len(problems))
        )
    click.echo(_("{db}: integrity ok, foreign keys ok").format(db=config.db_path))


@db.command(name="migrate")
@pass_ctx
def db_migrate(obj: Context):
    """Bring the database's schema up to this version (any command that writes does it too)."""
    config = obj.config()
    store = obj.store(config, create=False, readonly=False)
    done = store.db.execute("SELECT COUNT(*) FROM _hub_migrations").fetchone()[0]
    click.echo(
        ngettext(
            "{db}: the schema is up to date ({n} migration)",
            "{db}: the schema is up to date ({n} migrations)",
            done,
        ).format(db=config.db_path, n=done)
    )


install_moderation(cli, pass_ctx, warn_overdue)
install_plan(cli, pass_ctx)
install_registry(cli, pass_ctx)
install_compliance(cli, pass_ctx)
cli.add_command(gospabliki_stub_command)


class EmulatorGroup(click.Group):
    """Subcommands come from plugins' ``register_emulators`` hook."""

    def _commands(self):
        return plugins.emulators(plugins.make_plugin_manager())

    def list_commands(self, ctx):
        return sorted(self._commands())

    def get_command(self, ctx, name):
        return translate_commands(self._commands().get(name))


@cli.group(cls=EmulatorGroup)
def emulator():
    """Run a network emulator on loopback (for demos, tests and plugin authors)."""


@cli.command()
@click.option(
    "--dir",
    "directory",
    type=click.Path(file_okay=False),
    help="Keep the demo's config and database here (default: a temporary folder).",
)
def demo(directory):
    """The whole hub on the built-in emulators: sync, moderation, content plan, compliance,
    registry and reports to Gospabliki, in a fresh folder."""
    from .demo import run_demo

    run_demo(directory)


def main(argv: list[str] | None = None) -> None:
    setup_language(config_path(None), cli)  # for 'hub --help'; the group's callback again
    try:
        cli.main(args=argv, prog_name="hub", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo(_("hub: interrupted"), err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except HubError as exc:
        click.echo(
            _("hub: error: {message}").format(message=terminal_text(redact(str(exc)))), err=True
        )
        sys.exit(exc.exit_code)
    except sqlite3.Error as exc:
        if is_locked(exc) and OPENED:  # waited out the busy timeout: say who holds it
            line = redact(database_error_line(exc))
            click.echo(_("hub: error: {message}").format(message=line), err=True)
            sys.exit(1)
        click.echo(
            _(
                "hub: error: database: {message} (is another hub writing to it, "
                "or is the file read-only?)"
            ).format(message=redact(str(exc))),
            err=True,
        )
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo(_("hub: interrupted"), err=True)
        sys.exit(130)
