"""The README's main command works end to end and says what a user should see."""

from .test_cli import hub


def test_demo_runs_everything_and_stops(tmp_path):
    result = hub("demo", "--dir", str(tmp_path), timeout=240)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    for expected in ("accounts synced:", "moderation:", "criticism recognised",
                     "registry page for the municipality's website",
                     "report accepted by Gospabliki: receipt GP-", "already done"):
        assert expected in out, out
    assert (tmp_path / "registry.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert "Traceback" not in result.stderr
