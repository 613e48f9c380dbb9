"""Reading the config's sections: one helper, so a mistake reads the same in every section.

Every section parser (``[sync]`` and ``[database]`` in hub.config, ``[plan]``,
``[compliance]``, ``[registry]``, ``[notices]``, ``[gospabliki]``, ``[daemon]``,
``[moderation]``, ``[ui]``) opens its table with :class:`Section`, which refuses a
misspelled key (it would silently fall back to its default) and reads each value
with the checks below. Each mistake is one :class:`ConfigError` line naming the
key and what it should be::

    [plan]: unknown key 'cadence'; allowed keys: lint_threshold, norms, posts_per_week, time_zone
    [sync] reconcile_hours in hub.toml must be a whole number of hours from 0 (never) to 8760

The ``check_*`` functions judge one value under a label, for values that are not
a section's own key (``[plan.norms] 'Школа'``, ``[daemon] sync_seconds.vk``).
The ``[networks.<name>]`` helpers at the end (:func:`http_url`,
:func:`positive_number`, :func:`known_keys`, :func:`text`) are the plugins' API;
they use the same checks and wording.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

import httpx

from .errors import ConfigError
from .http import DEFAULT_LIMITS, MIB, Limits
from .i18n import _


def unknown_key_error(label: str, key: str, allowed: Iterable[str], where: str = "") -> ConfigError:
    """The refusal of a key a table does not have, listing the ones it has."""
    return ConfigError(
        _("{section}{where}: unknown key {key!r}; allowed keys: {known}").format(
            section=label, where=where, key=key, known=", ".join(sorted(allowed))
        )
    )


def check_table(value: Any, what: str, like: str = "") -> dict[str, Any]:
    """``value`` if it is a table; ``like`` shows one (`` like { vk = 300 }``)."""
    if not isinstance(value, dict):
        if like:
            raise ConfigError(f"{what} must be a table{like}")
        raise ConfigError(_("{what} must be a table").format(what=what))
    return value


def check_whole(
    value: Any, what: str, low: int, high: int | None = None, *, unit: str = "", zero: str = ""
) -> int:
    """A whole number from ``low`` to ``high`` (None: no bound); ``zero`` says what 0 means."""
    too_high = high is not None and isinstance(value, int) and value > high
    if isinstance(value, bool) or not isinstance(value, int) or value < low or too_high:
        of = f" of {unit}" if unit else ""
        if high is None:
            raise ConfigError(f"{what} must be a whole number{of} ≥ {low}")
        meaning = f" ({zero})" if zero and low == 0 else ""
        raise ConfigError(f"{what} must be a whole number{of} from {low}{meaning} to {high}")
    return value


def check_number(value: Any, what: str, low: float, high: float, *, unit: str = "") -> float:
    """A number (whole or not) from ``low`` to ``high``."""
    bad_type = isinstance(value, bool) or not isinstance(value, int | float)
    if bad_type or not math.isfinite(value) or not low <= value <= high:
        of = f" of {unit}" if unit else ""
        raise ConfigError(f"{what} must be a number{of} from {_plain(low)} to {_plain(high)}")
    return float(value)


def _plain(number: float) -> str:
    """1 rather than 1.0, and never 6.048e+05."""
    return str(int(number)) if float(number).is_integer() else str(number)


def check_positive(value: Any, what: str, hint: str = "") -> float:
    """A number above 0, the value shown back (``timeout_seconds = '2m' must be a number…``)."""
    bad_type = isinstance(value, bool) or not isinstance(value, int | float)
    if bad_type or not math.isfinite(value) or value <= 0:
        extra = f" ({hint})" if hint else ""
        raise ConfigError(f"{what} = {value!r} must be a number above 0{extra}")
    return float(value)


def check_text(value: Any, what: str, example: str) -> str:
    """Non-empty text, stripped; ``example`` shows what is meant."""
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f'{what} must be text, like "{example}"')
    return value.strip()


def check_flag(value: Any, what: str) -> bool:
    if not isinstance(value, bool):
        raise ConfigError(f"{what} must be true or false")
    return value


def check_choice(value: Any, what: str, choices: Iterable[str]) -> str:
    choices = tuple(choices)
    if value not in choices:
        raise ConfigError(f"{what} must be one of {', '.join(choices)}, not {value!r}")
    return value


def check_url(value: Any, what: str) -> str:
    """An http(s) URL with a host."""
    problem = not isinstance(value, str) or not value.startswith(("http://", "https://"))
    if not problem:
        try:
            problem = not httpx.URL(value).host
        except httpx.InvalidURL:
            problem = True
    if problem:
        raise ConfigError(f"{what} = {value!r} is not an http(s) URL")
    return value


def check_date(value: Any, what: str) -> date:
    """A TOML date, or text YYYY-MM-DD."""
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # not a date: said just below
            return date.fromisoformat(value.strip())
    raise ConfigError(f"{what} must be a date like 2026-03-01, not {value!r}")


def check_past_date(value: Any, what: str, today: date | None = None) -> date:
    """A date (TOML or text YYYY-MM-DD) that is not in the future: when a page appeared."""
    if isinstance(value, datetime):  # a TOML date-time: its day is what counts
        value = value.date()
    if isinstance(value, str):
        with contextlib.suppress(ValueError):  # not a date: said just below
            value = date.fromisoformat(value.strip())
    if not isinstance(value, date):
        raise ConfigError(f"{what} must be a date like 2021-03-01, not {value!r}")
    today = today or date.today()
    if value > today:
        raise ConfigError(f"{what} {value} is in the future; give the day it happened")
    return value


class Section:
    """One table of the config, its keys checked on opening and its values read one by one.

    ``label`` is how messages name the table (``[sync]``, ``accounts[0]``,
    ``[moderation.policy]``); ``where`` (`` in /etc/hub.toml``) follows it when the
    caller knows the file. ``keys`` None accepts any key (a table of names).
    """

    def __init__(self, table: Any, label: str, keys: Iterable[str] | None, where: str = "") -> None:
        self.table: dict[str, Any] = check_table(table, f"{label}{where}")
        self.label, self.where = label, where
        if keys is not None:
            allowed = set(keys)
            unknown = sorted(set(self.table) - allowed)
            if unknown:
                raise unknown_key_error(label, unknown[0], allowed, where)

    @classmethod
    def of(
        cls, data: Mapping[str, Any], name: str, keys: Iterable[str] | None, where: str = ""
    ) -> Section:
        """The top-level section ``[name]`` of the parsed file; absent, an empty one."""
        return cls(data.get(name, {}), f"[{name}]", keys, where)

    def __contains__(self, key: str) -> bool:
        return key in self.table

    def get(self, key: str, default: Any = None) -> Any:
        return self.table.get(key, default)

    def what(self, key: str) -> str:
        """How messages name one key: ``[sync] reconcile_hours in hub.toml``."""
        return f"{self.label} {key}{self.where}"

    def whole(self, key: str, default: int, low: int, high: int | None = None, **kind: str) -> int:
        return check_whole(self.get(key, default), self.what(key), low, high, **kind)

    def number(self, key: str, default: float, low: float, high: float, unit: str = "") -> float:
        return check_number(self.get(key, default), self.what(key), low, high, unit=unit)

    def positive(self, key: str, default: Any = None, hint: str = "") -> float:
        return check_positive(self.get(key, default), f"{self.label} {key}", hint)

    def text(self, key: str, example: str, default: str | None = None) -> str | None:
        """Optional text (``default`` when the key is absent), stripped."""
        return check_text(self.table[key], self.what(key), example) if key in self else default

    def required_text(self, key: str, hint: str) -> str:
        """Text the section cannot do without; ``hint`` says what to set it to."""
        value = self.get(key)
        if not isinstance(value, str) or not value.strip():
            raise ConfigError(f"{self.label} {key} is missing: set it to {hint}")
        return value.strip()

    def flag(self, key: str, default: bool) -> bool:
        return check_flag(self.get(key, default), self.what(key))

    def choice(self, key: str, default: str | None, choices: Iterable[str]) -> str | None:
        return check_choice(self.table[key], self.what(key), choices) if key in self else default

    def date(self, key: str) -> date | None:
        return check_date(self.table[key], self.what(key)) if key in self else None

    def url(self, key: str) -> str:
        return check_url(self.get(key), f"{self.label} {key}")

    def subtable(self, key: str, like: str = "") -> dict[str, Any]:
        return check_table(self.get(key, {}), self.what(key), like)


# -- the ``[networks.<name>]`` helpers plugins call: the same checks, the network's label


def http_url(settings: dict[str, Any], key: str, network: str) -> str:
    return check_url(settings.get(key), f"[networks.{network}] {key}")


def positive_number(settings: dict[str, Any], key: str, network: str, hint: str = "") -> float:
    return check_positive(settings.get(key), f"[networks.{network}] {key}", hint)


def known_keys(settings: dict[str, Any], allowed: set[str], network: str) -> None:
    """A misspelled key would silently fall back to its default: refuse it instead."""
    Section(settings, f"[networks.{network}]", allowed)


def text(settings: dict[str, Any], key: str, network: str, what: str) -> str:
    return Section(settings, f"[networks.{network}]", None).required_text(key, what)


#: the ``[networks.<name>]`` keys of :func:`http_limits`, with their defaults
LIMIT_DEFAULTS: dict[str, Any] = {
    "connect_timeout_seconds": int(DEFAULT_LIMITS.connect_seconds),
    "timeout_seconds": int(DEFAULT_LIMITS.read_seconds),
    "total_timeout_seconds": int(DEFAULT_LIMITS.total_seconds),
    "max_answer_mb": DEFAULT_LIMITS.max_answer_bytes // MIB,
}


def http_limits(settings: dict[str, Any], network: str) -> Limits:
    """The request limits a network's table sets (defaults in :data:`LIMIT_DEFAULTS`).

    ``timeout_seconds`` is the read timeout (the longest silence), as it always was.
    """
    values = {key: settings.get(key, default) for key, default in LIMIT_DEFAULTS.items()}
    for key in values:
        positive_number(values, key, network)
    if values["total_timeout_seconds"] < values["connect_timeout_seconds"]:
        raise ConfigError(
            f"[networks.{network}] total_timeout_seconds must be at least "
            "connect_timeout_seconds: the total deadline covers connecting too"
        )
    return Limits(
        connect_seconds=float(values["connect_timeout_seconds"]),
        read_seconds=float(values["timeout_seconds"]),
        total_seconds=float(values["total_timeout_seconds"]),
        max_answer_bytes=int(values["max_answer_mb"] * MIB),
        section=f"networks.{network}",
    )
