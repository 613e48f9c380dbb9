"""Benchmark: the console's server time per screen on a large database, and the queue's paging.

Builds (once, cached in the temp folder by its parameters and the ISO week) a database of a
large municipality — 200 VK accounts of 20 organizations, 20,000 posts, 1,000,000 comments
of 100–180 characters with a verdict each (5,000 queued for review, many deleted, the rest
kept), 100,000 authors, drafts across the current week, sync runs, the registry — then serves
the console from this process (uvicorn in a thread, as ``tests/web/conftest.py`` does), signs
in an admin (every account) and a moderator limited to one organization, and asks each
screen ``--runs`` times.

Two times per request: *server* is measured inside the process by an ASGI wrapper round the
console's application, from the request's arrival to the last byte of its answer (the app
has no ``Server-Timing`` of its own); *round trip* is what an httpx client on loopback saw.
The target is the server time: median under 150 ms for every screen. Then the queue's first
and a deep page are timed, with the process's peak RSS before and after (paging must not
load the whole queue). A screen that is missing or answers an error is reported and the
others go on. Exits 1 if a target is missed or a screen could not be measured (a page
refused to the limited moderator's role with 403 is expected and reported as such).

    python bench/web.py                                  # 1 M comments, 5,000 queued
    python bench/web.py --comments 20000 --queued 500    # a quick check
    python bench/web.py --comments 2000 --queued 50 --accounts 4 --runs 2   # seconds
    python bench/web.py --rebuild                        # build the database again
    python bench/web.py --only /plan --profile /plan     # one screen, with a cProfile of it

The database is written by direct inserts (a minute for a million comments), in a child
process so the RSS figures are the console's, and without ``ANALYZE`` (the hub never runs
it, so the query planner sees what it sees on a real database). The host's load average is
printed first: other processes on a shared host slow every figure down.
"""

from __future__ import annotations

import argparse
import contextlib
import cProfile
import datetime as dt
import json
import multiprocessing
import os
import pstats
import random
import re
import resource
import shutil
import socket
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import uvicorn

from hub import operators, plugins
from hub.config import load_config
from hub.errors import HubError
from hub.moderation import audit
from hub.plan import drafts as plan_drafts
from hub.registry import sync_registry
from hub.store import Store
from hub.web.app import create_app
from hub.web.console import Console

TARGET_MS = 150.0
PASSWORD = "bench horse battery staple"
TOKEN_ENV = "HUB_BENCH_WEB_TOKEN"
#: bump when the generator changes, so an old cached database is not reused
GENERATOR_VERSION = 2
ADMIN, LIMITED = "bench-admin", "bench-moder"

_WORDS = (
    "администрация дорога двор улица школа садик поликлиника автобус остановка фонарь "
    "освещение снег уборка мусор контейнер площадка детская ремонт крыша подъезд вода "
    "отопление батареи тепло свет электричество газ трасса мост река парк сквер "
    "библиотека клуб праздник субботник депутат глава поселение район село деревня "
    "жители соседи пенсионеры дети родители учителя врачи очередь запись талон приём "
    "когда почему сколько можно опять снова наконец спасибо пожалуйста помогите "
    "обещали сделали сделают починили убрали вывезли покрасили заасфальтировали "
    "хорошо плохо давно вчера сегодня завтра утром вечером ночью неделю месяц год"
)
WORDS = _WORDS.split()
OPENINGS = (
    "Здравствуйте!",
    "Добрый день.",
    "Подскажите, пожалуйста,",
    "Уважаемая администрация,",
    "Спасибо за информацию.",
    "А у нас на улице",
    "Сколько можно ждать?",
    "Хочу поблагодарить",
)
INSULTS = ("идиоты", "дебилы", "бездари", "клоуны", "придурки")
CATEGORIES = ("insult", "aggression", "unlawful")
_FIRST = "Иван Мария Сергей Ольга Алексей Татьяна Николай Елена Дмитрий Анна"
_LAST = "Иванов Петров Сидоров Кузнецов Смирнов Попов Соколов Лебедев Козлов Новиков"
FIRST_NAMES, LAST_NAMES = _FIRST.split(), _LAST.split()


