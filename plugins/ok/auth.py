"""OK OAuth: signing an account in and refreshing its token (``docs/networks/ok.md`` §8).

A token issued without ``LONG_ACCESS_TOKEN`` lives 30 minutes and comes with a
refresh token (30 days); ``grant_type=refresh_token`` at ``oauth/token.do`` gives a
new access token. With ``LONG_ACCESS_TOKEN`` the token itself lasts long: it is
stored as it is (``hub auth ok ACCOUNT --access-token T``) and never refreshed.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from hub.errors import ApiError, AuthError, ConfigError
from hub.models import Account
from hub.secrets import secret_from_env
from hub.tokens import FIXED, REFRESHABLE, StoredToken, oauth_post, refused, rotated

WHO = "OK OAuth"
REFUSALS = {"invalid_grant", "invalid_token", "access_denied", "unauthorized_client"}


def application_id(settings: dict[str, Any]) -> str:
    value = str(settings.get("application_id") or "")
    if not value:
        raise ConfigError(
            "[networks.ok] application_id is not set; put your OK application's ID there "
            "(the numeric one, from the letter OK sent when the application was registered)"
        )
    return value


def _secret(settings: dict[str, Any]) -> str:
    return secret_from_env(settings["application_secret_key_env"], "the OK application's secret")


def authorize_url(settings: dict[str, Any], *, redirect_uri: str, state: str) -> str:
    query = {
        "client_id": application_id(settings),
        "scope": str(settings.get("oauth_scope") or ""),
        "response_type": "code",
        "redirect_uri": redirect_uri,
        "layout": "w",
        "state": state,
    }
    return f"{settings['oauth_authorize_url']}?{urlencode(query)}"


def exchange_code(
    settings: dict[str, Any], *, answer: dict[str, str], redirect_uri: str
) -> StoredToken:
    if not answer.get("code"):
        raise ConfigError("the redirect address has no code; paste the whole address")
    body = _post(
        settings,
        {
            "code": answer["code"],
            "client_id": application_id(settings),
            "client_secret": _secret(settings),
            "redirect_uri": redirect_uri,
            "grant_type": "authorization_code",
        },
        None,
    )
    blank = StoredToken(network="ok", access_token="", client_id=application_id(settings))
    return rotated(blank, body)


def imported(
    settings: dict[str, Any], *, refresh_token: str | None, access_token: str | None
) -> StoredToken:
    if access_token:  # LONG_ACCESS_TOKEN: kept as it is
        return StoredToken(network="ok", access_token=access_token, kind=FIXED)
    if not refresh_token:
        raise ConfigError("give --refresh-token or --access-token, or sign in without them")
    return StoredToken(
        network="ok",
        access_token="",
        kind=REFRESHABLE,
        expires_at=0.0,
        refresh_token=refresh_token,
        client_id=application_id(settings),
    )


def refresh(settings: dict[str, Any], account: Account, stored: StoredToken) -> StoredToken:
    body = _post(
        settings,
        {
            "refresh_token": str(stored.refresh_token),
            "client_id": stored.client_id or application_id(settings),
            "client_secret": _secret(settings),
            "grant_type": "refresh_token",
        },
        account,
    )
    return rotated(stored, body)  # OK keeps the refresh token unless it answers a new one


def _post(settings: dict[str, Any], form: dict[str, str], account: Account | None) -> dict:
    body = oauth_post(str(settings["oauth_token_url"]), form, who=WHO)
    error = body.get("error")
    if error:
        detail = f"{error}: {body.get('error_description') or 'no description'}"
        if error in REFUSALS and account is not None:
            raise refused(account, WHO, detail)
        if error == "invalid_client":
            raise AuthError(
                detail,
                fix="check [networks.ok] application_id and the application's secret",
                method="oauth/token.do",
            )
        raise ApiError(f"{WHO} refused: {detail}", method="oauth/token.do")
    if not isinstance(body.get("access_token"), str) or not body["access_token"]:
        raise ApiError(
            f"{WHO} answered without an access_token; the stored token is unchanged",
            method="oauth/token.do",
        )
    return body
