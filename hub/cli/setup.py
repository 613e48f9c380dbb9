"""``hub init`` and ``hub plugins``: setting a hub up and seeing what it loaded."""

from __future__ import annotations

import json
from pathlib import Path

import click

from .. import plugins
from ..config import load_config
from ..i18n import _
from ..init import write_starter
from ..store import Store
from .common import Context, pass_ctx


@click.command()
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


@click.command(name="plugins")
@click.option("--json", "as_json", is_flag=True, help="Output JSON.")
@pass_ctx
def plugins_command(obj: Context, as_json):
    """List loaded plugins and the networks they provide."""
    rows = _plugin_rows(obj.pm)
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


def _plugin_rows(pm) -> list[dict]:
    """Each plugin with its version, its hooks and the networks its package provides."""
    nets = plugins.networks(pm)
    rows = []
    for info in plugins.describe_plugins(pm):
        root = getattr(pm.get_plugin(info.name), "__name__", "").split(".")[0]
        provided = [n for n, cls in nets.items() if cls.__module__.split(".")[0] == root]
        rows.append(
            {"name": info.name, "version": info.version, "hooks": info.hooks, "networks": provided}
        )
    return rows