# -- the database -------------------------------------------------------------------------------


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _text(rng: random.Random, low: int = 100, high: int = 180) -> str:
    """A Russian-looking resident's comment of ``low``–``high`` characters."""
    goal = rng.randint(low, high)
    parts = [rng.choice(OPENINGS)]
    length = len(parts[0])
    while length < goal:
        word = rng.choice(WORDS)
        parts.append(word)
        length += len(word) + 1
    text = " ".join(parts)[:goal].rstrip()
    return text[0].upper() + text[1:] + "."


def _insult(rng: random.Random) -> tuple[str, str, int]:
    """A comment for the review queue: the text, the matched word and where it starts."""
    word = rng.choice(INSULTS)
    head = _text(rng, 40, 90)
    text = f"{head} Вы там все {word}, {_text(rng, 30, 60).lower()}"
    return text, word, text.index(word)


def _config_text(folder: Path, n_accounts: int, n_orgs: int) -> str:
    lines = [
        "[database]",
        'path = "hub.db"',
        "",
        "[networks.vk]",
        'api_base = "http://127.0.0.1:9"  # never called: the bench reads the database only',
        "",
        "[plan]",
        'time_zone = "Europe/Moscow"',
        "posts_per_week = 3",
        "",
    ]
    for o in range(n_orgs):
        level = "administration" if o == 0 else "subordinate"
        lines += ["[[organizations]]", f'name = "{_org(o)}"', f'level = "{level}"']
        if o:
            lines.append(f'parent = "{_org(0)}"')
        lines += [
            f'responsible = {{ name = "{FIRST_NAMES[o % 10]} {LAST_NAMES[o % 10]}", '
            f'position = "специалист по связям с общественностью", '
            f"since = 2025-01-{o % 27 + 1:02d} }}",
            "",
        ]
    for i in range(n_accounts):
        lines += [
            "[[accounts]]",
            f'id = "{_account(i)}"',
            'network = "vk"',
            f'external_id = "{200_000 + i}"',
            f'organization = "{_org(i % n_orgs)}"',
            f'token_env = "{TOKEN_ENV}"',
            "",
        ]
    return "\n".join(lines)


def _org(o: int) -> str:
    return "Администрация района" if o == 0 else f"МБОУ «Школа № {o}»"


def _account(i: int) -> str:
    return f"vk-{i:03d}"


