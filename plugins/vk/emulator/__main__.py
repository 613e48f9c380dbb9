"""``python -m hub_vk.emulator``: the same as ``hub emulator vk``."""

from .cli import emulator_command

emulator_command()
