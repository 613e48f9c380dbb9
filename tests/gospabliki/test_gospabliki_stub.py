"""The Gospabliki stub over real loopback HTTP: auth, validation, idempotency, storage, CLI.

The OpenAPI tests tie the published document to the running server: its paths are
exactly the stub's routes, every operation it marks as secured refuses a request
without a token, and every field it lists as required is refused when missing.
"""

from __future__ import annotations

import json
import os
import re
import select
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from hub.gospabliki import openapi
from hub.sandbox.gospabliki_stub.sample_report import sample_report
from hub.sandbox.gospabliki_stub.stub import MAX_BODY, ROUTES, GospablikiStub
from tests.helpers import REPO

TOKEN = "gp-test-token-0123456789"
KEY = "report-key-0001"
RECEIPT_RE = re.compile(r"GP-[0-9A-Z]{26}")
DOC_PATH = REPO / "docs" / "gospabliki-openapi.yaml"


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


# --------------------------------------------------------------------------- exposure
# The stub must stand being reachable by anyone: control endpoints off unless asked for,
# the token checked before a body is read, bodies capped, a listen backlog for 50 clients.

AUTH = {"Authorization": f"Bearer {TOKEN}"}


def raw_request(port: int, head: str, body: bytes = b"", timeout: float = 5) -> bytes:
    """Send a request's head (and the first bytes of its body), return what comes back.

    The body may be far shorter than its Content-Length: a server that waits for the rest
    before answering times out here instead of answering.
    """
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as conn:
        conn.sendall(head.replace("\n", "\r\n").encode("ascii") + b"\r\n" + body)
        answer = b""
        try:
            while b"\r\n\r\n" not in answer or not _complete(answer):
                chunk = conn.recv(65536)
                if not chunk:
                    break
                answer += chunk
        except TimeoutError:
            return answer or b"(no answer within %.0f s)" % timeout
        return answer


def _complete(answer: bytes) -> bool:
    head, _, body = answer.partition(b"\r\n\r\n")
    match = re.search(rb"(?i)content-length: *(\d+)", head)
    return match is not None and len(body) >= int(match.group(1))


def status_of(answer: bytes) -> int:
    match = re.match(rb"HTTP/1\.[01] (\d{3}) ", answer)
    assert match, answer[:200]
    return int(match.group(1))


def json_of(answer: bytes) -> Any:
    return json.loads(answer.partition(b"\r\n\r\n")[2])


def test_control_endpoints_are_off_unless_asked_for(
    api: httpx.Client, stub: GospablikiStub
) -> None:
    base = stub.base_url + "/_emulator"
    anyone = httpx.post(f"{base}/faults", json={"http500": 1000, "slow_ms": 20000}, timeout=5)
    assert anyone.status_code == 401
    for verb, action in [("POST", "faults"), ("GET", "state"), ("GET", "stats")]:
        answer = httpx.request(verb, f"{base}/{action}", json={"http500": 9}, headers=AUTH)
        assert answer.status_code == 404 and answer.json()["error"] == "not_found", action
    assert post(api, sample_report(), timeout=2).status_code == 201  # no fault, no delay


def test_test_controls_still_need_the_token(tmp_path: Path) -> None:
    with GospablikiStub(db_path=tmp_path / "gp.db", tokens=[TOKEN], test_controls=True) as stub:
        base = stub.base_url + "/_emulator"
        for auth in ({}, {"Authorization": "Bearer wrong-token-value"}):
            answer = httpx.post(f"{base}/faults", json={"http500": 1}, headers=auth, timeout=5)
            assert answer.status_code == 401
            assert httpx.get(f"{base}/state", headers=auth, timeout=5).status_code == 401
        assert httpx.post(f"{base}/faults", json={"http500": 1}, headers=AUTH).json() == {
            "ok": True
        }
        headers = {**AUTH, "Idempotency-Key": KEY}
        reports = f"{stub.url}/reports"
        assert httpx.post(reports, json=sample_report(), headers=headers).status_code == 500
        assert httpx.post(reports, json=sample_report(), headers=headers).status_code == 201
        assert httpx.get(f"{base}/state", headers=AUTH).json()["reports"] == 1


BIG = 100 * 1024 * 1024  # declared, never sent


@pytest.mark.parametrize(
    ("request_line", "auth", "status"),
    [
        ("POST /api/v1/reports", "", 401),
        ("POST /api/v1/reports", f"Authorization: Bearer {TOKEN}\n", 413),
        ("GET /api/v1/health", "", 413),
        ("POST /_emulator/faults", "", 401),
        ("POST /_emulator/faults", f"Authorization: Bearer {TOKEN}\n", 404),
        ("POST /anything", "", 401),
    ],
)
def test_a_huge_body_is_refused_before_it_is_read(
    stub: GospablikiStub, request_line: str, auth: str, status: int
) -> None:
    head = (
        f"{request_line} HTTP/1.1\nHost: stub\n{auth}Content-Type: application/json\n"
        f"Idempotency-Key: {KEY}\nContent-Length: {BIG}\n"
    )
    answer = raw_request(stub.port, head, b'{"municipality": "', timeout=5)
    assert status_of(answer) == status
    assert re.search(rb"(?im)^connection: close", answer)  # the unread rest is not a request
    assert json_of(answer)["error"] in {"unauthorized", "too_large", "not_found"}
    assert TOKEN.encode() not in answer
    assert stub.snapshot()["reports"] == 0


