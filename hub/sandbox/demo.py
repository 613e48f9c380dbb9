"""``hub demo``: the whole hub on a fresh machine, against the built-in emulators.

Starts the VK, OK and Telegram emulators, and any other network's that a plugin registers
(MAX's; each got from the plugins'
``register_emulators`` hook, never by importing a plugin) and the Gospabliki stub on free
loopback ports, writes a config and a fresh SQLite database, runs the daemon
through a cycle, lets new activity arrive, runs another, and shows what a user
should see: accounts synced, posts and comments, moderation decisions with
their reasons, the registry page written, the report accepted by Gospabliki —
and that repeating an operator's action is safe. Everything it starts, it stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from pathlib import Path

import click

from hub import plugins
from hub.actions.commands import delete_comment, reply
from hub.config import load_config
from hub.log import configure_logging
from hub.registry import export_registry
from hub.store import Store

TOKENS = {
    "HUB_DEMO_VK_TOKEN": "demo-vk-token",
    "HUB_DEMO_OK_TOKEN": "demo-ok-token",
    "HUB_DEMO_OK_SECRET": "demo-ok-app-secret",
    "HUB_DEMO_TG_TOKEN": "123456789:AAH-demo-telegram-token",
    "HUB_DEMO_MAX_TOKEN": "demo-max-bot-token",
    "HUB_DEMO_GOSPABLIKI_TOKEN": "demo-gospabliki-token",
}
ORGANIZATIONS = [
    ("Администрация Октябрьского района", "administration", None),
    (
        "Администрация Клочковского сельсовета",
        "administration",
        "Администрация Октябрьского района",
    ),
    ("МБОУ «Амурзетская СОШ»", "subordinate", "Администрация Октябрьского района"),
]
#: organizations with no page of their own in the demo, and why (the registry shows it)
EXEMPT = {"МБОУ «Амурзетская СОШ»": "новости школы публикует администрация района"}


def _page_names(vk, ok, tg, mx=None) -> dict[tuple[str, object], str]:
    """What each emulated page is called (the emulators name them after administrations)."""
    names: dict[tuple[str, object], str] = {}
    for gid, community in vk.state.communities.items():
        names[("vk", gid)] = community.name
    for gid, group in ok.state.groups.items():
        names[("ok", gid)] = group.name
    for ref in tg.channel_refs():
        names[("telegram", ref)] = tg.world.channel(ref).title
    if mx is not None:
        for ref, channel in mx.snapshot()["channels"].items():
            names[("max", ref)] = channel["title"]
    return names


def _toml(value) -> str:
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _config_text(folder: Path, vk, ok, tg, stub, mx=None) -> str:
    lines = [
        "[database]",
        'path = "hub.db"',
        "",
        "[networks.vk]",
        f"api_base = {_toml(vk.url)}",
        "requests_per_second = 20",
        "",
        "[networks.ok]",
        f"api_base = {_toml(ok.url)}",
        'application_key = "DEMOOKAPPKEY"',
        'application_secret_key_env = "HUB_DEMO_OK_SECRET"',
        "requests_per_second = 20",
        "",
        "[networks.telegram]",
        f"api_base = {_toml(tg.url)}",
        "",
        *([f"[networks.max]\napi_base = {_toml(mx.url)}", ""] if mx is not None else []),
        "[gospabliki]",
        f"endpoint = {_toml(stub.base_url + '/api/v1')}",
        'token_env = "HUB_DEMO_GOSPABLIKI_TOKEN"',
        'municipality = "Октябрьский район"',
        "",
        "[daemon]",
        "moderate_seconds = 1",
        "report_seconds = 1",
        "",
    ]
    for name, level, parent in ORGANIZATIONS:
        lines += ["[[organizations]]", f"name = {_toml(name)}", f'level = "{level}"']
        if parent:
            lines.append(f"parent = {_toml(parent)}")
        if name in EXEMPT:
            lines += ["exempt = true", f"exempt_reason = {_toml(EXEMPT[name])}"]
        lines += [
            'email = "info@example.ru"',
            'website = "https://klochki.ru"',
            'responsible = { name = "Иванова Мария Петровна", position = "главный '
            'специалист", since = 2026-09-01 }',
            "",
        ]
    orgs = [name for name, _l, _p in ORGANIZATIONS]
    refs = [("vk", g, "HUB_DEMO_VK_TOKEN") for g in vk.community_ids()]
    refs += [("ok", g, "HUB_DEMO_OK_TOKEN") for g in ok.group_ids()]
    refs += [("telegram", r, "HUB_DEMO_TG_TOKEN") for r in tg.channel_refs()]
    if mx is not None:
        refs += [("max", r, "HUB_DEMO_MAX_TOKEN") for r in mx.channel_ids()]
    names = _page_names(vk, ok, tg, mx)
    for n, (network, ref, token_env) in enumerate(refs):
        # a page belongs to the organization it is named after, as in life
        owner = names.get((network, ref))
        owner = owner if owner in orgs else orgs[n % len(orgs)]
        prefix = "tg" if network == "telegram" else network
        lines += [
            "[[accounts]]",
            f'id = "{prefix}-{n + 1}"',
            f'network = "{network}"',
            f"external_id = {_toml(ref)}",
            f"organization = {_toml(owner)}",
            f'token_env = "{token_env}"',
            "",
        ]
    return "\n".join(lines)


def _emulator_classes(pm) -> dict[str, type]:
    """The VK, OK and Telegram emulators, from their plugins' ``register_emulators`` hook."""
    found = plugins.emulators(pm)
    missing = [name for name in ("vk", "ok", "telegram") if name not in found]
    if missing:
        raise click.ClickException(
            f"the demo needs the {', '.join(missing)} plugin(s) and their emulators"
        )
    return found