def build(folder: Path, args: argparse.Namespace) -> None:
    """Write the config and a large database into ``folder`` (direct inserts, one transaction
    per table group: the library's upserts would take an hour for a million comments)."""
    rng = random.Random(16)
    started = time.perf_counter()
    folder.mkdir(parents=True, exist_ok=True)
    n_orgs = min(args.organizations, args.accounts)
    (folder / "hub.toml").write_text(_config_text(folder, args.accounts, n_orgs), "utf-8")
    config = load_config(folder / "hub.toml")
    store = Store.open(config.db_path)
    db = store.db.conn
    db.execute("PRAGMA synchronous = OFF")
    db.execute("PRAGMA cache_size = -400000")
    now = dt.datetime.now(dt.UTC).replace(microsecond=0)
    start = now - dt.timedelta(days=180)
    accounts = [a.id for a in config.accounts]

    sync_registry(store, config)
    with store.transaction():
        for n, account in enumerate(accounts):
            db.execute(
                "UPDATE accounts SET name = ?, screen_name = ?, url = ?, description = ?, "
                "members_count = ?, has_avatar = 1, has_cover = ?, verified = ?, is_closed = 0, "
                "meta_synced_at = ? WHERE id = ?",
                [
                    f"{config.account(account).organization} — официальная страница",
                    f"club{200_000 + n}",
                    f"https://vk.com/club{200_000 + n}",
                    "Официальная страница. Новости, объявления, приём граждан.",
                    rng.randint(150, 25_000),
                    int(n % 7 != 0),
                    int(n % 3 == 0),
                    _iso(now - dt.timedelta(minutes=rng.randint(1, 50))),
                    account,
                ],
            )

    n_authors = max(100, args.comments // 10)
    with store.transaction():
        db.executemany(
            "INSERT INTO authors (network, network_id, kind, name, screen_name, raw_json, "
            "updated_at) VALUES ('vk', ?, 'user', ?, ?, '{}', ?)",
            (
                (
                    10_000 + a,
                    f"{FIRST_NAMES[a % 10]} {LAST_NAMES[(a // 10) % 10]}",
                    f"id{10_000 + a}",
                    _iso(now),
                )
                for a in range(n_authors)
            ),
        )
        db.executemany(
            "INSERT INTO authors (network, network_id, kind, name, screen_name, raw_json, "
            "updated_at) VALUES ('vk', ?, 'community', ?, ?, '{}', ?)",
            ((-(200_000 + n), a, f"club{200_000 + n}", _iso(now)) for n, a in enumerate(accounts)),
        )

    # posts: spread over 180 days, the newer the denser; comments follow their post
    posts = []
    for p in range(1, args.posts + 1):
        n = p % len(accounts)
        at = start + dt.timedelta(seconds=int(180 * 86400 * rng.random() ** 0.7))
        posts.append((p, accounts[n], 1_000 + p, -(200_000 + n), at))
    posts.sort(key=lambda row: row[4])
    with store.transaction():
        db.executemany(
            "INSERT INTO posts (id, account_id, network_id, author_id, published_at, kind, "
            "is_pinned, text, url, comments_count, likes_count, reposts_count, views_count, "
            "attachments_json, raw_json, first_seen_at, last_seen_at, comments_synced_count, "
            "comments_synced_at) VALUES (?, ?, ?, ?, ?, 'post', 0, ?, ?, 0, ?, ?, ?, '[]', ?, "
            "?, ?, 0, ?)",
            (
                (
                    p,
                    account,
                    nid,
                    author,
                    _iso(at),
                    _text(rng, 200, 900),
                    f"https://vk.com/wall{author}_{nid}",
                    rng.randint(0, 300),
                    rng.randint(0, 40),
                    rng.randint(100, 20_000),
                    json.dumps({"id": nid, "owner_id": author}),
                    _iso(at),
                    _iso(now),
                    _iso(now),
                )
                for p, account, nid, author, at in posts
            ),
        )
    print(f"  {len(accounts)} accounts, {n_authors:,} authors, {len(posts):,} posts "
          f"({time.perf_counter() - started:.0f} s)", flush=True)  # fmt: skip

    texts = [_text(rng) for _ in range(20_000)]
    queued = set(rng.sample(range(args.comments), min(args.queued, args.comments)))
    deleted = {c for c in rng.sample(range(args.comments), args.comments // 50) if c not in queued}
    comment_rows, verdict_rows = [], []
    log_entries = []
    for c in range(args.comments):
        p, account, post_nid, _, post_at = posts[c * len(posts) // args.comments]
        at = min(now, post_at + dt.timedelta(seconds=int(3 * 86400 * rng.random() ** 3)))
        author = 10_000 + int(n_authors * rng.random() ** 2)
        cid = c + 1
        when = _iso(at)
        if c in queued or c in deleted:
            text, word, where = _insult(rng)
            category = rng.choice(CATEGORIES) if c in queued else "obscene"
        else:
            text, word, where, category = rng.choice(texts), None, None, None
        comment_rows.append((
            cid, account, p, 5_000_000 + cid, post_nid, author, when, text,
            rng.randint(0, 5), f'{{"id":{5_000_000 + cid},"from_id":{author},"date":"{when}",'
            f'"post_id":{post_nid},"likes":{{"count":0}}}}', when, _iso(now),
            when if c in deleted else None, "hub" if c in deleted else None,
            "deleted" if c in deleted else None,
        ))  # fmt: skip
        if c in queued:
            status, decision, action = "queued", "review", "review"
        elif c in deleted:
            status, decision, action = "done", "delete", "delete"
            log_entries.append((account, cid, category, text))
        else:
            status, decision, action = "kept", "keep", "keep"
        verdict_rows.append((
            cid, account, action, decision, category, category and f"{category}-lexicon",
            word, None if where is None else f"[{where}, {where + len(word)}]",
            category and f"слово «{word}»", 0, text, "none", 0, status,
            "engine" if status != "queued" else None, when, when,
        ))  # fmt: skip
        if len(comment_rows) == 100_000:
            _insert_comments(store, comment_rows, verdict_rows)
            comment_rows, verdict_rows = [], []
            print(f"  {c + 1:,} comments ({time.perf_counter() - started:.0f} s)", flush=True)
    _insert_comments(store, comment_rows, verdict_rows)
    with store.transaction():
        db.execute(
            "UPDATE posts SET comments_count = (SELECT COUNT(*) FROM comments "
            "WHERE comments.post_id = posts.id), comments_synced_count = (SELECT COUNT(*) "
            "FROM comments WHERE comments.post_id = posts.id)"
        )
        for account, cid, category, text in log_entries[:20_000]:
            key = f"delete_comment:{account}:{5_000_000 + cid}"
            db.execute(
                "INSERT INTO actions (idempotency_key, account_id, kind, target, params_json, "
                "state, attempts, result_json, requested_by, created_at, updated_at) "
                "VALUES (?, ?, 'delete_comment', ?, ?, 'done', 1, '{}', 'engine', ?, ?)",
                [key, account, str(5_000_000 + cid), json.dumps({"comment_id": 5_000_000 + cid}),
                 _iso(now), _iso(now)],
            )  # fmt: skip
            done = db.execute("SELECT last_insert_rowid()").fetchone()[0]
            for event, action_id in (("verdict:delete", None), ("delete_comment", done)):
                audit.append(store, account_id=account, comment_id=cid, actor="engine",
                             event=event, category=category, rule=f"{category}-lexicon",
                             comment_text=text, action_id=action_id)  # fmt: skip

    _sync_history(store, accounts, now, rng)
    _drafts(store, config, accounts, now, rng)
    # no ANALYZE: the hub never runs it, so the planner sees what it sees on a real database
    store.close()
    size = (folder / "hub.db").stat().st_size / 2**20
    print(f"  built in {time.perf_counter() - started:.0f} s: {size:,.0f} MiB", flush=True)


def _insert_comments(store: Store, comments: list[tuple], verdicts: list[tuple]) -> None:
    with store.transaction():
        store.db.conn.executemany(
            "INSERT INTO comments (id, account_id, post_id, network_id, post_network_id, "
            "author_id, published_at, text, likes_count, raw_json, first_seen_at, last_seen_at, "
            "deleted_at, deleted_by, moderation_status, is_placeholder, attachments_json) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, '[]')",
            comments,
        )
        store.db.conn.executemany(
            "INSERT INTO verdicts (comment_id, account_id, engine_action, decision, category, "
            "rule, match, span_json, reason, criticism, judged_text, restrict_action, "
            "restrict_days, status, decided_by, judged_at, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            verdicts,
        )


def _sync_history(store: Store, accounts: list[str], now: dt.datetime, rng: random.Random):
    """A week of syncs every 5 minutes per account; a few accounts failing or paused."""
    runs = []
    for n, account in enumerate(accounts):
        for k in range(7 * 24 * 12 if n < 20 else 7 * 24):
            at = now - dt.timedelta(minutes=5 * k if n < 20 else 60 * k)
            failed = n % 37 == 5 and k < 3
            runs.append((
                account, _iso(at), _iso(at + dt.timedelta(seconds=rng.randint(1, 40))),
                "failed" if failed else "ok", rng.randint(0, 2), rng.randint(0, 5),
                rng.randint(0, 30), rng.randint(0, 10), 0,
                "VK error 5: User authorization failed: invalid access_token" if failed else None,
            ))  # fmt: skip
    with store.transaction():
        store.db.conn.executemany(
            "INSERT INTO sync_runs (account_id, started_at, finished_at, status, posts_new, "
            "posts_updated, comments_new, comments_updated, comments_deleted, error) "
            "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            runs,
        )
        for n, account in enumerate(accounts):
            paused = n % 41 == 7
            failed = n % 37 == 5
            store.db.execute(
                "INSERT INTO sync_state (account_id, posts_high_water, last_started_at, "
                "last_finished_at, last_status, last_error, paused_until, pause_reason) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    account, 1_000_000, _iso(now), _iso(now),
                    "failed" if failed else "paused" if paused else "ok",
                    "VK error 5: User authorization failed: invalid access_token"
                    if failed else None,
                    _iso(now + dt.timedelta(hours=2)) if paused else None,
                    "VK error 29: rate limit reached" if paused else None,
                ],
            )  # fmt: skip


def _drafts(store: Store, config, accounts: list[str], now: dt.datetime, rng: random.Random):
    """About three drafts per account over the current week, in every state."""
    pm = plugins.make_plugin_manager()
    monday = (now - dt.timedelta(days=now.weekday())).replace(hour=6, minute=0, second=0)
    n_drafts = max(4, len(accounts) * 3 // 2)
    for d in range(n_drafts):
        targets = [config.account(accounts[(d + k * 7) % len(accounts)]) for k in range(2)]
        if targets[0].id == targets[1].id:
            targets = targets[:1]
        at = monday + dt.timedelta(hours=rng.randint(0, 6 * 24 + 12))
        draft, _ = plan_drafts.add_draft(
            store, pm, config, accounts=targets, publish_at=at, created_by="bench-author",
            text=_text(rng, 300, 900) + " В рамках реализации мероприятий осуществляется работа.",
        )  # fmt: skip
        state = ("draft", "approved", "published", "rejected")[d % 4]
        if state == "rejected":
            plan_drafts.reject(store, draft.id, "bench-approver", "нужна фотография")
        elif state != "draft":
            plan_drafts.approve(store, config, draft.id, "bench-approver")
        if state == "published":
            with store.transaction():
                store.db.execute("UPDATE drafts SET state = 'published' WHERE id = ?", [draft.id])
                for target in targets:
                    nid = 900_000 + draft.id
                    store.db.execute(
                        "UPDATE draft_targets SET state = 'published', attempts = 1, "
                        "first_sent_at = ?, published_at = ?, post_network_id = ?, url = ? "
                        "WHERE draft_id = ? AND account_id = ?",
                        [_iso(at), _iso(at), nid, f"https://vk.com/wall-1_{nid}", draft.id,
                         target.id],
                    )  # fmt: skip


def database(args: argparse.Namespace) -> Path:
    """The cached folder for these parameters (built if missing or ``--rebuild``)."""
    week = dt.date.today().isocalendar()
    key = (
        f"c{args.comments}-q{args.queued}-a{args.accounts}-o{args.organizations}-p{args.posts}"
        f"-w{week.year}W{week.week:02d}-v{GENERATOR_VERSION}"
    )
    root = Path(args.folder or Path(tempfile.gettempdir()) / "hub-bench-web")
    folder = root / key
    if args.rebuild and folder.exists():
        shutil.rmtree(folder)
    if not (folder / "ready").exists():
        if folder.exists():
            shutil.rmtree(folder)  # a build that stopped half-way
        print(f"building {folder} ...", flush=True)
        # in a child process, so the peak RSS reported later is the console's, not the build's
        child = multiprocessing.get_context("fork").Process(target=build, args=(folder, args))
        child.start()
        child.join()
        if child.exitcode != 0:
            raise SystemExit(f"building the database failed (exit code {child.exitcode})")
        (folder / "ready").write_text("ok")
    else:
        print(f"database: {folder} (cached; --rebuild builds it again)")
    return folder


# -- the console ------------------------------------------------------------------------------


class Timed:
    """An ASGI wrapper that records each request's server time (arrival → last body byte)."""

    def __init__(self, app, profile: str | None = None):
        self.app = app
        self.times: dict[str, float] = {}
        #: ``--profile PATH``: the requests of that page are run under cProfile
        self.profile_path = profile
        self.profile = cProfile.Profile() if profile else None
        #: the exception a request's handler let out, by marker (uvicorn's trace is silenced)
        self.errors: dict[str, str] = {}

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started = time.perf_counter()
        marker = dict(scope.get("headers") or []).get(b"x-bench-id", b"").decode()

        async def timed_send(message):
            # noted before each part of the body goes out (the last one noted wins), so the
            # client, which stops reading at Content-Length, never finishes before the note
            if message["type"] == "http.response.body":
                self.times[marker] = (time.perf_counter() - started) * 1000
            await send(message)

        target = scope["path"] + (
            f"?{scope['query_string'].decode()}" if scope["query_string"] else ""
        )
        profiling = self.profile is not None and target == self.profile_path
        try:
            if profiling:
                self.profile.enable()
            return await self.app(scope, receive, timed_send)
        except Exception as exc:
            self.errors[marker] = f"{type(exc).__name__}: {str(exc)[:160]}"
            raise
        finally:
            if profiling:
                self.profile.disable()


class Served:
    """The console served by uvicorn in a thread (as tests/web/conftest.py's ServedConsole)."""

    def __init__(self, console: Console, profile: str | None = None):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.timed = Timed(create_app(console), profile)
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.timed, host="127.0.0.1", port=self.port, log_level="critical",
                access_log=False, lifespan="off",
            )
        )  # fmt: skip
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self) -> Served:
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the console did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=10)