def test_control_bodies_are_capped_too(tmp_path: Path) -> None:
    with GospablikiStub(db_path=tmp_path / "gp.db", tokens=[TOKEN], test_controls=True) as stub:
        head = (
            f"POST /_emulator/faults HTTP/1.1\nHost: stub\nAuthorization: Bearer {TOKEN}\n"
            f"Content-Length: {BIG}\n"
        )
        answer = raw_request(stub.port, head, b"{", timeout=5)
        assert status_of(answer) == 413 and json_of(answer)["error"] == "too_large"


def test_a_streamed_body_is_read_up_to_the_limit(tmp_path: Path) -> None:
    """No Content-Length (chunked): a report is read whole, an endless stream is cut off."""
    with GospablikiStub(db_path=tmp_path / "gp.db", tokens=[TOKEN], max_body=64 * 1024) as stub:
        headers = {**AUTH, "Idempotency-Key": KEY, "Content-Type": "application/json"}
        report = json.dumps(sample_report()).encode()
        pieces = iter([report[:100], report[100:]])
        with httpx.Client(base_url=stub.url, headers=headers, timeout=10) as client:
            answer = client.post("/reports", content=pieces)
            assert answer.status_code == 201, answer.text
            endless = (b"x" * 16384 for _ in range(10_000))  # 160 MB if it were all read
            answer = client.post("/reports", content=endless)
            assert answer.status_code == 413 and answer.json()["error"] == "too_large"
            assert "65536" in answer.json()["message"]
            # The same client carries on: the cut-off connection was not reused.
            assert client.get("/reports").json()["reports"][0]["receipt"]


@pytest.mark.parametrize(
    "framing",
    [
        "Content-Length: lots\n",
        "Content-Length: -1\n",
        "Content-Length: 2\nContent-Length: 3\n",
        "Content-Length: 2\nTransfer-Encoding: chunked\n",
        "Transfer-Encoding: gzip\n",
    ],
)
def test_a_malformed_framing_is_a_400_not_a_traceback(
    stub: GospablikiStub, framing: str, capfd: pytest.CaptureFixture[str]
) -> None:
    head = f"POST /api/v1/reports HTTP/1.1\nHost: stub\nAuthorization: Bearer {TOKEN}\n{framing}"
    answer = raw_request(stub.port, head, b"{}")
    assert status_of(answer) == 400 and json_of(answer)["error"] == "bad_request"
    assert "Traceback" not in capfd.readouterr().err


def test_fifty_clients_connecting_at_once_all_get_in(stub: GospablikiStub) -> None:
    """Fifty connections wait in the kernel's accept queue while the server is busy.

    Accepting is held back, so what gets in is what the listen backlog lets in (with
    a backlog of 5, six did; the rest were dropped, or reset on some systems).
    """
    server = stub._server
    assert server is not None
    release = threading.Event()
    handle_one = server._handle_request_noblock

    def held_back() -> None:
        release.wait(10)
        handle_one()

    server._handle_request_noblock = held_back  # type: ignore[method-assign]
    clients = [socket.socket() for _ in range(50)]
    try:
        for client in clients:
            client.setblocking(False)
            client.connect_ex(("127.0.0.1", stub.port))
        deadline = time.monotonic() + 3
        pending = set(clients)
        while pending and time.monotonic() < deadline:
            _, writable, _ = select.select([], list(pending), [], 0.1)
            pending -= set(writable)
        failed = [
            c for c in clients if c in pending or c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        ]
        assert len(failed) == 0, f"{len(failed)} of 50 connections did not get in"
        release.set()
        request = b"GET /api/v1/health HTTP/1.1\r\nHost: stub\r\nConnection: close\r\n\r\n"
        for client in clients:
            client.setblocking(True)
            client.settimeout(10)
            client.sendall(request)
        answers = [client.recv(65536) for client in clients]
        assert all(a.startswith(b"HTTP/1.1 200") for a in answers)
    finally:
        release.set()
        for client in clients:
            client.close()


def test_the_listen_backlog_fits_fifty_clients(stub: GospablikiStub) -> None:
    assert stub._server is not None and stub._server.request_queue_size >= 128


def test_a_slow_client_does_not_hold_up_the_others(stub: GospablikiStub) -> None:
    with socket.create_connection(("127.0.0.1", stub.port), timeout=5) as slow:
        slow.sendall(b"POST /api/v1/reports HTTP/1.1\r\nHost: stub\r\nContent-Le")  # and stops
        started = time.monotonic()
        assert httpx.get(f"{stub.url}/health", timeout=5).status_code == 200
        assert time.monotonic() - started < 2


# --------------------------------------------------------------------------- CLI


def run_cli(*args: str, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "hub.sandbox.gospabliki_stub", *args],
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
        stats = url.removesuffix("/api/v1") + "/_emulator/stats"
        assert httpx.get(stats, headers=headers).status_code == 404  # no test controls
        proc.send_signal(signal.SIGTERM)
        out, err = proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert TOKEN not in banner + out + err
    assert rows(db, "reports") == 1


def test_cli_enables_test_controls_only_with_the_flag(tmp_path: Path) -> None:
    env = {**os.environ, "HUB_GOSPABLIKI_TOKEN": TOKEN}
    proc = run_cli("--port", "0", "--db", str(tmp_path / "c.db"), "--enable-test-controls", env=env)
    try:
        assert proc.stdout is not None
        banner = proc.stdout.readline().strip()
        match = re.search(r"(http://\S+)/api/v1", banner)
        assert match and "test controls" in banner, banner
        stats = match.group(1) + "/_emulator/stats"
        assert httpx.get(stats, timeout=5).status_code == 401
        assert httpx.get(stats, headers=AUTH, timeout=5).json()["errors"] == {"401": 1}
        proc.send_signal(signal.SIGTERM)
        proc.communicate(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0


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

    from hub.sandbox.gospabliki_stub.stub import GospablikiStub

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
