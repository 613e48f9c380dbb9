"""The console over loopback: a VK emulator, its config and database, moderation run, a
few operators, and the console served by uvicorn on a free port in a thread.

``console`` is one per module (a server costs a second); a test that changes what
others read makes its own items. :func:`signed_in` gives an httpx client with a
session, and :func:`csrf_of` reads a page's CSRF token as a browser form would.
"""

from __future__ import annotations

import asyncio
import re
import socket
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn

from hub import operators, plugins
from hub.config import load_config
from hub.moderation import service
from hub.store import Store
from hub.web.app import create_app
from hub.web.console import Console
from hub_vk.emulator import VkEmulator
from tests.helpers import TOKEN, TOKEN_ENV, sync, write_config

PASSWORD = "correct horse battery"
#: login → (role, organizations)
OPERATORS = {
    "admin": ("admin", ()),
    "moder": ("moderator", ()),
    "moder2": ("moderator", ()),
    "moder-org1": ("moderator", ("Организация 1",)),
    "author": ("author", ()),
    "approver": ("approver", ()),
    "viewer": ("viewer", ()),
}
INSULTS = (
    "Вы там все идиоты",
    "Бездельники, вы идиоты, опять всё разворовали",
    "Какие же вы дебилы в этой администрации",
    "Депутаты наши — клоуны и бездари",
    "<script>alert(1)</script> вы все идиоты",
)


@dataclass
class World:
    emu: VkEmulator
    config_path: Path
    url: str
    console: Console
    #: the VK comment ids of the insults added after the first moderation run
    insult_ids: list[int]

    def store(self) -> Store:
        return Store.open(load_config(self.config_path).db_path)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def moderate(path: Path):
    config = load_config(path)
    store = Store.open(config.db_path)
    try:
        pm = plugins.make_plugin_manager()
        return asyncio.run(service.moderate(store, pm, config, config.accounts))
    finally:
        store.close()


def add_operators(path: Path) -> None:
    store = Store.open(load_config(path).db_path)
    try:
        for login, (role, orgs) in OPERATORS.items():
            operators.add(store, login, role, PASSWORD, orgs)
    finally:
        store.close()


class ServedConsole:
    """uvicorn serving the console's app in a thread until :meth:`stop`."""

    def __init__(self, console: Console):
        self.port = free_port()
        config = uvicorn.Config(
            create_app(console),
            host="127.0.0.1",
            port=self.port,
            log_level="warning",
            access_log=False,
            lifespan="off",
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServedConsole:
        self.thread.start()
        deadline = time.monotonic() + 10
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the console did not start")
            time.sleep(0.02)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    """Two VK communities (two organizations), synced and moderated, five insults queued."""
    folder = tmp_path_factory.mktemp("console")
    with (
        VkEmulator(
            seed=11, communities=2, posts=12, comments=6, rate_limit=0, tokens=[TOKEN]
        ) as emu,
        pytest.MonkeyPatch.context() as mp,
    ):
        mp.setenv(TOKEN_ENV, TOKEN)
        mp.setenv("HUB_SECRETS", str(folder / "hub.secrets.json"))
        path = write_config(folder, emu)
        sync(path)
        moderate(path)
        ids = []
        for gid in emu.community_ids():
            post = max(int(p) for p in emu.snapshot()["communities"][str(gid)]["posts"])
            ids += [
                emu.add_comment(gid, post, t, from_id=770001 + n) for n, t in enumerate(INSULTS)
            ]
        sync(path)
        moderate(path)
        add_operators(path)
        console = Console(str(path))
        served = ServedConsole(console).start()
        try:
            yield World(emu, path, served.url, console, ids)
        finally:
            served.stop()
            console.close()


CSRF = re.compile(r'name="csrf(?:-token)?" (?:value|content)="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def signed_in(world: World, login: str, password: str = PASSWORD) -> httpx.Client:
    """A client with a live session of ``login`` (follows no redirects by itself)."""
    client = httpx.Client(base_url=world.url, timeout=10)
    page = client.get("/login")
    answer = client.post(
        "/login", data={"login": login, "password": password, "csrf": csrf_of(page.text)}
    )
    assert answer.status_code == 303, (answer.status_code, answer.text[:300])
    return client


def form(client: httpx.Client, page_path: str) -> str:
    """The CSRF token a page of this session carries."""
    return csrf_of(client.get(page_path).text)
