"""The hooks a plugin may implement. Every hook is documented in docs/plugins.md and tested."""

from __future__ import annotations

from collections.abc import Callable, Iterable

import click
import pluggy

from .appeals.finding import AppealContext, AppealFinding
from .verdicts import CommentView, ModerationContext, Verdict

hookspec = pluggy.HookspecMarker("hub")
hookimpl = pluggy.HookimplMarker("hub")


@hookspec
def register_networks(register: Callable[[type], None]) -> None:
    """Register :class:`hub.network.Network` subclasses by calling ``register(cls)``."""


@hookspec
def register_emulators(register: Callable[[str, type], None]) -> None:
    """Register a network's emulator class, which the demo starts: ``register(name, cls)``."""


@hookspec
def register_commands(cli: click.Group) -> None:
    """Add click commands to the ``hub`` group ``cli`` (a network: ``hub emulator <name>``)."""


@hookspec
def moderation_settings() -> Iterable[str]:
    """The ``[moderation]`` keys a moderation engine reads; the core accepts them with its own."""


@hookspec(firstresult=True)
def moderate_comment(comment: CommentView, context: ModerationContext) -> Verdict | None:
    """Judge a comment; the first plugin to return a Verdict decides (None: no opinion)."""


@hookspec(firstresult=True)
def detect_appeal(comment: CommentView, context: AppealContext) -> AppealFinding | None:
    """Say whether a resident's comment is an appeal (a question, complaint or request) and
    why; the first plugin to return a finding decides. The default (``hub_appeals``) answers
    last, so a municipality's own detector is asked first; None means no opinion, and the
    next plugin is asked."""
