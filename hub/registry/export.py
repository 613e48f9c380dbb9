"""``hub registry export``: the registry as JSON, as CSV for Excel, or as a web page.

All three are made from :func:`hub.registry.snapshot.registry_snapshot`, so they
cannot disagree, and each finished text passes :func:`check_public` before a
byte is written. The file is written beside its target and renamed over it, so
a web server never serves half a page.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import ConfigError
from ..store import Store
from .page import render_html
from .snapshot import check_public, registry_snapshot

FORMATS = ("html", "json", "csv")
LEVEL_TEXT = {
    "administration": "администрация",
    "department": "орган администрации",
    "subordinate": "подведомственная организация",
}
CSV_COLUMNS = (
    "Организация",
    "Уровень",
    "Социальная сеть",
    "Ссылка",
    "Ответственный",
    "Подключено к Госпабликам",
    "Отметка госорганизации",
    "Примечание",
)
#: a cell starting with one of these is a formula to Excel: prefix it so it stays text
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def yes_no(value: bool | None) -> str:
    return "" if value is None else ("да" if value else "нет")


def render_json(snapshot: dict[str, Any]) -> bytes:
    return (json.dumps(snapshot, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_rows(
    snapshot: dict[str, Any], network_titles: Mapping[str, str] | None = None
) -> list[list[str]]:
    """One row per account (an organization without accounts gets one row saying why)."""
    titles = network_titles or {}
    rows = [list(CSV_COLUMNS)]
    for org in snapshot["organizations"]:
        person = org["responsible"]
        responsible = f"{person['name']}, {person['position']}" if person else ""
        level = LEVEL_TEXT.get(org["level"] or "", "")
        if not org["accounts"]:
            note = (
                f"освобождена от ведения страниц: {org['exempt_reason']}"
                if org["exempt"]
                else "нет официальных страниц"
            )
            rows.append([org["name"], level, "", "", responsible, "", "", note])
        for account in org["accounts"]:
            note = "" if account["url"] else "ссылка появится после синхронизации (hub sync)"
            rows.append(
                [
                    org["name"],
                    level,
                    titles.get(account["network"], account["network"]),
                    account["url"] or "",
                    responsible,
                    yes_no(account["gospabliki"]),
                    yes_no(account["verified"]),
                    note,
                ]
            )
    return [[_cell(v) for v in row] for row in rows]


def render_csv(snapshot: dict[str, Any], network_titles: Mapping[str, str] | None = None) -> bytes:
    """CSV as Excel in a Russian locale opens it by double-click: UTF-8 with BOM, ';', CRLF."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerows(csv_rows(snapshot, network_titles))
    return buffer.getvalue().encode("utf-8-sig")


def render(
    snapshot: dict[str, Any], fmt: str, network_titles: Mapping[str, str] | None = None
) -> bytes:
    if fmt == "json":
        return render_json(snapshot)
    if fmt == "csv":
        return render_csv(snapshot, network_titles)
    if fmt == "html":
        return render_html(snapshot, network_titles).encode("utf-8")
    raise ConfigError(f"unknown export format {fmt!r}; use one of {', '.join(FORMATS)}")


def export_registry(
    store: Store,
    config: Config,
    fmt: str,
    out: str | os.PathLike,
    *,
    network_titles: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Write the registry to ``out`` (``-`` for standard output); return the snapshot used."""
    snapshot = registry_snapshot(store, config)
    data = render(snapshot, fmt, network_titles)
    check_public(data.decode("utf-8-sig"), store, config)
    if str(out) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return snapshot
    _write_atomically(Path(out), data)
    return snapshot


def _write_atomically(path: Path, data: bytes) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o644)  # a web server must be able to read it
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    except OSError as exc:
        raise ConfigError(f"cannot write {path}: {exc.strerror or exc}") from None
