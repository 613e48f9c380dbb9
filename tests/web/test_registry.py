"""«Реестр» over loopback: organizations and responsible persons with their history,
attestations for admins only, notices due and overdue, the exports as downloads made as
``hub registry export`` makes them, the operator's scope, and escaping.

The world is :func:`tests.web.test_compliance.seeded_console` (its own copy per module).
"""

from __future__ import annotations

import csv
import io
import json
import re

import httpx
import pytest

from tests.cli.test_cli import hub
from tests.compliance_seed import ADM, BUH, CANARY, DK, SCHOOL
from tests.web.test_compliance import (
    ENV,
    KEEPER,
    MARKUP_ORG,
    PRIVATE_PHONE,
    SERVICE_PHONE,
    seeded_console,
    session,
)

ATTESTATION_LABELS = ("Двухфакторная защита", "Служебный телефон", "Хранитель логинов и паролей")
ORG = re.compile(r'<article class="card org" id="[^"]+" data-organization="([^"]*)">')
NOTICE = re.compile(
    r'<tr id="notice-(\d+)" class="([^"]*)" data-notice="\d+" data-overdue="(\w+)">'
)


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    with seeded_console(tmp_path_factory.mktemp("console-registry")) as world:
        yield world


def page_of(world, login: str) -> str:
    with session(world, login) as client:
        answer = client.get("/registry")
    assert answer.status_code == 200, answer.text[:300]
    return answer.text


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


def assert_no_secret(text: str) -> None:
    """No token, no private number (however written), no keeper's name."""
    assert CANARY not in text and KEEPER not in text
    flat = digits(text)
    for number in (PRIVATE_PHONE, SERVICE_PHONE):
        assert digits(number)[-10:] not in flat


def test_organizations_accounts_and_responsible_persons_with_history(seeded):
    html = page_of(seeded, "viewer")
    assert [n.replace("&lt;", "<").replace("&gt;", ">") for n in ORG.findall(html)] == [
        ADM,
        MARKUP_ORG,
        DK,
        BUH,
        SCHOOL,
    ]
    assert 'data-account="adm-vk"' in html and 'data-account="dk-tg"' in html
    assert '<a href="https://vk.com/zarechnoe">Администрация Заречного</a>' in html
    assert "Смирнов Семён, заместитель главы — с 01.05.2024" in html
    assert "Петрова Анна, директор — с 10.02.2026" in html
    assert "10.01.2025 — 10.02.2026: Иванов Иван, директор" in html  # the history
    assert "освобождена от ведения страниц" in html  # the exempt one
    assert_no_secret(html)
    # read-only: nothing to post but signing out
    assert html.count('method="post"') == 1


def test_attestations_are_for_admins_only(seeded):
    admin = page_of(seeded, "admin")
    for label in ATTESTATION_LABELS:
        assert label in admin
    assert "Служебный телефон: привязан, номер записан" in admin
    assert "Хранитель логинов и паролей: записан" in admin
    assert "Двухфакторная защита: выключена" in admin  # adm-ok, attested off by the seed
    assert_no_secret(admin)  # whether a keeper and a number are recorded, never what
    for login in ("moder", "viewer", "author", "dk-viewer"):
        html = page_of(seeded, login)
        for label in ATTESTATION_LABELS:
            assert label not in html, (login, label)
        assert "номер записан" not in html and "Безопасность" not in html


def test_notices_due_and_overdue(seeded):
    html = page_of(seeded, "admin")
    rows = NOTICE.findall(html)
    assert len(rows) == 3
    overdue = [number for number, css, flag in rows if flag == "yes"]
    assert len(overdue) == 2
    assert all(css == "overdue" for _, css, flag in rows if flag == "yes")
    assert all(css == "" for _, css, flag in rows if flag == "no")
    assert '<span class="badge red">просрочено: 2</span>' in html
    assert "сменился ответственный («Дом культуры»): теперь Петрова Анна, директор" in html
    assert "<td>20.02.2026</td>" in html  # the due date, as Russians write it
    assert "создана страница adm-vk («Администрация Заречного сельсовета»)" in html
    assert "ожидает отправки" in html
    # the notice already delivered by the seed (ЦУР-17) is not listed
    assert "ЦУР-17" not in html


