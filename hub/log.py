"""structlog, configured once: readable console for people, JSON lines for the daemon.

A redaction processor runs last, on every event, so no token reaches a log line
whatever a caller passes in: into nested values and the formatted traceback too.

An exception (``log.exception``, ``exc_info=``) is rendered into the event's
``exception`` field before redaction, so in JSON it stays one line that parses.
The standard library's loggers (asyncio's "Task exception was never retrieved",
a library's warning) go through the same processors via
:class:`structlog.stdlib.ProcessorFormatter`: otherwise Python's last-resort handler
writes their raw, multi-line, unredacted traceback into the daemon's JSON log.
"""

from __future__ import annotations

import logging
import sys
from typing import Any

import structlog

from .secrets import redact

_STDLIB_HANDLER = "hub-structlog"


def _redact_value(value: Any) -> Any:
    """Strings redacted; lists and dicts walked; any other object logged as its redacted repr
    (an exception passed as ``error=exc`` carries the URL, and maybe the token, it failed on)."""
    if isinstance(value, str):
        return redact(value)
    if value is None or isinstance(value, bool | int | float):
        return value
    if isinstance(value, dict):
        return {key: _redact_value(item) for key, item in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_redact_value(item) for item in value]
    return redact(repr(value))


def _redact_event(_logger: Any, _name: str, event: dict[str, Any]) -> dict[str, Any]:
    return {key: _redact_value(value) for key, value in event.items()}


class _CurrentStderr:
    """Whatever ``sys.stderr`` is when a line is written, not when logging was set up.

    A process that swaps its stderr (a test runner capturing output, a daemon
    redirected after start) would otherwise write to a closed file.
    """

    def write(self, text: str) -> int:
        return sys.stderr.write(text)

    def flush(self) -> None:
        sys.stderr.flush()

    def isatty(self) -> bool:
        return sys.stderr.isatty()


def configure_logging(*, json: bool | None = None, level: str = "info", stream: Any = None) -> None:
    stream = stream or _CurrentStderr()
    if json is None:
        json = not stream.isatty()
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json
        else structlog.dev.ConsoleRenderer(colors=stream.isatty())
    )
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared, structlog.processors.format_exc_info, _redact_event, renderer],
        wrapper_class=structlog.make_filtering_bound_logger(logging.getLevelName(level.upper())),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=False,
    )
    _route_stdlib_logging(stream, level, shared, renderer)
    # httpx logs every request URL at INFO; keep its chatter (and any URL) out.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)


def _route_stdlib_logging(stream: Any, level: str, shared: list[Any], renderer: Any) -> None:
    """The standard library's records rendered like structlog's (one JSON line each).

    The handler replaces the one an earlier call installed, so configuring twice (the
    CLI, then the daemon) never writes a line twice; other handlers are left alone.
    """
    handler = logging.StreamHandler(stream)
    handler.set_name(_STDLIB_HANDLER)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                _redact_event,
                renderer,
            ],
        )
    )
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _STDLIB_HANDLER]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(max(logging.getLevelName(level.upper()), logging.INFO))


def get_logger(name: str = "hub") -> Any:
    return structlog.get_logger(name)
