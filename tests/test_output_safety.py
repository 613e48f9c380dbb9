"""Output safety (issue 12, "Low"): links, terminal output, public exports, ids, logs, backups.

Each test reproduces one defect the issue names: a ``javascript:`` invite link published
as a link; residents' escape sequences reaching the operator's terminal; bidi overrides
and NUL reaching the page, CSV and JSON; an account id ending in a newline; a raw
traceback in the daemon's JSON log; the ``.partial`` file a killed backup leaves.
"""

from __future__ import annotations

import csv
import io
import json
import os
import signal
import subprocess
import sys
import textwrap
from html.parser import HTMLParser
from pathlib import Path

import pytest

from hub.compliance import compliance_report
from hub.compliance.html import render_html as compliance_html
from hub.compliance.week import Week
from hub.config import load_config
from hub.errors import ConfigError
from hub.maintenance import backup_database
from hub.models import AccountMeta
from hub.moderation import audit
from hub.registry import export as export_module
from hub.registry import export_registry, registry_snapshot
from hub.registry.events import record_event
from hub.safe_text import public_text, safe_url, terminal_text
from hub.store import Store
from tests.compliance_seed import PAGE_FIELDS, local, seed, utc
from tests.registry.test_registry import ADMIN, hub_cli
from tests.registry.test_registry_export import TITLES, registry  # noqa: F401 - a fixture

#: what a resident (or a network's page name) may carry: a title change, a screen clear,
#: a right-to-left override that reverses what follows, a NUL
ESCAPES = "\x1b]0;pwned\x07\x1b[2J"
RLO = "\u202e"
EVIL = f"Отличная работа{ESCAPES} {RLO}лиам\x00 конец"
BIDI = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
JS_INVITE = "javascript:alert(document.domain)"


def raw_controls(text: str) -> list[str]:
    """Characters a terminal or a reader should never get raw (newline and tab are fine)."""
    return [
        ch
        for ch in text
        if ch not in "\n\t" and (ord(ch) < 0x20 or 0x7F <= ord(ch) <= 0x9F or ch in BIDI)
    ]


# -- the module --------------------------------------------------------------
@pytest.mark.parametrize(
    "url",
    [
        "https://vk.com/adm_klochki",
        "http://klochki.example.ru/",
        "HTTPS://t.me/klochki",
        "https://адм-клочки.рф/новости?a=1#x",
        "https://example.ru:8443/path",
    ],
)
def test_safe_url_keeps_http_links(url):
    assert safe_url(url) == url


@pytest.mark.parametrize(
    "url",
    [
        JS_INVITE,
        "JavaScript:alert(1)",
        "java\tscript:alert(1)",
        "java\nscript:alert(1)",
        " javascript:alert(1)",
        "\x01javascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/x",
        "/relative/path",
        "t.me/klochki",
        "https://",
        "https:evil.example",
        "https:\\\\evil.example",
        "https://gosuslugi.ru@evil.example/",
        "https://example.ru:99999/",
        "https://example.ru/\u202etxt.exe",
        "https://exa mple.ru/",
        "https://example.ru/\n",
        "mailto:adm@example.ru",
        "",
        None,
        42,
    ],
)
def test_safe_url_refuses_everything_else(url):
    assert safe_url(url) is None


def test_terminal_text_makes_controls_and_bidi_visible():
    shown = terminal_text(EVIL + "\r\x9b31m\x7f")
    assert raw_controls(shown) == []
    assert "\\u001b]0;pwned\\u0007" in shown and "\\u202e" in shown and "\\u0000" in shown
    assert "\\u000d" in shown and "\\u009b" in shown and "\\u007f" in shown
    assert terminal_text("строка 1\n\tстрока 2") == "строка 1\n\tстрока 2"
    assert terminal_text(None) == "" and terminal_text(7) == "7"


def test_terminal_text_keeps_json_json():
    value = {"text": EVIL + "\x85", "n": [1, "\u2067x\u2069"]}
    dumped = json.dumps(value, ensure_ascii=False)
    shown = terminal_text(dumped)
    assert raw_controls(shown) == [] and json.loads(shown) == value


def test_public_text_removes_controls_and_bidi():
    assert public_text(EVIL) == "Отличная работа]0;pwned[2J лиам конец"
    assert public_text(f"Школа{BIDI}\x00\x85 №1") == "Школа №1"
    assert public_text("a\r\nb\rc\td") == "a\nb\nc\td"
    assert public_text("\ud800x") == "\ufffdx"
    assert public_text(None) == ""


