"""The week of the content plan (hub.plan.calendar): drafts and posts on their local day,
a published draft shown once, and the forecast against the norm as compliance counts it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hub.compliance.week import week_of
from hub.models import Post
from hub.plan import calendar, drafts
from hub.plan.settings import parse_plan
from tests.plan_fixtures import NOW, add, approved, due


def settings_of(env):
    return parse_plan(env[0].raw)


def this_week(env):
    return week_of(NOW, settings_of(env).time_zone)


def test_drafts_and_posts_sit_on_their_local_day_and_a_published_draft_once(env):
    config, _, store = env
    settings = settings_of(env)
    week = this_week(env)
    zone = settings.time_zone
    # Sunday 23:30 in Vladivostok is still that week, though it is Sunday 13:30 in UTC
    sunday_late = datetime.combine(week.sunday, datetime.min.time(), zone) + timedelta(
        hours=23, minutes=30
    )
    late = add(env, text="Поздно в воскресенье.", at=sunday_late.astimezone(UTC))
    out = approved(env, text="Уже вышел.", accounts=("A", "B"))
    due(env)
    assert drafts.load_draft(store, out.id).state == "published"
    store.upsert_posts(
        config.account("A"),
        [Post(network_id=500, published_at=int(NOW.timestamp()), text="Пост без черновика")],
    )
    add(env, text="Через неделю.", at=NOW + timedelta(days=7))

    entries = calendar.week_entries(store, [config.account("A")], week, settings)
    by_text = {e.headline: e for e in entries}
    assert set(by_text) == {"Поздно в воскресенье.", "Уже вышел.", "Пост без черновика"}
    assert by_text["Поздно в воскресенье."].day == week.sunday
    assert (by_text["Поздно в воскресенье."].state, by_text["Поздно в воскресенье."].draft_id) == (
        "draft",
        late.id,
    )
    published = by_text["Уже вышел."]
    assert (published.kind, published.target_state, published.url) == ("draft", "published", "u/1")
    assert by_text["Пост без черновика"].kind == "post"
    assert [e.account_id for e in entries] == ["A"] * 3  # B's row is not asked for
    assert calendar.week_entries(store, [], week, settings) == []


def test_the_forecast_counts_posts_out_and_approved_drafts_still_due(env):
    config, _, store = env
    settings = settings_of(env)
    week = this_week(env)
    account = config.account("A")
    approved(env, text="Вышел.")
    due(env)
    end = week.end(settings.time_zone)
    approved(env, text="Ещё выйдет.", at=end - timedelta(minutes=1))
    add(env, text="Не согласован.", at=end - timedelta(minutes=2))
    now = end - timedelta(hours=1)
    f = calendar.forecast(store, account, week, settings, now=now)
    assert (f.norm, f.published, f.planned, f.total, f.short, f.status) == (3, 1, 1, 2, 1, "yellow")
    ended = calendar.forecast(store, account, week, settings, now=end + timedelta(days=1))
    assert (ended.planned, ended.status) == (None, "red")  # a finished week has no forecast
    before = calendar.forecast(
        store, account, week, settings, now=week.start(settings.time_zone) - timedelta(days=1)
    )
    assert before.planned == 1  # an upcoming week: only what is due in it


def test_a_headline_is_the_title_or_the_first_line_cut_at_a_word():
    assert calendar.headline("Субботник", "что угодно") == "Субботник"
    assert calendar.headline(None, "\n  Первая строка\nвторая") == "Первая строка"
    long = "слово " * 20
    assert calendar.headline(None, long, width=20) == "слово слово слово …"