def add_operators(config_path: Path) -> None:
    store = Store.open(load_config(config_path).db_path)
    try:
        for login, role, orgs in ((ADMIN, "admin", ()), (LIMITED, "moderator", (_org(1),))):
            with contextlib.suppress(HubError):  # a cached database has them already
                operators.add(store, login, role, PASSWORD, orgs)
        store.db.execute("DELETE FROM review_locks")  # left by an earlier run's pages
    finally:
        store.close()


CSRF = re.compile(r'name="csrf(?:-token)?" (?:value|content)="([^"]+)"')


def sign_in(url: str, login: str) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=60)
    page = client.get("/login")
    found = CSRF.search(page.text)
    if not found:
        raise RuntimeError("no CSRF token on the sign-in page")
    answer = client.post(
        "/login", data={"login": login, "password": PASSWORD, "csrf": found.group(1)}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"sign-in of {login} failed: {answer.status_code}")
    return client


# -- the pages --------------------------------------------------------------------------------

#: the foundation's placeholder page of a screen not written yet
PLACEHOLDER = re.compile(r"<h1>(moderation|plan|compliance|registry|accounts)</h1>")
PATH_PARAM = re.compile(r"\{([a-zA-Z_][a-zA-Z0-9_]*)(?::[a-z]+)?\}")


