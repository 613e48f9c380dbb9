"""OK OAuth in the emulator: expiring access tokens and the refresh endpoint.

``GET /oauth/authorize`` signs the admin in at once and redirects back with ``code``;
``POST /oauth/token.do`` exchanges a code (``grant_type=authorization_code``) or a
refresh token (``grant_type=refresh_token``, with ``client_id`` and
``client_secret``) for ``{access_token, token_type, refresh_token, expires_in}``. An
access token past its 30 minutes is refused by the API with error 102 (session
expired). The emulator rotates refresh tokens and refuses a spent one
(``invalid_grant``), the strict reading; the fixed tokens it starts with never expire.
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import parse_qsl, urlencode

ACCESS_TTL = 1800.0


class OkOAuth:
    def __init__(
        self,
        register: Callable[[str], None],
        expired: set[str],
        application_secret: str,
        ttl: float = ACCESS_TTL,
    ):
        self._register = register
        self._expired = expired  # the API's set: error 102 for these
        self._secret = application_secret
        self.ttl = ttl
        self.lock = threading.Lock()
        self.refresh_tokens: set[str] = set()
        self.spent: set[str] = set()
        self.expiry: dict[str, float] = {}
        self._codes: set[str] = set()
        self.refreshes = 0

    def grant(self) -> str:
        """A refresh token "obtained elsewhere" (hub auth ok --refresh-token)."""
        token = "ok-rt-" + secrets.token_urlsafe(12)
        with self.lock:
            self.refresh_tokens.add(token)
        return token

    def revoke_all(self) -> None:
        with self.lock:
            self.refresh_tokens.clear()

    def expire_access_tokens(self) -> None:
        with self.lock:
            self._expired.update(self.expiry)

    def check_expiry(self, token: str) -> None:
        with self.lock:
            until = self.expiry.get(token)
            if until is not None and until <= time.time():
                self._expired.add(token)

    def authorize(self, query: str) -> tuple[int, dict[str, str]]:
        params = dict(parse_qsl(query))
        code = "ok-code-" + secrets.token_urlsafe(12)
        with self.lock:
            self._codes.add(code)
        back = {"code": code, "state": params.get("state", "")}
        return 302, {"Location": f"{params['redirect_uri']}?{urlencode(back)}"}

    def token(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        if form.get("client_secret") != self._secret:
            return 400, _error("invalid_client", "client_secret is wrong")
        kind = form.get("grant_type")
        with self.lock:
            if kind == "refresh_token":
                token = form.get("refresh_token", "")
                if token not in self.refresh_tokens:
                    why = "refresh token is already used" if token in self.spent else "bad token"
                    return 400, _error("invalid_grant", why)
                self.refresh_tokens.discard(token)
                self.spent.add(token)
                self.refreshes += 1
            elif kind == "authorization_code":
                if form.get("code") not in self._codes:
                    return 400, _error("invalid_grant", "code is invalid or used")
                self._codes.discard(form["code"])
            else:
                return 400, _error("unsupported_grant_type", "grant_type is not supported")
            access = "ok-at-" + secrets.token_urlsafe(16)
            refresh = "ok-rt-" + secrets.token_urlsafe(12)
            self.refresh_tokens.add(refresh)
            self.expiry[access] = time.time() + self.ttl
        self._register(access)
        return 200, {
            "access_token": access,
            "token_type": "session",
            "refresh_token": refresh,
            "expires_in": int(self.ttl),
        }


def _error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description}
