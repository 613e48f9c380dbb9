"""The daemon: every account on its own schedule, then moderation, notices and the report.

One asyncio process, so the per-token rate limiters are shared by everything it
does. One account's failure never stops the others: a rate limit pauses that
account (the sync engine's own rule), and a token the network refuses parks the
account, with an alert in the log, until the config file changes. SIGTERM or
SIGINT cancels the work in hand at its next network wait — every database write
is a transaction between two such waits, so nothing is left half-written — and
the cursors already committed are where the next start resumes.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path

import pluggy

from .. import plugins
from ..config import Config, load_config
from ..errors import HubError
from ..log import get_logger
from ..network import EVENTS, WEBHOOKS
from ..networks import build_network, close_networks, has_stored_token
from ..registry import overdue_warning, sync_registry
from ..secrets import redact, token_from_env
from ..store import Store
from ..sync import run_sync
from ..sync.events import follow_events
from ..tokens import SecretsFile
from .metrics import Metrics, health_reasons, serve_metrics
from .schedule import Intervals, load_intervals

log = get_logger("hub.daemon")
STOP_GRACE_SECONDS = 8
ERROR_PAUSE_SECONDS = 30
#: /healthz is degraded when no cycle finished for this long (or 3 publish intervals)
STALE_MIN_SECONDS = 900


class Daemon:
    def __init__(
        self,
        config_path: Path,
        pm: pluggy.PluginManager,
        *,
        db_override: str | None = None,
        cycles: int | None = None,
        metrics_host: str = "127.0.0.1",
        metrics_port: int | None = None,
        web: bool = False,
    ):
        self.config_path = config_path
        self.db_override = db_override
        self.pm = pm
        self.max_cycles = cycles
        self.metrics_host = metrics_host
        self.metrics_port = metrics_port
        self.web = web
        self.metrics = Metrics()
        self.stopping = asyncio.Event()
        self.wake = asyncio.Event()  # pushed events want moderation or a reconcile now
        self._followers: list[asyncio.Task] = []
        self.parked: dict[str, float] = {}  # account id → config mtime when its token failed
        self.park_reasons: dict[str, str] = {}  # account id → why, for /healthz
        self._work: asyncio.Task | None = None
        self._config_mtime = 0.0
        self.config: Config
        self.intervals: Intervals
        self.next_sync: dict[str, float] = {}
        self._summary_week = None
        self._tokens_mtime: float | None = None  # the secrets file when parked accounts were tried
        self._first_report_said = False  # "the first report waits for a person", once a run
        self.next_job = {"publish": 0.0, "moderate": 0.0, "notices": 0.0, "report": 0.0}

    # -- lifecycle -----------------------------------------------------------
    def request_stop(self) -> None:
        if not self.stopping.is_set():
            log.info("daemon stopping", reason="signal")
            self.stopping.set()
            self.wake.set()
            if self._work is not None:
                self._work.cancel()
            for task in self._followers:
                task.cancel()

    async def run(self) -> int:
        self._load_config()
        store = Store.open(self.config.db_path)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.request_stop)
        server = None
        if self.metrics_port is not None:
            server = await serve_metrics(
                self.metrics, store, self.metrics_host, self.metrics_port, self.health
            )
            port = server.sockets[0].getsockname()[1]
            log.info("metrics listening", url=f"http://{self.metrics_host}:{port}/metrics")
        log.info("daemon started", accounts=len(self.config.accounts), db=str(self.config.db_path))
        self._start_followers(store)
        hooks, hook_networks = await self._start_webhooks(store)
        web = self._start_web() if self.web else None
        try:
            while not self.stopping.is_set():
                self._work = asyncio.create_task(self._cycle(store))
                try:
                    await self._work
                except asyncio.CancelledError:
                    pass
                except Exception as exc:  # a locked database, a bug: log it, never die of it
                    log.error("cycle failed; the daemon carries on", error=redact(repr(exc)))
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(self.stopping.wait(), timeout=ERROR_PAUSE_SECONDS)
                self._work = None
                if self.stopping.is_set():
                    break
                self.metrics.cycles += 1
                self.metrics.last_cycle_at = time.time()
                if self.max_cycles is not None and self.metrics.cycles >= self.max_cycles:
                    break
                await self._sleep_until_due()
        finally:
            for task in self._followers:
                task.cancel()
            if self._followers:
                with contextlib.suppress(TimeoutError):  # the stop stays within 10 seconds
                    await asyncio.wait_for(
                        asyncio.gather(*self._followers, return_exceptions=True),
                        timeout=STOP_GRACE_SECONDS,
                    )
            for sig in (signal.SIGTERM, signal.SIGINT):
                loop.remove_signal_handler(sig)
            if web is not None:
                self.stopping.set()  # the console's server stops with the daemon
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(web, timeout=STOP_GRACE_SECONDS)
            if server is not None:
                server.close()
                await server.wait_closed()
            for hook in hooks:
                hook.close()
                await hook.wait_closed()
            await close_networks(hook_networks)
            store.close()
            log.info("daemon stopped", cycles=self.metrics.cycles)
        return 0

    async def _start_webhooks(self, store: Store) -> tuple[list, dict]:
        """Listen for the webhooks of networks whose table names ``webhook_path``.

        A missing secret or a busy port is said in one line: the daemon goes on
        without webhooks (the periodic sync carries everything).
        """
        from ..sync import webhooks

        available = plugins.networks(self.pm)
        wanted = {
            name: cls
            for name, cls in available.items()
            if WEBHOOKS in cls.capabilities
            and self.config.network_settings(name).get("webhook_path")
            and any(a.network == name for a in self.config.accounts)
        }
        networks = {name: build_network(cls, self.config) for name, cls in wanted.items()}
        servers = []
        try:
            listed = webhooks.endpoints(networks, list(self.config.accounts))
            by_address: dict[tuple[str, int], list] = {}
            for endpoint in listed:
                settings = endpoint.network.settings
                key = (str(settings.get("webhook_host")), int(settings.get("webhook_port") or 0))
                by_address.setdefault(key, []).append(endpoint)
            for (host, port), group in by_address.items():
                servers.append(await webhooks.serve_endpoints(store, group, host, port))
                bound = servers[-1].sockets[0].getsockname()[1]
                log.info(
                    "webhooks listening",
                    url=f"http://{host}:{bound}",
                    paths=[e.path for e in group],
                )
        except (HubError, OSError) as exc:
            log.error("webhooks not received", error=redact(str(exc)))
        return servers, networks

    def _start_web(self) -> asyncio.Task:
        """The web console in this process and loop (``hub daemon --web``), on its own
        database connection; it stops when the daemon does."""
        from ..web.console import Console
        from ..web.serve import serve_in_loop

        console = Console(str(self.config_path), self.db_override, self.pm)
        host, port = console.settings.host, console.settings.port
        log.info("console listening", url=f"http://{host}:{port}/")
        return asyncio.create_task(serve_in_loop(console, host, port, self.stopping))

    def health(self) -> list[str]:
        """Why ``/healthz`` is degraded: parked accounts, or no cycle for a long while."""
        live = {a.id for a in self.config.accounts}
        parked = {a: self.park_reasons.get(a, "token refused") for a in self.parked if a in live}
        stale_after = max(STALE_MIN_SECONDS, 3 * self.intervals.publish)
        return health_reasons(self.metrics, parked, stale_after)

    def _park(self, account, why: str) -> None:
        self.parked[account.id] = self._config_mtime
        self.park_reasons[account.id] = why

    async def _sleep_until_due(self) -> None:
        live = {a.id for a in self.config.accounts} - set(self.parked)
        syncs = [t for account_id, t in self.next_sync.items() if account_id in live]
        due = min([*syncs, *self.next_job.values()], default=time.time() + 60)
        wait = max(0.05, due - time.time())
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.wake.wait(), timeout=wait)
        self.wake.clear()

    def _start_followers(self, store: Store) -> None:
        """A task per account that names ``events_token_env`` on a network that pushes events."""
        networks = plugins.networks(self.pm)
        for account in self.config.accounts:
            cls = networks.get(account.network)
            if account.events_token_env and cls and EVENTS in cls.capabilities:
                self._followers.append(
                    asyncio.create_task(
                        follow_events(
                            store,
                            self.config,
                            account,
                            cls,
                            self.stopping,
                            self._on_event,
                            lambda a: self.metrics.failures.update([(a.id, a.network, "events")]),
                            self.metrics.count_skipped_events,
                        )
                    )
                )
                log.info("following events", account=account.id)

    def _on_event(self, account, comments_changed: bool, gap: bool) -> None:
        if comments_changed:
            self.next_job["moderate"] = 0.0  # judge new and edited comments at once
        if gap and account.id not in self.parked:
            self.next_sync[account.id] = 0.0  # events were missed: reconcile by REST now
        if comments_changed or gap:
            self.wake.set()

    # -- config --------------------------------------------------------------
    def _load_config(self) -> None:
        mtime = self._mtime()
        config = load_config(self.config_path, self.db_override)
        # both or neither: a rejected file changes nothing
        intervals = load_intervals(config, plugins.networks(self.pm))
        self.config, self.intervals, self._config_mtime = config, intervals, mtime
        known = {a.id for a in config.accounts}
        self.next_sync = {k: v for k, v in self.next_sync.items() if k in known}

    def _mtime(self) -> float:
        try:
            return self.config_path.stat().st_mtime
        except OSError:
            return 0.0

    def _secrets_mtime(self) -> float:
        secrets = SecretsFile.beside(self.config_path)
        try:
            return secrets.path.stat().st_mtime if secrets else 0.0
        except OSError:
            return 0.0

    def _reload_if_changed(self) -> None:
        self._unpark_on_new_tokens()
        if self._mtime() == self._config_mtime:
            return
        try:
            self._load_config()
        except HubError as exc:  # keep running on the last good config
            log.error("config not reloaded", error=str(exc))
            return
        if self.parked:
            log.info(
                "config changed: parked accounts are tried again", accounts=sorted(self.parked)
            )
            self.parked.clear()
            self.park_reasons.clear()

    def _unpark_on_new_tokens(self) -> None:
        """A sign-in ('hub auth') rewrote the secrets file: parked accounts are tried again."""
        mtime = self._secrets_mtime()
        if mtime == self._tokens_mtime:
            return
        self._tokens_mtime = mtime
        if self.parked:
            log.info(
                "tokens changed: parked accounts are tried again", accounts=sorted(self.parked)
            )
            self.parked.clear()
            self.park_reasons.clear()

    # -- one cycle -----------------------------------------------------------
    async def _cycle(self, store: Store) -> None:
        self._reload_if_changed()
        now = time.time()
        due = [
            a
            for a in self.config.accounts
            if a.id not in self.parked and self.next_sync.get(a.id, 0.0) <= now
        ]
        if due:
            await self._guarded("sync", self._sync(store, due))
        jobs = {
            "publish": self._publish,
            "moderate": self._moderate,
            "notices": self._notices,
            "report": self._report,
        }
        for job, work in jobs.items():
            if self.next_job[job] <= time.time():
                await self._guarded(job, work(store))
                self.next_job[job] = time.time() + getattr(self.intervals, job)
        await self._guarded("weekly_summary", self._weekly_summary(store))

    async def _guarded(self, job: str, work: Awaitable[None]) -> None:
        """Run one job of the cycle; whatever it raises is logged and counted, the rest go on.

        A failing job is tried again at its own interval, not every cycle: the
        others (and every account) keep their schedule. Cancellation and
        interrupts are not ``Exception`` and stop the daemon as they should.
        """
        try:
            await work
        except Exception as exc:
            self.metrics.job_failures[job] += 1
            log.error(
                "job failed; the others go on",
                job=job,
                error_type=type(exc).__name__,
                error=redact(str(exc)),
                exc_info=exc,
            )

    async def _notices(self, store: Store) -> None:
        sync_registry(store, self.config)
        warning = overdue_warning(store)
        if warning:
            log.warning("overdue notices", message=warning)

    async def _weekly_summary(self, store: Store) -> None:
        """Log the compliance summary of the week just ended, once a week (kept in hub_state)."""
        from ..compliance import log_weekly_summary, network_page_fields
        from ..compliance.summary import summary_due, summary_week

        ended = summary_week(self.config, datetime.now(UTC))
        week = ended.label
        if week == self._summary_week:
            return
        if not summary_due(store, self.config, ended):  # the first is the first full week
            self._summary_week = week
            return
        row = store.db.execute(
            "SELECT value FROM hub_state WHERE key = 'weekly_summary_logged'"
        ).fetchone()
        if row is None or row[0] != week:  # once a week, not once per start
            try:
                log_weekly_summary(store, self.config, page_fields=network_page_fields(self.pm))
            except HubError as exc:
                log.error("weekly compliance summary skipped", error=str(exc))
                return
            with store.transaction():
                store.db.execute(
                    "INSERT INTO hub_state (key, value, updated_at) VALUES "
                    "('weekly_summary_logged', ?, ?) ON CONFLICT(key) DO UPDATE SET "
                    "value = excluded.value, updated_at = excluded.updated_at",
                    [week, datetime.now(UTC).isoformat(timespec="seconds")],
                )
        self._summary_week = week

    def _without_tokens(self, accounts: list) -> list:
        """Park the accounts whose token variable is missing, so the others still sync.

        The variable cannot appear in a running process: the fix is to set it and
        restart (or change the config, which also tries parked accounts again).
        """
        ready = []
        for account in accounts:
            try:
                if not has_stored_token(self.config, account):  # 'hub auth' stored one
                    token_from_env(account)
            except HubError as exc:
                self._park(account, str(exc))
                self.metrics.errors[account.id] += 1  # counted like any failed sync
                self.metrics.failures[(account.id, account.network, "token_missing")] += 1
                log.error(
                    "account parked until its config changes",
                    account=account.id,
                    error=str(exc),
                    fix=f"set ${account.token_env} for the daemon and restart it",
                )
                continue
            ready.append(account)
        return ready

    async def _sync(self, store: Store, accounts: list) -> None:
        """Each network's due accounts side by side; one network's failure stays its own."""
        by_network: dict[str, list] = {}
        for account in self._without_tokens(accounts):
            by_network.setdefault(account.network, []).append(account)
        await asyncio.gather(*(self._sync_network(store, group) for group in by_network.values()))

    async def _sync_network(self, store: Store, accounts: list) -> None:
        try:
            runs = await run_sync(store, self.pm, self.config, accounts)
        except HubError as exc:  # a config problem (a token variable gone): say it, go on
            log.error("sync not started", error=str(exc), accounts=[a.id for a in accounts])
            self._retry_soon(accounts)
            return
        except Exception as exc:  # the network could not even start: its accounts, no more
            log.error(
                "sync failed unexpectedly",
                accounts=[a.id for a in accounts],
                network=accounts[0].network,
                error_type=type(exc).__name__,
                error=redact(str(exc)),
                exc_info=exc,
            )
            for account in accounts:
                self.metrics.failures[(account.id, account.network, "unexpected")] += 1
            self._retry_soon(accounts)
            return
        self._after_runs(runs)

    def _retry_soon(self, accounts: list) -> None:
        for account in accounts:
            self.next_sync[account.id] = time.time() + 60

    def _after_runs(self, runs: list) -> None:
        self.metrics.record_runs(runs)
        for run in runs:
            account = run.account
            self.next_sync[account.id] = time.time() + self.intervals.for_account(
                account.id, account.network
            )
            if run.token_rejected:
                self._park(account, run.error or "the network refused the token")
                log.error(
                    "account parked until its config changes",
                    account=account.id,
                    error=run.error,
                    fix=(
                        f"run 'hub auth {account.network} {account.id}' again"
                        if has_stored_token(self.config, account)
                        else f"put a valid token in ${account.token_env}"
                    ),
                )

    async def _publish(self, store: Store) -> None:
        """Due drafts of the content plan; one account's refusal never stops the others."""
        from ..plan.publish import publish_due

        try:
            outcomes = await publish_due(store, self.pm, self.config)
        except HubError as exc:
            log.error("publishing skipped", error=str(exc))
            return
        for outcome in outcomes:
            level = log.info if outcome.state == "published" else log.warning
            level(
                "publication",
                draft=outcome.draft_id,
                account=outcome.account_id,
                state=outcome.state,
                url=outcome.url,
                detail=outcome.detail or None,
            )

    async def _moderate(self, store: Store) -> None:
        from ..moderation import service

        try:
            report = await service.moderate(store, self.pm, self.config, self.config.accounts)
        except HubError as exc:
            log.error("moderation skipped", error=str(exc))
            return
        for resumed in report.resumed:
            (log.info if resumed.ok else log.warning)(
                "unfinished action resumed",
                account=resumed.account_id,
                action=resumed.action_id,
                kind=resumed.kind,
                outcome=resumed.outcome,
            )
        if report.stuck:
            log.warning("actions stuck", stuck=report.stuck, see="hub moderation stuck")
        self._log_appeals(store, report.appeals)
        counts = report.counts()
        if report.judged:
            log.info(
                "moderation",
                judged=len(report.judged),
                deleted=counts["delete"],
                queued=counts["review"],
                kept=counts["keep"],
            )
        for item in report.judged:
            if item.decision != "keep":
                log.info(
                    "moderation decision",
                    account=item.account.id,
                    comment=item.comment_id,
                    decision=item.decision,
                    category=item.verdict.category,
                    reason=item.verdict.reason,
                )

    def _log_appeals(self, store: Store, appeals) -> None:
        """New and answered appeals, and a warning while any wait past their deadline."""
        from ..appeals.service import overdue_count

        if appeals is not None and (appeals.opened or appeals.answered):
            log.info("appeals", opened=len(appeals.opened), answered=len(appeals.answered))
        overdue = overdue_count(store)
        if overdue:
            log.warning("appeals overdue", overdue=overdue, see="hub appeals list --overdue")

    async def _report(self, store: Store) -> None:
        if "gospabliki" not in self.config.raw:
            return
        from ..report import FirstReportWaiting, push

        try:
            outcome = await push(store, self.config, unattended=True)
        except FirstReportWaiting as exc:  # a person sends the first one; said once, not per cycle
            if not self._first_report_said:
                log.warning("first report waits for a person", message=str(exc))
                self._first_report_said = True
            return
        except HubError as exc:
            log.error("report not accepted", error=str(exc))
            return
        log.info("report accepted", receipt=outcome.receipt, notices=outcome.notices_marked)
