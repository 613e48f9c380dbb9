"""«Соответствие» over loopback: the same figures as ``hub compliance``, the operator's scope,
the week selector, the printable page, and escaping.

The world is the compliance tests' seeded municipality (:mod:`tests.compliance_seed`:
week 2026-W10, finished, with red, yellow and green lines), plus an organization whose
name is markup, responsible persons with a history, attestations with a logins keeper
and a service number, and a notice not yet due — :func:`seeded_console`, which the
registry screen's tests share.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path

import httpx
import pytest

from hub import operators
from hub.compliance import Week, compliance_report, network_page_fields, week_of
from hub.config import load_config
from hub.registry import sync_registry
from hub.registry.model import attest, set_responsible
from hub.registry.notices import open_notice
from hub.registry.settings import NoticeSettings, ResponsibleDecl
from hub.store import Store
from hub.web.console import Console
from tests.cli.test_cli import hub
from tests.compliance_seed import ADM, CANARY, DK, VLADIVOSTOK, seed
from tests.web.conftest import PASSWORD, ServedConsole, add_operators, signed_in

ENV = {"HUB_TEST_VK": CANARY, "HUB_TEST_OK": CANARY, "HUB_TEST_TG": CANARY}
MARKUP_ORG = "<b>Жирная</b> библиотека"
PRIVATE_PHONE = "+7 913 000-11-22"
SERVICE_PHONE = "+7 913 555-44-33"
KEEPER = "Секретарь Кузнецова"
EXTRA = f"""
[[organizations]]
name = "{MARKUP_ORG}"
level = "subordinate"
parent = "{ADM}"
"""
#: login → (role, organizations), besides the shared operators of tests.web.conftest
LIMITED = {"adm-admin": ("admin", (ADM,)), "dk-viewer": ("viewer", (DK,))}


@dataclass
class Seeded:
    config_path: Path
    url: str
    console: Console

    def store(self) -> Store:
        return Store.open(load_config(self.config_path).db_path)


def _registry_data(store: Store) -> None:
    """Responsible persons with a history, private attestations, a notice not yet due."""
    notices = NoticeSettings()
    with store.transaction():
        set_responsible(
            store,
            DK,
            ResponsibleDecl(
                "Иванов Иван", "директор", since=date(2025, 1, 10), phone=PRIVATE_PHONE
            ),
            actor="test",
            notices=notices,
        )
        set_responsible(
            store,
            DK,
            ResponsibleDecl("Петрова Анна", "директор", since=date(2026, 2, 10)),
            actor="test",
            notices=notices,
        )
        set_responsible(
            store,
            ADM,
            ResponsibleDecl("Смирнов Семён", "заместитель главы", since=date(2024, 5, 1)),
            actor="test",
            notices=notices,
        )
        attest(
            store,
            "adm-vk",
            {"logins_keeper": KEEPER, "service_phone": True, "service_phone_number": SERVICE_PHONE},
            actor="test",
        )
        open_notice(
            store,
            kind="account_created",
            organization=ADM,
            account_id="adm-vk",
            occurred=date.today(),
            settings=notices,
            actor="test",
        )


@contextlib.contextmanager
def seeded_console(folder: Path) -> Iterator[Seeded]:
    """The seeded municipality served by the console, with the shared operators and two
    limited ones (:data:`LIMITED`)."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in ENV.items():
            mp.setenv(name, value)
        mp.setenv("HUB_SECRETS", str(folder / "hub.secrets.json"))
        seed(folder)
        path = folder / "hub.toml"
        path.write_text(path.read_text(encoding="utf-8") + EXTRA, encoding="utf-8")
        config = load_config(path)
        store = Store.open(config.db_path)
        try:
            sync_registry(store, config, today=date(2026, 3, 6))
            _registry_data(store)
            for login, (role, orgs) in LIMITED.items():
                operators.add(store, login, role, PASSWORD, orgs)
        finally:
            store.close()
        add_operators(path)
        console = Console(str(path))
        served = ServedConsole(console).start()
        try:
            yield Seeded(path, served.url, console)
        finally:
            served.stop()
            console.close()


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    with seeded_console(tmp_path_factory.mktemp("console-compliance")) as world:
        yield world