# -- the registry: page, JSON, CSV -------------------------------------------
SPOOF = f"Администрация{RLO}\x00 Клочки"
SPOOF_ADMIN = ADMIN.replace(" ", f"{RLO}\x00 ", 1)


@pytest.fixture
def poisoned(registry, monkeypatch):  # noqa: F811 - the fixture imported above
    """The registry with a Telegram page whose invite link is ``javascript:`` and names
    spoofed with an RLO and a NUL: the page's name and description as the network gave
    them, the organization's fields as an older database (or a bug) could hold them."""
    path, store, config = registry
    store.save_account_meta(
        config.account("adm-tg"),
        AccountMeta(name=f"Канал{RLO}\x00", description=f"О нас{ESCAPES}", url=JS_INVITE),
    )
    real = registry_snapshot

    def snapshot(*args, **kwargs):
        data = real(*args, **kwargs)
        admin = next(o for o in data["organizations"] if o["name"] == ADMIN)
        admin["name"] = SPOOF_ADMIN
        admin["contacts"]["website"] = "javascript:alert(1)"
        admin["contacts"]["working_hours"] = f"пн–пт{RLO} 9–17\x00"
        admin["responsible"]["name"] = f"=Иванова{RLO}\x00"
        return data

    monkeypatch.setattr(export_module, "registry_snapshot", snapshot)
    return path, store, config


class Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.hrefs += [v or "" for k, v in attrs if k in ("href", "src", "action")]


def test_registry_page_links_only_http_and_shows_no_controls(poisoned, tmp_path):
    _path, store, config = poisoned
    out = tmp_path / "registry.html"
    export_registry(store, config, "html", out, network_titles=TITLES)
    text = out.read_text(encoding="utf-8")
    links = Links()
    links.feed(text)
    assert links.hrefs and all(
        h.startswith(("https://", "http://", "mailto:", "tel:", "#")) for h in links.hrefs
    ), links.hrefs
    assert "javascript:" not in text
    assert raw_controls(text) == [], raw_controls(text)
    assert "Telegram — Администрация Клочковского сельсовета" in text  # shown, not linked
    ld = json.loads(text.split('<script type="application/ld+json">')[1].split("</script>")[0])
    admin = next(n for n in ld["@graph"] if n["name"] == ADMIN)
    assert "url" not in admin and all(s.startswith("https://") for s in admin["sameAs"])


def test_registry_json_publishes_no_javascript_url_and_no_controls(poisoned, tmp_path):
    _path, store, config = poisoned
    out = tmp_path / "registry.json"
    export_registry(store, config, "json", out)
    text = out.read_text(encoding="utf-8")
    assert "javascript:" not in text and raw_controls(text) == []
    assert "\\u0000" not in text and "\\u001b" not in text  # removed, not escaped
    admin = next(o for o in json.loads(text)["organizations"] if o["name"] == ADMIN)
    tg = next(a for a in admin["accounts"] if a["network"] == "telegram")
    assert tg["url"] is None and tg["title"] == "Канал"
    assert admin["contacts"]["website"] is None
    assert admin["responsible"]["name"] == "=Иванова"


def test_registry_csv_publishes_no_javascript_url_controls_or_formulas(poisoned, tmp_path):
    _path, store, config = poisoned
    out = tmp_path / "registry.csv"
    export_registry(store, config, "csv", out, network_titles=TITLES)
    text = out.read_text(encoding="utf-8-sig")
    assert "javascript:" not in text and raw_controls(text.replace("\r\n", "")) == []
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    tg = next(r for r in rows if r[2] == "Telegram")
    assert tg[3] == "" and tg[7] == "у страницы нет адреса для ссылки"
    assert tg[4].startswith("'=Иванова")  # the responsible person: text, not a formula


def test_csv_formula_guard_sees_through_removed_characters():
    from hub.registry.export import csv_rows

    snapshot = {
        "organizations": [
            {
                "name": f'\x00{RLO}=HYPERLINK("http://evil")',
                "level": None,
                "responsible": None,
                "exempt": False,
                "exempt_reason": None,
                "accounts": [],
            }
        ]
    }
    assert csv_rows(snapshot)[1][0] == '\'=HYPERLINK("http://evil")'


# -- the compliance page -----------------------------------------------------
def test_compliance_page_links_only_http_and_shows_no_controls(tmp_path):
    config = seed(tmp_path)
    store = Store.open(config.db_path)
    try:
        report = compliance_report(
            store, config, Week(2026, 11), now=local("2026-03-12 12:00"), page_fields=PAGE_FIELDS
        )
    finally:
        store.close()
    report["accounts"][0]["url"] = JS_INVITE
    report["accounts"][0]["title"] = f"Страница{RLO}\x00{ESCAPES}"
    report["organizations"][0]["organization"] = SPOOF
    html = compliance_html(report)
    links = Links()
    links.feed(html)
    assert all(h.startswith(("https://", "http://", "#")) for h in links.hrefs), links.hrefs
    assert "javascript:" not in html and raw_controls(html) == []
    assert "Администрация Клочки" in html


