"""VK ID in the emulator: expiring access tokens and rotating refresh tokens.

Served on the emulator's own address, as ``[networks.vk] id_base`` points there:
``GET /authorize`` signs the admin in at once and redirects back with ``code``,
``state`` and ``device_id``; ``POST /oauth2/auth`` exchanges a code
(``grant_type=authorization_code``, PKCE S256 checked) or a refresh token
(``grant_type=refresh_token``) for ``{access_token, refresh_token, expires_in,
user_id, state, scope, token_type}``. Every refresh spends the refresh token it was
given (a second use is ``invalid_grant``) and expires the access token it replaces,
as VK ID does. An access token past its hour is refused by the API with error 5,
subcode 1117. The fixed tokens the emulator was started with never expire.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

#: VK ID's access token lifetime (id.vk.com docs: «составляет 1 час»)
ACCESS_TTL = 3600.0


@dataclass
class Grant:
    user_id: int
    device_id: str
    client_id: str
    scope: str


class VkIdIssuer:
    """The tokens VK ID handed out; thread-safe (the emulator's server is threaded)."""

    def __init__(self, register: Callable[[str, int], None], ttl: float = ACCESS_TTL):
        self._register = register  # makes an access token known to the API
        self.ttl = ttl
        self.lock = threading.Lock()
        self.refresh_tokens: dict[str, Grant] = {}
        self.spent: set[str] = set()
        self.expiry: dict[str, float] = {}
        self._codes: dict[str, tuple[Grant, str, str]] = {}  # code → grant, challenge, redirect
        self.refreshes = 0

    # -- what tests use --------------------------------------------------------
    def grant(self, user_id: int, device_id: str = "emulator-device", client_id: str = "1") -> str:
        """A refresh token "obtained elsewhere" for the user (hub auth vk --refresh-token)."""
        token = "vkid-rt-" + secrets.token_urlsafe(12)
        with self.lock:
            self.refresh_tokens[token] = Grant(user_id, device_id, client_id, "wall groups")
        return token

    def revoke(self, refresh_token: str) -> None:
        with self.lock:
            self.refresh_tokens.pop(refresh_token, None)

    def revoke_all(self) -> None:
        with self.lock:
            self.refresh_tokens.clear()

    def expire_access_tokens(self) -> None:
        """Every issued access token past its hour, now (the clock jumps)."""
        with self.lock:
            for token in self.expiry:
                self.expiry[token] = 0.0

    def is_expired(self, token: str) -> bool:
        with self.lock:
            until = self.expiry.get(token)
        return until is not None and until <= time.time()

    # -- HTTP --------------------------------------------------------------------
    def authorize(self, query: str, user_id: int) -> tuple[int, dict[str, str]]:
        """``/authorize``: the admin signs in at once; a 302 back to ``redirect_uri``."""
        params = dict(parse_qsl(query))
        code = "vkid-code-" + secrets.token_urlsafe(12)
        device_id = "emulator-device-" + secrets.token_urlsafe(6)
        grant = Grant(user_id, device_id, params.get("client_id", ""), params.get("scope", ""))
        with self.lock:
            self._codes[code] = (grant, params.get("code_challenge", ""), params["redirect_uri"])
        back = {"code": code, "state": params.get("state", ""), "device_id": device_id}
        back["type"] = "code_v2"
        return 302, {"Location": f"{params['redirect_uri']}?{urlencode(back)}"}

    def token(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        """``POST /oauth2/auth``: a status and the JSON answer."""
        kind = form.get("grant_type")
        if kind == "refresh_token":
            return self._refresh(form)
        if kind == "authorization_code":
            return self._exchange(form)
        return 400, _error("unsupported_grant_type", "grant_type is not supported")

    def _refresh(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        token = form.get("refresh_token", "")
        with self.lock:
            grant = self.refresh_tokens.get(token)
            if grant is None:
                why = "refresh token is already used" if token in self.spent else "invalid token"
                return 400, _error("invalid_grant", why)
            if form.get("device_id") != grant.device_id:
                return 400, _error("invalid_grant", "device_id does not match")
            if form.get("client_id") != grant.client_id:
                return 400, _error("invalid_client", "client_id does not match")
            del self.refresh_tokens[token]
            self.spent.add(token)
            self.refreshes += 1
        return 200, self._issue(grant, form.get("state", ""))

    def _exchange(self, form: Mapping[str, str]) -> tuple[int, dict[str, Any]]:
        with self.lock:
            entry = self._codes.pop(form.get("code", ""), None)
        if entry is None:
            return 400, _error("invalid_grant", "code is invalid or used")
        grant, challenge, redirect_uri = entry
        verifier = form.get("code_verifier", "").encode()
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier).digest()).rstrip(b"=")
        if digest.decode() != challenge:
            return 400, _error("invalid_grant", "code_verifier does not match")
        if form.get("redirect_uri") != redirect_uri or form.get("device_id") != grant.device_id:
            return 400, _error("invalid_grant", "redirect_uri or device_id does not match")
        return 200, self._issue(grant, form.get("state", ""))

    def _issue(self, grant: Grant, state: str) -> dict[str, Any]:
        access = "vk1.a.id" + secrets.token_urlsafe(16).replace("-", "x").replace("_", "y")
        refresh = "vkid-rt-" + secrets.token_urlsafe(12)
        with self.lock:
            self.refresh_tokens[refresh] = grant
            self.expiry[access] = time.time() + self.ttl
        self._register(access, grant.user_id)
        return {
            "access_token": access,
            "refresh_token": refresh,
            "id_token": "",
            "token_type": "Bearer",
            "expires_in": int(self.ttl),
            "user_id": grant.user_id,
            "state": state,
            "scope": grant.scope,
        }


def _error(code: str, description: str) -> dict[str, Any]:
    return {"error": code, "error_description": description}