def run_demo(directory: str | None) -> None:
    from hub.daemon.runner import Daemon

    from .gospabliki_stub import GospablikiStub

    pm = plugins.make_plugin_manager()
    emulator = _emulator_classes(pm)
    folder = Path(directory) if directory else Path(tempfile.mkdtemp(prefix="hub-demo-"))
    folder.mkdir(parents=True, exist_ok=True)
    os.environ.update(TOKENS)
    configure_logging(level="error")  # the daemon's JSON logs would drown the story
    with contextlib.ExitStack() as stack:
        vk = stack.enter_context(emulator["vk"](seed=7, communities=2, posts=12, comments=6))
        ok = stack.enter_context(
            emulator["ok"](seed=7, groups=1, topics=8, comments=5, rate_limit=0)
        )
        tg = stack.enter_context(
            emulator["telegram"](
                seed=7, channels=1, posts=8, comments=5, tokens=[TOKENS["HUB_DEMO_TG_TOKEN"]]
            )
        )
        mx = None
        if "max" in emulator:  # a network beyond the three, as a plugin brings it
            mx = stack.enter_context(
                emulator["max"](
                    seed=7, channels=1, posts=8, comments=5, tokens=[TOKENS["HUB_DEMO_MAX_TOKEN"]]
                )
            )
        stub = stack.enter_context(
            GospablikiStub(
                db_path=folder / "gospabliki-stub.db", tokens=[TOKENS["HUB_DEMO_GOSPABLIKI_TOKEN"]]
            )
        )
        config_file = folder / "hub.toml"
        config_file.write_text(_config_text(folder, vk, ok, tg, stub, mx), encoding="utf-8")
        (folder / "hub.db").unlink(missing_ok=True)
        click.echo(
            f"emulators: VK {vk.url}, OK {ok.url}, Telegram {tg.url}"
            + (f", MAX {mx.url}" if mx is not None else "")
            + "; "
            f"Gospabliki stub {stub.base_url}/api/v1\nconfig {config_file}"
        )
        _plan_a_post(config_file, pm, vk)
        asyncio.run(Daemon(config_file, pm, cycles=1).run())
        _first_report(config_file)
        _new_activity(vk, ok, tg)
        asyncio.run(Daemon(config_file, pm, cycles=1).run())
        config = load_config(config_file)
        store = stack.enter_context(contextlib.closing(Store.open(config.db_path)))
        _show(store, config, folder, pm)