def session(world: Seeded, login: str) -> contextlib.closing[httpx.Client]:
    """:func:`signed_in` as a ``with`` block that closes the client."""
    return contextlib.closing(signed_in(world, login))


W10 = Week(2026, 10)
LINE = re.compile(r'<tr class="line (account|org)" id="[^"]+" (data-[^>]+)>')
ATTR = re.compile(r'data-([a-z-]+)="([^"]*)"')


def lines(html: str) -> dict[str, dict[str, dict[str, str]]]:
    """The page's lines: {"account"|"org": {id or name: {attribute: value}}}."""
    out: dict[str, dict[str, dict[str, str]]] = {"account": {}, "org": {}}
    for kind, attributes in LINE.findall(html):
        values = {k: unescape(v) for k, v in ATTR.findall(attributes)}
        out[kind][values["account" if kind == "account" else "organization"]] = values
    return out


def library_report(world: Seeded, week: Week = W10) -> dict:
    store = world.store()
    try:
        return compliance_report(
            store, load_config(world.config_path), week, page_fields=network_page_fields()
        )
    finally:
        store.close()


def test_the_figures_are_the_librarys_and_the_commands(seeded):
    with session(seeded, "admin") as client:
        page = client.get("/compliance", params={"week": "2026-W10"})
    assert page.status_code == 200
    shown = lines(page.text)
    report = library_report(seeded)
    assert set(shown["account"]) == {"adm-vk", "adm-ok", "dk-tg"}
    for a in report["accounts"]:
        line = shown["account"][a["account"]]
        assert line["status"] == a["status"]
        assert (int(line["posts"]), int(line["norm"])) == (a["posts"]["count"], a["posts"]["norm"])
        assert int(line["removed"]) == a["removal"]["removed"]
        assert int(line["still-up"]) == a["removal"]["still_up"]
        assert int(line["overdue"]) == a["notices"]["overdue"]
    assert set(shown["org"]) == {o["organization"] for o in report["organizations"]}
    for o in report["organizations"]:
        line = shown["org"][o["organization"]]
        assert line["status"] == o["status"]
        assert int(line["posts"]) == o["posts"]["count"]
        assert int(line["meeting"]) == o["posts"]["accounts_meeting_norm"]
        assert int(line["overdue"]) == o["notices"]["overdue"]
    found = re.search(
        r'id="totals" data-green="(\d+)" data-yellow="(\d+)" data-red="(\d+)"', page.text
    )
    totals = dict(zip(("green", "yellow", "red"), map(int, found.groups()), strict=True))
    assert totals == report["totals"]["accounts"]
    # the seeded week's known lines, so the comparison is not of two empty pages
    assert shown["account"]["adm-ok"]["status"] == "red"
    assert shown["account"]["adm-vk"]["status"] == "yellow"
    assert shown["org"]["Школа"]["status"] == "red"
    # the reasons, and how to fix them, in the printable page's Russian words
    assert "опубликовано 1 из 2; не хватает 1 публикации" in page.text
    assert "двухфакторная защита выключена" in page.text
    assert "hub accounts attest adm-ok --2fa" in page.text
    assert 'class="badge red status-red">нарушение<' in page.text
    assert 'class="badge yellow status-yellow">требует внимания<' in page.text

    # ``hub compliance --json`` on the same database says the same
    cli = hub(
        "--config",
        str(seeded.config_path),
        "compliance",
        "--week",
        "2026-W10",
        "--format",
        "json",
        env_extra=ENV,
    )
    assert cli.returncode == 0, cli.stderr
    by_cli = json.loads(cli.stdout)
    assert {a["account"]: a["status"] for a in by_cli["accounts"]} == {
        k: v["status"] for k, v in shown["account"].items()
    }
    assert {o["organization"]: o["status"] for o in by_cli["organizations"]} == {
        k: v["status"] for k, v in shown["org"].items()
    }
    assert by_cli["totals"] == report["totals"]


