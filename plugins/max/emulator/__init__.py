"""The MAX emulator: a loopback server of the MAX Bot API, for tests, the demo and benchmarks.

Not on the plugin's runtime path: the production modules never import it, and the hub
reaches it only through the plugin's ``register_emulators`` hook. Like every network's
emulator: server.py (the emulator class and its HTTP answers), methods.py (the API's read
methods and errors), publish.py (the write methods and uploads), data.py (the generated
world and its JSON), texts.py (what pages write), cli.py (``hub emulator max``) and
driver.py (the network contract's driver); MAX's own: updates.py (long polling with
markers, webhook delivery). README.md describes the Python API; the official schema it
follows is ``tests/specs/max/schema.yaml``.
"""

from .cli import emulator_command, register_cli
from .driver import MaxDriver
from .server import DEFAULT_TOKEN, MaxEmulator

__all__ = ["DEFAULT_TOKEN", "MaxDriver", "MaxEmulator", "emulator_command", "register_cli"]
