"""What several command groups share: who is running the command."""

from __future__ import annotations

import getpass

from .errors import HubError


def operator_name(by: str | None) -> str:
    """``--by``, else the login name: every approval, decision and attestation is signed."""
    try:
        return by or getpass.getuser()
    except (KeyError, OSError):  # no user name in a container: ask for --by
        raise HubError("cannot tell who you are; pass --by NAME") from None
