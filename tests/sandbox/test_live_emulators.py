"""The emulators can keep residents writing, so a daemon always has new work (and moderation)."""

import time

from hub_ok.emulator.driver import OkDriver
from hub_telegram.emulator.driver import TelegramDriver
from hub_vk.emulator.driver import VkDriver


def comment_count(driver) -> int:
    return sum(len(c) for posts in driver.state().values() for c in posts.values())


def test_each_emulator_keeps_new_comments_coming():
    for driver_class in (VkDriver, OkDriver, TelegramDriver):
        with driver_class.start() as emulator:
            driver = driver_class(emulator)
            before = comment_count(driver)
            emulator.keep_alive(0.05, seed=3)
            deadline = time.monotonic() + 5
            while comment_count(driver) < before + 5:
                assert time.monotonic() < deadline, f"{driver_class.__name__}: no new comments"
                time.sleep(0.05)
        # stopping the emulator stops its residents too
        assert emulator._activity_stop.is_set()
