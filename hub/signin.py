"""``hub auth <network> ACCOUNT``: signing an account in, or taking a token obtained elsewhere.

The OAuth code flow with PKCE (S256): the hub prints the address to open, then takes
the redirect back — caught on a loopback address when the browser runs on this
machine, or pasted by the person (the whole address, or its query). What the
network answers goes to the secrets file (:mod:`hub.tokens`), never anywhere else.
The network's own part (addresses, parameters, refusals) is its plugin's:
:meth:`hub.network.Network.authorize_url`, ``exchange_code``, ``imported_token``.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import secrets as random
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, HTTPServer
from urllib.parse import parse_qsl, urlsplit

import pluggy

from .config import Config
from .errors import ConfigError
from .i18n import _
from .models import Account
from .network import Network
from .networks import build_network, check_networks
from .tokens import SecretsFile, StoredToken, refresh, save

LOOPBACK_HOSTS = {"localhost", "127.0.0.1", "::1"}
#: how long the loopback listener waits for the browser to come back
LOOPBACK_SECONDS = 600.0


def pkce_pair() -> tuple[str, str]:
    """A code_verifier (43+ characters of a-z A-Z 0-9 _ -) and its S256 code_challenge."""
    verifier = random.token_urlsafe(48)
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return verifier, base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def redirect_answer(text: str) -> dict[str, str]:
    """The parameters of a pasted redirect: a whole address, its query, or a bare code."""
    text = text.strip()
    query = urlsplit(text).query if "://" in text else text.lstrip("?")
    if "=" not in query:
        return {"code": query}
    return dict(parse_qsl(query))


def is_loopback(redirect_uri: str) -> bool:
    parts = urlsplit(redirect_uri)
    return parts.scheme == "http" and parts.hostname in LOOPBACK_HOSTS and bool(parts.port)


def catch_redirect(redirect_uri: str, ready: Callable[[], None]) -> dict[str, str]:
    """Listen on the loopback address until the browser comes back; its query parameters."""
    parts = urlsplit(redirect_uri)
    caught: dict[str, str] = {}
    done = threading.Event()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - http.server's name
            here = urlsplit(self.path)
            if here.path != (parts.path or "/"):
                self.send_error(404)
                return
            caught.update(parse_qsl(here.query))
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; charset=utf-8")
            self.end_headers()
            self.wfile.write(_("Signed in; you may close this tab.").encode("utf-8"))
            done.set()

        def log_message(self, *args) -> None:  # the query holds the code: never logged
            return

    host = "127.0.0.1" if parts.hostname == "localhost" else parts.hostname
    try:
        server = HTTPServer((host, parts.port), Handler)
    except OSError as exc:
        raise ConfigError(
            _("cannot listen on {address} ({error}); run again with --paste").format(
                address=redirect_uri, error=exc.strerror
            )
        ) from None
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        ready()
        if not done.wait(LOOPBACK_SECONDS):
            raise ConfigError(_("no sign-in came back in time; run the command again"))
    finally:
        server.shutdown()
        server.server_close()
    return caught


def open_for_sign_in(pm: pluggy.PluginManager, config: Config, account: Account) -> Network:
    network_class = check_networks(pm, config, [account])[account.network]
    if not network_class.signs_in:
        raise ConfigError(
            _("{network} tokens do not expire: put the token in ${variable}").format(
                network=network_class.title, variable=account.token_env
            )
        )
    return build_network(network_class, config)


def secrets_for(config: Config) -> SecretsFile:
    secrets = SecretsFile.beside(config.path)
    if secrets is None:
        raise ConfigError(_("the hub signs accounts in only with a config file"))
    return secrets


def import_token(
    config: Config,
    network: Network,
    account: Account,
    *,
    refresh_token: str | None,
    device_id: str | None,
    access_token: str | None,
) -> StoredToken:
    """A token obtained elsewhere: stored first, then (a refresh token) refreshed under the lock."""
    secrets = secrets_for(config)
    stored = network.imported_token(
        refresh_token=refresh_token, device_id=device_id, access_token=access_token
    )
    save(secrets, account.id, stored)
    if stored.refreshable:
        return refresh(secrets, account, network.refresh_token)
    return stored


def sign_in(
    config: Config,
    network: Network,
    account: Account,
    *,
    redirect_uri: str,
    listen: bool,
    say: Callable[[str], None],
    ask: Callable[[], str],
) -> StoredToken:
    """The code flow: the address printed, the redirect taken, the code exchanged and stored."""
    secrets = secrets_for(config)
    verifier, challenge = pkce_pair()
    state = random.token_urlsafe(24)
    url = network.authorize_url(redirect_uri=redirect_uri, state=state, code_challenge=challenge)
    if listen and is_loopback(redirect_uri):
        answer = catch_redirect(redirect_uri, lambda: say(url))
    else:
        say(url)
        answer = redirect_answer(ask())
    if answer.get("state") not in (None, state):
        raise ConfigError(_("the redirect belongs to another sign-in; run the command again"))
    if "error" in answer:
        raise ConfigError(
            _("sign-in refused: {error}").format(
                error=answer.get("error_description") or answer["error"]
            )
        )
    stored = network.exchange_code(answer=answer, code_verifier=verifier, redirect_uri=redirect_uri)
    save(secrets, account.id, stored)
    return stored


def close(network: Network) -> None:
    asyncio.run(network.aclose())
