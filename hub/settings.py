"""Checks of ``[networks.<name>]`` settings shared by plugins; each fails with one clear line."""

from __future__ import annotations

from typing import Any

from .errors import ConfigError


def http_url(settings: dict[str, Any], key: str, network: str) -> str:
    value = settings.get(key)
    if not isinstance(value, str) or not value.startswith(("http://", "https://")):
        raise ConfigError(f"[networks.{network}] {key} = {value!r} is not an http(s) URL")
    return value


def positive_number(settings: dict[str, Any], key: str, network: str, hint: str = "") -> float:
    value = settings.get(key)
    if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
        extra = f" ({hint})" if hint else ""
        raise ConfigError(f"[networks.{network}] {key} = {value!r} must be a number above 0{extra}")
    return float(value)


def text(settings: dict[str, Any], key: str, network: str, what: str) -> str:
    value = settings.get(key)
    if not isinstance(value, str) or not value.strip():
        raise ConfigError(f"[networks.{network}] {key} is missing: set it to {what}")
    return value.strip()
