"""Russian first: the CLI speaks Russian for Russian staff, through one catalogue.

The language comes from ``[ui] language`` in the config, else the locale variables
(LANGUAGE, LC_ALL, LC_MESSAGES, LANG), else English. Help texts, summaries and
errors are English msgids translated from ``hub/locale/ru/LC_MESSAGES/hub.po``; a
message or help text added without its translation fails here.
"""

from __future__ import annotations

import ast
import fnmatch
import os
import re
import subprocess
import sys
import tomllib
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from click.testing import CliRunner

from hub import i18n
from hub.cli import cli
from hub.errors import ConfigError
from hub.plan.drafts import parse_when
from hub.plan.settings import parse_plan
from hub.store import Store
from tests.helpers import REPO

ROOT = REPO
#: the files whose _() and ngettext() messages the catalogue must translate: every module
#: that takes them from hub.i18n, so a new one cannot be forgotten
MESSAGE_FILES = sorted(
    path
    for path in (ROOT / "hub").rglob("*.py")
    if path.name == "i18n.py"
    or re.search(r"^from (\.+|hub\.)i18n import", path.read_text(encoding="utf-8"), re.M)
)
RUSSIAN = {"LANG": "ru_RU.UTF-8", "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None}
ENGLISH = {"LANG": "C", "LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None}
CYRILLIC = re.compile("[а-яё]", re.IGNORECASE)


@pytest.fixture(autouse=True)
def english_afterwards():
    """The language is process-wide: leave English behind for the other tests."""
    yield
    i18n.set_language("en")
    i18n.translate_commands(cli)


def run(args, env, **kw):
    return CliRunner().invoke(cli, args, env=env, catch_exceptions=False, **kw)


def hub_process(args, env_update, cwd):
    env = {k: v for k, v in os.environ.items() if k not in ENGLISH}
    env.update({k: v for k, v in env_update.items() if v is not None})
    return subprocess.run(
        [sys.executable, "-m", "hub", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=cwd,
        timeout=60,
    )


def write_config(tmp_path, ui: str = "") -> Path:
    path = tmp_path / "config" / "hub.toml"
    path.parent.mkdir(exist_ok=True)
    path.write_text(
        f"{ui}\n"
        '[[accounts]]\nid = "klochki-vk"\nnetwork = "vk"\nexternal_id = "1"\n'
        'token_env = "HUB_VK_TOKEN_KLOCHKI"\n',
        encoding="utf-8",
    )
    return path


# --------------------------------------------------------------------------- choosing


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"LANG": "ru_RU.UTF-8"}, "ru"),
        ({"LANG": "C"}, "en"),
        ({}, "en"),
        ({"LANG": "en_US.UTF-8", "LC_ALL": "ru_RU.UTF-8"}, "ru"),  # LC_ALL comes first
        ({"LANGUAGE": "ru:en", "LANG": "C.UTF-8"}, "ru"),
        ({"LANGUAGE": "", "LC_MESSAGES": "en_GB.UTF-8", "LANG": "ru_RU.UTF-8"}, "en"),
    ],
)
def test_the_first_locale_variable_set_decides(environ, expected):
    assert i18n.language_from_env(environ) == expected


def test_ui_language_is_checked_with_the_config(tmp_path):
    path = write_config(tmp_path, '[ui]\nlanguage = "de"')
    result = CliRunner().invoke(cli, ["--config", str(path), "accounts", "list"], env=ENGLISH)
    assert isinstance(result.exception, ConfigError)
    assert "[ui] language in" in str(result.exception)
    assert 'must be "ru" or "en", not \'de\'' in str(result.exception)
    with pytest.raises(ConfigError, match="unknown key 'lang'"):
        i18n.parse_ui({"ui": {"lang": "ru"}})


# --------------------------------------------------------------------------- help


def test_lang_ru_gives_russian_help_and_lang_c_english(tmp_path):
    russian = hub_process(["--help"], RUSSIAN, tmp_path)
    assert russian.returncode == 0, russian.stderr
    assert "Использование: hub" in russian.stdout
    assert "Синхронизировать посты и комментарии" in russian.stdout  # hub sync
    assert "Показать эту справку и выйти." in russian.stdout  # click's own words too
    english = hub_process(["--help"], ENGLISH, tmp_path)
    assert english.returncode == 0, english.stderr
    assert "Usage: hub" in english.stdout
    assert "Sync posts and comments" in english.stdout
    assert not CYRILLIC.search(english.stdout.replace("школа, дом культуры", ""))


def test_subcommand_help_follows_the_environment_in_process():
    russian = run(["plan", "add", "--help"], RUSSIAN)
    assert "Написать черновик для одного или нескольких аккаунтов" in russian.output
    assert "Когда публиковать: 03.12.2026 09:00" in russian.output
    assert "Показать эту справку и выйти." in russian.output
    english = run(["plan", "add", "--help"], ENGLISH)
    assert "Write a draft for one or many accounts" in english.output
    assert "Show this message and exit." in english.output