# -- the operator's terminal --------------------------------------------------
@pytest.fixture
def residents(tmp_path):
    """The seeded municipality with a resident's comment, queued for review and logged,
    a draft whose network answer carries escapes, and a registry event."""
    config = seed(tmp_path)
    store = Store.open(config.db_path)
    with store.transaction():
        cursor = store.db.execute(
            "INSERT INTO comments (account_id, network_id, post_network_id, author_id, "
            "published_at, text, is_placeholder, first_seen_at, last_seen_at) "
            "VALUES ('adm-vk', 9001, 1, 555, ?, ?, 0, ?, ?)",
            [utc("2026-03-10 10:00"), EVIL, utc("2026-03-10 10:00"), utc("2026-03-10 10:00")],
        )
        store.db.execute(
            "INSERT INTO verdicts (comment_id, account_id, engine_action, decision, category, "
            "reason, status, decided_by, judged_at, updated_at) VALUES (?, 'adm-vk', 'review', "
            "'review', 'insult', ?, 'queued', 'engine', ?, ?)",
            [cursor.lastrowid, f"нашлось «{ESCAPES}»", utc("2026-03-10 10:00")]
            + [utc("2026-03-10 10:00")],
        )
        audit.append(
            store,
            account_id="adm-vk",
            comment_id=cursor.lastrowid,
            actor="engine",
            event="queued",
            category="insult",
            comment_text=EVIL,
        )
        draft = store.db.execute(
            "INSERT INTO drafts (title, text, publish_at, state, created_by, created_at, "
            "updated_at) VALUES (?, ?, ?, 'approved', 'test', ?, ?)",
            [f"Анонс{RLO}", f"Строка 1\nСтрока 2{ESCAPES}", utc("2026-03-12 10:00")]
            + [utc("2026-03-01 10:00"), utc("2026-03-01 10:00")],
        )
        store.db.execute(
            "INSERT INTO draft_targets (draft_id, account_id, state, guid, error, updated_at) "
            "VALUES (?, 'adm-vk', 'failed', 'g-evil', ?, ?)",
            [draft.lastrowid, f"сеть ответила: {ESCAPES}", utc("2026-03-01 10:00")],
        )
        record_event(
            store, actor=f"оператор{ESCAPES}", entity="organization", key=SPOOF, action="changed",
            old={"kind": "школа"}, new={"kind": f"лицей{RLO}\x00"},
        )  # fmt: skip
    store.close()
    return str(tmp_path / "hub.toml"), draft.lastrowid


@pytest.mark.parametrize(
    "args",
    [
        ("comments", "list"),
        ("moderation", "queue"),
        ("moderation", "log"),
        ("plan", "show", "DRAFT"),
        ("plan", "list"),
        ("registry", "events"),
    ],
    ids=lambda a: " ".join(a),
)
def test_terminal_output_never_carries_raw_escapes_or_bidi(residents, capsys, args):
    config, draft_id = residents
    args = tuple(str(draft_id) if a == "DRAFT" else a for a in args)
    code, out, err = hub_cli(capsys, "--config", config, *args)
    assert code == 0, err
    assert raw_controls(out) == [], out
    assert "\\u001b" in out or "\\u202e" in out  # made visible, not silently dropped
    json_code, json_out, err = hub_cli(capsys, "--config", config, *args, "--json")
    if json_code == 0:  # `plan list` and friends that have --json: still JSON, same values
        assert raw_controls(json_out) == [], json_out
        json.loads(json_out)


def test_json_output_to_the_terminal_keeps_the_residents_text_exactly(residents, capsys):
    config, _draft = residents
    code, out, _err = hub_cli(capsys, "--config", config, "comments", "list", "--json")
    assert code == 0 and EVIL in [r["text"] for r in json.loads(out)]


def test_plan_show_keeps_the_drafts_lines(residents, capsys):
    config, draft_id = residents
    _code, out, _err = hub_cli(capsys, "--config", config, "plan", "show", str(draft_id))
    assert "Строка 1\nСтрока 2\\u001b]0;pwned" in out


