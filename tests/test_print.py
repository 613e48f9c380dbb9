"""Printed pages and the registry's header (issue 13, point 10).

Printing the compliance page to A4 cut the «Итог» column (the table scrolled in its own
box, and paper does not scroll); the printed registry showed no addresses (a link's
text is not its address on paper); the registry's header named the first administration
listed — a settlement's, in a district's registry — instead of the municipality;
``registry export --out`` into a missing folder made the folders. The pages are printed
by headless chromium to PDF at A4 and read back with poppler's ``pdftotext``: the print
layout exists only there (``--dump-dom`` shows the screen's).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from hub.compliance import Week, compliance_report
from hub.compliance.html import render_html as render_compliance
from hub.config import load_config
from hub.registry import export_registry
from hub.registry.page import render_html as render_registry
from hub.store import Store
from tests.compliance_seed import PAGE_FIELDS, local, seed
from tests.registry.test_registry import hub_cli, one_line_error, write_registry_config
from tests.registry.test_registry_export import TITLES, chromium, registry  # noqa: F401 (a fixture)

PDFTOTEXT = shutil.which("pdftotext")


def printed(tmp_path: Path, page: Path) -> tuple[str, str, str]:
    """``page`` printed by chromium to PDF: (its text laid out as on paper, its text in
    the order it was drawn, which keeps a cell's lines together, the paper's size)."""
    if PDFTOTEXT is None:
        reason = "pdftotext is not installed (apt-get install -y poppler-utils)"
        if os.environ.get("CI"):
            pytest.fail(reason)
        pytest.skip(reason)
    pdf = tmp_path / f"{page.stem}.pdf"
    chromium(tmp_path, "--no-pdf-header-footer", f"--print-to-pdf={pdf}", page.as_uri())
    text = {
        mode: subprocess.run(
            [PDFTOTEXT, mode, str(pdf), "-"], capture_output=True, text=True, check=True
        ).stdout
        for mode in ("-layout", "-raw")
    }
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True)
    size = re.search(r"Page size:\s*(.*)", info.stdout).group(1)
    return text["-layout"], re.sub(r"\s+", "", text["-raw"]), size


def test_the_compliance_page_prints_every_column_on_a4_portrait(tmp_path):
    config = seed(tmp_path)
    store = Store.open(config.db_path)
    try:
        report = compliance_report(
            store, config, Week(2026, 10), now=local("2026-03-10 09:00"), page_fields=PAGE_FIELDS
        )
    finally:
        store.close()
    page = tmp_path / "compliance.html"
    page.write_text(render_compliance(report), encoding="utf-8")
    text, flat, size = printed(tmp_path, page)
    assert "A4" in size and float(size.split()[0]) < float(size.split()[2])  # portrait
    headers = [
        line
        for line in text.splitlines()
        if line.lstrip().startswith(("Организация ", "Страница "))
    ]
    assert len(headers) >= 2, text
    for line in headers:  # the last column's header is on the same line as the first's
        assert line.rstrip().endswith("Итог"), line
    for word in ("нарушение", "требует", "внимания"):
        assert word in text
    # link addresses follow the links: the pages' own
    for url in (
        "https://vk.com/zarechnoe",
        "https://ok.ru/group/2002",
        "https://t.me/dk_zarechnoe",
    ):
        assert f"({url})" in flat, url


def test_the_registry_prints_its_columns_and_its_addresses(registry, tmp_path):  # noqa: F811
    _path, store, config = registry
    out = tmp_path / "registry.html"
    snapshot = export_registry(store, config, "html", out, network_titles=TITLES)
    text, flat, size = printed(tmp_path, out)
    assert "A4" in size
    assert "Отметкагосорганизации" in flat  # the last column's header
    urls = [a["url"] for o in snapshot["organizations"] for a in o["accounts"] if a["url"]]
    assert urls
    for url in urls:
        assert f"({url})" in flat, url
    assert "Официальные страницы в социальных сетях" in text  # the header, black on paper
    assert flat.count("https://klochki.example.ru") == 1  # a bare address is not doubled


# -- the registry's header ---------------------------------------------------------------
DISTRICT = "Клочковский муниципальный район"


def _snapshot(organizations, municipality=None):
    return {
        "schema": "pablik-hub/registry@1",
        "generated_at": "2026-12-01T09:00:00Z",
        "region": "Алтайский край",
        "municipality": municipality,
        "organizations": organizations,
        "totals": {"accounts": 0, "organizations": len(organizations)},
    }


def _org(name, level="administration", parent=None):
    return {
        "name": name,
        "level": level,
        "kind": None,
        "parent": parent,
        "exempt": False,
        "exempt_reason": None,
        "contacts": {
            "address": None,
            "email": None,
            "phones": [],
            "website": None,
            "working_hours": None,
            "geo": None,
        },
        "responsible": None,
        "accounts": [],
    }


def _header(page: str) -> tuple[str, str]:
    title = re.search(r"<title>(.*?)</title>", page).group(1)
    header = re.search(r"<header>(.*?)</header>", page, re.S).group(1)
    return title, header


def test_the_header_names_the_municipality_set_in_the_config(tmp_path):
    settlement = "Администрация Клочковского сельсовета"
    orgs = [_org(settlement), _org("Администрация Клочковского района")]
    title, header = _header(render_registry(_snapshot(orgs, municipality=DISTRICT)))
    assert DISTRICT in title and DISTRICT in header
    assert settlement not in title and settlement not in header
    # unset: a district's registry with several administrations names none of them
    title, header = _header(render_registry(_snapshot(orgs)))
    assert settlement not in title and settlement not in header
    # one administration, the others under it: that one
    orgs = [_org(settlement, parent="Администрация Клочковского района"), orgs[1]]
    title, _ = _header(render_registry(_snapshot(orgs)))
    assert title.endswith("Администрация Клочковского района")


def test_the_setting_reaches_the_exported_page_and_is_checked(tmp_path, capsys):
    path = write_registry_config(tmp_path)
    path.write_text(
        path.read_text(encoding="utf-8") + f'\n[registry]\nmunicipality = "{DISTRICT}"\n',
        encoding="utf-8",
    )
    out = tmp_path / "registry.html"
    code, _, err = hub_cli(
        capsys, "--config", str(path), "registry", "export", "--format", "html", "--out", str(out)
    )
    assert code == 0, err
    title, header = _header(out.read_text(encoding="utf-8"))
    assert DISTRICT in title and DISTRICT in header
    path.write_text(path.read_text(encoding="utf-8") + "town = 1\n", encoding="utf-8")
    with pytest.raises(Exception, match=r"\[registry\]: unknown key 'town'"):
        load_config(path)


# -- --out into a missing folder -----------------------------------------------------------
def test_out_into_a_missing_folder_is_refused(tmp_path, capsys):
    path = write_registry_config(tmp_path)
    missing = tmp_path / "nonexistent" / "dir"
    for fmt in ("html", "json", "csv"):
        code, out, err = hub_cli(
            capsys, "--config", str(path), "registry", "export", "--format", fmt,
            "--out", str(missing / f"x.{fmt}"),
        )  # fmt: skip
        assert code == 2 and out == ""
        one_line_error(err, f"folder {missing} does not exist; create it first")
    assert not (tmp_path / "nonexistent").exists()
    code, _, err = hub_cli(
        capsys, "--config", str(path), "registry", "export", "--format", "html",
        "--out", str(tmp_path),
    )  # fmt: skip
    assert code == 2
    one_line_error(err, "is a folder")
