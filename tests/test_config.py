import pytest

from hub.config import load_config, parse_config
from hub.errors import ConfigError
from hub.init import STARTER
from tests.helpers import REPO

REPO = REPO

GOOD = """
[database]
path = "data/hub.db"

[networks.vk]
api_base = "http://127.0.0.1:9/method"

[[accounts]]
id = "klochki-vk"
network = "vk"
external_id = "123456"
organization = "Администрация Клочковского сельсовета"
token_env = "HUB_VK_TOKEN_KLOCHKI"
"""


def write(tmp_path, text):
    path = tmp_path / "hub.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_good_config_resolves_db_relative_to_config(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    assert config.db_path == tmp_path / "data" / "hub.db"
    account = config.account("klochki-vk")
    assert account.external_id == "123456"
    assert account.organization.startswith("Администрация")
    assert config.network_settings("vk")["api_base"] == "http://127.0.0.1:9/method"
    assert config.sync.recent_window_days == 30
    assert config.sync.reconcile_hours == 24  # on by default: a swap or an edit is found in a day


def test_db_override_and_env_lookup(tmp_path, monkeypatch):
    path = write(tmp_path, GOOD)
    monkeypatch.setenv("HUB_CONFIG", str(path))
    config = load_config(None, db_override=str(tmp_path / "other.db"))
    assert config.db_path == tmp_path / "other.db"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[database\npath=1", "not valid TOML"),
        (GOOD + "\n[extra]\n", "unknown section 'extra'"),
        (GOOD.replace("token_env", "tokn_env"), "unknown key 'tokn_env'"),
        (
            GOOD.replace('token_env = "HUB_VK_TOKEN_KLOCHKI"', 'token = "vk1.a.abc"'),
            "secrets never go in the config file",
        ),
        (
            GOOD.replace('"HUB_VK_TOKEN_KLOCHKI"', '"vk1.a.secret-token"'),
            "NAME of an environment variable",
        ),
        (
            GOOD
            + GOOD.split("[networks.vk]")[1].split('api_base = "http://127.0.0.1:9/method"')[1],
            "appears twice",
        ),
        (GOOD.replace('external_id = "123456"\n', ""), "has no 'external_id'"),
        (GOOD.replace('"klochki-vk"', '"клочки вк"'), "id may hold only"),
        ("[sync]\nrecent_window_days = -1\n", "recent_window_days"),
        ("[sync]\nreconcile_hours = -1\n", "reconcile_hours .*must be a whole number of hours"),
        ("[sync]\nreconcile_hours = 1.5\n", r"from 0 \(never\) to 8760"),
        ("[sync]\nreconcile_hour = 24\n", "unknown key 'reconcile_hour'"),
        ("accounts = 3\n", "must be an array of tables"),
    ],
)
def test_broken_config_is_one_clear_error(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message):
        load_config(write(tmp_path, text))


def test_missing_config_names_the_fix(tmp_path):
    with pytest.raises(ConfigError, match="hub init"):
        load_config(tmp_path / "nope.toml")


def test_unknown_account_lists_known_ones(tmp_path):
    config = load_config(write(tmp_path, GOOD))
    with pytest.raises(ConfigError, match="configured accounts: klochki-vk"):
        config.account("zzz")


def test_example_config_is_the_starter_and_parses():
    example = (REPO / "config" / "hub.example.toml").read_text(encoding="utf-8")
    assert example == STARTER
    import tomllib

    config = parse_config(tomllib.loads(example))
    assert config.accounts == []
    assert config.network_settings("vk")["api_version"] == "5.199"
