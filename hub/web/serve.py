"""Serving the console with uvicorn: on its own (``hub web``) or inside the daemon's loop
(``hub daemon --web``).

uvicorn must not take over SIGTERM and SIGINT — inside the daemon, the daemon's own
handlers stop everything in order; on its own, the console's — so its signal capture
is switched off and the host tells the server when to stop.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import socket

import uvicorn

from ..errors import HubError
from .app import create_app
from .console import Console


class _QuietServer(uvicorn.Server):
    """A uvicorn server that leaves the process's signals to its host (the daemon)."""

    @contextlib.contextmanager
    def capture_signals(self):
        yield


def _config(console: Console, host: str, port: int) -> uvicorn.Config:
    return uvicorn.Config(
        create_app(console),
        host=host,
        port=port,
        log_level="warning",
        access_log=False,  # a URL may carry a search for a resident's name: not in the logs
        proxy_headers=True,  # behind nginx: the scheme and client address it forwards
        forwarded_allow_ips="127.0.0.1",
        server_header=False,
        lifespan="off",
    )


def check_port(host: str, port: int) -> None:
    """A port that is taken or an address this machine lacks: one line, before serving."""
    try:
        with socket.create_server((host, port), reuse_port=False):
            pass
    except OSError as exc:
        raise HubError(
            f"cannot listen on {host}:{port}: {exc.strerror}; choose another with --port, "
            "or stop what uses it"
        ) from None


def serve(console: Console, host: str, port: int) -> None:
    """Serve until SIGTERM or Ctrl+C (``hub web``), then exit cleanly."""

    async def until_signalled() -> None:
        stopping = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stopping.set)
        await serve_in_loop(console, host, port, stopping)

    asyncio.run(until_signalled())


async def serve_in_loop(console: Console, host: str, port: int, stopping: asyncio.Event) -> None:
    """Serve inside a running loop until ``stopping`` is set (``hub daemon --web``)."""
    check_port(host, port)
    server = _QuietServer(_config(console, host, port))
    task = asyncio.create_task(server.serve())
    try:
        await stopping.wait()
    finally:
        server.should_exit = True
        with contextlib.suppress(asyncio.CancelledError):
            await task
        console.close()
