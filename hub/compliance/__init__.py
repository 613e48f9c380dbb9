"""The weekly compliance report: what the acts ask of each page, week by week.

``hub compliance [--week 2026-W10] [--format table|json|html]`` shows, per account
and per organization: posts that week against the organization's norm (with a
forecast while the week runs), page completeness, 2FA attestation, the Gospabliki
connection, how long offending comments stayed up, residents' appeals answered on time
(:mod:`hub.appeals.figures`; a watch page's count for its organization, the page itself is
not judged) and overdue notices — each with a green / yellow / red status, the line's
status being the worst of them.

- :mod:`.week`: ISO weeks in the municipality's zone (``[plan] time_zone``);
- :mod:`.figures`: what counts as a post, a planned post, an offending comment's
  removal, an overdue notice — read from the store;
- :mod:`.page`: page completeness and the working-hours rule;
- :mod:`.build`: the statuses, the organization roll-up, the report;
- :mod:`.summary`: the compact weekly summary the daemon logs and the Gospabliki
  report carries (without 2FA);
- :mod:`.render`, :mod:`.html`: table, JSON and the Russian web page;
- :mod:`.settings`: the ``[compliance]`` table (removal-time targets).

Everything reads the store only; nothing here calls a network.
"""

from __future__ import annotations

from .build import compliance_report
from .page import PAGE_FIELDS, network_page_fields
from .settings import ComplianceSettings, parse_compliance
from .summary import log_weekly_summary, summary_line, summary_week, weekly_summary
from .week import Week, parse_week, previous_week, week_of

__all__ = [
    "PAGE_FIELDS",
    "ComplianceSettings",
    "Week",
    "compliance_report",
    "log_weekly_summary",
    "network_page_fields",
    "parse_compliance",
    "parse_week",
    "previous_week",
    "summary_line",
    "summary_week",
    "week_of",
    "weekly_summary",
]