# -- config: an id ending in a newline ---------------------------------------
@pytest.mark.parametrize(
    ("key", "value"),
    [("id", "klochki-vk\\n"), ("token_env", "HUB_VK_TOKEN\\n"), ("events_token_env", "HUB_EV\\n")],
)
def test_an_id_or_variable_name_ending_in_a_newline_is_refused(tmp_path, key, value):
    values = {"id": "klochki-vk", "token_env": "HUB_VK_TOKEN", key: value}
    path = tmp_path / "hub.toml"
    path.write_text(
        "[[accounts]]\n"
        + "".join(f'{k} = "{v}"\n' for k, v in values.items())
        + 'network = "vk"\nexternal_id = "1"\n',
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=key):
        load_config(path)


# -- the daemon's JSON log ----------------------------------------------------
DAEMON_LOG = """
import asyncio, os
from hub import secrets
from hub.log import configure_logging, get_logger

secrets.remember(os.environ["HUB_SECRET"])
configure_logging(json=True, level="info")  # what `hub daemon` does
log = get_logger("hub.daemon")
try:
    raise RuntimeError("refused " + os.environ["HUB_SECRET"])
except RuntimeError as exc:
    log.exception("cycle failed", error=exc, detail={"url": "https://x/?access_token=abc"})
    log.error("again", exc_info=True)

async def main():
    def callback():
        raise ValueError("in a callback " + os.environ["HUB_SECRET"])
    asyncio.get_running_loop().call_soon(callback)  # asyncio logs it through the stdlib
    await asyncio.sleep(0.05)

asyncio.run(main())
import logging
logging.getLogger("somelib").warning("a library's warning")
"""


def test_an_exception_in_the_daemon_log_is_one_redacted_json_line():
    secret = "vk1.a.SECRET-in-a-traceback"
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    proc = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(DAEMON_LOG)],
        env={**env, "HUB_SECRET": secret},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stderr.splitlines()
    events = [json.loads(line) for line in lines]  # every line is JSON: no raw traceback
    assert [e["event"] for e in events][:2] == ["cycle failed", "again"]
    assert len(events) == 4, lines
    assert all("Traceback" in e["exception"] for e in events[:3])
    assert "ValueError" in events[2]["exception"] and events[2]["level"] == "error"
    assert events[3] == {**events[3], "event": "a library's warning", "level": "warning"}
    assert secret not in proc.stderr and "abc" not in events[0]["detail"]["url"]


# -- backups -------------------------------------------------------------------
def _partials(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if ".partial" in p.name)


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_a_backup_removes_the_partial_files_killed_backups_left(tmp_path):
    config = seed(tmp_path)
    target = tmp_path / "backups" / "hub.db"
    target.parent.mkdir()
    (target.parent / "hub.db.partial").write_bytes(b"half a database")  # earlier versions
    stale = target.parent / f".hub.db.{_dead_pid()}.x1y2.partial"
    stale.write_bytes(b"half a database")
    (target.parent / (stale.name + "-journal")).write_bytes(b"journal")
    other = target.parent / ".other.db.1.abc.partial"  # another target's: not ours
    other.write_bytes(b"x")
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        running = target.parent / f".hub.db.{alive.pid}.r.partial"
        running.write_bytes(b"being written")
        store = Store.open(config.db_path)
        try:
            assert backup_database(store, target) > 0
        finally:
            store.close()
    finally:
        alive.kill()
        alive.wait()
    assert _partials(target.parent) == sorted([other.name, running.name])
    copy = Store.open(target, create=False)
    try:
        assert copy.db.execute("SELECT COUNT(*) FROM accounts").fetchone()[0] == 3
    finally:
        copy.close()


KILLED_BACKUP = """
import os, signal, sys
from pathlib import Path
from hub import maintenance
from hub.store import Store

def killed(*_args):  # SIGKILL after the copy is written, before it is moved in place
    os.kill(os.getpid(), signal.SIGKILL)

maintenance.os.replace = killed
maintenance.backup_database(Store.open(sys.argv[1], create=False), Path(sys.argv[2]))
"""


def test_a_backup_killed_midway_leaves_nothing_the_next_one_does_not_clean(tmp_path):
    config = seed(tmp_path)
    target = tmp_path / "backups" / "hub.db"
    killed = subprocess.run(
        [sys.executable, "-c", KILLED_BACKUP, str(config.db_path), str(target)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    assert _partials(target.parent) and not target.exists()  # what the issue saw
    code = subprocess.run(
        [sys.executable, "-m", "hub", "--config", str(tmp_path / "hub.toml"), "db", "backup"]
        + [str(target)],
        capture_output=True,
        text=True,
        timeout=60,
        env={k: v for k, v in os.environ.items() if not k.startswith("HUB_")},
    )
    assert code.returncode == 0, code.stderr
    assert _partials(target.parent) == [] and target.exists()
