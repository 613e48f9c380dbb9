"""VK ID (OAuth 2.1 with PKCE): signing an account in and refreshing its token.

``docs/networks/vk.md`` §9 has the flow and its sources. The access token lives an
hour; each refresh answers a *new* refresh token and spends the old one, which is
why :func:`hub.tokens.refresh` writes the answer to disk before it is used.
"""

from __future__ import annotations

import secrets
from typing import Any
from urllib.parse import urlencode

from hub.errors import ApiError, AuthError, ConfigError
from hub.models import Account
from hub.tokens import REFRESHABLE, StoredToken, oauth_post, refused, rotated

WHO = "VK ID"
#: OAuth errors meaning the refresh token (or the code) is no good any more: sign in again
REFUSALS = {"invalid_grant", "invalid_token", "access_denied", "unauthorized_client"}


def client_id(settings: dict[str, Any], stored: StoredToken | None = None) -> str:
    value = (stored.client_id if stored else None) or str(settings.get("id_client_id") or "")
    if not value:
        raise ConfigError(
            "[networks.vk] id_client_id is not set; put your VK ID application's ID there "
            "(id.vk.com/about/business: the application's settings)"
        )
    return value


def authorize_url(
    settings: dict[str, Any], *, redirect_uri: str, state: str, code_challenge: str
) -> str:
    query = {
        "response_type": "code",
        "client_id": client_id(settings),
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": code_challenge,
        "code_challenge_method": "S256",
        "scope": str(settings.get("id_scope") or ""),
    }
    return f"{id_base(settings)}/authorize?{urlencode(query)}"


def id_base(settings: dict[str, Any]) -> str:
    return str(settings["id_base"]).rstrip("/")


def exchange_code(
    settings: dict[str, Any], *, answer: dict[str, str], code_verifier: str, redirect_uri: str
) -> StoredToken:
    """The redirect's ``code`` and ``device_id`` exchanged for the first tokens."""
    code, device_id = answer.get("code"), answer.get("device_id")
    if not code or not device_id:
        raise ConfigError(
            "the redirect address needs both code and device_id (paste the whole address "
            "VK ID sent the browser to)"
        )
    app = client_id(settings)
    state = answer.get("state") or secrets.token_urlsafe(24)
    body = _post(
        settings,
        {
            "grant_type": "authorization_code",
            "code": code,
            "code_verifier": code_verifier,
            "device_id": device_id,
            "redirect_uri": redirect_uri,
            "client_id": app,
            "state": state,
        },
        state,
        None,
    )
    blank = StoredToken(
        network="vk", access_token="", kind=REFRESHABLE, device_id=device_id, client_id=app
    )
    return rotated(blank, body)


def imported(settings: dict[str, Any], *, refresh_token: str, device_id: str | None) -> StoredToken:
    if not device_id:
        raise ConfigError("VK ID refreshes need the device_id the token was issued with")
    return StoredToken(
        network="vk",
        access_token="",
        kind=REFRESHABLE,
        expires_at=0.0,
        refresh_token=refresh_token,
        device_id=device_id,
        client_id=client_id(settings),
    )


def refresh(settings: dict[str, Any], account: Account, stored: StoredToken) -> StoredToken:
    """``grant_type=refresh_token``: the new access token and the rotated refresh token."""
    state = secrets.token_urlsafe(24)
    body = _post(
        settings,
        {
            "grant_type": "refresh_token",
            "refresh_token": str(stored.refresh_token),
            "client_id": client_id(settings, stored),
            "device_id": str(stored.device_id or ""),
            "state": state,
        },
        state,
        account,
    )
    return rotated(stored, body)


def _post(
    settings: dict[str, Any], form: dict[str, str], state: str, account: Account | None
) -> dict[str, Any]:
    body = oauth_post(f"{id_base(settings)}/oauth2/auth", form, who=WHO)
    error = body.get("error")
    if error:
        detail = f"{error}: {body.get('error_description') or 'no description'}"
        if error in REFUSALS and account is not None:
            raise refused(account, WHO, detail)
        if error == "invalid_client":
            raise AuthError(detail, fix="check [networks.vk] id_client_id", method="oauth2/auth")
        raise ApiError(f"{WHO} refused: {detail}", method="oauth2/auth")
    if not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise ApiError(
            f"{WHO} answered without an access_token; the stored token is unchanged",
            method="oauth2/auth",
        )
    if body.get("state") not in (None, state):
        raise ApiError(f"{WHO} answered another request's state", method="oauth2/auth")
    if form["grant_type"] == "refresh_token" and not body.get("refresh_token"):
        raise ApiError(f"{WHO} answered without the new refresh token", method="oauth2/auth")
    return body