PLANNED = (
    "В субботу, 6 декабря, в 10:00 приглашаем жителей на зимний субботник в парке Победы. "
    "Лопаты и горячий чай — от администрации."
)


def _plan_a_post(config_file: Path, pm, vk) -> None:
    """A draft for one account of each network, approved; the daemon publishes it.

    The VK emulator is told to drop the answer of the first ``wall.post`` after
    creating the post: the hub must find that post, not publish it twice.
    """
    from hub.plan import drafts

    config = load_config(config_file)
    networks = ("vk", "ok", "telegram")
    accounts = [next(a for a in config.accounts if a.network == n) for n in networks]
    with contextlib.closing(Store.open(config.db_path)) as store:
        draft, _ = drafts.add_draft(
            store, pm, config, accounts=accounts, text=PLANNED,
            publish_at=drafts.parse_when("now", drafts.parse_plan(config.raw)),
            title="Субботник", created_by="Иванова М. П.",
        )  # fmt: skip
        drafts.approve(store, config, draft.id, "Глава района")
    vk.lose_answers("wall.post")
    click.echo(
        f"content plan: draft #{draft.id} «Субботник» for "
        f"{', '.join(a.id for a in accounts)}, approved by «Глава района»; "
        "VK will lose the answer to the first wall.post after creating the post"
    )


def _first_report(config_file: Path) -> None:
    """The daemon never sends the first report: a person looks at it, then sends it."""
    from hub.report import preview, preview_lines, push

    config = load_config(config_file)
    with contextlib.closing(Store.open(config.db_path)) as store:
        lines = preview_lines(preview(store, config))  # 'hub report push --dry-run'
        outcome = asyncio.run(push(store, config))  # 'hub report push'
    click.echo(
        "\nthe first report to Gospabliki waited for a person ('hub report push --dry-run'):\n  "
        + "\n  ".join(lines[:1] + lines[-2:])
        + f"\nthen 'hub report push' sent it: receipt {outcome.receipt}"
        + "\n(the pages existed before the hub: recorded as existing, no 'created' notices)"
    )


def _new_activity(vk, ok, tg) -> None:
    gid = vk.community_ids()[0]
    post = vk.add_post(gid, "Уважаемые жители! В субботу — субботник в парке.", comments=2)
    vk.add_comment(gid, post, "Заработок от 5000 в день! Пиши в ЛС", from_id=555000111)
    vk.add_comment(gid, post, "Когда наконец уберут мусор у школы? Третью неделю лежит!")
    ok.add_topic(ok.group_ids()[0], "Приглашаем на встречу с главой поселения.", comments=2)
    tg.add_post(tg.channel_refs()[0], "Внимание: завтра плановое отключение света.", comments=3)
    click.echo("\n(between two daemon cycles: new posts and comments arrive on all networks)")


def _show_plan(store: Store, config, pm) -> None:
    from hub.plan import replies

    click.echo("\ncontent plan: the approved draft went out once on each network:")
    for account_id, state, url, attempts in store.db.execute(
        "SELECT account_id, state, url, attempts FROM draft_targets ORDER BY account_id"
    ):
        sent = "sent once" if attempts == 1 else f"sent {attempts} times"
        click.echo(f"  {account_id:<6} {state:<9} {url}  ({sent})")
    click.echo("  (VK's lost answer: the next cycle synced the wall and found the post)")
    replies.add_template(
        store, "thanks-road", "{author}, спасибо за сигнал! Передали в дорожную службу.", "smm"
    )
    replies.approve_template(store, "thanks-road", "Глава района")
    row = store.db.execute(
        "SELECT c.id FROM comments c JOIN verdicts v ON v.comment_id = c.id "
        "JOIN accounts a ON a.id = c.account_id WHERE v.criticism = 1 AND a.network = 'vk' "
        "ORDER BY c.id DESC LIMIT 1"
    ).fetchone()
    if row:
        outcome = asyncio.run(reply(store, pm, config, str(row[0]), "thanks-road"))
        click.echo(
            f"  a resident's criticism (#{row[0]}) answered from the approved template: "
            f"{outcome.result.data.get('url') or outcome.result.detail}"
        )


