"""The OpenAPI 3.1 document of the Gospabliki reporting API, and the YAML it is written as.

Why generated: ``docs/gospabliki-openapi.yaml`` is built from this module, whose
report schemas are the very dicts the stub validates with (:mod:`.schema`), so the
published contract and the server cannot disagree on a field; a test checks the file
is up to date, its paths are exactly the stub's routes, and every required field is
really required on the wire. Regenerate it after a change with::

    python -m hub.gospabliki.openapi > docs/gospabliki-openapi.yaml

The YAML writer is a small one of our own because the hub does not depend on PyYAML;
it writes block-style YAML and double-quotes (JSON-style) every scalar a YAML 1.1 or
1.2 reader could take for anything but a string.
"""

from __future__ import annotations

import json
import re
import sys
from typing import Any

from .schema import LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, MAX_BODY, REPORT_SCHEMAS

DESCRIPTION = """\
Gospabliki (the feedback platform's component for official pages) has no public API,
so Pablik Hub defines this one and ships a stub that implements it
(`hub gospabliki-stub --db PATH`). A municipality's hub files one report per push:
its registry of organizations and official accounts, per-account sync and moderation
statistics, the notices due to the regional management centre (accounts created
or deleted, a responsible person changed) and, optionally, the compliance summary of
the last completed week (posts against the norm, page completeness, how long offending
comments stayed up, residents' appeals received and answered on time, overdue notices;
never security attestations such as 2FA).

Every endpoint but /health needs `Authorization: Bearer <token>`.

Filing is idempotent: send the same `Idempotency-Key` with every retry of a report.
The same key with the same body answers the first receipt again (200) and stores
nothing; the same key with another body is refused (409). Bodies are compared as
JSON values, so key order and spacing do not matter. An HTML 500 page may come from
a proxy at any time: retry it with the same key."""


def _json(schema: dict[str, Any] | str, description: str) -> dict[str, Any]:
    if isinstance(schema, str):
        schema = {"$ref": f"#/components/schemas/{schema}"}
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _error(description: str) -> dict[str, Any]:
    return _json("Error", description)


_UNAUTHORIZED = {"$ref": "#/components/responses/Unauthorized"}
_MUNICIPALITY = {
    "name": "municipality",
    "in": "query",
    "required": False,
    "description": "Only this municipality's entries.",
    "schema": {"type": "string"},
}

PATHS: dict[str, dict[str, Any]] = {
    "/health": {
        "get": {
            "operationId": "getHealth",
            "summary": "Liveness probe",
            "security": [],
            "responses": {"200": _json("Health", "The service is up.")},
        }
    },
    "/reports": {
        "post": {
            "operationId": "createReport",
            "summary": "File a municipality's report",
            "parameters": [
                {
                    "name": "Idempotency-Key",
                    "in": "header",
                    "required": True,
                    "description": "The same for every retry of one report; "
                    "Pablik Hub derives it from the report's content.",
                    "schema": {"type": "string", "pattern": "^[A-Za-z0-9_-]{8,128}$"},
                }
            ],
            "requestBody": {
                "required": True,
                "description": f"At most {MAX_BODY} bytes (5 MB) of UTF-8 JSON.",
                "content": {
                    "application/json": {"schema": {"$ref": "#/components/schemas/Report"}}
                },
            },
            "responses": {
                "201": _json("Receipt", "Filed; the notices listed are acknowledged."),
                "200": {
                    **_json("Receipt", "Filed before under this key: the first receipt."),
                    "headers": {
                        "Idempotent-Replayed": {
                            "description": "Always `true` on a replay.",
                            "schema": {"type": "string"},
                        }
                    },
                },
                "400": _error("No or a malformed Idempotency-Key, or a body that is not JSON."),
                "401": _UNAUTHORIZED,
                "409": _error("The key was used for a different report (`idempotency_conflict`)."),
                "413": _error("The body is larger than 5 MB (`too_large`)."),
                "415": _error("The body is not application/json in UTF-8."),
                "422": _json("ValidationError", "Fields are missing, unknown or wrong."),
                "500": {
                    "description": "A transient failure (may be an HTML page): retry with the "
                    "same Idempotency-Key.",
                    "content": {"text/html": {"schema": {"type": "string"}}},
                },
            },
        },
        "get": {
            "operationId": "listReports",
            "summary": "Receipts of the reports received, newest first",
            "parameters": [
                _MUNICIPALITY,
                {
                    "name": "limit",
                    "in": "query",
                    "required": False,
                    "schema": {
                        "type": "integer",
                        "minimum": 1,
                        "maximum": LIST_LIMIT_MAX,
                        "default": LIST_LIMIT_DEFAULT,
                    },
                },
            ],
            "responses": {
                "200": _json("ReportList", "Receipts with their counts."),
                "401": _UNAUTHORIZED,
                "422": _json("ValidationError", "A bad `limit`."),
            },
        },
    },
    "/reports/{receipt}": {
        "get": {
            "operationId": "getReport",
            "summary": "One stored report, as received",
            "parameters": [
                {"name": "receipt", "in": "path", "required": True, "schema": {"type": "string"}}
            ],
            "responses": {
                "200": _json("StoredReport", "The report and where it came from."),
                "401": _UNAUTHORIZED,
                "404": _error("No report has this receipt (`not_found`)."),
            },
        }
    },
    "/notices": {
        "get": {
            "operationId": "listNotices",
            "summary": "Every notice received, with the receipt that acknowledged it",
            "parameters": [_MUNICIPALITY],
            "responses": {
                "200": _json("NoticeList", "Oldest first."),
                "401": _UNAUTHORIZED,
            },
        }
    },
}