def examples(db_path: Path, limited_accounts: list[str]) -> dict[str, str]:
    """A value for each kind of path parameter a screen's detail page may take, chosen
    within the limited moderator's organization so both operators may open it."""
    store = Store.open(db_path)
    try:
        one = store.db.execute
        marks = ",".join("?" for _ in limited_accounts)
        verdict = one(
            f"SELECT id, comment_id FROM verdicts WHERE status = 'queued' AND account_id IN "
            f"({marks}) ORDER BY id LIMIT 1",
            limited_accounts,
        ).fetchone() or (0, 0)
        draft = one(
            f"SELECT draft_id FROM draft_targets WHERE account_id IN ({marks}) LIMIT 1",
            limited_accounts,
        ).fetchone() or (0,)
        post = one(
            f"SELECT id FROM posts WHERE account_id IN ({marks}) ORDER BY published_at DESC "
            "LIMIT 1",
            limited_accounts,
        ).fetchone() or (0,)
        org = one("SELECT id, name FROM organizations WHERE name = ?", [_org(1)]).fetchone()
    finally:
        store.close()
    return {
        "verdict": str(verdict[0]),
        "item": str(verdict[0]),
        "comment": str(verdict[1]),
        "draft": str(draft[0]),
        "post": str(post[0]),
        "account": limited_accounts[0],
        "organization": org[1] if org else _org(1),
        "org": org[1] if org else _org(1),
        "name": org[1] if org else _org(1),
        "id": str(verdict[0]),
        "fmt": "csv",
        "format": "csv",
    }


