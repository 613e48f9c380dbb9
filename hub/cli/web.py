"""``hub web`` and ``hub operators ...``: thin commands over hub.web and hub.operators."""

from __future__ import annotations

import sys

import click

from .. import operators as operators_lib
from ..errors import HubError
from ..i18n import _
from ..registry.model import list_orgs
from .common import Context, echo_json, pass_ctx


@click.command()
@click.option("--host", help="Address to listen on (default: [web] host, else 127.0.0.1).")
@click.option(
    "--port", type=click.IntRange(1, 65535), help="Port (default: [web] port, else 8080)."
)
@pass_ctx
def web(obj: Context, host, port):
    """Serve the web console (in Russian) for moderators, authors, approvers and the centre."""
    from ..web.console import Console
    from ..web.serve import serve

    console = Console(obj.config_option, obj.db_option, obj.pm)
    host = host or console.settings.host
    port = port or console.settings.port
    click.echo(
        _("the console: http://{host}:{port}/ (Ctrl+C stops it)").format(host=host, port=port)
    )
    serve(console, host, port)


@click.group()
def operators():
    """People who sign in to the web console, their roles and organizations."""


def _password(password_stdin: bool, login: str) -> str:
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
        if not password:
            raise HubError(_("no password on standard input"))
        return password
    return click.prompt(
        _("password for {login}").format(login=login), hide_input=True, confirmation_prompt=True
    )


@operators.command(name="add")
@click.argument("login")
@click.option("--role", required=True, type=click.Choice(operators_lib.ROLES))
@click.option(
    "--organization",
    "organizations",
    multiple=True,
    help="Limit to this organization's accounts (repeatable; none: all organizations).",
)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def operators_add(obj: Context, login, role, organizations, password_stdin):
    """Add an operator who may sign in to the console."""
    config = obj.config()
    store = obj.store(config)
    operators_lib.check_login(login)
    known = {o["name"] for o in list_orgs(store)} | {a.organization for a in config.accounts}
    operators_lib.check_organizations(organizations, known)  # before asking for a password
    password = _password(password_stdin, login)
    operators_lib.add(store, login, role, password, organizations, known_organizations=known)
    scope = ", ".join(organizations) if organizations else _("all organizations")
    click.echo(_("added {login} ({role}; {scope})").format(login=login, role=role, scope=scope))


@operators.command(name="list")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def operators_list(obj: Context, as_json):
    """Every operator, their role, organizations and whether they may sign in."""
    config = obj.config()
    found = operators_lib.all_operators(obj.store(config))
    if as_json:
        echo_json(
            [
                {
                    "login": o.login,
                    "role": o.role,
                    "organizations": list(o.organizations),
                    "disabled": o.disabled,
                }
                for o in found
            ]
        )
        return
    if not found:
        click.echo(_("no operators yet; 'hub operators add LOGIN --role admin' adds the first"))
    for o in found:
        scope = ", ".join(o.organizations) if o.organizations else _("all organizations")
        state = _(" (disabled)") if o.disabled else ""
        click.echo(f"{o.login:<20} {o.role:<10} {scope}{state}")


@operators.command(name="disable")
@click.argument("login")
@pass_ctx
def operators_disable(obj: Context, login):
    """Stop an operator signing in; their open sessions end now."""
    config = obj.config()
    operators_lib.disable(obj.store(config), login)
    click.echo(_("disabled {login}; their sessions ended").format(login=login))


@operators.command(name="passwd")
@click.argument("login")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@pass_ctx
def operators_passwd(obj: Context, login, password_stdin):
    """Set an operator's password; their open sessions end."""
    config = obj.config()
    store = obj.store(config)
    operators_lib.get(store, login)
    operators_lib.set_password(store, login, _password(password_stdin, login))
    click.echo(_("new password set for {login}; their sessions ended").format(login=login))
