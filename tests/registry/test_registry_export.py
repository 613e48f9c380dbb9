"""Publishing the registry: JSON, CSV for Excel, the web page (checked in a real browser),
and the secret canary in every export."""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hub.config import load_config
from hub.errors import HubError
from hub.models import AccountMeta
from hub.registry import export_registry, registry_snapshot
from hub.registry.export import CSV_COLUMNS, csv_rows, render
from hub.registry.model import attest, set_responsible
from hub.registry.page import CONTRAST_PAIRS, PALETTE
from hub.registry.settings import NoticeSettings, ResponsibleDecl, phone_digits
from hub.store import Store
from hub_vk.emulator import VkEmulator
from tests.helpers import TOKEN_ENV, write_config
from tests.helpers import sync as hub_sync
from tests.registry.test_registry import (
    ADMIN,
    BOOKS,
    CLUB,
    ORGS,
    hub_cli,
    synced,
    write_registry_config,
)

TITLES = {"vk": "VK", "ok": "OK", "telegram": "Telegram"}
PRIVATE_PHONE = "+7 913 000-11-22"
TG_ACCOUNT = f"""
[[accounts]]
id = "adm-tg"
network = "telegram"
external_id = "@klochki"
organization = "{ADMIN}"
token_env = "HUB_TG_TOKEN"
"""


@pytest.fixture
def registry(tmp_path):
    """Three organizations, three accounts: two synced (VK, OK), one not yet (Telegram)."""
    path = write_registry_config(tmp_path, extra='[notices]\nregion = "Алтайский край"\n')
    path.write_text(path.read_text() + TG_ACCOUNT, encoding="utf-8")
    store = synced(path)
    config = load_config(path)
    set_responsible(
        store,
        CLUB,
        ResponsibleDecl("Сидорова Анна", "методист", phone=PRIVATE_PHONE),
        actor="t",
        notices=NoticeSettings(),
    )
    store.save_account_meta(
        config.account("adm-vk"),
        AccountMeta(
            name="Администрация Клочковского сельсовета",
            description="Официальная страница администрации",
            url="https://vk.com/adm_klochki",
            members_count=1520,
            has_avatar=True,
            has_cover=False,
            verified=True,
            contacts=[
                {"user_id": 777001, "desc": "Глава", "phone": PRIVATE_PHONE},
                {"desc": "Приёмная", "phone": "+7 (38582) 2-21-33", "email": "klochki@example.ru"},
            ],
        ),
    )
    store.save_account_meta(
        config.account("club-ok"),
        AccountMeta(
            name="Дом культуры с. Клочки", url="https://ok.ru/klochki.dk", members_count=310
        ),
    )
    attest(store, "club-ok", {"gospabliki": True, "verified_mark": True}, actor="t")
    attest(store, "adm-vk", {"gospabliki": False}, actor="t")
    return path, store, config


# -- JSON --------------------------------------------------------------------
def test_json_export(registry, tmp_path):
    path, store, config = registry
    out = tmp_path / "out" / "registry.json"
    out.parent.mkdir()  # a missing folder is refused (tests/test_print.py)
    export_registry(store, config, "json", out, network_titles=TITLES)
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["schema"] == "pablik-hub/registry@1" and data["region"] == "Алтайский край"
    orgs = {o["name"]: o for o in data["organizations"]}
    assert list(orgs) == [ADMIN, CLUB, BOOKS]  # the administration first
    admin = orgs[ADMIN]
    assert admin["responsible"] == {
        "name": "Иванова Мария Петровна",
        "position": "заместитель главы",
        "since": "2026-01-15",
    }
    assert admin["contacts"]["phones"] == ["+7 (38582) 2-21-33"]
    assert admin["contacts"]["website"] == "https://klochki.example.ru"
    vk, tg = admin["accounts"][1], admin["accounts"][0]
    assert (tg["network"], tg["url"], tg["verified"], tg["has_avatar"]) == (
        "telegram",
        None,
        None,
        None,
    )
    assert vk["url"] == "https://vk.com/adm_klochki" and vk["members_count"] == 1520
    assert (vk["verified"], vk["gospabliki"], vk["has_avatar"], vk["has_cover"]) == (
        True,
        False,
        True,
        False,
    )
    # the page's contacts without the user id, and without the responsible person's own phone
    assert vk["page_contacts"] == [
        {"desc": "Глава"},
        {"desc": "Приёмная", "phone": "+7 (38582) 2-21-33", "email": "klochki@example.ru"},
    ]
    club = orgs[CLUB]
    assert club["contacts"]["geo"] == {"lat": 53.12, "lon": 81.65}
    assert club["accounts"][0]["verified"] is True  # the operator's mark wins over the network's
    assert orgs[BOOKS]["exempt"] is True and orgs[BOOKS]["accounts"] == []
    assert data["totals"] == {
        "organizations": 3,
        "exempt": 1,
        "accounts": 3,
        "gospabliki_connected": 1,
        "verified": 2,
    }
    text = out.read_text(encoding="utf-8")
    for private in (
        "000-11-22",
        "9130001122",
        "two_factor",
        "logins_keeper",
        "token_env",
        "HUB_VK_TOKEN_ADM",
        "777001",
    ):
        assert private not in text


