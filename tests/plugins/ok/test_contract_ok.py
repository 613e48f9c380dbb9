"""The OK plugin passes the network contract (hub.testing) against its emulator."""

import pytest

from hub.testing import NetworkContract
from hub_ok.emulator.driver import OkDriver


class TestOkContract(NetworkContract):
    @pytest.fixture
    def driver(self):
        with OkDriver.start() as emulator:
            yield OkDriver(emulator)
