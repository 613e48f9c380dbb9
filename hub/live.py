"""Output of long runs as it happens, and a summary when a signal stops them.

``click.echo`` flushes a terminal line by line, but into a file or a pipe (cron,
``| tee``, systemd) it buffers, so a run killed mid-way leaves an empty log:
:func:`say` flushes each line. :func:`interruptible` turns SIGTERM into what
Ctrl-C does (inside ``asyncio.run``: the work in hand is cancelled at its next
network wait, so nothing is left half-written), then prints the command's
summary of what was done and exits 130 (SIGINT) or 143 (SIGTERM), no traceback.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator

import click


def say(line: str, *, err: bool = False) -> None:
    """One line, flushed at once whatever the stream is."""
    click.echo(line, err=err)
    (sys.stderr if err else sys.stdout).flush()


@contextlib.contextmanager
def interruptible(summary: Callable[[], str]) -> Iterator[None]:
    """Run the block; on SIGINT or SIGTERM say ``summary()`` and exit 128 + the signal."""
    received: list[int] = []

    def on_term(signum, frame) -> None:
        received.append(signum)
        handler = signal.getsignal(signal.SIGINT)  # asyncio.run's own while it runs
        if callable(handler):
            handler(signal.SIGINT, frame)
        else:
            raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, on_term)
    try:
        yield
    except KeyboardInterrupt:
        say(summary())
        sys.exit(128 + (received[0] if received else signal.SIGINT))
    finally:
        signal.signal(signal.SIGTERM, previous)
