"""Every test runs isolated: its own folder, no HUB_* or locale variables, no retry waits."""

from __future__ import annotations

import os

import pytest

from hub import secrets
from hub.retry import RETRY

#: the content plan's scripted network and its ``env`` fixture
pytest_plugins = ["tests.plan_fixtures"]


@pytest.fixture(autouse=True)
def isolated(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for key in list(os.environ):
        if key.startswith("HUB_"):
            monkeypatch.delenv(key)
    for key in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):  # English unless a test asks
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setattr(RETRY, "wait_multiplier", 0.0)
    monkeypatch.setattr(secrets, "_known", set())
    yield tmp_path
