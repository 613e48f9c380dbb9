"""A seeded municipality in Vladivostok for the compliance tests (no network is called).

Week 2026-W10 runs Mon 2026-03-02 to Sun 2026-03-08 local time, which is
2026-03-01T14:00Z to 2026-03-08T14:00Z; W11 is the next one. Times are written in
local time (UTC+10) and stored in UTC, as a sync would.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from hub.config import Config, load_config
from hub.models import AccountMeta, Post
from hub.registry import sync_registry
from hub.registry.model import attest
from hub.registry.notices import mark_notices_sent, open_notice
from hub.registry.settings import NoticeSettings
from hub.store import Store

VLADIVOSTOK = ZoneInfo("Asia/Vladivostok")
ADM = "Администрация Заречного сельсовета"
DK = "Дом культуры"
BUH = "Централизованная бухгалтерия"
SCHOOL = "Школа"
PAGE_FIELDS = {
    "vk": frozenset({"description", "contacts", "working_hours", "website", "avatar", "cover"}),
    "ok": frozenset({"description", "contacts", "working_hours", "website", "avatar", "cover"}),
    "telegram": frozenset({"description", "avatar", "working_hours"}),
}
CANARY = "vk1.a.CANARY-compliance-do-not-leak"
#: every account's first sync (local time): the weeks from W06 on are judged
INSTALLED = "2026-02-02 09:00"

CONFIG = f"""
[database]
path = "hub.db"

[plan]
time_zone = "Asia/Vladivostok"
posts_per_week = 3

[plan.norms]
"{ADM}" = 2

[[organizations]]
name = "{ADM}"
level = "administration"

[[organizations]]
name = "{DK}"
level = "subordinate"
parent = "{ADM}"

[[organizations]]
name = "{BUH}"
level = "subordinate"
parent = "{ADM}"
exempt = true
exempt_reason = "соглашение от 01.02.2024"

[[organizations]]
name = "{SCHOOL}"
level = "subordinate"
parent = "{ADM}"

[[accounts]]
id = "adm-vk"
network = "vk"
external_id = "1001"
organization = "{ADM}"
token_env = "HUB_TEST_VK"

[[accounts]]
id = "adm-ok"
network = "ok"
external_id = "2002"
organization = "{ADM}"
token_env = "HUB_TEST_OK"

