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
from .actions import ban_user, delete_comment, restrict_user
from .cli_compliance import install as install_compliance
from .cli_moderation import install as install_moderation
from .cli_plan import install as install_plan
from .cli_registry import install as install_registry
from .config import Config, config_path, load_config
from .errors import HubError
from .gospabliki.stub import stub_command as gospabliki_stub_command
from .init import write_starter
from .log import configure_logging
from .maintenance import backup_database, check_database
from .progress import TerminalProgress
from .queries import account_rows, comment_rows
from .registry import overdue_warning, sync_registry
from .secrets import redact
from .store import Store
from .sync import check_account, check_accounts, run_sync, select_accounts


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

    def store(self, config: Config, *, create: bool = True) -> Store:
        return Store.open(config.db_path, create=create)


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
    "--db", type=click.Path(dir_okay=False), help="SQLite database (overrides the config)."
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
    click.echo(f"wrote {config_file} and created {config.db_path}")
    click.echo(
        "next: declare your accounts in the config, export their token variables, run 'hub sync'"
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
        click.echo("no plugins loaded")
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
    store.sync_accounts_from_config(config.accounts)
    rows = account_rows(store, config)
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        click.echo(
            f"{r['id']:<20} {r['network']:<9} {r['external_id']:<12} "
            f"{r['posts']:>6} posts {r['comments']:>7} comments  "
            f"{r['last_status'] or 'never synced'}  {r['name'] or r['organization']}"
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
    check_accounts(obj.pm, config, accounts_)
    store = obj.store(config)
    sync_registry(store, config)  # accounts new to the config open their notices
    with TerminalProgress(sys.stderr) as progress:
        runs = asyncio.run(
            run_sync(store, obj.pm, config, accounts_, full=full, progress=progress.update)
        )
    for run in runs:
        click.echo(run.summary())
    warn_overdue(store)
    failed = [r for r in runs if not r.ok]
    if failed:
        raise HubError(f"{len(failed)} of {len(runs)} accounts did not sync")


def warn_overdue(store: Store) -> None:
    """Every run's summary ends with overdue notices to the regional centre, if any."""
    warning = overdue_warning(store)
    if warning:
        click.echo(f"warning: {warning}", err=True)


@cli.group()
def comments():
    """Synced comments, and deleting one."""


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
    if as_json:
        click.echo(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    for r in rows:
        state = " [deleted]" if r["deleted_at"] else ""
        click.echo(
            f"#{r['id']:<7} {r['account_id']}:{r['network_id']} "
            f"{r['published_at']} {r['author'] or r['author_id']}{state}: "
            f"{(r['text'] or '')[:80]}"
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
    click.echo(outcome.summary(f"delete comment {comment}"))


@cli.group()
def users():
    """Restricting users in an account's community."""


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
    click.echo(outcome.summary(f"ban user {user} in {account_id}"))


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
    click.echo(outcome.summary(f"mute user {user} in {account_id}"))


@accounts.command(name="check")
@click.argument("account_id")
@pass_ctx
def accounts_check(obj: Context, account_id):
    """Check that the hub can read and moderate ACCOUNT_ID; gaps are said in plain words."""
    config = obj.config()
    findings = asyncio.run(check_account(obj.pm, config, config.account(account_id)))
    for finding in findings:
        click.echo(f"{'ok' if finding.ok else 'PROBLEM'}: {finding.text}")
    problems = sum(not f.ok for f in findings)
    if problems:
        raise HubError(f"{account_id}: {problems} problem(s) to fix, listed above")


@cli.group()
def report():
    """Reports to Gospabliki and the regional centre."""


@report.command(name="push")
@pass_ctx
def report_push(obj: Context):
    """Send the registry, per-account statistics and pending notices to Gospabliki."""
    from .report import push

    config = obj.config()
    store = obj.store(config)
    outcome = asyncio.run(push(store, config))
    again = " (the report waiting from an earlier attempt)" if outcome.resent else ""
    click.echo(
        f"Gospabliki accepted the report{again}: receipt {outcome.receipt}; "
        f"{outcome.notices_marked} notices marked sent"
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
    click.echo(f"backed up {config.db_path} to {target} ({pages} pages)")


@db.command(name="check")
@pass_ctx
def db_check(obj: Context):
    """Check the database's integrity and its foreign keys."""
    config = obj.config()
    problems = check_database(obj.store(config, create=False))
    if problems:
        for problem in problems:
            click.echo(f"PROBLEM: {problem}")
        raise HubError(f"{config.db_path} has {len(problems)} problem(s), listed above")
    click.echo(f"{config.db_path}: integrity ok, foreign keys ok")


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
        return self._commands().get(name)


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
    try:
        cli.main(args=argv, prog_name="hub", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("hub: interrupted", err=True)
        sys.exit(130)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except HubError as exc:
        click.echo(f"hub: error: {redact(str(exc))}", err=True)
        sys.exit(exc.exit_code)
    except sqlite3.Error as exc:
        click.echo(
            f"hub: error: database: {redact(str(exc))} (is another hub writing to it, "
            "or is the file read-only?)",
            err=True,
        )
        sys.exit(1)
    except KeyboardInterrupt:
        click.echo("hub: interrupted", err=True)
        sys.exit(130)
