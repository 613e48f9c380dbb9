"""The README's main command works end to end and says what a user should see."""

from tests.cli.test_cli import hub


def test_demo_runs_everything_and_stops(tmp_path):
    result = hub("demo", "--dir", str(tmp_path), timeout=240)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in (
        "accounts synced:",
        "moderation:",
        "criticism recognised",
        "registry page for the municipality's website",
        "report accepted by Gospabliki: receipt GP-",
        "already done",
        "content plan: the approved draft went out once on each network",
        "(sent once)",
        "answered from the approved template: https://vk.com/",
        "Compliance, week",
        "compliance page for the head of administration",
    ):
        assert expected in out, out
    assert (tmp_path / "registry.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert out.count("published https://") == 3 and "sent 2 times" not in out
    assert "<html" in (tmp_path / "compliance.html").read_text(encoding="utf-8")
    assert "Traceback" not in result.stderr
