"""``python -m hub_ok.emulator``: the same as ``hub emulator ok``."""

from .cli import emulator_command

emulator_command()