def screen_paths(values: dict[str, str]) -> tuple[list[str], list[str]]:
    """The GET pages the screens define (detail pages filled in); and what had to be skipped."""
    from hub.web import screens

    paths, skipped = [], []
    for route in screens.routes():
        path = getattr(route, "path", None)
        if not path or "GET" not in (getattr(route, "methods", None) or {"GET"}):
            continue
        filled, ok = path, True
        for name in PATH_PARAM.findall(path):
            key = next((k for k in values if k in name.lower()), None)
            if key is None:
                ok = False
                break
            filled = PATH_PARAM.sub(lambda m, v=values[key]: v, filled, count=1)
        (paths if ok else skipped).append(filled if ok else path)
    return list(dict.fromkeys(paths)), skipped


def queue_page_param() -> str | None:
    """The moderation screen's paging parameter, read from its source (``page`` or ``offset``
    or ``after``), or None if it has none yet."""
    from hub.web.screens import moderation

    source = Path(moderation.__file__).read_text("utf-8")
    for name in ("page", "offset", "after", "cursor", "before"):
        if re.search(rf"""\.get\(\s*["']{name}["']|query_params\[\s*["']{name}["']""", source):
            return name
    return None


def measure(
    client: httpx.Client, served: Served, path: str, runs: int
) -> tuple[list[float], list[float], str | None]:
    """Server and round-trip times (ms) of ``runs`` GETs, and the problem, if any."""
    server, trip = [], []
    for n in range(runs):
        marker = f"{path}#{n}#{time.perf_counter_ns()}"
        started = time.perf_counter()
        try:
            answer = client.get(path, headers={"x-bench-id": marker})
        except httpx.HTTPError as exc:
            error = served.timed.errors.pop(marker, None)
            return server, trip, f"server error: {error or exc}"
        trip.append((time.perf_counter() - started) * 1000)
        server.append(served.timed.times.pop(marker, float("nan")))
        ANSWER_BYTES[path] = len(answer.content)
        if served.timed.errors.get(marker):
            return server, trip, f"server error: {served.timed.errors.pop(marker)}"
        if n == 0 and PLACEHOLDER.search(answer.text):
            return server, trip, "not written yet (the foundation's placeholder)"
        if answer.status_code != 200:
            problem = f"HTTP {answer.status_code}"
            if answer.status_code in (301, 302, 303, 307):
                problem += f" → {answer.headers.get('location')}"
            error = re.search(r'class="[^"]*error[^"]*"[^>]*>(.*?)<', answer.text, re.S)
            return server, trip, problem + (f": {error.group(1).strip()[:120]}" if error else "")
    return server, trip, None


