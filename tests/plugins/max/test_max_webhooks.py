"""MAX webhooks into the daemon's receiver (hub.sync.webhooks): the emulator delivers each
update to the URL with its secret; the batch is stored before 200; a forged delivery (a
wrong secret) is refused and stores nothing; a redelivery is absorbed."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import httpx
import pytest

from hub import plugins
from hub.config import parse_config
from hub.networks import build_network
from hub.store import Store
from hub.sync import run_sync, webhooks
from hub_max.emulator import DEFAULT_TOKEN, MaxEmulator

TOKEN_ENV = "HUB_MAX_HOOK_TOKEN"
SECRET_ENV = "HUB_MAX_HOOK_SECRET"
SECRET = "s3cret-webhook_value"
PATH = "/max/webhook"


@pytest.fixture
def emu():
    with MaxEmulator(seed=8, channels=1, posts=4, comments=2, rate_limit=0) as emulator:
        yield emulator


@pytest.fixture
def config(emu, tmp_path, monkeypatch):
    monkeypatch.setenv(TOKEN_ENV, DEFAULT_TOKEN)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    return parse_config(
        {
            "database": {"path": str(tmp_path / "hub.db")},
            "networks": {"max": {"api_base": emu.url, "requests_per_second": 1000,
                                 "webhook_path": PATH, "webhook_secret_env": SECRET_ENV,
                                 "webhook_port": 0}},
            "accounts": [{"id": "max-1", "network": "max", "external_id": emu.channel_ids()[0],
                          "token_env": TOKEN_ENV}],
        }
    )  # fmt: skip


def comments_with(config, text) -> int:
    conn = sqlite3.connect(config.db_path)
    try:
        return conn.execute("SELECT COUNT(*) FROM comments WHERE text = ?", [text]).fetchone()[0]
    finally:
        conn.close()


async def _serve(config):
    pm = plugins.make_plugin_manager()
    network = build_network(plugins.networks(pm)["max"], config)
    store = Store.open(config.db_path)
    listed = webhooks.endpoints({"max": network}, list(config.accounts))
    server = await webhooks.serve_endpoints(store, listed, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return network, store, server, f"http://127.0.0.1:{port}{PATH}"


def test_delivered_updates_are_stored_and_a_forged_one_is_refused(emu, config):
    store = Store.open(config.db_path)
    asyncio.run(run_sync(store, plugins.make_plugin_manager(), config, config.accounts))
    store.close()
    ext = emu.channel_ids()[0]
    post = next(iter(emu.snapshot()["channels"][ext]["posts"]))
    text = "Спасибо за новую детскую площадку!"

    async def run():
        network, store, server, url = await _serve(config)
        try:
            async with httpx.AsyncClient() as http:
                subscribed = await http.post(
                    f"{emu.url}/subscriptions",
                    headers={"Authorization": DEFAULT_TOKEN},
                    json={"url": url, "secret": SECRET, "update_types": ["comment_created"]},
                )
                assert subscribed.status_code == 200
                await asyncio.to_thread(emu.add_comment, ext, post, text)
                for _ in range(100):
                    if comments_with(config, text):
                        break
                    await asyncio.sleep(0.05)
                update = next(
                    u for u in emu.updates_log() if u.get("update_type") == "comment_created"
                )
                forged = dict(update)
                forged["message"] = json.loads(json.dumps(update["message"]))
                forged["message"]["body"]["mid"] = "mid.forged0000000000000000000000000"
                forged["message"]["body"]["text"] = "Подделка"
                refused = await http.post(
                    url, content=json.dumps(forged), headers={"X-Max-Bot-Api-Secret": "wrong!"}
                )
                missing = await http.post(url, content=json.dumps(forged))
                again = await http.post(  # a redelivery of the genuine update
                    url, content=json.dumps(update), headers={"X-Max-Bot-Api-Secret": SECRET}
                )
                elsewhere = await http.post(
                    url + "x", content=b"{}", headers={"X-Max-Bot-Api-Secret": SECRET}
                )
            return (
                refused.status_code,
                missing.status_code,
                again.status_code,
                elsewhere.status_code,
            )
        finally:
            server.close()
            await server.wait_closed()
            store.close()
            await network.aclose()

    statuses = asyncio.run(run())
    assert statuses == (403, 403, 200, 404)
    assert comments_with(config, text) == 1  # stored once, the redelivery absorbed
    assert comments_with(config, "Подделка") == 0
    assert emu.snapshot()["webhook"]["delivered"] >= 1


def test_a_delivery_is_not_acknowledged_before_it_is_stored(emu, config, monkeypatch):
    """The database refuses the write (locked): 503, so MAX delivers it again later."""
    ext = emu.channel_ids()[0]
    store = Store.open(config.db_path)
    asyncio.run(run_sync(store, plugins.make_plugin_manager(), config, config.accounts))
    store.close()
    post = next(iter(emu.snapshot()["channels"][ext]["posts"]))
    emu.add_comment(ext, post, "Когда откроют каток?")
    update = next(u for u in emu.updates_log() if u.get("update_type") == "comment_created")

    real, broken = webhooks.store_events, [True]

    def locked(*args, **kw):
        if broken[0]:
            raise sqlite3.OperationalError("database is locked")
        return real(*args, **kw)

    monkeypatch.setattr(webhooks, "store_events", locked)

    async def run():
        network, store, server, url = await _serve(config)
        try:
            async with httpx.AsyncClient() as http:
                first = await http.post(
                    url, content=json.dumps(update), headers={"X-Max-Bot-Api-Secret": SECRET}
                )
                broken[0] = False
                second = await http.post(
                    url, content=json.dumps(update), headers={"X-Max-Bot-Api-Secret": SECRET}
                )
            return first.status_code, second.status_code
        finally:
            server.close()
            await server.wait_closed()
            store.close()
            await network.aclose()

    assert asyncio.run(run()) == (503, 200)
    assert comments_with(config, "Когда откроют каток?") == 1


def test_the_daemon_listens_where_the_config_says(emu, tmp_path, monkeypatch):
    from hub.daemon.runner import Daemon

    monkeypatch.setenv(TOKEN_ENV, DEFAULT_TOKEN)
    monkeypatch.setenv(SECRET_ENV, SECRET)
    path = tmp_path / "hub.toml"
    path.write_text(
        f'[database]\npath = "hub.db"\n\n[networks.max]\napi_base = "{emu.url}"\n'
        f'webhook_path = "{PATH}"\nwebhook_secret_env = "{SECRET_ENV}"\nwebhook_port = 0\n\n'
        f'[[accounts]]\nid = "max-1"\nnetwork = "max"\nexternal_id = "{emu.channel_ids()[0]}"\n'
        f'token_env = "{TOKEN_ENV}"\n',
        encoding="utf-8",
    )

    async def run():
        daemon = Daemon(path, plugins.make_plugin_manager(), cycles=1)
        daemon._load_config()
        store = Store.open(daemon.config.db_path)
        servers, networks = await daemon._start_webhooks(store)
        try:
            assert len(servers) == 1
            port = servers[0].sockets[0].getsockname()[1]
            async with httpx.AsyncClient() as http:
                answer = await http.post(f"http://127.0.0.1:{port}{PATH}", content=b"{}")
            return answer.status_code
        finally:
            for server in servers:
                server.close()
                await server.wait_closed()
            for network in networks.values():
                await network.aclose()
            store.close()

    assert asyncio.run(run()) == 403
