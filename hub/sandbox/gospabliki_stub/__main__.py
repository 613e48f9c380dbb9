"""``python -m hub.sandbox.gospabliki_stub``: the same as ``hub gospabliki-stub``."""

from .stub import stub_command

stub_command()