#: the size of each page's last answer (the queue's pages: one page, not the whole queue)
ANSWER_BYTES: dict[str, int] = {}


def row(label: str, server: list[float], trip: list[float]) -> tuple[str, bool]:
    med = statistics.median(server)
    ok = med < TARGET_MS
    line = (
        f"  {label:<44} server min {min(server):7.1f}  median {med:7.1f}  max {max(server):7.1f}"
        f"   round trip median {statistics.median(trip):7.1f} ms   {'PASS' if ok else 'FAIL'}"
    )
    return line, ok


def peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def bench_console(
    folder: Path,
    runs: int,
    deep_page: int,
    profile: str | None = None,
    only: list[str] | None = None,
) -> int:
    os.environ[TOKEN_ENV] = "vk1.a.bench-not-a-real-token"
    os.environ["HUB_SECRETS"] = str(folder / "hub.secrets.json")
    config_path = folder / "hub.toml"
    print("load average (1, 5, 15 min): {:.2f} {:.2f} {:.2f} on {} CPUs".format(
        *os.getloadavg(), os.cpu_count()))  # fmt: skip
    add_operators(config_path)
    config = load_config(config_path)
    limited_accounts = [a.id for a in config.accounts if a.organization == _org(1)]
    values = examples(config.db_path, limited_accounts)
    paths, skipped = screen_paths(values)
    if only:
        paths = [p for p in paths if any(p.startswith(o) for o in only)]
    print(
        "server = inside this process, from the request's arrival at the console's ASGI app to "
        "its last body byte;\nround trip = an httpx client on loopback; target: server median "
        f"< {TARGET_MS:.0f} ms"
    )
    print(
        f"detail pages opened with: queued item #{values['verdict']}, draft #{values['draft']}, "
        f"account {values['account']}, organization «{values['organization']}»"
    )
    param = queue_page_param()
    failed: list[str] = []
    unmeasured: list[str] = []
    console = Console(str(config_path))
    with Served(console, profile) as served:
        for login, who in ((ADMIN, "admin, every account"),
                           (LIMITED, f"moderator of «{_org(1)}», {len(limited_accounts)} "
                                     "accounts")):  # fmt: skip
            client = sign_in(f"http://127.0.0.1:{served.port}", login)
            print(f"\n{login} ({who}); {runs} runs per page, times in ms")
            for path in paths:
                server, trip, problem = measure(client, served, path, runs)
                if problem and problem.startswith("HTTP 403"):
                    print(f"  {path:<44} refused to this role, as it should be ({problem})")
                    continue
                if problem:
                    print(f"  {path:<44} {problem}")
                    unmeasured.append(f"{login} {path}: {problem}")
                    continue
                line, ok = row(path, server, trip)
                print(line)
                if not ok:
                    failed.append(f"{login} {path}")
            client.close()
        for path in skipped:
            print(f"  (skipped {path}: no example value for its parameter)")

        print(f"\nthe review queue's paging (parameter {param!r})" if param else
              "\nthe review queue's paging: the moderation screen reads no paging parameter yet"
              " (page 1 only)")  # fmt: skip
        client = sign_in(f"http://127.0.0.1:{served.port}", ADMIN)
        pages = [("/moderation", "page 1")]
        if deep_page == 1:
            print("  (the queue has one page: no deeper page to time)")
        elif param == "page":
            pages.append((f"/moderation?page={deep_page}", f"page {deep_page}"))
        elif param == "offset":
            pages.append((f"/moderation?offset={(deep_page - 1) * 50}", f"page {deep_page}"))
        elif param:
            deep = _deep_cursor(config.db_path, deep_page)
            pages.append((f"/moderation?{param}={deep}", f"page {deep_page} ({param}={deep})"))
        for path, label in pages:
            before = peak_rss_mib()
            server, trip, problem = measure(client, served, path, runs)
            after = peak_rss_mib()
            if problem:
                print(f"  {label}: {path} {problem}")
                unmeasured.append(f"queue {label}: {problem}")
                continue
            line, ok = row(f"{label}: {path}", server, trip)
            print(line)
            print(
                f"    answer {ANSWER_BYTES[path] / 1024:,.0f} KiB; peak RSS of the process "
                f"before {before:,.0f} MiB, after {after:,.0f} MiB"
            )
            if not ok:
                failed.append(f"queue {label}")
        client.close()
    console.close()
    if served.timed.profile is not None:
        print(f"\nprofile of {profile} (every run, both operators), by cumulative time:")
        stats = pstats.Stats(served.timed.profile).sort_stats("cumulative")
        stats.print_stats(r"/hub/|/hub_|sqlite3|jinja2/environment", 30)
    print()
    for name in failed:
        print("TARGET MISSED:", name)
    for name in unmeasured:
        print("NOT MEASURED:", name)
    if not failed:
        print("every screen measured answered under the target" + (
            "; some could not be measured (above)" if unmeasured else ""))  # fmt: skip
    return 1 if failed or unmeasured else 0


