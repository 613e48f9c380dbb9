"""``python -m hub_max.emulator``: the same as ``hub emulator max``."""

from .cli import emulator_command

emulator_command()