def test_plugins_commands_follow_the_environment_too():
    """``hub emulator vk`` comes from the VK plugin (``register_commands``), not the core."""
    russian = run(["emulator", "vk", "--help"], RUSSIAN).output
    assert "Запустить эмулятор API ВКонтакте" in russian and "Параметры:" in russian
    english = run(["emulator", "vk", "--help"], ENGLISH).output
    assert "Run the VK API emulator" in english and not CYRILLIC.search(english)


def test_ui_language_ru_gives_russian_help_with_lang_c(tmp_path):
    path = write_config(tmp_path, '[ui]\nlanguage = "ru"')
    result = run(["--config", str(path), "sync", "--help"], ENGLISH)
    assert "Синхронизировать посты и комментарии" in result.output


# --------------------------------------------------------------------------- messages


def test_errors_in_russian_with_lang_ru(tmp_path):
    missing = hub_process(["accounts", "list"], RUSSIAN, tmp_path)
    assert missing.returncode == 2
    assert missing.stderr.strip() == (
        "hub: ошибка: файл конфигурации config/hub.toml не найден; создайте его командой "
        "'hub init' или укажите путь в --config / $HUB_CONFIG"
    )
    english = hub_process(["accounts", "list"], ENGLISH, tmp_path)
    assert english.stderr.strip().startswith("hub: error: config file config/hub.toml not found")


def test_ui_language_ru_overrides_lang_c_for_messages(tmp_path):
    write_config(tmp_path, '[ui]\nlanguage = "ru"')
    unknown = hub_process(["comments", "list", "--account", "nope"], ENGLISH, tmp_path)
    assert unknown.returncode == 2
    assert unknown.stderr.strip() == (
        "hub: ошибка: неизвестный аккаунт 'nope'; в конфигурации есть: klochki-vk"
    )
    no_token = hub_process(["sync"], ENGLISH, tmp_path)
    assert no_token.returncode == 2
    assert no_token.stderr.strip() == (
        "hub: ошибка: не синхронизированы: klochki-vk (переменная HUB_VK_TOKEN_KLOCHKI не задана)"
    )


def test_ui_language_en_overrides_lang_ru(tmp_path):
    write_config(tmp_path, '[ui]\nlanguage = "en"')
    unknown = hub_process(["comments", "list", "--account", "nope"], RUSSIAN, tmp_path)
    assert unknown.stderr.strip() == (
        "hub: error: unknown account 'nope'; configured accounts: klochki-vk"
    )


def test_summaries_in_russian(tmp_path):
    path = write_config(tmp_path)
    result = run(["--config", str(path), "init", "--dir", str(tmp_path / "fresh")], RUSSIAN)
    assert "записан" in result.output and "дальше: опишите аккаунты" in result.output
    Store.open(path.parent / "hub.db").close()
    result = run(["--config", str(path), "notices"], RUSSIAN)
    assert result.output.strip() == "уведомлений нет"
    result = run(["--config", str(path), "moderation", "queue"], RUSSIAN)
    assert result.output.strip() == "очередь пуста"
    result = run(["--config", str(path), "plan", "list"], RUSSIAN)
    assert result.output.strip() == "черновиков нет"
    result = run(["--config", str(path), "accounts", "list"], RUSSIAN)
    assert "0 постов" in result.output and "0 комментариев" in result.output
    assert "ещё не синхронизирован" in result.output
    result = run(["--config", str(path), "compliance"], RUSSIAN)
    assert "АККАУНТ" in result.output and "СТАТУС" in result.output
    english = run(["--config", str(path), "moderation", "queue"], ENGLISH)
    assert english.output.strip() == "the queue is empty"


@pytest.mark.parametrize(
    ("n", "word"),
    [
        (1, "комментарий"),
        (2, "комментария"),
        (5, "комментариев"),
        (11, "комментариев"),
        (21, "комментарий"),
        (22, "комментария"),
        (112, "комментариев"),
    ],
)
def test_russian_has_three_plural_forms(n, word):
    i18n.set_language("ru")
    assert i18n.ngettext("comment", "comments", n) == word
    i18n.set_language("en")
    assert i18n.ngettext("comment", "comments", n) == ("comment" if n == 1 else "comments")


# --------------------------------------------------------------------------- the catalogue


def _catalogue():
    with i18n.catalogue_path("ru").open("rb") as po:
        return read_po(po, locale="ru")


def _source_msgids(path: Path):
    """Every literal _("...") and ngettext("...", "...", n) of ``path``, f-strings included."""
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
            continue
        texts = [a.value for a in node.args if isinstance(a, ast.Constant)]
        if node.func.id == "_" and texts:
            yield texts[0]
        elif node.func.id == "ngettext" and len(texts) >= 2:
            yield (texts[0], texts[1])


