"""One helper reads every config section (hub.settings.Section); hub.config imports no feature."""

from __future__ import annotations

import ast
import importlib
from datetime import date

import pytest

from hub import config as config_module
from hub import settings
from hub.config import LOAD_CHECKS, parse_config
from hub.errors import ConfigError
from hub.settings import Section
from tests.helpers import REPO

ROOT = REPO
ACCOUNT = {"id": "a", "network": "vk", "external_id": "1", "token_env": "T"}


def refused(call, *args, **kwargs) -> str:
    with pytest.raises(ConfigError) as caught:
        call(*args, **kwargs)
    return str(caught.value)


# -- the helper ----------------------------------------------------------------------------


def test_an_unknown_key_is_refused_with_the_keys_there_are():
    message = refused(Section.of, {"plan": {"cadence": 3, "zz": 1}}, "plan", {"b", "a"}, " in x")
    assert message == "[plan] in x: unknown key 'cadence'; allowed keys: a, b"


def test_a_section_that_is_not_a_table_and_an_absent_one():
    assert refused(Section.of, {"sync": 3}, "sync", set(), " in x") == "[sync] in x must be a table"
    assert Section.of({}, "sync", set()).table == {}
    assert Section.of({"names": {"any": 1}}, "names", None).table == {"any": 1}  # any key


@pytest.mark.parametrize(
    ("read", "message"),
    [
        (lambda s: s.whole("n", 5, 1, 100), "[t] n in x must be a whole number from 1 to 100"),
        (
            lambda s: s.whole("gone", 0, 1, 9, unit="days"),
            "[t] gone in x must be a whole number of days from 1 to 9",
        ),
        (
            lambda s: s.whole("gone", -1, 0, 9, unit="hours", zero="never"),
            "[t] gone in x must be a whole number of hours from 0 (never) to 9",
        ),
        (lambda s: s.whole("n", 0, 1), "[t] n in x must be a whole number ≥ 1"),
        (
            lambda s: s.number("n", 0, 1, 604800, unit="seconds"),
            "[t] n in x must be a number of seconds from 1 to 604800",
        ),
        (lambda s: s.positive("gone", "2m"), "[t] gone = '2m' must be a number above 0"),
        (lambda s: s.text("s", "Алтайский край"), '[t] s in x must be text, like "Алтайский край"'),
        (lambda s: s.required_text("gone", "a name"), "[t] gone is missing: set it to a name"),
        (lambda s: s.flag("s", False), "[t] s in x must be true or false"),
        (lambda s: s.choice("s", None, ("ru", "en")), "[t] s in x must be one of ru, en, not ' '"),
        (lambda s: s.date("s"), "[t] s in x must be a date like 2026-03-01, not ' '"),
        (lambda s: s.url("s"), "[t] s = ' ' is not an http(s) URL"),
        (
            lambda s: s.subtable("s", " like { vk = 300 }"),
            "[t] s in x must be a table like { vk = 300 }",
        ),
    ],
)
def test_each_kind_of_value_has_one_message(read, message):
    section = Section({"s": " ", "n": True}, "[t]", None, " in x")  # true is no number
    assert refused(read, section) == message


def test_values_come_back_checked():
    section = Section(
        {"n": 5, "f": 1.5, "s": " Клочки ", "b": True, "d": "2026-03-01", "u": "https://x.ru"},
        "[t]",
        None,
    )
    assert section.whole("n", 0, 1, 9) == 5 and section.whole("absent", 3, 1, 9) == 3
    assert section.number("f", 0, 1, 2) == 1.5 and section.positive("f") == 1.5
    assert section.text("s", "x") == "Клочки" and section.text("absent", "x") is None
    assert section.flag("b", False) is True and section.date("d") == date(2026, 3, 1)
    assert section.url("u") == "https://x.ru" and section.subtable("absent") == {}
    assert section.choice("absent", "ru", ("ru", "en")) == "ru"


def test_a_past_date_is_not_in_the_future():
    assert settings.check_past_date("2021-03-01", "d") == date(2021, 3, 1)
    message = refused(settings.check_past_date, "2026-03-02", "d", today=date(2026, 3, 1))
    assert message == "d 2026-03-02 is in the future; give the day it happened"


def test_the_network_helpers_speak_the_same_words():
    message = refused(settings.known_keys, {"rps": 1}, {"api_base"}, "vk")
    assert message == "[networks.vk]: unknown key 'rps'; allowed keys: api_base"
    assert refused(settings.positive_number, {"r": 0}, "r", "vk") == (
        "[networks.vk] r = 0 must be a number above 0"
    )
    assert refused(settings.text, {}, "key", "ok", "the key") == (
        "[networks.ok] key is missing: set it to the key"
    )


# -- every section reads through it ---------------------------------------------------------


def _config(**sections):
    return parse_config({"accounts": [ACCOUNT], **sections})


def _gospabliki(raw):
    from hub.report import gospabliki_settings

    return gospabliki_settings(_config(**raw))


def _daemon(raw):
    from hub.daemon.schedule import load_intervals

    return load_intervals(_config(**raw))


def _parser(dotted):
    module, name = dotted.split(":")
    return getattr(importlib.import_module(module), name)


@pytest.mark.parametrize(
    ("section", "read"),
    [
        ("plan", "hub.plan.settings:parse_plan"),
        ("compliance", "hub.compliance.settings:parse_compliance"),
        ("registry", "hub.registry.settings:parse_registry"),
        ("notices", "hub.registry.settings:parse_notices"),
        ("ui", "hub.i18n:parse_ui"),
        ("sync", "hub.config:parse_config"),
        ("database", "hub.config:parse_config"),
        ("moderation", "hub.config:parse_config"),
        ("gospabliki", _gospabliki),
        ("daemon", _daemon),
    ],
)
def test_every_section_refuses_an_unknown_key_in_the_same_words(section, read):
    read = _parser(read) if isinstance(read, str) else read
    message = refused(read, {section: {"bogus": 1}})
    assert message.startswith(f"[{section}]: unknown key 'bogus'; allowed keys: ")


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"plan": {"posts_per_week": 0}}, "[plan] posts_per_week must be a whole number"),
        ({"moderation": {"polcy": {}}}, "[moderation]: unknown key 'polcy'"),
        ({"registry": {"municipality": ""}}, "[registry] municipality must be text"),
        ({"organizations": [{"name": "A", "levl": "x"}]}, "organizations[0]: unknown key 'levl'"),
    ],
)
def test_feature_sections_are_still_checked_at_load(raw, message):
    assert message in refused(_config, **raw)


# -- hub.config depends on no feature --------------------------------------------------------

#: the hub modules the config loader may import: the core's, none of a feature's
CORE = {"hub.errors", "hub.i18n", "hub.models", "hub.settings"}


def test_config_imports_no_feature_package():
    tree = ast.parse((ROOT / "hub" / "config.py").read_text(encoding="utf-8"))
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            base = "hub." * (node.level > 0) + (node.module or "")
            if node.level or base.startswith("hub"):
                imported |= {base} if node.module else {f"hub.{a.name}" for a in node.names}
        elif isinstance(node, ast.Import):
            imported |= {a.name for a in node.names if a.name.startswith("hub")}
    assert imported <= CORE, f"hub.config imports {sorted(imported - CORE)}"


def test_every_load_check_names_a_function_that_takes_the_config():
    assert LOAD_CHECKS
    for check in LOAD_CHECKS:
        function = _parser(check)
        assert callable(function), check
        function(_config())  # a config with nothing in the sections passes
    assert {"plan", "registry", "moderation", "organizations"} <= config_module.TOP_LEVEL_KEYS