def test_a_limited_operator_sees_their_organizations_and_notices_only(seeded):
    html = page_of(seeded, "dk-viewer")
    assert ORG.findall(html) == [DK]
    assert 'data-account="dk-tg"' in html and 'data-account="adm-vk"' not in html
    assert "Смирнов" not in html and "создана страница adm-vk" not in html
    assert len(NOTICE.findall(html)) == 2  # ДК's two overdue notices
    assert "Показаны только ваши организации" in html


CONTENT_TYPES = {"html": "text/html", "json": "application/json", "csv": "text/csv"}


def test_exports_download_as_the_command_writes_them(seeded):
    with session(seeded, "viewer") as client:
        answers = {fmt: client.get(f"/registry/export.{fmt}") for fmt in CONTENT_TYPES}
    for fmt, answer in answers.items():
        assert answer.status_code == 200, (fmt, answer.text[:300])
        assert answer.headers["content-type"].startswith(CONTENT_TYPES[fmt])
        assert answer.headers["content-disposition"] == f'attachment; filename="registry.{fmt}"'
        text = answer.content.decode("utf-8-sig")
        for name in (ADM, DK, SCHOOL):
            assert name in text, (fmt, name)
        assert_no_secret(text)
    exported = json.loads(answers["json"].content)
    assert exported["totals"]["organizations"] == 5
    assert {o["name"] for o in exported["organizations"]} == {ADM, MARKUP_ORG, DK, BUH, SCHOOL}
    assert "&lt;b&gt;Жирная&lt;/b&gt;" in answers["html"].text
    assert "<b>Жирная" not in answers["html"].text
    rows = list(csv.reader(io.StringIO(answers["csv"].content.decode("utf-8-sig")), delimiter=";"))
    assert rows[0][0] == "Организация" and len(rows) == 1 + 3 + 3  # 3 pages, 3 orgs without

    # the same bytes as ``hub registry export`` (JSON: but for the moment it was made)
    for fmt in ("csv", "json"):
        cli = hub(
            "--config",
            str(seeded.config_path),
            "registry",
            "export",
            "--format",
            fmt,
            "--out",
            "-",
            env_extra=ENV,
        )
        assert cli.returncode == 0, cli.stderr
        if fmt == "csv":
            assert cli.stdout.encode("utf-8") == answers["csv"].content.replace(b"\r\n", b"\n")
        else:
            by_cli = json.loads(cli.stdout)
            by_cli.pop("generated_at"), exported.pop("generated_at")
            assert by_cli == exported


def test_a_limited_operators_export_holds_their_organizations_only(seeded):
    with session(seeded, "dk-viewer") as client:
        as_json = client.get("/registry/export.json")
        as_csv = client.get("/registry/export.csv")
        as_html = client.get("/registry/export.html")
    exported = json.loads(as_json.content)
    assert [o["name"] for o in exported["organizations"]] == [DK]
    assert exported["totals"]["organizations"] == 1 and exported["totals"]["accounts"] == 1
    for answer in (as_csv, as_html):
        text = answer.content.decode("utf-8-sig")
        assert DK in text and "dk_zarechnoe" in text
        assert "Заречного сельсовета;" not in text and "zarechnoe.example" not in text
        assert "vk.com/zarechnoe" not in text and SCHOOL not in text


def test_an_unknown_format_and_no_session(seeded):
    with session(seeded, "admin") as client:
        assert client.get("/registry/export.xlsx").status_code == 404
        assert "нет выгрузки в формате" in client.get("/registry/export.xml").text
    with httpx.Client(base_url=seeded.url) as anonymous:
        for path in ("/registry", "/registry/export.json"):
            answer = anonymous.get(path)
            assert answer.status_code == 303 and answer.headers["location"].startswith("/login")


def test_organization_names_are_text(seeded):
    html = page_of(seeded, "admin")
    assert "<h3>&lt;b&gt;Жирная&lt;/b&gt; библиотека</h3>" in html
    assert "<b>Жирная" not in html
