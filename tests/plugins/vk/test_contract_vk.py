"""The VK plugin passes the network contract (hub.testing) against its emulator."""

import pytest

from hub.testing import NetworkContract
from hub_vk.emulator.driver import VkDriver


class TestVkContract(NetworkContract):
    @pytest.fixture
    def driver(self):
        with VkDriver.start() as emulator:
            yield VkDriver(emulator)
