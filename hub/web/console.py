"""The console's long-lived state: the config (re-read when it changes), the database,
the plugins, the signing key and the templates.

Every request handler is ``async`` and runs on the server's event loop, so the one
database connection is only ever used from that thread; the library's writes never
hold a transaction across an ``await``, so requests interleave safely, as the
daemon's jobs do.
"""

from __future__ import annotations

import contextlib
from pathlib import Path

import jinja2
import pluggy

from .. import plugins
from ..config import Config, config_path, load_config
from ..models import Account
from ..operators import Operator
from ..safe_text import safe_url
from ..store import Store
from .sessions import Sessions, key_path, load_or_create_key
from .settings import WebSettings, parse_web

HERE = Path(__file__).parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"


class Console:
    """What every request of one console shares."""

    def __init__(
        self,
        config_option: str | None = None,
        db_option: str | None = None,
        pm: pluggy.PluginManager | None = None,
    ):
        self.config_option, self.db_option = config_option, db_option
        self.pm = pm or plugins.make_plugin_manager()
        self._config: Config | None = None
        self._config_mtime: float | None = None
        self._store: Store | None = None
        config = self.config()  # a broken config stops the start, with one line
        self.settings: WebSettings = parse_web(config.raw)
        self.sessions = Sessions(
            load_or_create_key(key_path(config.path)), self.settings.session_hours
        )
        self.templates = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            autoescape=True,  # residents' text is shown as text, never as markup
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
        )
        # a stored address becomes a link only if it is a plain http(s) one: ``|href``
        self.templates.filters["href"] = lambda url: safe_url(url) or ""

    def config(self) -> Config:
        """The config, read again when its file changed (edits need no restart)."""
        path = config_path(self.config_option)
        mtime = None
        with contextlib.suppress(OSError):
            mtime = path.stat().st_mtime
        if self._config is None or mtime != self._config_mtime:
            self._config = load_config(self.config_option, self.db_option)
            self._config_mtime = mtime
        return self._config

    def store(self) -> Store:
        """The console's one connection (opened on first use, on the loop's thread)."""
        if self._store is None:
            config = self.config()
            self._store = Store.open(config.db_path, create=True)
            self._store.sync_accounts_from_config(config.accounts)
        return self._store

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None

    def accounts_for(self, operator: Operator) -> list[Account]:
        """The accounts of the config this operator may see."""
        return [a for a in self.config().accounts if operator.sees(a.organization)]
