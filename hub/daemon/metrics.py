"""``/healthz`` and Prometheus metrics for the admin who is woken when the daemon breaks.

A tiny asyncio HTTP server on ``--metrics-port`` (loopback by default): the
daemon's counters, plus gauges read from the database at scrape time (review
queue, pending actions, overdue notices, each account's lag since its last
successful sync).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from ..actions.unfinished import stuck_count
from ..appeals.service import overdue_count
from ..store import Store


class Metrics:
    def __init__(self) -> None:
        self.syncs: Counter[tuple[str, str]] = Counter()  # (account, status)
        self.errors: Counter[str] = Counter()  # account
        #: (account, network, kind): kind is the run's status (failed, paused), "unexpected"
        #: for an exception nobody foresaw (a malformed answer, a bug), "events" for a follower
        self.failures: Counter[tuple[str, str, str]] = Counter()
        self.job_failures: Counter[str] = Counter()  # job name
        #: (account, reason): pushed events the hub did not read ("version": another API version)
        self.events_skipped: Counter[tuple[str, str]] = Counter()
        self.cycles = 0
        self.started = time.time()
        self.last_cycle_at: float | None = None

    def record_runs(self, runs: list[Any]) -> None:
        for run in runs:
            self.syncs[(run.account.id, run.status)] += 1
            if not run.ok:
                self.errors[run.account.id] += 1
                kind = "unexpected" if getattr(run, "unexpected", None) else run.status
                self.failures[(run.account.id, run.account.network, kind)] += 1

    def count_skipped_events(self, account: Any, version: str, n: int) -> None:
        """Events of ``account`` left unread because they came in API ``version``."""
        self.events_skipped[(account.id, "version")] += n

    def _failure_lines(self) -> list[str]:
        """Failures by account and network, and by daemon job: each one counted, none fatal."""
        lines = [
            "# HELP hub_failures_total Account failures by network and kind "
            "(failed, paused, unexpected, events, token_missing).",
            "# TYPE hub_failures_total counter",
        ]
        for (account, network, kind), n in sorted(self.failures.items()):
            lines.append(
                f'hub_failures_total{{account="{account}",network="{network}",kind="{kind}"}} {n}'
            )
        lines += [
            "# HELP hub_job_failures_total Daemon jobs that raised; the other jobs went on.",
            "# TYPE hub_job_failures_total counter",
        ]
        for job, n in sorted(self.job_failures.items()):
            lines.append(f'hub_job_failures_total{{job="{job}"}} {n}')
        lines += [
            "# HELP hub_events_skipped_total Pushed events not read (version: another API "
            "version than the hub's).",
            "# TYPE hub_events_skipped_total counter",
        ]
        for (account, reason), n in sorted(self.events_skipped.items()):
            lines.append(f'hub_events_skipped_total{{account="{account}",reason="{reason}"}} {n}')
        return lines

    def render(self, store: Store) -> str:
        lines = [
            "# HELP hub_syncs_total Account syncs by outcome.",
            "# TYPE hub_syncs_total counter",
        ]
        for (account, status), n in sorted(self.syncs.items()):
            lines.append(f'hub_syncs_total{{account="{account}",status="{status}"}} {n}')
        lines += [
            "# HELP hub_sync_errors_total Failed or paused syncs.",
            "# TYPE hub_sync_errors_total counter",
        ]
        for account, n in sorted(self.errors.items()):
            lines.append(f'hub_sync_errors_total{{account="{account}"}} {n}')
        lines += self._failure_lines()
        lines += [
            "# HELP hub_account_lag_seconds Seconds since the account last synced ok.",
            "# TYPE hub_account_lag_seconds gauge",
        ]
        now = datetime.now(UTC)
        for account, finished in store.db.execute(  # failing accounts keep growing their lag
            "SELECT account_id, MAX(finished_at) FROM sync_runs WHERE status = 'ok' "
            "GROUP BY account_id"
        ):
            if finished:
                then = datetime.fromisoformat(finished.replace("Z", "+00:00"))
                lines.append(
                    f'hub_account_lag_seconds{{account="{account}"}} '
                    f"{(now - then).total_seconds():.0f}"
                )
        gauges = {
            "hub_review_queue_size": (
                "Comments waiting for an operator.",
                "SELECT COUNT(*) FROM verdicts WHERE status = 'queued'",
            ),
            "hub_pending_actions": (
                "Actions not yet confirmed (pending, unknown, decided).",
                "SELECT (SELECT COUNT(*) FROM actions WHERE state IN "
                "('pending', 'unknown')) + (SELECT COUNT(*) FROM verdicts "
                "WHERE status = 'decided')",
            ),
            "hub_overdue_notices": (
                "Notices to the regional centre past their due date.",
                "SELECT COUNT(*) FROM notices WHERE status = 'pending' AND due_date < date('now')",
            ),
        }
        for name, (help_text, sql) in gauges.items():
            lines += [
                f"# HELP {name} {help_text}",
                f"# TYPE {name} gauge",
                f"{name} {store.db.execute(sql).fetchone()[0]}",
            ]
        lines += [
            "# HELP hub_actions_stuck Actions and verdicts the hub stopped trying by itself.",
            "# TYPE hub_actions_stuck gauge",
            f"hub_actions_stuck {stuck_count(store)}",
            "# HELP hub_appeals_overdue Residents' appeals open past their answer deadline.",
            "# TYPE hub_appeals_overdue gauge",
            f"hub_appeals_overdue {overdue_count(store)}",
        ]
        lines += [
            "# HELP hub_daemon_cycles_total Completed cycles.",
            "# TYPE hub_daemon_cycles_total counter",
            f"hub_daemon_cycles_total {self.cycles}",
        ]
        return "\n".join(lines) + "\n"


def health_reasons(
    metrics: Metrics, parked: Mapping[str, str], stale_after: float, now: float | None = None
) -> list[str]:
    """Why ``/healthz`` is degraded: each parked account and why, or a loop that stalled.

    Empty when all is well. The age is that of the last finished cycle (the
    start, before the first one finishes).
    """
    reasons = [f"account {account} parked: {why}" for account, why in sorted(parked.items())]
    age = (now or time.time()) - (metrics.last_cycle_at or metrics.started)
    if age > stale_after:
        reasons.append(
            f"no daemon cycle finished for {age:.0f}s (expected within {stale_after:.0f}s)"
        )
    return reasons


async def serve_metrics(
    metrics: Metrics,
    store: Store,
    host: str,
    port: int,
    health: Callable[[], list[str]] | None = None,
) -> asyncio.Server:
    """``health`` gives the reasons ``/healthz`` is degraded (none: ok)."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            request = (await asyncio.wait_for(reader.readline(), 5)).decode("latin-1")
            while (await asyncio.wait_for(reader.readline(), 5)) not in (b"\r\n", b"\n", b""):
                pass
            path = request.split(" ")[1] if " " in request else "/"
            if path == "/healthz":
                reasons = health() if health else []
                status, body = "200 OK", '{"status": "ok"}\n'
                if reasons:  # a parked account, a stalled loop: the admin's probe must see it
                    status = "503 Service Unavailable"
                    data = {"status": "degraded", "reasons": reasons}
                    body = json.dumps(data, ensure_ascii=False) + "\n"
                kind = "application/json"
            elif path == "/metrics":
                try:
                    status, body = "200 OK", metrics.render(store)
                except Exception as exc:  # a locked database: the scrape says so
                    status, body = "500 Internal Server Error", f"metrics unavailable: {exc}\n"
                kind = "text/plain; version=0.0.4"
            else:
                status, body, kind = "404 Not Found", "not found\n", "text/plain"
            data = body.encode()
            writer.write(
                f"HTTP/1.1 {status}\r\nContent-Type: {kind}\r\nContent-Length: {len(data)}\r\n"
                f"Connection: close\r\n\r\n".encode()
                + data
            )
            await writer.drain()
        except (TimeoutError, ConnectionError, IndexError):
            pass
        finally:
            writer.close()

    return await asyncio.start_server(handle, host, port)