[[accounts]]
id = "dk-tg"
network = "telegram"
external_id = "-1003003"
organization = "{DK}"
token_env = "HUB_TEST_TG"
"""


def local(text: str) -> datetime:
    """'2026-03-02 00:10' in Vladivostok → an aware UTC datetime."""
    return datetime.fromisoformat(text).replace(tzinfo=VLADIVOSTOK).astimezone(UTC)


def ts(text: str) -> int:
    return int(local(text).timestamp())


def utc(text: str) -> str:
    return local(text).isoformat(timespec="seconds").replace("+00:00", "Z")


def _posts(store: Store, account, author: int, times: list[str], first_id: int = 1) -> None:
    store.upsert_posts(
        account,
        [
            Post(network_id=first_id + n, published_at=ts(t), text=f"пост {t}", author_id=author)
            for n, t in enumerate(times)
        ],
    )


def _comment(
    store: Store,
    account_id: str,
    network_id: int,
    *,
    published: str | None,
    deleted: str | None,
    deleted_by: str | None = "hub",
    first_seen: str | None = None,
    decision: str | None = "delete",
    status: str = "done",
    action: bool = False,
) -> None:
    cursor = store.db.execute(
        "INSERT INTO comments (account_id, network_id, post_network_id, author_id, "
        "published_at, text, is_placeholder, first_seen_at, last_seen_at, deleted_at, "
        "deleted_by) VALUES (?, ?, 1, 555, ?, 'текст', 0, ?, ?, ?, ?)",
        [
            account_id,
            network_id,
            utc(published) if published else None,
            utc(first_seen or published),
            utc(first_seen or published),
            utc(deleted) if deleted else None,
            deleted_by if deleted else None,
        ],
    )
    if decision:
        store.db.execute(
            "INSERT INTO verdicts (comment_id, account_id, engine_action, decision, category, "
            "status, decided_by, judged_at, updated_at) VALUES (?, ?, ?, ?, 'obscene', ?, "
            "'engine', ?, ?)",
            [cursor.lastrowid, account_id, decision, decision, status, utc(first_seen or published)]
            + [utc(first_seen or published)],
        )
    if action:
        store.db.execute(
            "INSERT INTO actions (idempotency_key, account_id, kind, target, state, attempts, "
            "requested_by, created_at, updated_at) VALUES (?, ?, 'delete_comment', ?, 'done', 1, "
            "'cli', ?, ?)",
            [f"delete_comment:{account_id}:{network_id}", account_id, str(network_id)]
            + [utc(deleted), utc(deleted)],
        )


def sync_run(store: Store, account_id: str, started: str, *, status: str = "ok") -> None:
    """A sync of ``account_id`` started at ``started`` (local time): the hub watched it since."""
    store.record_run(
        {
            "account_id": account_id,
            "started_at": utc(started),
            "finished_at": utc(started),
            "status": status,
        }
    )


def _draft(store: Store, account_id: str, publish_at: str, *, state="approved", target="pending"):
    cursor = store.db.execute(
        "INSERT INTO drafts (text, publish_at, state, created_by, created_at, updated_at) "
        "VALUES ('Анонс', ?, ?, 'test', ?, ?)",
        [utc(publish_at), state, utc("2026-03-01 10:00"), utc("2026-03-01 10:00")],
    )
    store.db.execute(
        "INSERT INTO draft_targets (draft_id, account_id, state, guid, updated_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [cursor.lastrowid, account_id, target, f"g{cursor.lastrowid}", utc("2026-03-01 10:00")],
    )


def seed(folder: Path) -> Config:
    """Write the config and fill its database; return the loaded config."""
    path = folder / "hub.toml"
    path.write_text(CONFIG, encoding="utf-8")
    config = load_config(path)
    store = Store.open(config.db_path)
    try:
        sync_registry(store, config, today=date(2026, 3, 6))
        vk, ok, tg = (config.account(i) for i in ("adm-vk", "adm-ok", "dk-tg"))
        for account_id in ("adm-vk", "adm-ok", "dk-tg"):  # the hub was installed in W06
            sync_run(store, account_id, INSTALLED)
        store.save_account_meta(
            vk,
            AccountMeta(
                name="Администрация Заречного",
                description="Новости села. Часы работы: пн–пт 9:00–17:00.",
                site="https://zarechnoe.example",
                contacts=[{"user_id": 5, "desc": "глава"}, {"phone": "+7 385 000-00-00"}],
                has_avatar=True,
                has_cover=True,
                url="https://vk.com/zarechnoe",
            ),
        )
        store.save_account_meta(
            ok,
            AccountMeta(
                name="Заречный сельсовет",
                description="Новости поселения. Концерт в пятницу в 18:00",
                contacts=[{"email": "adm@zarechnoe.example"}],
                has_avatar=True,
                url="https://ok.ru/group/2002",
            ),
        )
        store.save_account_meta(
            tg,
            AccountMeta(
                name="ДК Заречное",
                description="Дом культуры. Режим работы: ежедневно с 10.00 до 20.00",
                raw={"id": -1003003},
                url="https://t.me/dk_zarechnoe",
            ),
        )
        # adm-vk, own author -1001: Sunday 23:30 local before W10 and Monday 00:10 after it
        # are the boundaries; a resident's post and a post removed mid-week do not count.
        _posts(
            store,
            vk,
            -1001,
            ["2026-03-01 23:30", "2026-03-02 00:10", "2026-03-08 23:30", "2026-03-09 00:10"],
        )
        _posts(store, vk, 555, ["2026-03-04 12:00"], first_id=10)
        _posts(store, vk, -1001, ["2026-03-03 12:00"], first_id=20)
        store.db.execute(
            "UPDATE posts SET deleted_at = ? WHERE account_id = 'adm-vk' AND network_id = 20",
            [utc("2026-03-04 09:00")],
        )
        _posts(store, ok, -2002, ["2026-03-04 12:00"])  # adm-ok: 1 of 2
        _posts(store, tg, -1003003, ["2026-03-02 10:00", "2026-03-05 10:00", "2026-03-07 10:00"])
        # offending comments on adm-vk: 30 min, 2 h, and 10 min by an operator's delete
        _comment(store, "adm-vk", 1, published="2026-03-03 10:00", deleted="2026-03-03 10:30")
        _comment(store, "adm-vk", 2, published="2026-03-04 10:00", deleted="2026-03-04 12:00")
        _comment(
            store,
            "adm-vk",
            3,
            published="2026-03-05 10:00",
            deleted="2026-03-05 10:10",
            decision=None,
            action=True,
        )
        # not counted: wiped with a ban, removed before the week, kept and removed by its author
        _comment(
            store,
            "adm-vk",
            4,
            published="2026-03-05 10:00",
            deleted="2026-03-05 11:00",
            decision=None,
        )
        _comment(store, "adm-vk", 5, published="2026-02-27 10:00", deleted="2026-02-28 10:00")
        _comment(
            store,
            "adm-vk",
            6,
            published="2026-03-05 10:00",
            deleted="2026-03-06 10:00",
            deleted_by="network",
            decision="keep",
            status="kept",
        )
        # adm-ok: no publication time (first seen instead), 30 h; one still up at the week's end
        _comment(
            store,
            "adm-ok",
            7,
            published=None,
            first_seen="2026-03-06 10:00",
            deleted="2026-03-07 16:00",
        )
        _comment(store, "adm-ok", 8, published="2026-03-08 10:00", deleted=None, status="failed")
        attest(store, "adm-vk", {"two_factor": True, "gospabliki": True}, actor="test")
        attest(store, "adm-ok", {"two_factor": False}, actor="test")
        # an overdue notice about ДК, and one about adm-ok delivered late (the Monday after W10)
        settings = NoticeSettings()
        open_notice(
            store,
            kind="responsible_changed",
            organization=DK,
            details={"to": {"name": "Петрова А. А.", "position": "директор"}},
            occurred=date(2026, 2, 10),
            settings=settings,
            actor="test",
        )
        late = open_notice(
            store,
            kind="account_created",
            organization=ADM,
            account_id="adm-ok",
            occurred=date(2026, 2, 10),
            settings=settings,
            actor="test",
        )
        mark_notices_sent(store, [late], "ЦУР-17")
        store.db.execute(
            "UPDATE notices SET sent_at = ? WHERE id = ?", [utc("2026-03-09 11:00"), late]
        )
        # the content plan for W11 (now: Thursday 2026-03-12 12:00 local)
        _draft(store, "adm-vk", "2026-03-14 10:00")  # counts: due Saturday
        _draft(store, "adm-ok", "2026-03-13 10:00")  # counts, but 1 is not enough for 2
        _draft(store, "adm-ok", "2026-03-13 11:00", state="draft")  # not approved
        _draft(store, "adm-ok", "2026-03-16 10:00")  # due next week
        _draft(store, "adm-ok", "2026-03-10 10:00", target="published")  # already a post
        _draft(store, "dk-tg", "2026-03-19 10:00")  # in W12, for the upcoming week
    finally:
        store.close()
    return config
