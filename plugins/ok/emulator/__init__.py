"""The OK emulator: a loopback server of the OK REST API, for tests, the demo and benchmarks.

Not on the plugin's runtime path: the production modules never import it, and the hub
reaches it only through the plugin's ``register_emulators`` hook. Every network's
emulator has the same files: server.py (the emulator class and its HTTP answers),
methods.py (the API methods), data.py (the generated state), texts.py (what pages
and residents write), publish.py (the write methods), cli.py (``hub emulator ok``)
and driver.py (the network contract's driver);
OK's own: http.py (form bodies, error replies), protocol.py (signatures,
anchors, error codes).
"""

from .cli import emulator_command
from .driver import OkDriver
from .server import OkEmulator

__all__ = ["OkEmulator", "OkDriver", "emulator_command"]
