"""One operator's part of a compliance report: the organizations they may see, nothing else.

The console shows the report to people limited to some organizations
(:class:`hub.operators.Operator`); they must see the same figures as
``hub compliance`` for their lines, and nothing of the others. Filtering the finished
report (rather than building a smaller one) keeps every figure the library's own:
an account's line does not depend on other accounts, and an organization's line
rolls up its own accounts only. The totals are counted again over what is kept.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from .build import NO_ORGANIZATION
from .settings import STATUSES


def scoped_report(report: dict[str, Any], sees: Callable[[str | None], bool]) -> dict[str, Any]:
    """``report`` with only the accounts and organizations ``sees`` admits (a copy).

    ``sees`` takes an organization's name, or None for accounts the config gives no
    organization (their line says :data:`~hub.compliance.build.NO_ORGANIZATION`), as
    :meth:`hub.operators.Operator.sees` does.
    """

    def admitted(name: str) -> bool:
        return sees(None if name == NO_ORGANIZATION else name)

    accounts = [a for a in report["accounts"] if admitted(a["organization"])]
    organizations = [o for o in report["organizations"] if admitted(o["organization"])]
    return {
        **report,
        "accounts": accounts,
        "organizations": organizations,
        "totals": {
            kind: {s: sum(line["status"] == s for line in lines) for s in STATUSES}
            for kind, lines in (("accounts", accounts), ("organizations", organizations))
        },
    }