def _deep_cursor(db_path: Path, page: int, size: int = 50) -> int:
    """The verdict id a keyset paging would continue after, for page ``page``."""
    store = Store.open(db_path)
    try:
        found = store.db.execute(
            "SELECT id FROM verdicts WHERE status = 'queued' ORDER BY id LIMIT 1 OFFSET ?",
            [(page - 1) * size - 1],
        ).fetchone()
        return found[0] if found else 0
    finally:
        store.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--comments", type=int, default=1_000_000)
    parser.add_argument("--queued", type=int, default=5_000, help="verdicts waiting for review")
    parser.add_argument("--accounts", type=int, default=200)
    parser.add_argument("--organizations", type=int, default=20)
    parser.add_argument("--posts", type=int, default=None, help="default: 100 per account")
    parser.add_argument("--runs", type=int, default=20, help="requests per page")
    parser.add_argument("--deep-page", type=int, default=50, help="the deep queue page to time")
    parser.add_argument("--rebuild", action="store_true", help="build the database again")
    parser.add_argument("--folder", default=None, help="where databases are cached")
    parser.add_argument("--profile", metavar="PATH", help="profile this page (e.g. /accounts)")
    parser.add_argument(
        "--only", metavar="PREFIX", action="append", help="time only pages starting so (repeat)"
    )
    args = parser.parse_args(argv)
    if args.posts is None:
        args.posts = 100 * args.accounts
    args.queued = min(args.queued, args.comments)
    folder = database(args)
    # the deep page exists: at most the queue's last page of 50 (the screen's page size)
    deep_page = max(1, min(args.deep_page, -(-args.queued // 50)))
    return bench_console(folder, args.runs, deep_page, args.profile, args.only)


if __name__ == "__main__":
    sys.exit(main())