def test_a_limited_operator_sees_only_their_organizations(seeded):
    with session(seeded, "adm-admin") as client:
        page = client.get("/compliance", params={"week": "2026-W10"})
        printed = client.get("/compliance/print", params={"week": "2026-W10"})
    shown = lines(page.text)
    assert set(shown["account"]) == {"adm-vk", "adm-ok"}
    assert set(shown["org"]) == {ADM}
    assert DK not in page.text and "dk-tg" not in page.text and "Школа" not in page.text
    report = library_report(seeded)
    mine = [a for a in report["accounts"] if a["organization"] == ADM]
    totals = re.search(r'data-green="(\d+)" data-yellow="(\d+)" data-red="(\d+)"', page.text)
    assert [int(n) for n in totals.groups()] == [
        sum(a["status"] == s for a in mine) for s in ("green", "yellow", "red")
    ]
    assert "Показаны только ваши организации" in page.text
    assert printed.status_code == 200
    assert "adm-ok" in printed.text and ADM in printed.text
    assert DK not in printed.text and "dk-tg" not in printed.text and "Школа" not in printed.text


def test_the_week_selector(seeded):
    with session(seeded, "viewer") as client:
        this_week = client.get("/compliance")
        chosen = client.get("/compliance", params={"week": "2026-W10"})
        bad = client.get("/compliance", params={"week": "2026-W60"})
        junk = client.get("/compliance", params={"week": "<script>x</script>"})
    current = week_of(datetime.now(UTC), VLADIVOSTOK).label
    assert this_week.status_code == 200
    assert f'value="{current}"' in this_week.text
    assert "Соответствие — неделя с 2 по 8 марта 2026" in chosen.text
    assert 'href="/compliance?week=2026-W09"' in chosen.text
    assert 'href="/compliance?week=2026-W11"' in chosen.text
    assert 'href="/compliance/print?week=2026-W10"' in chosen.text
    assert "Неделя завершена" in chosen.text
    assert bad.status_code == 400 and "неделя указывается как 2026-W10" in bad.text
    assert "«2026-W60»" in bad.text
    assert junk.status_code == 400 and "<script>x" not in junk.text
    # read-only: the viewer's page has no form that changes anything (only signing out)
    assert chosen.text.count('method="post"') == 1 and 'action="/logout"' in chosen.text


def test_the_printable_page_is_the_commands(seeded):
    with session(seeded, "admin") as client:
        printed = client.get("/compliance/print", params={"week": "2026-W10"})
    cli = hub(
        "--config",
        str(seeded.config_path),
        "compliance",
        "--week",
        "2026-W10",
        "--format",
        "html",
        env_extra=ENV,
    )
    assert cli.returncode == 0, cli.stderr
    assert printed.status_code == 200
    assert printed.headers["content-type"].startswith("text/html")
    assert printed.text == cli.stdout  # a finished week: nothing on it depends on the hour
    policy = printed.headers["content-security-policy"]
    assert "style-src 'sha256-" in policy and "frame-ancestors 'none'" in policy
    assert "script-src" not in policy and "default-src 'none'" in policy


def test_organization_names_are_text(seeded):
    with session(seeded, "admin") as client:
        page = client.get("/compliance", params={"week": "2026-W10"})
        printed = client.get("/compliance/print", params={"week": "2026-W10"})
    for html in (page.text, printed.text):
        assert "&lt;b&gt;Жирная&lt;/b&gt; библиотека" in html
        assert "<b>Жирная" not in html
    assert lines(page.text)["org"][MARKUP_ORG]["status"] == "red"  # no page, not exempt


def test_signing_in_is_needed(seeded):
    with httpx.Client(base_url=seeded.url) as client:
        for path in ("/compliance", "/compliance/print"):
            answer = client.get(path)
            assert answer.status_code == 303
            assert answer.headers["location"].startswith("/login?next=")
