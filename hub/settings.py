"""Checks of ``[networks.<name>]`` settings shared by plugins; each fails with one clear line."""

from __future__ import annotations

import math
from typing import Any

import httpx

from .errors import ConfigError


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
