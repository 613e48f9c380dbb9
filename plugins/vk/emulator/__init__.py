"""The VK emulator: a loopback server of the VK API, for tests, the demo and benchmarks.

Not on the plugin's runtime path: the production modules never import it, and the hub
reaches it only through the plugin's ``register_emulators`` hook. Every network's
emulator has the same files: server.py (the emulator class and its HTTP answers),
methods.py (the API methods), data.py (the generated state), texts.py (what pages
and residents write), publish.py (the write methods), cli.py (``hub emulator vk``)
and driver.py (the network contract's driver);
VK's own: execute.py (VK's ``execute`` code), longpoll.py (Bots Long Poll),
http.py (request bodies, error pages).
"""

from .cli import emulator_command
from .driver import VkDriver
from .server import VkEmulator

__all__ = ["VkEmulator", "VkDriver", "emulator_command"]
