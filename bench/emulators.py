"""Starting a built-in emulator in its own process, for the benchmarks (shared by both)."""

from __future__ import annotations

import subprocess
import sys


def spawn(network: str, *options: str) -> tuple[subprocess.Popen, str, list[str]]:
    """``hub emulator NETWORK --port 0 ...``: the process, its API URL and its account refs.

    Its own process, so the emulator does not share the measured interpreter; the
    banner line names the URL and the communities, groups or channels it serves.
    """
    proc = subprocess.Popen(
        [sys.executable, "-m", "hub", "emulator", network, "--port", "0", *options],
        stdout=subprocess.PIPE,
        text=True,
    )
    line = proc.stdout.readline()
    if " emulator on " not in line:
        proc.kill()
        sys.exit(f"{network} emulator did not start: {line!r}")
    return proc, line.split()[3], line.split(": ")[1].rstrip(")\n").split(",")
