"""Checks of ``[networks.<name>]`` settings shared by plugins; each fails with one clear line."""

from __future__ import annotations

import math
from typing import Any

import httpx

from .errors import ConfigError
from .http import DEFAULT_LIMITS, MIB, Limits


def http_url(settings: dict[str, Any], key: str, network: str) -> str:
    value = settings.get(key)
    problem = not isinstance(value, str) or not value.startswith(("http://", "https://"))
    if not problem:
        try:
            problem = not httpx.URL(value).host
        except httpx.InvalidURL:
            problem = True
    if problem:
        raise ConfigError(f"[networks.{network}] {key} = {value!r} is not an http(s) URL")
    return value


def positive_number(settings: dict[str, Any], key: str, network: str, hint: str = "") -> float:
    value = settings.get(key)
    bad_type = isinstance(value, bool) or not isinstance(value, int | float)
    if bad_type or not math.isfinite(value) or value <= 0:
        extra = f" ({hint})" if hint else ""
        raise ConfigError(f"[networks.{network}] {key} = {value!r} must be a number above 0{extra}")
    return float(value)


def known_keys(settings: dict[str, Any], allowed: set[str], network: str) -> None:
    """A misspelled key would silently fall back to its default: refuse it instead."""
    unknown = sorted(set(settings) - allowed)
    if unknown:
        raise ConfigError(
            f"[networks.{network}] has an unknown key {unknown[0]!r}; "
            f"known keys: {', '.join(sorted(allowed))}"
        )


def text(settings: dict[str, Any], key: str, network: str, what: str) -> str:
    value = settings.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"[networks.{network}] {key} is missing: set it to {what}")
    return value.strip()


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