def _show_compliance(store: Store, config, folder: Path, pm) -> None:
    """This week's compliance table, and the Russian page for the head of administration."""
    from datetime import UTC, datetime

    from hub.compliance import compliance_report, network_page_fields
    from hub.compliance.html import render_html
    from hub.compliance.render import to_table
    from hub.compliance.week import week_of
    from hub.plan.settings import parse_plan
    from hub.registry.model import attest

    # what the responsible person has recorded so far: two accounts protected and connected
    for account_id in ("vk-1", "tg-4"):
        attest(store, account_id, {"two_factor": True, "gospabliki": True}, actor="Иванова М. П.")
    week = week_of(datetime.now(UTC), parse_plan(config.raw).time_zone)
    report = compliance_report(store, config, week, page_fields=network_page_fields(pm))
    click.echo("\n" + to_table(report))
    page = folder / "compliance.html"
    page.write_text(render_html(report), encoding="utf-8")
    click.echo(f"compliance page for the head of administration: {page}")


def _show(store: Store, config, folder: Path, pm) -> None:
    click.echo("\naccounts synced:")
    for row in store.db.execute(
        "SELECT a.id, a.network, a.name, s.last_status, "
        "(SELECT COUNT(*) FROM posts p WHERE p.account_id = a.id), "
        "(SELECT COUNT(*) FROM comments c WHERE c.account_id = a.id) "
        "FROM accounts a LEFT JOIN sync_state s ON s.account_id = a.id ORDER BY a.id"
    ):
        click.echo(
            f"  {row[0]:<6} {row[1]:<9} {row[3] or '-':<6} {row[4]:>3} posts "
            f"{row[5]:>4} comments  {row[2]}"
        )
    counts = dict(store.db.execute("SELECT decision, COUNT(*) FROM verdicts GROUP BY decision"))
    click.echo(
        f"\nmoderation: {sum(counts.values())} comments judged — "
        f"{counts.get('keep', 0)} kept, {counts.get('review', 0)} for an operator, "
        f"{counts.get('delete', 0)} deleted; for example:"
    )
    for decision, account, text, reason in store.db.execute(
        "SELECT v.decision, v.account_id, c.text, v.reason FROM verdicts v JOIN comments c "
        "ON c.id = v.comment_id WHERE v.decision != 'keep' GROUP BY c.text "
        "ORDER BY v.decision, MIN(v.id) LIMIT 5"
    ):
        click.echo(f"  {decision:<6} {account:<6} «{text[:42]}» — {reason}")
    criticism = store.db.execute("SELECT COUNT(*) FROM verdicts WHERE criticism = 1").fetchone()[0]
    click.echo(f"  criticism recognised and kept for an answer: {criticism} comments")
    deleted = store.db.execute(
        "SELECT c.id FROM verdicts v JOIN comments c ON c.id = v.comment_id "
        "WHERE v.status = 'done' ORDER BY v.id LIMIT 1"
    ).fetchone()
    if deleted:
        again = asyncio.run(delete_comment(store, pm, config, str(deleted[0]), "demo"))
        click.echo(f"  an operator deletes #{deleted[0]} again: {again.summary('delete')}")
    _show_plan(store, config, pm)
    _show_compliance(store, config, folder, pm)
    page = folder / "registry.html"
    export_registry(store, config, "html", page)
    click.echo(f"\nregistry page for the municipality's website: {page}")
    for receipt, sent in store.db.execute(
        "SELECT receipt, sent_at FROM report_outbox WHERE status = 'sent' ORDER BY sent_at"
    ):
        click.echo(f"report accepted by Gospabliki: receipt {receipt} at {sent}")
    notices = dict(store.db.execute("SELECT status, COUNT(*) FROM notices GROUP BY status"))
    click.echo(
        f"notices to the regional centre: {notices.get('sent', 0)} sent, "
        f"{notices.get('pending', 0)} pending"
    )
    cfg = folder / "hub.toml"
    click.echo(
        f"\ndatabase {config.db_path}. The emulators stopped with the demo; what reads only the "
        f"database still works:\n  hub --config {cfg} moderation queue\n"
        f"  hub --config {cfg} plan list\n  hub --config {cfg} compliance --format html"
    )
