"""The report's JSON Schema and the validator that reads it, so the spec cannot drift.

Why one source: the stub answers 422 from exactly the schemas that
``docs/gospabliki-openapi.yaml`` publishes (``components.schemas``), so a field made
required in the document is required on the wire. The validator covers only the
JSON Schema subset used here (type, required, properties, additionalProperties,
items, minimum, minLength, maxLength, enum, pattern, format, $ref) and reports *every* bad
field at once, each with a JSON-path-like name (``statistics[0].posts``), because a
municipality fixing its export wants the whole list, not one error per round trip.
Two rules no schema keyword says are checked after it: a period (and the compliance
summary's week) must not end before it starts, and notice ids are unique within a report.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import date, datetime
from typing import Any
from urllib.parse import urlsplit

#: the API's limits (the OpenAPI document states them, the stub enforces them)
MAX_BODY = 5 * 1024 * 1024  # 5 MB: a district's registry and statistics are far smaller
LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX = 50, 500
MAX_FIELD_ERRORS = 100  # a body wrong everywhere still gets a readable answer
NOTICE_KINDS = ("account_created", "account_deleted", "responsible_changed")
STATUSES = ("green", "yellow", "red")
#: what a page should show (hub.compliance.page.PAGE_FIELDS; kept here so the stub needs no hub)
PAGE_FIELDS = ("description", "contacts", "working_hours", "website", "avatar", "cover")

_REF = "#/components/schemas/"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": _REF + name}


def _text(max_length: int = 500, **extra: Any) -> dict[str, Any]:
    return {"type": "string", "minLength": 1, "maxLength": max_length, **extra}


def _maybe_text(max_length: int = 500, **extra: Any) -> dict[str, Any]:
    return {"type": ["string", "null"], "maxLength": max_length, **extra}


_COUNT = {"type": "integer", "minimum": 0}
_DATE_TIME = {"type": "string", "format": "date-time", "examples": ["2024-05-01T09:30:00+07:00"]}
_DATE = {"type": "string", "format": "date", "examples": ["2024-05-10"]}

_STATUS = {"type": "string", "enum": list(STATUSES), "description": "green, yellow or red"}
_MINUTES = {"type": ["integer", "null"], "minimum": 0}

#: the weekly compliance summary (hub.compliance.summary): optional in a report
COMPLIANCE_SCHEMAS: dict[str, dict[str, Any]] = {
    "ComplianceSummary": {
        "type": "object",
        "description": "The last completed week against the acts' norms, per account and "
        "organization. Security attestations (2FA) are never part of it.",
        "additionalProperties": False,
        "required": ["week", "from", "to", "time_zone", "accounts", "organizations"],
        "properties": {
            "week": {
                "type": "string",
                "pattern": r"^[0-9]{4}-W[0-9]{2}$",
                "examples": ["2026-W10"],
                "description": "The ISO week, Monday to Sunday in `time_zone`.",
            },
            "from": {**_DATE, "description": "Its Monday."},
            "to": {**_DATE, "description": "Its Sunday; not before `from`."},
            "time_zone": _text(64, examples=["Asia/Vladivostok"]),
            "accounts": {"type": "array", "items": _ref("ComplianceAccount")},
            "organizations": {"type": "array", "items": _ref("ComplianceOrganization")},
        },
    },
    "ComplianceAccount": {
        "type": "object",
        "additionalProperties": False,
        "required": ["account", "network", "organization", "status", "posts", "norm"],
        "properties": {
            "account": _text(),
            "network": _text(50),
            "organization": _text(),
            "status": _STATUS,
            "posts": {**_COUNT, "description": "The page's own posts that week."},
            "norm": {"type": "integer", "minimum": 1, "description": "Posts a week required."},
            "page_missing": {
                "type": "array",
                "items": {"type": "string", "enum": list(PAGE_FIELDS)},
                "description": "Fields the page could show but does not.",
            },
            "gospabliki": {"type": ["boolean", "null"], "description": "null: not stated."},
            "offending_removed": _COUNT,
            "removal_median_minutes": _MINUTES,
            "removal_max_minutes": _MINUTES,
            "offending_still_up": _COUNT,
            "overdue_notices": _COUNT,
            "appeals": _ref("ComplianceAppeals"),
        },
    },
    "ComplianceOrganization": {
        "type": "object",
        "additionalProperties": False,
        "required": ["name", "status"],
        "properties": {
            "name": _text(),
            "status": _STATUS,
            "exempt": {"type": "boolean"},
            "accounts": _COUNT,
            "accounts_meeting_norm": _COUNT,
            "posts": _COUNT,
            "overdue_notices": _COUNT,
            "appeals": _ref("ComplianceAppeals"),
        },
    },
    "ComplianceAppeals": {
        "type": "object",
        "description": "Residents' appeals (questions, complaints, requests found among the "
        "comments) of the week, as they stood when it ended. An organization's include those "
        "on the pages it watches (the governor's, the region's) for its residents.",
        "additionalProperties": False,
        "required": [
            "received",
            "answered_on_time",
            "median_response_minutes",
            "max_response_minutes",
            "open",
        ],
        "properties": {
            "received": {**_COUNT, "description": "Appeals received that week."},
            "due": {**_COUNT, "description": "Appeals whose answer deadline fell in the week."},
            "answered_on_time": {
                **_COUNT,
                "description": "Of those due, answered by their deadline.",
            },
            "late": {
                **_COUNT,
                "description": "Answers given that week after the deadline (or appeals "
                "closed without an answer after it).",
            },
            "median_response_minutes": {
                **_MINUTES,
                "description": "Median time to the answers given that week; null: none.",
            },
            "max_response_minutes": {
                **_MINUTES,
                "description": "The longest of those, or the age of an appeal still open past "
                "its deadline when the week ended, whichever is longer; null: none.",
            },
            "open": {**_COUNT, "description": "Appeals unanswered when the week ended."},
            "overdue": {**_COUNT, "description": "Of those, past their deadline."},
        },
    },
}

#: ``components.schemas`` of the OpenAPI document: what a report may hold.
REPORT_SCHEMAS: dict[str, dict[str, Any]] = {
    "Report": {
        "type": "object",
        "description": "One municipality's report: its registry snapshot, per-account "
        "statistics and the notices due to the regional centre.",
        "additionalProperties": False,
        "required": ["municipality", "generated_at", "registry", "statistics", "notices"],
        "properties": {
            "municipality": _text(200, description="The reporting municipality's name."),
            "generated_at": {**_DATE_TIME, "description": "When the hub built the report."},
            "period": _ref("Period"),
            "registry": _ref("Registry"),
            "statistics": {"type": "array", "items": _ref("AccountStatistics")},
            "notices": {"type": "array", "items": _ref("Notice")},
            "compliance": _ref("ComplianceSummary"),
        },
    },
    "Period": {
        "type": "object",
        "description": "The reporting period; `to` must not be before `from`.",
        "additionalProperties": False,
        "required": ["from", "to"],
        "properties": {"from": _DATE, "to": _DATE},
    },
    "Registry": {
        "type": "object",
        "additionalProperties": False,
        "required": ["organizations"],
        "properties": {"organizations": {"type": "array", "items": _ref("Organization")}},
    },
    "Organization": {
        "type": "object",
        "description": "The administration, a department or a subordinate organization.",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": _text(),
            "level": _maybe_text(100, description="administration, department, subordinate"),
            "kind": _maybe_text(100),
            "parent": _maybe_text(description="The parent organization's name."),
            "exempt": {"type": "boolean", "description": "Exempt from having pages."},
            "contacts": _ref("Contacts"),
            "responsible": _ref("Responsible"),
            "accounts": {"type": "array", "items": _ref("Account")},
        },
    },
    "Contacts": {
        "type": ["object", "null"],
        "description": "Published contacts; the listed keys are type-checked, others kept.",
        "additionalProperties": True,
        "properties": {
            "postal_address": _maybe_text(),
            "email": _maybe_text(),
            "phones": {"type": "array", "items": _text(100)},
            "website": _maybe_text(),
            "geolocation": {
                "type": ["object", "null"],
                "additionalProperties": False,
                "required": ["lat", "lon"],
                "properties": {"lat": {"type": "number"}, "lon": {"type": "number"}},
            },
            "working_hours": _maybe_text(),
        },
    },
    "Responsible": {
        "type": ["object", "null"],
        "description": "The person currently responsible for the organization's pages.",
        "additionalProperties": False,
        "required": ["name"],
        "properties": {
            "name": _text(),
            "position": _maybe_text(),
            "since": {"type": ["string", "null"], "format": "date"},
        },
    },
    "Account": {
        "type": "object",
        "description": "An official page. Security attestations (2FA, login keepers, the "
        "service phone) are never sent: unknown fields are refused.",
        "additionalProperties": False,
        "required": ["network", "url"],
        "properties": {
            "network": _text(50, examples=["vk"]),
            "url": {"type": "string", "format": "uri", "maxLength": 2000},
            "title": _maybe_text(),
            "members": {"type": ["integer", "null"], "minimum": 0},
            "connected_to_gospabliki": {"type": "boolean"},
            "verified": {"type": "boolean", "description": "Has the state verification mark."},
        },
    },
    "AccountStatistics": {
        "type": "object",
        "description": "Sync and moderation counts of one account for the period.",
        "additionalProperties": False,
        "required": [
            "account",
            "network",
            "posts",
            "comments",
            "deleted_by_moderation",
            "queued_for_review",
            "last_sync",
        ],
        "properties": {
            "account": _text(),
            "network": _text(50),
            "posts": _COUNT,
            "comments": _COUNT,
            "deleted_by_moderation": _COUNT,
            "queued_for_review": _COUNT,
            "last_sync": {"type": ["string", "null"], "format": "date-time"},
        },
    },
    "Notice": {
        "type": "object",
        "description": "A change the regional centre must hear of by `due`; ids are unique "
        "within a report and acknowledged in the receipt.",
        "additionalProperties": False,
        "required": ["id", "kind", "organization", "occurred_at", "due"],
        "properties": {
            "id": _text(128),
            "kind": {"type": "string", "enum": list(NOTICE_KINDS)},
            "organization": _text(),
            "account": _maybe_text(),
            "occurred_at": _DATE_TIME,
            "due": _DATE,
            "details": {"type": "object", "additionalProperties": True},
        },
    },
    **COMPLIANCE_SCHEMAS,
}

FieldError = dict[str, str]

_DATE_TIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TYPE_WORDS = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def canonical_json(value: Any) -> str:
    """One text per JSON value (sorted keys, no spaces): what idempotency compares."""
    return json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))


def content_hash(value: Any) -> str:
    return hashlib.sha256(canonical_json(value).encode("utf-8")).hexdigest()


def is_date_time(value: str) -> bool:
    """RFC 3339: a full date and time *with* an offset (a bare local time is ambiguous)."""
    if not _DATE_TIME_RE.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.replace("z", "Z"))
    except ValueError:
        return False
    return True


def is_date(value: str) -> bool:
    if not _DATE_RE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _is_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.netloc) and " " not in value


_FORMATS = {
    "date-time": (
        is_date_time,
        "must be an RFC 3339 date-time with a time zone, such as 2024-05-01T09:30:00+07:00",
    ),
    "date": (is_date, "must be a date such as 2024-05-10"),
    "uri": (_is_url, "must be an http(s) URL"),
}


def _json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object" if isinstance(value, dict) else "unknown"


def _type_message(schema: dict[str, Any]) -> str:
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    words = [_TYPE_WORDS[t] for t in types]
    if "minimum" in schema and "integer" in types:
        words[types.index("integer")] = f"an integer ≥ {schema['minimum']}"
    return "must be " + " or ".join(words)


def _type_ok(value: Any, schema: dict[str, Any]) -> bool:
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    actual = _json_type(value)
    return actual in types or (actual == "integer" and "number" in types)


def _child(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


class _Checker:
    """Walks one value against a schema, collecting field errors in document order."""

    def __init__(self, schemas: dict[str, dict[str, Any]]) -> None:
        self.schemas = schemas
        self.errors: list[FieldError] = []

    def fail(self, field: str, message: str) -> None:
        self.errors.append({"field": field or "$", "message": message})

    def check(self, value: Any, schema: dict[str, Any], path: str) -> None:
        if "$ref" in schema:
            schema = self.schemas[schema["$ref"].removeprefix(_REF)]
        if "type" in schema and not _type_ok(value, schema):
            self.fail(path, _type_message(schema))
            return
        if isinstance(value, dict):
            self._object(value, schema, path)
        elif isinstance(value, list):
            items = schema.get("items")
            for index, item in enumerate(value):
                if items is not None:
                    self.check(item, items, f"{path}[{index}]")
        elif isinstance(value, str):
            self._string(value, schema, path)
        elif _json_type(value) in ("integer", "number") and value < schema.get("minimum", value):
            self.fail(path, _type_message(schema))

    def _object(self, value: dict[str, Any], schema: dict[str, Any], path: str) -> None:
        properties = schema.get("properties", {})
        for name in schema.get("required", []):
            if name not in value:
                self.fail(_child(path, name), "is required")
        for name, item in value.items():
            if name in properties:
                self.check(item, properties[name], _child(path, name))
            elif schema.get("additionalProperties") is False:
                self.fail(_child(path, name), "is not a known field")

    def _string(self, value: str, schema: dict[str, Any], path: str) -> None:
        if "enum" in schema and value not in schema["enum"]:
            self.fail(path, "must be one of " + ", ".join(schema["enum"]))
        elif schema.get("minLength", 0) > 0 and not value.strip():
            self.fail(path, "must not be empty")
        elif len(value) > schema.get("maxLength", len(value)):
            self.fail(path, f"must be at most {schema['maxLength']} characters")
        elif "pattern" in schema and not re.search(schema["pattern"], value):
            example = (schema.get("examples") or [schema["pattern"]])[0]
            self.fail(path, f"must look like {example}")
        elif schema.get("format") in _FORMATS:
            ok, message = _FORMATS[schema["format"]]
            if not ok(value):
                self.fail(path, message)


def _cross_checks(report: dict[str, Any], checker: _Checker) -> None:
    for name in ("period", "compliance"):
        span = report.get(name)
        if isinstance(span, dict):
            start, end = span.get("from"), span.get("to")
            dates = [d for d in (start, end) if isinstance(d, str) and is_date(d)]
            if len(dates) == 2 and end < start:
                checker.fail(f"{name}.to", f"must not be before {name}.from")
    notices = report.get("notices")
    if isinstance(notices, list):
        first_seen: dict[str, int] = {}
        for index, notice in enumerate(notices):
            notice_id = notice.get("id") if isinstance(notice, dict) else None
            if not isinstance(notice_id, str):
                continue
            if notice_id in first_seen:
                checker.fail(f"notices[{index}].id", f"repeats notices[{first_seen[notice_id]}].id")
            else:
                first_seen[notice_id] = index


def validate_report(report: Any) -> list[FieldError]:
    """Every problem with a parsed report body, or ``[]`` when it may be stored."""
    checker = _Checker(REPORT_SCHEMAS)
    checker.check(report, REPORT_SCHEMAS["Report"], "")
    if isinstance(report, dict):
        _cross_checks(report, checker)
    return checker.errors[:MAX_FIELD_ERRORS]


def report_counts(report: dict[str, Any]) -> dict[str, int]:
    """What a receipt list shows of a (valid) report."""
    organizations = report["registry"]["organizations"]
    return {
        "organizations": len(organizations),
        "accounts": sum(len(org.get("accounts") or []) for org in organizations),
        "statistics": len(report["statistics"]),
        "notices": len(report["notices"]),
    }