_STRING = {"type": "string"}
_COUNTS = ("organizations", "accounts", "statistics", "notices")


def _object(properties: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {"type": "object", "required": list(properties), "properties": properties, **extra}


RESPONSE_SCHEMAS: dict[str, dict[str, Any]] = {
    "Health": _object({"status": {"type": "string", "const": "ok"}}),
    "Error": _object(
        {
            "error": {
                "type": "string",
                "enum": [
                    "unauthorized",
                    "bad_request",
                    "bad_json",
                    "unsupported_media_type",
                    "too_large",
                    "idempotency_conflict",
                    "not_found",
                    "method_not_allowed",
                ],
            },
            "message": _STRING,
        }
    ),
    "ValidationError": _object(
        {
            "error": {"type": "string", "const": "validation"},
            "fields": {
                "type": "array",
                "description": "Every bad field, named like `statistics[0].posts`.",
                "items": _object({"field": _STRING, "message": _STRING}),
            },
        }
    ),
    "Receipt": _object(
        {
            "receipt": {"type": "string", "pattern": "^GP-[0-9A-Z]{26}$"},
            "received_at": {"type": "string", "format": "date-time"},
            "notices_acknowledged": {"type": "array", "items": _STRING},
        }
    ),
    "ReportSummary": _object(
        {
            "receipt": _STRING,
            "municipality": _STRING,
            "generated_at": {"type": "string", "format": "date-time"},
            "received_at": {"type": "string", "format": "date-time"},
            "counts": _object({name: {"type": "integer"} for name in _COUNTS}),
        }
    ),
    "ReportList": _object(
        {"reports": {"type": "array", "items": {"$ref": "#/components/schemas/ReportSummary"}}}
    ),
    "StoredReport": _object(
        {
            "receipt": _STRING,
            "municipality": _STRING,
            "received_at": {"type": "string", "format": "date-time"},
            "idempotency_key": _STRING,
            "report": {"$ref": "#/components/schemas/Report"},
        }
    ),
    "StoredNotice": _object(
        {
            "id": _STRING,
            "municipality": _STRING,
            "kind": REPORT_SCHEMAS["Notice"]["properties"]["kind"],
            "organization": _STRING,
            "account": {"type": ["string", "null"]},
            "occurred_at": {"type": "string", "format": "date-time"},
            "due": {"type": "string", "format": "date"},
            "details": {"type": "object"},
            "receipt": {"type": "string", "description": "The first report that carried it."},
            "received_at": {"type": "string", "format": "date-time"},
        }
    ),
    "NoticeList": _object(
        {"notices": {"type": "array", "items": {"$ref": "#/components/schemas/StoredNotice"}}}
    ),
}


def document() -> dict[str, Any]:
    """The whole OpenAPI document as plain data."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Gospabliki reporting API (Pablik Hub)",
            "version": "1.0.0",
            "description": DESCRIPTION,
        },
        "servers": [{"url": "http://127.0.0.1:8710/api/v1", "description": "hub gospabliki-stub"}],
        "security": [{"bearerAuth": []}],
        "paths": PATHS,
        "components": {
            "securitySchemes": {"bearerAuth": {"type": "http", "scheme": "bearer"}},
            "responses": {
                "Unauthorized": {
                    **_error("No token, or not a valid one (`unauthorized`)."),
                    "headers": {
                        "WWW-Authenticate": {"schema": {"type": "string"}},
                    },
                }
            },
            "schemas": {**REPORT_SCHEMAS, **RESPONSE_SCHEMAS},
        },
    }


# --------------------------------------------------------------------------- YAML

_PLAIN = re.compile(r"[A-Za-z/$][A-Za-z0-9_./{}$ (),;`'-]*")
_RESERVED = {"true", "false", "null", "yes", "no", "on", "off", "y", "n", "~"}


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return json.dumps(value)
    text = str(value)
    plain = _PLAIN.fullmatch(text) and not text.endswith(" ") and text.lower() not in _RESERVED
    return text if plain else json.dumps(text, ensure_ascii=False)


def _lines(value: Any, indent: int) -> list[str]:
    """Block YAML for a non-empty mapping or sequence, every line indented by ``indent``."""
    pad = " " * indent
    out: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            head = f"{pad}{_scalar(key)}:"
            if isinstance(item, dict | list) and item:
                out += [head, *_lines(item, indent + 2)]
            elif isinstance(item, str) and "\n" in item:
                out.append(f"{head} |-")
                out += [f"{pad}  {line}" if line else "" for line in item.split("\n")]
            else:
                out.append(f"{head} {_inline(item)}")
        return out
    for item in value:
        if isinstance(item, dict | list) and item:
            nested = _lines(item, indent + 2)
            out.append(f"{pad}- {nested[0].lstrip()}")
            out += nested[1:]
        else:
            out.append(f"{pad}- {_inline(item)}")
    return out


def _inline(value: Any) -> str:
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    if isinstance(value, str) and "\n" in value:
        return json.dumps(value, ensure_ascii=False)
    return _scalar(value)


def to_yaml(value: dict[str, Any]) -> str:
    return "\n".join(_lines(value, 0)) + "\n"


HEADER = "# Generated by `python -m hub.gospabliki.openapi`; edit hub/gospabliki, not this file.\n"


def render() -> str:
    """The text of ``docs/gospabliki-openapi.yaml``."""
    return HEADER + to_yaml(document())


if __name__ == "__main__":
    sys.stdout.write(render())
