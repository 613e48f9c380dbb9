"""The registry of official accounts, its publication, and notices to the regional centre.

The acts ask a municipality to keep a registry of its official pages with the
bodies and organizations that own them and their responsible persons, to publish
it on the official website, and to report created and deleted accounts and a new
responsible person within days (the acts 000 §1.3, 002 §2, 003 and 004 §5).

- :mod:`.settings` reads ``[[organizations]]`` and ``[notices]`` from the config;
- :mod:`.sync` brings them (and ``[[accounts]]``) into the registry's tables;
- :mod:`.existing` keeps pages that existed before the hub from being reported as created;
- :mod:`.model` makes every change and its event; :mod:`.notices` the notices;
- :mod:`.snapshot` decides what is public; :mod:`.export` and :mod:`.page` publish it.

The functions other parts of the hub call are re-exported here.
"""

from __future__ import annotations

from .export import FORMATS, export_registry, render
from .notices import list_notices, mark_notices_sent, overdue_warning, pending_notices
from .snapshot import registry_snapshot
from .sync import SyncReport, sync_registry

__all__ = [
    "FORMATS",
    "SyncReport",
    "export_registry",
    "list_notices",
    "mark_notices_sent",
    "overdue_warning",
    "pending_notices",
    "registry_snapshot",
    "render",
    "sync_registry",
]