def test_snapshot_lists_accounts_of_undeclared_organizations(tmp_path):
    path = write_registry_config(tmp_path, orgs="")
    snapshot = registry_snapshot(synced(path), load_config(path))
    assert [(o["name"], o["declared"], len(o["accounts"])) for o in snapshot["organizations"]] == [
        (ADMIN, False, 1),
        (CLUB, False, 1),
    ]


# -- CSV ---------------------------------------------------------------------
def test_csv_export_opens_in_excel(registry, tmp_path):
    path, store, config = registry
    out = tmp_path / "registry.csv"
    export_registry(store, config, "csv", out, network_titles=TITLES)
    raw = out.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM: Excel reads Cyrillic right
    assert raw.count(b"\r\n") == 5 and b"\n" not in raw.replace(b"\r\n", b"")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert rows[0][:7] == [
        "Организация",
        "Уровень",
        "Социальная сеть",
        "Ссылка",
        "Ответственный",
        "Подключено к Госпабликам",
        "Отметка госорганизации",
    ]
    body = {(r[0], r[2]): r for r in rows[1:]}
    assert body[(ADMIN, "VK")] == [
        ADMIN,
        "администрация",
        "VK",
        "https://vk.com/adm_klochki",
        "Иванова Мария Петровна, заместитель главы",
        "нет",
        "да",
        "",
    ]
    assert body[(ADMIN, "Telegram")][3] == "" and "hub sync" in body[(ADMIN, "Telegram")][7]
    assert body[(CLUB, "OK")][4:7] == ["Сидорова Анна, методист", "да", "да"]
    assert body[(BOOKS, "")][7].startswith("освобождена от ведения страниц")
    assert b"000-11-22" not in raw


def test_csv_cells_never_become_formulas():
    snapshot = {
        "organizations": [
            {
                "name": '=HYPERLINK("http://evil","x")',
                "level": "department",
                "responsible": {"name": "+7 000", "position": "@x"},
                "exempt": False,
                "exempt_reason": None,
                "accounts": [],
            }
        ]
    }
    row = csv_rows(snapshot)[1]
    assert row[0].startswith("'=") and row[4].startswith("'+7")


# -- HTML, statically --------------------------------------------------------
class PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.links: list[tuple[str, str]] = []
        self.scripts: list[tuple[dict, str]] = []
        self._href = None
        self._text: list[str] = []
        self._script = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "a":
            self._href, self._text = attrs.get("href"), []
        if tag == "script":
            self._script = (attrs, [])

    def handle_data(self, data):
        if self._href is not None:
            self._text.append(data)
        if self._script is not None:
            self._script[1].append(data)

    def handle_endtag(self, tag):
        if tag == "a" and self._href is not None:
            self.links.append((self._href, "".join(self._text)))
            self._href = None
        if tag == "script" and self._script is not None:
            self.scripts.append((self._script[0], "".join(self._script[1])))
            self._script = None


def parse_page(text: str) -> PageParser:
    parser = PageParser()
    parser.feed(text)
    return parser


def test_html_page_is_self_contained_and_accessible(registry, tmp_path):
    path, store, config = registry
    out = tmp_path / "registry.html"
    export_registry(store, config, "html", out, network_titles=TITLES)
    text = out.read_text(encoding="utf-8")
    page = parse_page(text)
    tags = [t for t, _ in page.tags]
    attrs = {t: a for t, a in reversed(page.tags)}  # the first of each tag
    assert attrs["html"]["lang"] == "ru"
    metas = [a for t, a in page.tags if t == "meta"]
    assert any(m.get("name") == "viewport" and "width=device-width" in m["content"] for m in metas)
    csp = next(m["content"] for m in metas if m.get("http-equiv") == "Content-Security-Policy")
    assert "default-src 'none'" in csp
    assert tags.count("h1") == 1 and "h2" in tags and "caption" in tags
    scopes = [a.get("scope") for t, a in page.tags if t == "th"]
    assert scopes.count("col") == 6 and scopes.count("row") == 4
    # nothing to fetch: no stylesheet links, images, frames, or scripts besides JSON-LD
    assert not {"link", "img", "iframe", "object", "embed"} & set(tags)
    assert all(a.get("type") == "application/ld+json" for a, _ in page.scripts)
    assert not any("src" in a for _, a in page.tags)
    account_links = [(h, t) for h, t in page.links if "vk.com" in h or "ok.ru" in h]
    assert account_links == [
        ("https://vk.com/adm_klochki", f"VK — {ADMIN}"),
        ("https://ok.ru/klochki.dk", f"OK — {CLUB}"),
    ]
    assert ("mailto:klochki@example.ru", "klochki@example.ru") in page.links
    assert ("tel:+73858222133", "+7 (38582) 2-21-33") in page.links
    assert "000-11-22" not in text and "9130001122" not in phone_digits(text)


