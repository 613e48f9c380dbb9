"""Pablik Hub: official municipal accounts in social networks, synced into SQLite.

The core knows no network: networks are pluggy plugins registered through the
``hub`` entry point group (see :mod:`hub.hookspecs`).
"""

__version__ = "0.1.0"
