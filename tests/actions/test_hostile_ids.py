"""Ids beyond 64 bits on the command line: one clear line and a non-zero exit, no traceback.

SQLite stores 64-bit integers, so such an id can be neither a hub id nor a network's.
"""

from __future__ import annotations

import pytest

from hub_vk.emulator import VkEmulator
from tests.cli.test_cli import assert_one_line_error, hub
from tests.helpers import TOKEN, TOKEN_ENV, write_config

HUGE = "99999999999999999999"


@pytest.fixture(scope="module")
def emu():
    with VkEmulator(seed=5, communities=1, posts=2, comments=1, rate_limit=0, tokens=[TOKEN]) as e:
        yield e


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["comments", "delete", HUGE], f"comment '{HUGE}' is not in the database"),
        (["users", "ban", "acc-1", HUGE, "--reason", "spam"], "too large to be a user id"),
        (["users", "ban", "acc-1", "--reason", "x", "--", f"-{HUGE}"], "too large to be a user id"),
    ],
)
def test_an_id_beyond_64_bits_is_one_clear_line(tmp_path, emu, args, needle):
    cfg = str(write_config(tmp_path, emu))
    result = hub("--config", cfg, *args, env_extra={TOKEN_ENV: TOKEN})
    assert_one_line_error(result, needle)
