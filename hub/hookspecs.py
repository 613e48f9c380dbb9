"""The hooks a plugin may implement. Every hook is documented in docs/plugins.md and tested."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pluggy

from .verdicts import CommentView, ModerationContext, Verdict

hookspec = pluggy.HookspecMarker("hub")
hookimpl = pluggy.HookimplMarker("hub")


@hookspec
def register_networks(register: Callable[[type], None]) -> None:
    """Register :class:`hub.network.Network` subclasses by calling ``register(cls)``."""


@hookspec
def register_emulators(register: Callable[[str, Any], None]) -> None:
    """Register a click command that runs a network emulator: ``register(name, command)``."""


@hookspec(firstresult=True)
def moderate_comment(comment: CommentView, context: ModerationContext) -> Verdict | None:
    """Judge a comment; the first plugin to return a Verdict decides (None: no opinion)."""