def test_every_message_and_help_text_has_a_translation():
    catalog = _catalogue()
    wanted = {m for path in MESSAGE_FILES for m in _source_msgids(path)}
    wanted |= set(i18n.help_msgids(cli))
    problems = []
    for msgid in sorted(wanted, key=str):
        key = msgid[0] if isinstance(msgid, tuple) else msgid
        message = catalog.get(key)
        if message is None:
            problems.append(f"missing: {msgid!r}")
        elif message.fuzzy:
            problems.append(f"fuzzy: {msgid!r}")
        elif isinstance(msgid, tuple) and (
            not isinstance(message.string, tuple) or not all(message.string)
        ):
            problems.append(f"plural forms missing: {msgid!r}")
        elif not isinstance(msgid, tuple) and not message.string:
            problems.append(f"untranslated: {msgid!r}")
    assert not problems, "add to hub/locale/ru/LC_MESSAGES/hub.po:\n" + "\n".join(problems)


PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\([a-z_]+\)s")


def test_translations_keep_every_placeholder():
    """A dropped or misspelled {account} would turn a message into a KeyError."""
    bad = []
    for message in _catalogue():
        if not message.id:
            continue
        ids = message.id if isinstance(message.id, tuple) else (message.id,)
        allowed = {p for text in ids for p in PLACEHOLDER.findall(text)}
        forms = message.string if isinstance(message.string, tuple) else (message.string,)
        for form in forms:
            if set(PLACEHOLDER.findall(form)) - allowed or (
                len(ids) == 1 and set(PLACEHOLDER.findall(form)) != allowed
            ):
                bad.append((message.id, form))
    assert not bad


def test_the_catalogue_is_installed_with_the_package():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    patterns = pyproject["tool"]["setuptools"]["package-data"]["hub"]
    relative = i18n.catalogue_path("ru").relative_to(ROOT / "hub").as_posix()
    assert any(fnmatch.fnmatch(relative, p) for p in patterns)
    assert "babel" in " ".join(pyproject["project"]["dependencies"]).lower()


# --------------------------------------------------------------------------- dates


@pytest.mark.parametrize(
    "text", ["07.12.2026 18:00", "7.12.2026 18:00", "2026-12-07 18:00", "2026-12-07T18:00"]
)
def test_plan_times_in_russian_and_iso_form(text):
    settings = parse_plan({"plan": {"time_zone": "Europe/Moscow"}})
    assert parse_when(text, settings) == datetime(2026, 12, 7, 15, 0, tzinfo=UTC)


def test_a_day_alone_is_its_local_midnight():
    settings = parse_plan({"plan": {"time_zone": "Europe/Moscow"}})
    assert parse_when("07.12.2026", settings) == datetime(2026, 12, 6, 21, 0, tzinfo=UTC)
    assert parse_when("07.12.2026", settings) == parse_when("2026-12-07", settings)


@pytest.mark.parametrize("text", ["32.12.2026 18:00", "12/07/2026", "завтра", "07.12.26"])
def test_a_wrong_time_is_one_line_listing_the_forms(text):
    settings = parse_plan({"plan": {"time_zone": "Europe/Moscow"}})
    with pytest.raises(ConfigError) as caught:
        parse_when(text, settings)
    message = str(caught.value)
    assert "\n" not in message
    assert "07.12.2026 18:00, 07.12.2026, 2026-12-07 18:00, 2026-12-07T18:00" in message


def test_days_in_russian_and_iso_form():
    assert i18n.parse_day("07.12.2026") == i18n.parse_day("2026-12-07") == date(2026, 12, 7)
    with pytest.raises(ValueError):
        i18n.parse_day("31.02.2026")


def test_plan_add_at_accepts_the_russian_form(tmp_path):
    path = write_config(tmp_path, '[plan]\ntime_zone = "Europe/Moscow"')
    result = run(
        ["--config", str(path), "plan", "add", "--account", "klochki-vk", "--text",
         "Завтра чистим парк.", "--at", "07.12.2026 18:00", "--by", "head"],
        RUSSIAN,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "черновик №1 записан для klochki-vk; выйдет 2026-12-07 18:00" in result.output
    wrong = CliRunner().invoke(
        cli,
        ["--config", str(path), "plan", "add", "--account", "klochki-vk", "--text", "x",
         "--at", "07/12/2026", "--by", "head"],
        env=ENGLISH,
    )  # fmt: skip
    assert isinstance(wrong.exception, ConfigError)
    assert "write it like 07.12.2026 18:00, 07.12.2026" in str(wrong.exception)


def test_since_accepts_the_russian_form(tmp_path):
    path = write_config(tmp_path)
    result = CliRunner().invoke(
        cli, ["--config", str(path), "accounts", "adopt", "klochki-vk", "--since", "01.03.2021"],
        env=ENGLISH,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    wrong = CliRunner().invoke(
        cli, ["--config", str(path), "accounts", "adopt", "klochki-vk", "--since", "1 марта"],
        env=RUSSIAN,
    )  # fmt: skip
    assert isinstance(wrong.exception, ConfigError)
    assert str(wrong.exception) == (
        "--since: нужна дата вида 07.12.2026, 2026-12-07, а не '1 марта'"
    )
