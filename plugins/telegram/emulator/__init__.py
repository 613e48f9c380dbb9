"""The Telegram emulator: a loopback server of the Bot API, for tests, the demo and benchmarks.

Not on the plugin's runtime path: the production modules never import it, and the hub
reaches it only through the plugin's ``register_emulators`` hook. Every network's
emulator has the same files: server.py (the emulator class and its HTTP answers),
methods.py (the API methods), data.py (the generated state), texts.py (what pages
and residents write), publish.py (the write methods), cli.py (``hub emulator telegram``)
and driver.py (the network contract's driver);
Telegram's own: protocol.py (calls, errors), updates.py (bots,
``getUpdates``), json.py (the API's objects), generate.py (the seeded world).
"""

from .cli import emulator_command
from .driver import TelegramDriver
from .server import TelegramEmulator

__all__ = ["TelegramEmulator", "TelegramDriver", "emulator_command"]