def test_json_ld_names_organizations_and_their_pages(registry, tmp_path):
    path, store, config = registry
    out = tmp_path / "registry.html"
    export_registry(store, config, "html", out, network_titles=TITLES)
    ((_, script),) = parse_page(out.read_text(encoding="utf-8")).scripts
    data = json.loads(script)
    assert data["@context"] == "https://schema.org"
    nodes = {n["name"]: n for n in data["@graph"]}
    admin, club = nodes[ADMIN], nodes[CLUB]
    assert admin["@type"] == "GovernmentOrganization" and club["@type"] == "Organization"
    assert admin["sameAs"] == ["https://vk.com/adm_klochki"]
    assert club["sameAs"] == ["https://ok.ru/klochki.dk"]
    assert admin["email"] == "klochki@example.ru" and admin["url"] == "https://klochki.example.ru"
    assert admin["telephone"] == "+7 (38582) 2-21-33" and admin["address"].startswith("658535")
    assert club["geo"] == {"@type": "GeoCoordinates", "latitude": 53.12, "longitude": 81.65}
    assert club["parentOrganization"] == {"@id": admin["@id"]}
    assert "sameAs" not in nodes[BOOKS]


def test_html_escapes_whatever_the_registry_holds(tmp_path):
    evil = 'Школа </script><script>alert(1)</script> & "кавычки"'
    orgs = ORGS + f'\n[[organizations]]\nname = """{evil}"""\nlevel = "subordinate"\n'
    path = write_registry_config(tmp_path, orgs=orgs)
    text = render(registry_snapshot(synced(path), load_config(path)), "html").decode()
    assert "<script>alert" not in text and "</script><script>" not in text
    page = parse_page(text)
    assert len(page.scripts) == 1
    assert evil in [n["name"] for n in json.loads(page.scripts[0][1])["@graph"]]


