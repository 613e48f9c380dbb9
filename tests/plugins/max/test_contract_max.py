"""The MAX plugin passes the network contract (hub.testing) against its emulator."""

import pytest

from hub.testing import NetworkContract
from hub_max.emulator.driver import MaxDriver
from tests.plugins.max.driver import SeqDriver


class TestMaxContract(NetworkContract):
    @pytest.fixture
    def driver(self):
        with MaxDriver.start() as emulator:
            yield SeqDriver(MaxDriver(emulator))
