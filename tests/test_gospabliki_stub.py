"""The Gospabliki stub over real loopback HTTP: auth, validation, idempotency, storage, CLI.

The OpenAPI tests tie the published document to the running server: its paths are
exactly the stub's routes, every operation it marks as secured refuses a request
without a token, and every field it lists as required is refused when missing.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.gospabliki import openapi
from hub.gospabliki.stub import MAX_BODY, ROUTES, GospablikiStub
from hub.gospabliki.testing import sample_report

TOKEN = "gp-test-token-0123456789"
KEY = "report-key-0001"
RECEIPT_RE = re.compile(r"GP-[0-9A-Z]{26}")
DOC_PATH = Path(__file__).resolve().parents[1] / "docs" / "gospabliki-openapi.yaml"


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[GospablikiStub]:
    with GospablikiStub(db_path=tmp_path / "gp.db", tokens=[TOKEN]) as server:
        yield server


@pytest.fixture
def api(stub: GospablikiStub) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=stub.url, headers=headers, timeout=10) as client:
        yield client


def post(api: httpx.Client, report: Any, key: str | None = KEY, **kw: Any) -> httpx.Response:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return api.post("/reports", json=report, headers=headers, **kw)


def rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


# --------------------------------------------------------------------------- auth


def test_health_needs_no_token(stub: GospablikiStub) -> None:
    answer = httpx.get(f"{stub.url}/health", timeout=5)
    assert answer.status_code == 200 and answer.json() == {"status": "ok"}


SECURED = [
    (verb.upper(), path.replace("{receipt}", "GP-X"))
    for path, item in openapi.document()["paths"].items()
    for verb, op in item.items()
    if op.get("security") != []
]


@pytest.mark.parametrize(("verb", "path"), SECURED)
@pytest.mark.parametrize("auth", [None, "Bearer wrong-token-value", f"Basic {TOKEN}", "Bearer"])
def test_every_secured_endpoint_refuses_a_bad_token(
    stub: GospablikiStub, verb: str, path: str, auth: str | None
) -> None:
    headers = {"Idempotency-Key": KEY} | ({"Authorization": auth} if auth else {})
    answer = httpx.request(verb, stub.url + path, json=sample_report(), headers=headers, timeout=5)
    assert answer.status_code == 401
    assert answer.json()["error"] == "unauthorized" and answer.json()["message"]
    assert answer.headers["WWW-Authenticate"].startswith("Bearer")
    assert TOKEN not in answer.text and "wrong-token-value" not in answer.text
    assert stub.snapshot()["reports"] == 0


def test_token_in_the_url_is_not_accepted_and_counted(stub: GospablikiStub) -> None:
    answer = httpx.get(f"{stub.url}/reports", params={"access_token": TOKEN}, timeout=5)
    assert answer.status_code == 401
    assert stub.stats()["tokens_in_url"] == 1


# --------------------------------------------------------------------------- validation


def test_every_bad_field_is_listed_at_once(api: httpx.Client, stub: GospablikiStub) -> None:
    report = sample_report(municipality="", generated_at="20.05.2024 09:30", colour="red")
    report["statistics"][0]["posts"] = -1
    report["statistics"][1]["comments"] = "20"
    del report["statistics"][1]["last_sync"]
    report["notices"][0]["kind"] = "account_renamed"
    report["notices"][1]["id"] = report["notices"][0]["id"]
    report["registry"]["organizations"][0]["accounts"][0]["service_phone"] = "+79990000000"
    report["period"] = {"from": "2024-05-19", "to": "2024-05-01"}
    answer = post(api, report)
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == "validation"
    fields = {item["field"]: item["message"] for item in body["fields"]}
    assert fields == {
        "municipality": "must not be empty",
        "generated_at": "must be an RFC 3339 date-time with a time zone, "
        "such as 2024-05-01T09:30:00+07:00",
        "colour": "is not a known field",
        "statistics[0].posts": "must be an integer ≥ 0",
        "statistics[1].comments": "must be an integer ≥ 0",
        "statistics[1].last_sync": "is required",
        "notices[0].kind": "must be one of account_created, account_deleted, responsible_changed",
        "notices[1].id": "repeats notices[0].id",
        "registry.organizations[0].accounts[0].service_phone": "is not a known field",
        "period.to": "must not be before period.from",
    }
    assert stub.snapshot() == {"reports": 0, "notices": 0, "idempotency": 0}


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ([], "$", "must be an object"),
        ({}, "municipality", "is required"),
        (sample_report(statistics=[{"posts": True}]), "statistics[0].posts", "≥ 0"),
        (sample_report(notices="none"), "notices", "must be an array"),
        (sample_report(generated_at="2024-05-20T09:30:00"), "generated_at", "time zone"),
        (sample_report(period={"from": "2024-02-30", "to": "2024-03-01"}), "period.from", "date"),
    ],
)
def test_single_bad_fields(api: httpx.Client, body: Any, field: str, message: str) -> None:
    answer = post(api, body)
    assert answer.status_code == 422
    assert any(f["field"] == field and message in f["message"] for f in answer.json()["fields"])


def test_idempotency_key_is_required_and_checked(api: httpx.Client) -> None:
    for key in (None, "short", "has spaces in it", "x" * 129):
        answer = post(api, sample_report(), key=key)
        assert answer.status_code == 400, key
        assert "Idempotency-Key" in answer.json()["message"]


def test_size_type_and_json_of_the_body(api: httpx.Client, stub: GospablikiStub) -> None:
    headers = {"Idempotency-Key": KEY, "Content-Type": "application/json"}
    too_big = b'{"municipality": "' + b"x" * MAX_BODY + b'"}'
    answer = api.post("/reports", content=too_big, headers=headers)
    assert answer.status_code == 413 and answer.json()["error"] == "too_large"
    for ctype in (
        "text/plain",
        "application/x-www-form-urlencoded",
        "application/json; charset=koi8-r",
    ):
        answer = api.post("/reports", content=b"{}", headers={**headers, "Content-Type": ctype})
        assert answer.status_code == 415, ctype
    for junk in (b"{not json", b"", b'{"posts": NaN}', "{}".encode("utf-16"), b"[" * 100_000):
        answer = api.post("/reports", content=junk, headers=headers)
        assert answer.status_code == 400 and answer.json()["error"] == "bad_json", junk
    assert stub.snapshot()["reports"] == 0


def test_unknown_paths_and_methods(api: httpx.Client) -> None:
    assert api.get("/nothing").status_code == 404
    answer = api.post("/notices", json={})
    assert answer.status_code == 405 and answer.headers["Allow"] == "GET"
    for limit in ("0", "501", "²", "-1"):
        assert api.get("/reports", params={"limit": limit}).status_code == 422, limit
    assert api.get("/reports", params={"limit": "many"}).json()["fields"][0]["field"] == "limit"


# --------------------------------------------------------------------------- idempotency


def test_same_key_same_body_gives_the_same_receipt_once(
    api: httpx.Client, stub: GospablikiStub
) -> None:
    first = post(api, sample_report())
    assert first.status_code == 201
    receipt = first.json()
    assert RECEIPT_RE.fullmatch(receipt["receipt"])
    assert receipt["notices_acknowledged"] == ["ntc-0001", "ntc-0002"]
    again = post(api, sample_report())
    assert again.status_code == 200 and again.json() == receipt
    assert again.headers["Idempotent-Replayed"] == "true"
    # The same JSON value in another key order and spacing is the same report.
    shuffled = json.dumps(dict(reversed(list(sample_report().items()))), indent=2)
    headers = {"Idempotency-Key": KEY, "Content-Type": "application/json"}
    assert api.post("/reports", content=shuffled, headers=headers).json() == receipt
    for table in ("reports", "idempotency"):
        assert rows(stub.store.path, table) == 1
    assert rows(stub.store.path, "notices") == 2
    assert stub.stats()["stored"] == 1 and stub.stats()["replayed"] == 2


def test_same_key_other_body_is_a_conflict(api: httpx.Client, stub: GospablikiStub) -> None:
    assert post(api, sample_report()).status_code == 201
    answer = post(api, sample_report(municipality="Другой район"))
    assert answer.status_code == 409 and answer.json()["error"] == "idempotency_conflict"
    assert stub.snapshot() == {"reports": 1, "notices": 2, "idempotency": 1}


def test_concurrent_retries_of_one_report_store_it_once(stub: GospablikiStub) -> None:
    answers: list[httpx.Response] = []

    def send() -> None:
        headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": KEY}
        answers.append(
            httpx.post(f"{stub.url}/reports", json=sample_report(), headers=headers, timeout=10)
        )

    threads = [threading.Thread(target=send) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(a.status_code for a in answers) == [200] * 7 + [201]
    assert len({a.json()["receipt"] for a in answers}) == 1
    assert stub.snapshot() == {"reports": 1, "notices": 2, "idempotency": 1}


def test_faults_fail_before_or_after_storing(api: httpx.Client, stub: GospablikiStub) -> None:
    stub.set_faults(http500=1)
    answer = post(api, sample_report())
    assert answer.status_code == 500 and answer.headers["Content-Type"].startswith("text/html")
    assert stub.snapshot()["reports"] == 0
    stub.set_faults(lost_reply=1)
    assert post(api, sample_report()).status_code == 500
    assert stub.snapshot()["reports"] == 1  # stored, but the answer was lost
    assert post(api, sample_report()).status_code == 200  # the retry finds its receipt
    assert stub.stats()["http500"] == 1 and stub.stats()["lost_reply"] == 1


# --------------------------------------------------------------------------- reading back


def test_read_endpoints_list_what_was_received(api: httpx.Client) -> None:
    first = post(api, sample_report()).json()
    other = sample_report(municipality="Район Южный", notices=[])
    second = post(api, other, key="report-key-0002").json()
    # A later report repeating notice ntc-0002: acknowledged again, first receipt kept.
    later = sample_report(generated_at="2024-05-27T09:30:00+07:00")
    later["notices"] = later["notices"][1:]
    third = post(api, later, key="report-key-0003").json()
    assert third["notices_acknowledged"] == ["ntc-0002"]

    listed = api.get("/reports").json()["reports"]
    assert [r["receipt"] for r in listed] == [third["receipt"], second["receipt"], first["receipt"]]
    assert listed[2] == {
        "receipt": first["receipt"],
        "municipality": "Сельсовет Заречный",
        "generated_at": "2024-05-20T09:30:00+07:00",
        "received_at": first["received_at"],
        "counts": {"organizations": 2, "accounts": 2, "statistics": 2, "notices": 2},
    }
    south = api.get("/reports", params={"municipality": "Район Южный"}).json()["reports"]
    assert [r["receipt"] for r in south] == [second["receipt"]]
    assert len(api.get("/reports", params={"limit": 1}).json()["reports"]) == 1

    stored = api.get(f"/reports/{first['receipt']}").json()
    assert stored["report"] == sample_report() and stored["idempotency_key"] == KEY
    assert api.get("/reports/GP-NOPE").status_code == 404

    notices = api.get("/notices", params={"municipality": "Сельсовет Заречный"}).json()["notices"]
    assert [(n["id"], n["receipt"]) for n in notices] == [
        ("ntc-0001", first["receipt"]),
        ("ntc-0002", first["receipt"]),
    ]
    assert notices[1]["details"] == {"from": "Петров П. П.", "to": "Иванова М. П."}
    assert api.get("/notices", params={"municipality": "Район Южный"}).json() == {"notices": []}


def test_data_survives_a_restart_on_the_same_file(tmp_path: Path) -> None:
    db = tmp_path / "gp.db"
    headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": KEY}
    with GospablikiStub(db_path=db, tokens=[TOKEN]) as first:
        receipt = httpx.post(f"{first.url}/reports", json=sample_report(), headers=headers).json()
    with sqlite3.connect(db) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    with GospablikiStub(db_path=db, tokens=[TOKEN]) as second:
        again = httpx.post(f"{second.url}/reports", json=sample_report(), headers=headers)
        assert again.status_code == 200 and again.json() == receipt
        listed = httpx.get(f"{second.url}/reports", headers=headers).json()["reports"]
        assert [r["receipt"] for r in listed] == [receipt["receipt"]]
    assert rows(db, "reports") == 1


def test_a_stub_needs_a_token(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="token"):
        GospablikiStub(db_path=tmp_path / "gp.db", tokens=["", "  "])


# --------------------------------------------------------------------------- CLI


def run_cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hub.gospabliki.stub", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_cli_prints_its_banner_and_stops_on_sigterm(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    env = {**os.environ, "HUB_GOSPABLIKI_TOKEN": TOKEN}
    proc = run_cli("--port", "0", "--db", str(db), env=env)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline().strip()
        match = re.fullmatch(
            r"Gospabliki stub on (http://127\.0\.0\.1:\d+/api/v1) \(db (.+)\)", banner
        )
        assert match and match.group(2) == str(db), banner
        url = match.group(1)
        headers = {"Authorization": f"Bearer {TOKEN}", "Idempotency-Key": KEY}
        assert (
            httpx.post(f"{url}/reports", json=sample_report(), headers=headers).status_code == 201
        )
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert TOKEN not in banner + out + err
    assert rows(db, "reports") == 1


def test_cli_without_a_token_says_so_in_one_line(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "HUB_GOSPABLIKI_TOKEN"}
    proc = run_cli("--port", "0", "--db", str(tmp_path / "x.db"), env=env)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 2
    assert err.strip().splitlines() == ["Error: no token: pass --token or set HUB_GOSPABLIKI_TOKEN"]
    assert not (tmp_path / "x.db").exists()


# --------------------------------------------------------------------------- OpenAPI


def test_the_openapi_file_is_generated_from_the_code() -> None:
    assert DOC_PATH.read_text(encoding="utf-8") == openapi.render(), (
        "docs/gospabliki-openapi.yaml is stale: "
        "python -m hub.gospabliki.openapi > docs/gospabliki-openapi.yaml"
    )


def test_the_openapi_paths_are_exactly_the_servers_routes() -> None:
    document = openapi.document()
    base = "/" + document["servers"][0]["url"].split("/", 3)[3]
    published = {
        (verb.upper(), base + path, op["operationId"])
        for path, item in document["paths"].items()
        for verb, op in item.items()
    }
    assert published == set(ROUTES)


def test_required_fields_in_the_openapi_are_required_on_the_wire(api: httpx.Client) -> None:
    schemas = openapi.document()["components"]["schemas"]
    required = schemas["Report"]["required"]
    assert set(required) == {"municipality", "generated_at", "registry", "statistics", "notices"}
    for name in schemas["Report"]["properties"]:
        report = sample_report()
        del report[name]
        answer = post(api, report, key=f"missing-{name}")
        if name in required:
            assert answer.status_code == 422, name
            assert {"field": name, "message": "is required"} in answer.json()["fields"]
        else:
            assert answer.status_code == 201, name
    for schema_name, path in [("AccountStatistics", "statistics[0]"), ("Notice", "notices[0]")]:
        key = path.split("[")[0]
        for name in schemas[schema_name]["required"]:
            report = sample_report()
            del report[key][0][name]
            fields = post(api, report, key=f"missing-{key}-{name}").json()["fields"]
            assert fields == [{"field": f"{path}.{name}", "message": "is required"}]


def _yaml_loader() -> list[str] | None:
    """A command that turns YAML on stdin into JSON, if any PyYAML is at hand."""
    script = "import json, sys, yaml; json.dump(yaml.safe_load(sys.stdin), sys.stdout)"
    for python in dict.fromkeys([sys.executable, shutil.which("python3"), "/usr/bin/python3"]):
        if python and Path(python).exists():
            check = subprocess.run([python, "-c", "import yaml"], capture_output=True)
            if check.returncode == 0:
                return [python, "-c", script]
    return None


def test_the_openapi_file_is_yaml_a_real_parser_reads_back() -> None:
    loader = _yaml_loader()
    if loader is None:
        pytest.skip("no PyYAML on this machine to read the document with")
    parsed = subprocess.run(
        loader, input=DOC_PATH.read_text(encoding="utf-8"), capture_output=True, text=True
    )
    assert parsed.returncode == 0, parsed.stderr
    assert json.loads(parsed.stdout) == json.loads(json.dumps(openapi.document()))


def test_non_finite_numbers_and_lone_surrogates_are_bad_json(tmp_path):
    import httpx

    from hub.gospabliki.stub import GospablikiStub

    with GospablikiStub(db_path=tmp_path / "s.db", tokens=["t0ken-value"]) as stub:
        for body in (b'{"municipality": "x", "n": 1e400}', b'{"municipality": "\\ud800"}'):
            answer = httpx.post(
                f"{stub.base_url}/api/v1/reports",
                content=body,
                headers={
                    "Authorization": "Bearer t0ken-value",
                    "Idempotency-Key": "key-12345678",
                    "Content-Type": "application/json",
                },
            )
            assert answer.status_code == 400 and answer.json()["error"] == "bad_json"
