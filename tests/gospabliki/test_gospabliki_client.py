"""``push_report`` against the real stub: retries that never duplicate, errors people can act on."""

from __future__ import annotations

import re
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hub.errors import ApiError, AuthError, TransientError
from hub.gospabliki.client import ReportRejectedError, push_report, report_key
from hub.sandbox.gospabliki_stub.sample_report import sample_report
from hub.sandbox.gospabliki_stub.stub import GospablikiStub

TOKEN = "gp-client-token-9876543210"
TOKEN_ENV = "HUB_GOSPABLIKI_TOKEN"
RECEIPT_RE = re.compile(r"GP-[0-9A-Z]{26}")


@pytest.fixture
def stub(tmp_path: Path) -> Iterator[GospablikiStub]:
    with GospablikiStub(db_path=tmp_path / "gp.db", tokens=[TOKEN]) as server:
        yield server


async def push(stub: GospablikiStub, report: dict[str, Any], **kw: Any) -> dict[str, Any]:
    kw.setdefault("token", TOKEN)
    kw.setdefault("idempotency_key", report_key(report))
    return await push_report(endpoint=stub.url, report=report, **kw)


def assert_no_token(exc: BaseException) -> None:
    for text in (str(exc), repr(exc), *map(str, exc.args)):
        assert TOKEN not in text


# --------------------------------------------------------------------------- report_key


def test_report_key_follows_the_content_not_the_key_order() -> None:
    report = sample_report()
    key = report_key(report)
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert report_key(dict(reversed(list(report.items())))) == key
    assert report_key(sample_report()) == key
    changed = sample_report()
    changed["statistics"][0]["posts"] += 1
    assert report_key(changed) != key


# --------------------------------------------------------------------------- success


async def test_a_push_is_filed_and_acknowledges_its_notices(stub: GospablikiStub) -> None:
    receipt = await push(stub, sample_report())
    assert RECEIPT_RE.fullmatch(receipt["receipt"])
    assert receipt["notices_acknowledged"] == ["ntc-0001", "ntc-0002"]
    assert stub.snapshot() == {"reports": 1, "notices": 2, "idempotency": 1}
    # Pushing the same content again (a rerun) answers the same receipt and files nothing.
    assert await push(stub, sample_report()) == receipt
    assert stub.snapshot()["reports"] == 1


async def test_a_push_survives_a_stub_failing_half_its_requests(tmp_path: Path) -> None:
    # 0.3 + 0.7 * 0.3 = 51% of requests fail; a third of those after the report was stored.
    with GospablikiStub(
        db_path=tmp_path / "gp.db",
        tokens=[TOKEN],
        fault_http500_rate=0.3,
        fault_lost_reply_rate=0.3,
        seed=1,
    ) as stub:
        receipts = []
        for n in range(20):
            report = sample_report(municipality=f"Поселение {n}")
            receipts.append(await push(stub, report, attempts=12))
        stats = stub.stats()
        counts = stub.snapshot()
    failed = stats["http500"] + stats["lost_reply"]
    assert stats["http500"] > 0 and stats["lost_reply"] > 0, stats
    assert 0.3 < failed / stats["requests"] < 0.7, stats
    assert stats["stored"] == 20 and counts["reports"] == 20  # one per push, whatever the attempts
    assert len({r["receipt"] for r in receipts}) == 20


async def test_lost_answers_are_retried_with_the_same_key(stub: GospablikiStub) -> None:
    stub.set_faults(http500=1, lost_reply=2)  # fail, then store but lose two answers
    receipt = await push(stub, sample_report())
    stats = stub.stats()
    # Stored on the 2nd request, replayed on the 3rd (answer lost again) and the 4th.
    assert stats["requests"] == 4 and stats["stored"] == 1 and stats["replayed"] == 2
    assert stub.snapshot()["reports"] == 1
    assert await push(stub, sample_report()) == receipt


async def test_timeouts_are_retried_without_filing_twice(stub: GospablikiStub) -> None:
    stub.set_faults(slow_ms=400)  # the stub files each request after the client gave up
    with pytest.raises(TransientError, match="ReadTimeout"):
        await push(stub, sample_report(), attempts=2, timeout=0.1)
    stub.set_faults(slow_ms=0)
    receipt = await push(stub, sample_report())
    assert RECEIPT_RE.fullmatch(receipt["receipt"])
    assert stub.snapshot()["reports"] == 1


async def test_attempts_run_out_with_a_transient_error(stub: GospablikiStub) -> None:
    stub.set_faults(http500=10)
    with pytest.raises(TransientError, match="not filed after 3 attempts") as caught:
        await push(stub, sample_report(), attempts=3)
    assert stub.stats()["requests"] == 3 and stub.snapshot()["reports"] == 0
    assert_no_token(caught.value)


async def test_an_unreachable_stub_is_transient_and_names_no_token() -> None:
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(TransientError, match="unreachable") as caught:
        await push_report(
            endpoint=f"http://127.0.0.1:{port}/api/v1",
            token=TOKEN,
            report=sample_report(),
            idempotency_key="k" * 32,
            attempts=2,
        )
    assert_no_token(caught.value)


# --------------------------------------------------------------------------- refusals


async def test_a_wrong_token_is_an_auth_error_naming_the_variable(stub: GospablikiStub) -> None:
    wrong = "gp-wrong-token-0000000000"
    with pytest.raises(AuthError) as caught:
        await push(stub, sample_report(), token=wrong, token_env=TOKEN_ENV)
    message = str(caught.value)
    assert "refused the token" in message and f"${TOKEN_ENV}" in message
    assert wrong not in message and wrong not in repr(caught.value)
    assert stub.stats()["requests"] == 1  # a person must act: no retries
    with pytest.raises(AuthError, match=r"token variable named by token_env in \[gospabliki\]"):
        await push(stub, sample_report(), token=wrong)


async def test_a_refused_report_lists_its_fields_in_one_line(stub: GospablikiStub) -> None:
    report = sample_report(municipality="")
    report["statistics"][0]["posts"] = -3
    with pytest.raises(ReportRejectedError) as caught:
        await push(stub, report)
    message = str(caught.value)
    assert message == (
        "Gospabliki refused the report: municipality must not be empty; "
        "statistics[0].posts must be an integer ≥ 0"
    )
    assert "\n" not in message and isinstance(caught.value, ApiError)
    assert caught.value.fields == [
        {"field": "municipality", "message": "must not be empty"},
        {"field": "statistics[0].posts", "message": "must be an integer ≥ 0"},
    ]
    assert stub.stats()["requests"] == 1
    assert_no_token(caught.value)


async def test_a_reused_key_for_other_content_is_refused(stub: GospablikiStub) -> None:
    key = report_key(sample_report())
    await push(stub, sample_report(), idempotency_key=key)
    with pytest.raises(ApiError, match="different report") as caught:
        await push(stub, sample_report(municipality="Другое"), idempotency_key=key)
    assert caught.value.code == "idempotency_conflict"
    assert stub.snapshot()["reports"] == 1