def _luminance(hex_color: str) -> float:
    channels = [int(hex_color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_palette_has_sufficient_contrast():
    for fg, bg in CONTRAST_PAIRS:
        light, dark = sorted((_luminance(PALETTE[fg]), _luminance(PALETTE[bg])), reverse=True)
        ratio = (light + 0.05) / (dark + 0.05)
        assert ratio >= 4.5, (fg, bg, ratio)  # WCAG 2 AA for normal text


# -- HTML, in a real browser -------------------------------------------------
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CONSOLE_PROBLEM = re.compile(r":CONSOLE[:(]|Uncaught")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    if CHROMIUM is None:
        reason = "chromium is not installed (apt-get install -y chromium; .ci/run installs it)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    profile = tmp_path / f"chromium-profile-{len(list(tmp_path.glob('chromium-profile-*')))}"
    command = [
        CHROMIUM,
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        f"--user-data-dir={profile}",
        "--enable-logging=stderr",
        "--v=0",
        *args,
    ]
    result = subprocess.run(command, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def console_problems(stderr: str) -> list[str]:
    return [line for line in stderr.splitlines() if CONSOLE_PROBLEM.search(line)]


def test_console_check_catches_a_broken_page(tmp_path):
    """The browser test below would be worthless if console errors did not show: prove they do."""
    page = tmp_path / "broken.html"
    page.write_text(
        '<!DOCTYPE html><html lang="ru"><head><meta charset="utf-8">'
        '<meta http-equiv="Content-Security-Policy" content="default-src \'none\'">'
        '<title>x</title></head><body><img src="https://example.invalid/logo.png"></body></html>',
        encoding="utf-8",
    )
    result = chromium(tmp_path, "--dump-dom", page.as_uri())
    assert console_problems(result.stderr), result.stderr[-2000:]


def test_page_renders_in_chromium_with_its_links_and_no_console_errors(registry, tmp_path):
    path, store, config = registry
    out = tmp_path / "site" / "registry.html"
    out.parent.mkdir()
    snapshot = export_registry(store, config, "html", out, network_titles=TITLES)
    result = chromium(tmp_path, "--dump-dom", out.as_uri())
    assert console_problems(result.stderr) == []
    dom = parse_page(result.stdout)
    headings = [t for t, _ in dom.tags if t in ("h1", "h2", "h3")]
    assert headings[:2] == ["h1", "h2"] and headings.count("h3") == 3
    urls = [a["url"] for o in snapshot["organizations"] for a in o["accounts"] if a["url"]]
    web = {h for h, _ in dom.links if not h.startswith(("mailto:", "tel:"))}
    assert web == set(urls) | {"https://klochki.example.ru"}
    assert sorted(urls) == ["https://ok.ru/klochki.dk", "https://vk.com/adm_klochki"]
    # a screenshot at phone size
    shot = tmp_path / "phone.png"
    chromium(
        tmp_path,
        "--hide-scrollbars",
        "--window-size=390,1400",
        f"--screenshot={shot}",
        out.as_uri(),
    )
    png = shot.read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(png[16:20], "big") == 390


def test_page_fits_a_phone_screen(registry, tmp_path):
    """Measured in the browser: at 360 px nothing sticks out to the right (no sideways scroll)."""
    path, store, config = registry
    out = tmp_path / "registry.html"
    export_registry(store, config, "html", out, network_titles=TITLES)
    probe = re.sub(r'<meta http-equiv="Content-Security-Policy"[^>]*>', "", out.read_text())
    probe = probe.replace('<html lang="ru">', '<html lang="ru" style="width:360px">').replace(
        "</body>",
        # the right edge of all the text and boxes: a long word or link would stick out
        "<script>var g=document.createRange();g.selectNodeContents(document.body);"
        "var r=Math.max(g.getBoundingClientRect().right,document.body.scrollWidth);"
        "document.body.setAttribute('data-right',String(Math.ceil(r)));"
        "document.body.setAttribute('data-viewport',String(window.innerWidth));</script></body>",
    )
    probe_file = tmp_path / "probe.html"
    probe_file.write_text(probe, encoding="utf-8")
    result = chromium(tmp_path, "--window-size=390,844", "--dump-dom", probe_file.as_uri())
    body = next(a for t, a in parse_page(result.stdout).tags if t == "body")
    assert int(body["data-viewport"]) < 640  # the phone layout (max-width: 40rem) applies
    assert int(body["data-right"]) <= 360, body
    # the probe can fail: squeezed to 120 px, the same page sticks out
    squeezed = tmp_path / "squeezed.html"
    squeezed.write_text(probe.replace("width:360px", "width:120px"), encoding="utf-8")
    result = chromium(tmp_path, "--dump-dom", squeezed.as_uri())
    body = next(a for t, a in parse_page(result.stdout).tags if t == "body")
    assert int(body["data-right"]) > 120


# -- the secret canary -------------------------------------------------------
CANARY_TOKEN = "vk1.a.CANARY-reg-5c1d-do-not-leak"
CANARY_KEEPER = "CANARY-KEEPER Хранитель"
CANARY_SERVICE_PHONE = "+7 900 765-43-21"
CANARY_RESPONSIBLE_PHONE = "+7 901 246-80-13"
CANARY_DIGITS = ("9007654321", "9012468013")


def _leaks(text: str) -> list[str]:
    found = [c for c in ("CANARY", "765-43-21", "246-80-13") if c in text]
    digits = phone_digits(text)
    return found + [d for d in CANARY_DIGITS if d in digits]


def test_secret_canary_never_reaches_an_export_or_cli_output(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("HUB_LOAD_PLUGINS", "vk")
    monkeypatch.setenv(TOKEN_ENV, CANARY_TOKEN)
    with VkEmulator(
        seed=5, communities=2, posts=3, comments=2, rate_limit=0, tokens=[CANARY_TOKEN]
    ) as emu:
        path = write_config(tmp_path, emu)
        path.write_text(
            path.read_text(encoding="utf-8")
            + '\n[notices]\nregion = "Алтайский край"\n'
            + '\n[[organizations]]\nname = "Организация 1"\nlevel = "administration"\n'
            'phones = ["+7 (38582) 2-21-33"]\nresponsible = { name = "Иванова М. П.", '
            f'position = "заместитель главы", phone = "{CANARY_RESPONSIBLE_PHONE}" }}\n'
            '\n[[organizations]]\nname = "Организация 2"\nlevel = "subordinate"\n',
            encoding="utf-8",
        )
        assert all(run.ok for run in hub_sync(path))
    cfg = str(path)
    # the page's contacts show the responsible person's own number (it happens)
    store = Store.open(tmp_path / "hub.db")
    store.db.execute(
        "UPDATE accounts SET contacts_json = ? WHERE id = 'acc-1'",
        [json.dumps([{"desc": "Ответственный", "phone": CANARY_RESPONSIBLE_PHONE}])],
    )
    outputs = []
    for args in (
        [
            "accounts",
            "attest",
            "acc-1",
            "--2fa",
            "--logins-keeper",
            CANARY_KEEPER,
            "--service-phone",
            "--service-phone-number",
            CANARY_SERVICE_PHONE,
            "--gospabliki",
            "--by",
            "operator",
        ],
        [
            "accounts",
            "attest",
            "acc-2",
            "--logins-keeper",
            CANARY_KEEPER,
            "--by",
            "operator",
            "--json",
        ],
        ["orgs", "list", "--json"],
        ["orgs", "list"],
        ["responsible", "history", "Организация 1", "--json"],
        ["notices", "--json"],
        ["registry", "events", "--json", "--limit", "1000"],
        ["registry", "export", "--format", "json", "--out", "-"],
        *(
            ["registry", "export", "--format", f, "--out", str(tmp_path / f"registry.{f}")]
            for f in ("html", "json", "csv")
        ),
    ):
        code, out, err = hub_cli(capsys, "--config", cfg, *args)
        assert code == 0, err
        outputs += [out, err]
    exports = [
        (tmp_path / f"registry.{f}").read_bytes().decode("utf-8-sig")
        for f in ("html", "json", "csv")
    ]
    snapshot = registry_snapshot(store, load_config(path))
    for text in [*outputs, *exports, json.dumps(snapshot, ensure_ascii=False)]:
        assert _leaks(text) == [], text[:500]
    assert "vk.com" in exports[0] and "vk.com" in exports[2]  # the exports are real
    # the token is nowhere in the database; the private values are stored, and only there
    for db_file in tmp_path.glob("hub.db*"):
        assert CANARY_TOKEN.encode() not in db_file.read_bytes()
    conn = sqlite3.connect(tmp_path / "hub.db")
    dump = "\n".join(conn.iterdump())
    assert CANARY_TOKEN not in dump and TOKEN_ENV in dump
    assert conn.execute(
        "SELECT logins_keeper, service_phone_number FROM account_attestations "
        "WHERE account_id = 'acc-1'"
    ).fetchone() == (CANARY_KEEPER, CANARY_SERVICE_PHONE)


def test_export_refuses_to_publish_a_token_found_in_a_page(registry, tmp_path, monkeypatch):
    path, store, config = registry
    monkeypatch.setenv("HUB_VK_TOKEN_ADM", "vk1.a.pasted-into-description-0042")
    store.db.execute(
        "UPDATE accounts SET description = ? WHERE id = 'adm-vk'",
        ["ключ доступа: vk1.a.pasted-into-description-0042"],
    )
    out = tmp_path / "registry.json"
    with pytest.raises(HubError, match="would publish a token"):
        export_registry(store, config, "json", out)
    assert not out.exists()


def test_export_refuses_a_private_phone_in_free_text(registry, tmp_path):
    path, store, config = registry
    store.db.execute(
        "UPDATE accounts SET description = ? WHERE id = 'club-ok'",
        [f"Звоните методисту: {PRIVATE_PHONE.replace(' ', '')}"],
    )
    with pytest.raises(HubError, match="private phone number"):
        export_registry(store, config, "json", tmp_path / "x.json")
    assert not (tmp_path / "x.json").exists()
    export_registry(store, config, "csv", tmp_path / "x.csv")  # the CSV has no descriptions


def test_export_cli(registry, tmp_path, capsys):
    path, store, config = registry
    out = tmp_path / "public" / "reestr.html"
    out.parent.mkdir()
    code, stdout, err = hub_cli(
        capsys, "--config", str(path), "registry", "export", "--format", "html", "--out", str(out)
    )
    assert code == 0, err
    assert stdout.strip() == f"wrote {out}: 3 organizations, 3 accounts"
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert oct(out.stat().st_mode & 0o777) == "0o644"
    assert not list(out.parent.glob(".reestr.html.*"))  # no temporary file left behind
    code, stdout, err = hub_cli(
        capsys, "--config", str(path), "registry", "export", "--format", "pdf", "--out", str(out)
    )
    assert code == 2 and "pdf" in err
