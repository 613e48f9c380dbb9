"""The Telegram plugin passes the network contract (hub.testing) against its emulator."""

import pytest

from hub.testing import NetworkContract
from hub_telegram.emulator.driver import TelegramDriver


class TestTelegramContract(NetworkContract):
    @pytest.fixture
    def driver(self):
        with TelegramDriver.start() as emulator:
            yield TelegramDriver(emulator)
