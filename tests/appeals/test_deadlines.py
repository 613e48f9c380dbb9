"""When an appeal is due (issue 17): 24 hours round the clock by default; across a weekend and
a holiday with working days on; inside working hours; per organization; bad settings refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.appeals.deadlines import due_at
from hub.appeals.settings import parse_appeals
from hub.errors import ConfigError

FRIDAY_5PM_MSK = datetime(2026, 12, 11, 14, 0, tzinfo=UTC)


def _due(raw, received=FRIDAY_5PM_MSK, organization=None):
    settings = parse_appeals(raw)
    return due_at(received, settings.deadline_for(organization), settings)


def test_by_default_a_day_round_the_clock():
    assert _due({}) == datetime(2026, 12, 12, 14, 0, tzinfo=UTC)


def test_working_days_skip_the_weekend():
    due = _due({"appeals": {"working_days": True}})
    assert due == datetime(2026, 12, 14, 14, 0, tzinfo=UTC)  # Monday 17:00 in Moscow


def test_working_hours_on_working_days():
    raw = {
        "appeals": {"working_days": True, "working_hours": "09:00-18:00", "answer_within_hours": 8}
    }
    # one hour on Friday, seven on Monday from 09:00: 16:00 Moscow
    assert _due(raw) == datetime(2026, 12, 14, 13, 0, tzinfo=UTC)


def test_new_year_holidays_are_not_working_days():
    received = datetime(2026, 12, 31, 12, 0, tzinfo=UTC)  # Thursday 15:00 in Moscow
    due = _due({"appeals": {"working_days": True}}, received)
    assert due.date() > datetime(2027, 1, 8).date()  # 1–8 January are holidays


def test_the_plan_time_zone_sets_the_working_day():
    raw = {
        "appeals": {"working_days": True, "working_hours": "09:00-18:00", "answer_within_hours": 1},
        "plan": {"time_zone": "Asia/Vladivostok"},
    }
    received = datetime(2026, 12, 14, 0, 30, tzinfo=UTC)  # Monday 10:30 in Vladivostok
    assert _due(raw, received) == datetime(2026, 12, 14, 1, 30, tzinfo=UTC)


def test_an_organization_may_have_its_own_deadline():
    raw = {"appeals": {"organizations": {"Школа": {"answer_within_hours": 48}}}}
    assert _due(raw, organization="Школа") == datetime(2026, 12, 13, 14, 0, tzinfo=UTC)
    assert _due(raw, organization="Другая") == datetime(2026, 12, 12, 14, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "needle"),
    [
        ({"answer_within": 24}, "unknown key 'answer_within'"),
        ({"answer_within_hours": 0}, "answer_within_hours"),
        ({"working_hours": "9-18"}, 'like "09:00-18:00"'),
        ({"working_hours": "18:00-09:00"}, 'like "09:00-18:00"'),
        ({"places": "Клочки"}, "must be a list of words"),
        ({"topics": {"ЖКХ": "мусор"}}, "must be a list of words"),
        ({"organizations": {"X": {"places": []}}}, "unknown key 'places'"),
    ],
)
def test_bad_settings_are_one_line_naming_the_key(raw, needle):
    with pytest.raises(ConfigError, match=needle.replace("(", r"\(")):
        parse_appeals({"appeals": raw})
