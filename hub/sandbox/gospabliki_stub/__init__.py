"""A loopback stand-in for Gospabliki that implements the hub's reporting API.

:mod:`.stub` is the service (routes, validation, faults) and ``hub gospabliki-stub``;
:mod:`.server` its HTTP server (heads checked before bodies are read); :mod:`.store`
its own SQLite file; :mod:`.sample_report` a valid report to start from.
``python -m hub.sandbox.gospabliki_stub`` runs it.
"""

from .sample_report import sample_report
from .stub import GospablikiStub, stub_command

__all__ = ["GospablikiStub", "sample_report", "stub_command"]
