"""A valid sample report, for the stub's and the client's tests and for trying the stub.

Why here and not in a test file: whoever builds ``hub report push`` needs a report the
stub accepts as a starting point, and the two test suites need the same one.
"""

from __future__ import annotations

import copy
from typing import Any

SAMPLE_REPORT: dict[str, Any] = {
    "municipality": "Сельсовет Заречный",
    "generated_at": "2024-05-20T09:30:00+07:00",
    "period": {"from": "2024-05-01", "to": "2024-05-19"},
    "registry": {
        "organizations": [
            {
                "name": "Администрация Заречного сельсовета",
                "level": "administration",
                "kind": "administration",
                "parent": None,
                "exempt": False,
                "contacts": {
                    "postal_address": "658000, Алтайский край, с. Заречное, ул. Центральная, 1",
                    "email": "adm@zarechnoe.example",
                    "phones": ["+7 385 000-00-00"],
                    "website": "https://zarechnoe.example",
                    "geolocation": {"lat": 52.5, "lon": 85.1},
                    "working_hours": "пн-пт 8:00-17:00",
                },
                "responsible": {
                    "name": "Иванова Мария Петровна",
                    "position": "главный специалист",
                    "since": "2023-09-01",
                },
                "accounts": [
                    {
                        "network": "vk",
                        "url": "https://vk.com/zarechnoe_adm",
                        "title": "Администрация Заречного сельсовета",
                        "members": 1250,
                        "connected_to_gospabliki": True,
                        "verified": True,
                    },
                    {
                        "network": "ok",
                        "url": "https://ok.ru/group/70000000000001",
                        "title": "Заречный сельсовет",
                        "members": 310,
                        "connected_to_gospabliki": True,
                        "verified": False,
                    },
                ],
            },
            {
                "name": "Централизованная бухгалтерия",
                "level": "subordinate",
                "kind": "accounting",
                "parent": "Администрация Заречного сельсовета",
                "exempt": True,
                "accounts": [],
            },
        ]
    },
    "statistics": [
        {
            "account": "vk-adm",
            "network": "vk",
            "posts": 12,
            "comments": 140,
            "deleted_by_moderation": 3,
            "queued_for_review": 1,
            "last_sync": "2024-05-20T09:00:00+07:00",
        },
        {
            "account": "ok-adm",
            "network": "ok",
            "posts": 8,
            "comments": 20,
            "deleted_by_moderation": 0,
            "queued_for_review": 0,
            "last_sync": None,
        },
    ],
    "notices": [
        {
            "id": "ntc-0001",
            "kind": "account_created",
            "organization": "Администрация Заречного сельсовета",
            "account": "https://ok.ru/group/70000000000001",
            "occurred_at": "2024-05-15T10:00:00+07:00",
            "due": "2024-05-25",
            "details": {"network": "ok"},
        },
        {
            "id": "ntc-0002",
            "kind": "responsible_changed",
            "organization": "Администрация Заречного сельсовета",
            "account": None,
            "occurred_at": "2024-05-16T12:00:00+07:00",
            "due": "2024-05-26",
            "details": {"from": "Петров П. П.", "to": "Иванова М. П."},
        },
    ],
    "compliance": {
        "week": "2024-W20",
        "from": "2024-05-13",
        "to": "2024-05-19",
        "time_zone": "Asia/Barnaul",
        "accounts": [
            {
                "account": "vk-adm",
                "network": "vk",
                "organization": "Администрация Заречного сельсовета",
                "status": "yellow",
                "posts": 3,
                "norm": 3,
                "page_missing": ["cover"],
                "gospabliki": True,
                "offending_removed": 2,
                "removal_median_minutes": 25,
                "removal_max_minutes": 40,
                "offending_still_up": 0,
                "overdue_notices": 0,
                "appeals": {
                    "received": 4,
                    "due": 3,
                    "answered_on_time": 3,
                    "late": 0,
                    "median_response_minutes": 95,
                    "max_response_minutes": 410,
                    "open": 1,
                    "overdue": 0,
                },
            }
        ],
        "organizations": [
            {
                "name": "Администрация Заречного сельсовета",
                "status": "yellow",
                "exempt": False,
                "accounts": 1,
                "accounts_meeting_norm": 1,
                "posts": 3,
                "overdue_notices": 0,
                "appeals": {
                    "received": 4,
                    "due": 3,
                    "answered_on_time": 3,
                    "late": 0,
                    "median_response_minutes": 95,
                    "max_response_minutes": 410,
                    "open": 1,
                    "overdue": 0,
                },
            }
        ],
    },
}


def sample_report(**changes: Any) -> dict[str, Any]:
    """A deep copy of :data:`SAMPLE_REPORT` with top-level fields replaced."""
    report = copy.deepcopy(SAMPLE_REPORT)
    report.update(copy.deepcopy(changes))
    return report
