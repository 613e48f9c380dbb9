"""The registry's part of the config: ``[[organizations]]`` and ``[notices]``.

hub.config leaves these sections (and ``[registry]``) to this module
(``Config.raw``), so their rules live next to the code that uses them; they are
read with :class:`hub.settings.Section`, as every section is, and
:func:`check_config` runs on every load (``hub.config.LOAD_CHECKS``). Every
problem is one :class:`ConfigError` line naming the key, raised before anything
is written. The field checks are shared with the CLI (``hub orgs add/set``), so a
value is judged the same wherever it comes from.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..settings import Section, check_date, check_past_date

if TYPE_CHECKING:
    from ..config import Config

LEVELS = ("administration", "department", "subordinate")
#: fields an organization has besides its name, in the order they are shown
ORG_FIELDS = (
    "level",
    "kind",
    "parent",
    "exempt",
    "exempt_reason",
    "address",
    "email",
    "phones",
    "website",
    "lat",
    "lon",
    "working_hours",
)
ORG_KEYS = {"name", *ORG_FIELDS, "responsible"}
RESPONSIBLE_KEYS = {"name", "position", "since", "phone"}
NOTICE_KEYS = {"due_days", "working_days", "region", "holidays"}
TEXT_FIELDS = {"kind", "parent", "exempt_reason", "address", "email", "website", "working_hours"}
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
WEBSITE = re.compile(r"^https?://[^\s/]+\.[^\s]+$", re.IGNORECASE)
PHONE_CHARS = re.compile(r"^[0-9+()\-\s.,доб]+$", re.IGNORECASE)


@dataclass(frozen=True)
class ResponsibleDecl:
    """A responsible person as the config (or ``hub responsible set``) names them."""

    name: str
    position: str
    since: date | None = None
    phone: str | None = None


@dataclass(frozen=True)
class OrgDecl:
    """One ``[[organizations]]`` table: only the keys it sets are owned by the config."""

    name: str
    values: dict[str, Any]
    responsible: ResponsibleDecl | None = None


@dataclass(frozen=True)
class NoticeSettings:
    """``[notices]``: how long the municipality has to report a change, and where it is."""

    due_days: int = 10
    working_days: bool = False
    region: str | None = None
    holidays: frozenset[date] = field(default_factory=frozenset)


@dataclass(frozen=True)
class RegistrySettings:
    """``[registry]``: how the published registry names the municipality."""

    #: «Клочковский муниципальный район»: the page's header and title. Unset, the page
    #: names the one administration that belongs to no other (none if there are several)
    municipality: str | None = None


REGISTRY_KEYS = {"municipality"}
MUNICIPALITY_EXAMPLE = "Клочковский муниципальный район"


def parse_registry(raw_config: dict[str, Any]) -> RegistrySettings:
    table = Section.of(raw_config, "registry", REGISTRY_KEYS)
    return RegistrySettings(municipality=table.text("municipality", MUNICIPALITY_EXAMPLE))


def check_config(config: Config) -> None:
    """Run on every load (``hub.config.LOAD_CHECKS``): a mistake stops before any work."""
    where = f" in {config.path}" if config.path else ""
    check_account_organizations(config.raw, config.accounts, where)  # a typo'd name: refused
    parse_registry(config.raw)


def phone_digits(phone: str) -> str:
    """The digits of a phone number, to compare numbers written differently."""
    return re.sub(r"\D", "", phone)


def check_field(key: str, value: Any, label: str) -> Any:
    """Return ``value`` normalized for the column ``key``, or raise one ConfigError line."""
    if key == "level":
        if value not in LEVELS:
            raise ConfigError(f"{label} level must be one of {', '.join(LEVELS)}, not {value!r}")
        return value
    if key == "exempt":
        if not isinstance(value, bool):
            raise ConfigError(f"{label} exempt must be true or false")
        return value
    if key in ("lat", "lon"):
        return _coordinate(key, value, label)
    if key == "phones":
        return _phones(value, label)
    if not isinstance(value, str):
        raise ConfigError(f"{label} {key} must be text")
    value = value.strip()
    if not value:  # an empty text clears the field
        return None
    if key == "email" and not EMAIL.match(value):
        raise ConfigError(f"{label} email {value!r} is not an e-mail address (like adm@example.ru)")
    if key == "website" and not WEBSITE.match(value):
        raise ConfigError(
            f"{label} website {value!r} must be a full address starting with https:// or http://"
        )
    return value


def _coordinate(key: str, value: Any, label: str) -> float:
    limit = 90 if key == "lat" else 180
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not -limit <= value <= limit
    ):
        raise ConfigError(f"{label} {key} must be a number from -{limit} to {limit} (degrees)")
    return float(value)


def _phones(value: Any, label: str) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(p, str) for p in value):
        raise ConfigError(f'{label} phones must be a list of text, like ["+7 (38557) 2-21-33"]')
    phones = [p.strip() for p in value if p.strip()]
    for phone in phones:
        if not PHONE_CHARS.match(phone) or not 5 <= len(phone_digits(phone)) <= 15:
            raise ConfigError(  # the value is not echoed: it may be a private number
                f"{label} phones: one of them is not a phone number (like +7 (38557) 2-21-33)"
            )
    return phones


def check_org_values(values: dict[str, Any]) -> None:
    """Rules across fields: an exempt organization says why; coordinates come in pairs."""
    label = f"organization {values.get('name')!r}"
    if values.get("exempt") and not values.get("exempt_reason"):
        raise ConfigError(
            f"{label} is exempt but has no exempt_reason; say why (the agreement that exempts it)"
        )
    if (values.get("lat") is None) != (values.get("lon") is None):
        raise ConfigError(f"{label} needs both lat and lon, or neither")
    if values.get("parent") is not None and values.get("parent") == values.get("name"):
        raise ConfigError(f"{label} cannot be its own parent")


#: the CLI's names for the shared date checks (``hub responsible set --since``)
parse_date = check_date
parse_past_date = check_past_date


def check_account_organizations(raw_config: dict[str, Any], accounts: list, where: str) -> None:
    """Every account names a declared organization, when ``[[organizations]]`` are declared.

    A misspelled name would otherwise publish a phantom organization holding the
    page, and show the real one as having none; the closest names are suggested.
    An account naming no organization is left alone (reported as not named).
    """
    declared = [decl.name for decl in parse_organizations(raw_config)]
    if not declared:
        return
    for account in accounts:
        name = account.organization
        if not name.strip() or name in declared:
            continue
        close = difflib.get_close_matches(name, declared, n=3, cutoff=0.6)
        hint = (
            f"did you mean {' or '.join(repr(c) for c in close)}?"
            if close
            else f"declared: {', '.join(repr(d) for d in declared)}"
        )
        raise ConfigError(
            f"account {account.id!r}{where}: organization {name!r} is not declared in "
            f"[[organizations]]; {hint}"
        )


def parse_responsible(raw: Any, label: str) -> ResponsibleDecl:
    if not isinstance(raw, dict):
        raise ConfigError(
            f'{label} must be a table: responsible = {{ name = "...", position = ...}}'
        )
    Section(raw, label, RESPONSIBLE_KEYS)
    for key in ("name", "position"):
        if not isinstance(raw.get(key), str) or not raw[key].strip():
            raise ConfigError(f"{label} has no {key!r}")
    since = parse_date(raw["since"], f"{label} since") if "since" in raw else None
    phone = raw.get("phone")
    if phone is not None:
        phone = _phones([phone] if isinstance(phone, str) else phone, label)
        phone = phone[0] if phone else None
    return ResponsibleDecl(raw["name"].strip(), raw["position"].strip(), since, phone)


def parse_organizations(raw_config: dict[str, Any]) -> list[OrgDecl]:
    """The ``[[organizations]]`` tables, checked; parents are checked against the registry later."""
    raw_orgs = raw_config.get("organizations", [])
    if not isinstance(raw_orgs, list):
        raise ConfigError("'organizations' must be an array of tables: [[organizations]]")
    decls: list[OrgDecl] = []
    seen: set[str] = set()
    for index, raw in enumerate(raw_orgs):
        label = f"organizations[{index}]"
        if not isinstance(raw, dict):
            raise ConfigError(f"{label} must be a table ([[organizations]])")
        Section(raw, label, ORG_KEYS)
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{label} has no 'name'")
        name = name.strip()
        label = f"organization {name!r}"
        if name in seen:
            raise ConfigError(f"{label} appears twice in [[organizations]]; names must be unique")
        seen.add(name)
        if "level" not in raw:
            raise ConfigError(f"{label} has no 'level'; use one of {', '.join(LEVELS)}")
        values = {k: check_field(k, raw[k], label) for k in ORG_FIELDS if k in raw}
        check_org_values({"name": name, **values})
        responsible = None
        if "responsible" in raw:
            responsible = parse_responsible(raw["responsible"], f"{label} responsible")
        decls.append(OrgDecl(name=name, values=values, responsible=responsible))
    return decls


def parse_notices(raw_config: dict[str, Any]) -> NoticeSettings:
    table = Section.of(raw_config, "notices", NOTICE_KEYS)
    due_days = table.whole("due_days", 10, 1, 365, unit="days")
    working_days = table.flag("working_days", False)
    region = table.text("region", "Алтайский край")
    holidays = table.get("holidays", [])
    if not isinstance(holidays, list):
        raise ConfigError('[notices] holidays must be a list of dates, like ["2026-01-01"]')
    days = frozenset(check_date(d, "[notices] holidays: each") for d in holidays)
    return NoticeSettings(due_days, working_days, region, days)
