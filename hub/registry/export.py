"""``hub registry export``: the registry as JSON, as CSV for Excel, or as a web page.

All three are made from :func:`hub.registry.snapshot.registry_snapshot`, so they
cannot disagree, and each finished text passes :func:`check_public` before a
byte is written. The file is written beside its target and renamed over it, so
a web server never serves half a page.

What is published is the snapshot as :func:`hub.safe_text.public_copy` leaves it:
no control or bidi characters in any text, and a page address that is not
``http``/``https`` (a ``javascript:`` invite link) published as no address at all.
A CSV cell that Excel would read as a formula is prefixed with ``'``.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from ..config import Config
from ..errors import ConfigError
from ..safe_text import public_copy, public_text
from ..store import Store
from .page import render_html
from .settings import parse_registry
from .snapshot import check_public, registry_snapshot, scoped_snapshot

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
    public = public_copy(snapshot)
    return (json.dumps(public, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _cell(value: Any) -> str:
    text = public_text(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def csv_rows(
    snapshot: dict[str, Any], network_titles: Mapping[str, str] | None = None
) -> list[list[str]]:
    """One row per account (an organization without accounts gets one row saying why)."""
    snapshot = public_copy(snapshot)
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
            if account["url"]:
                note = ""
            elif account["synced_at"]:  # no address, or one that is not an http(s) link
                note = "у страницы нет адреса для ссылки"
            else:
                note = "ссылка появится после синхронизации (hub sync)"
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
    """Write the registry to ``out`` (``-`` for standard output); return the snapshot used.

    ``out``'s folder must exist: a typo in it is refused, not made into new folders. A
    read-only store is exported as the hub last synced it (the config is not synced in).
    """
    if str(out) != "-":
        check_folder(Path(out))
    data, snapshot = export_data(store, config, fmt, network_titles=network_titles)
    if str(out) == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return snapshot
    _write_atomically(Path(out), data)
    return snapshot


def export_data(
    store: Store,
    config: Config,
    fmt: str,
    *,
    network_titles: Mapping[str, str] | None = None,
    sees: Callable[[str | None], bool] | None = None,
) -> tuple[bytes, dict[str, Any]]:
    """The export's bytes and the snapshot they were made of, checked by :func:`check_public`.

    What :func:`export_registry` writes, for a caller that serves it instead (the
    console's download buttons). ``sees`` (an organization's name, None for accounts
    with none → bool) keeps only those organizations: a console operator limited to
    some organizations exports their part (:func:`.snapshot.scoped_snapshot`).
    """
    snapshot = registry_snapshot(store, config, sync=not getattr(store, "readonly", False))
    snapshot["municipality"] = parse_registry(config.raw).municipality  # the page's header
    if sees is not None:
        snapshot = scoped_snapshot(snapshot, sees)
    data = render(snapshot, fmt, network_titles)
    check_public(data.decode("utf-8-sig"), store, config)
    return data, snapshot


def check_folder(path: Path) -> None:
    """``path`` can be written into: its folder exists, and it is not itself a folder."""
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise ConfigError(f"folder {folder} {what}; create it first, or give another --out")
    if path.is_dir():
        raise ConfigError(f"--out {path} is a folder; give a file name, like {path}/registry.html")


def _write_atomically(path: Path, data: bytes) -> None:
    try:
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
