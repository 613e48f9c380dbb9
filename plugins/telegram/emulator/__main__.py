"""``python -m hub_telegram.emulator``: the same as ``hub emulator telegram``."""

from .cli import emulator_command

emulator_command()
