"""Each organization's moderation policy, from the config's ``[moderation]`` section.

The engine says what a comment is; the policy says what the municipality does
about it: which categories are deleted at once and which wait for an operator,
and how authors are restricted (spam: at once; others: after repeated
violations). Criticism is never deleted automatically, whatever the policy.

    [moderation.policy]                    # every organization's default
    delete = ["obscene", "spam"]
    review = ["insult", "aggression", "unlawful"]
    spam_restrict = { action = "ban", days = 7 }             # 0 = for good
    repeat_offenders = { violations = 3, within_days = 30, action = "mute", days = 7 }

    obscene_criticism = "delete"   # or "review": a complaint in obscene words waits for a person

    [moderation.organizations."Администрация Клочковского сельсовета"]
    delete = ["obscene", "spam", "insult"]
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

from ..errors import ConfigError
from ..settings import Section, check_choice, check_whole
from ..verdicts import CATEGORIES, DELETE, KEEP, REVIEW, Verdict

if TYPE_CHECKING:
    from ..config import Config

RESTRICT_ACTIONS = ("ban", "mute", "none")
#: the core's own [moderation] keys; the rest are the engines' to declare (the
#: ``moderation_settings`` hook: the default engine declares its lexicons and flood limits)
MODERATION_KEYS = {"policy", "organizations", "obscene_criticism"}
POLICY_KEYS = {"delete", "review", "spam_restrict", "repeat_offenders", "obscene_criticism"}
OBSCENE_CRITICISM = ("delete", "review")


@dataclass(frozen=True)
class Restriction:
    action: str = "none"  # ban | mute | none
    days: int = 0  # 0 = until lifted


@dataclass(frozen=True)
class Policy:
    delete: frozenset[str] = frozenset({"obscene", "spam"})
    review: frozenset[str] = frozenset({"insult", "aggression", "unlawful"})
    #: a first offence is not for ever (a false positive would be): 7 days; days = 0 in the
    #: config makes it permanent, by the organization's own choice
    spam_restrict: Restriction = Restriction("ban", 7)
    repeat_violations: int = 3
    repeat_within_days: int = 30
    #: mute by default: a Telegram ban also wipes everything the user wrote, criticism included
    repeat_restrict: Restriction = Restriction("mute", 7)
    #: a complaint in obscene words: "delete" it as the acts require obscenity deleted (its
    #: appeal stays open, the text kept masked, to be answered), or "review" (a person decides)
    obscene_criticism: str = "delete"

    def decide(self, verdict: Verdict) -> str:
        """keep | review | delete for this organization."""
        if verdict.category is None:
            return REVIEW if verdict.action == REVIEW else KEEP
        if verdict.category in self.delete:
            decision = DELETE
        elif verdict.category in self.review:
            decision = REVIEW
        else:
            decision = verdict.action
        if decision == DELETE and verdict.criticism:
            if verdict.category == "obscene" and self.obscene_criticism == "delete":
                return DELETE  # the acts name obscenity outright; the appeal is kept apart
            return REVIEW  # an appeal is answered, never deleted automatically: a person decides
        return decision


def _categories(value: Any, label: str) -> frozenset[str]:
    if not isinstance(value, list) or any(v not in CATEGORIES for v in value):
        raise ConfigError(f"{label} must be a list of categories from: {', '.join(CATEGORIES)}")
    return frozenset(value)


def _restriction(value: Any, label: str) -> Restriction:
    if not isinstance(value, dict):
        raise ConfigError(f'{label} must be a table like {{ action = "ban", days = 7 }}')
    action, days = value.get("action", "ban"), value.get("days", 0)
    check_choice(action, f"{label}.action", RESTRICT_ACTIONS)
    if isinstance(days, bool) or not isinstance(days, int) or not 0 <= days <= 365:
        raise ConfigError(f"{label}.days must be 0 (until lifted) to 365")
    return Restriction(action, days)


def _apply(base: Policy, table: dict[str, Any], label: str) -> Policy:
    table = Section(table, label, POLICY_KEYS).table
    policy = base
    if "delete" in table:
        policy = replace(policy, delete=_categories(table["delete"], f"{label}.delete"))
    if "review" in table:
        policy = replace(policy, review=_categories(table["review"], f"{label}.review"))
    overlap = policy.delete & policy.review
    if overlap:
        raise ConfigError(f"{label}: {sorted(overlap)[0]!r} is both deleted and reviewed")
    if "obscene_criticism" in table:
        choice = check_choice(
            table["obscene_criticism"], f"{label}.obscene_criticism", OBSCENE_CRITICISM
        )
        policy = replace(policy, obscene_criticism=choice)
    if "spam_restrict" in table:
        policy = replace(
            policy, spam_restrict=_restriction(table["spam_restrict"], f"{label}.spam_restrict")
        )
    if "repeat_offenders" in table:
        repeat = table["repeat_offenders"]
        restriction = _restriction(repeat, f"{label}.repeat_offenders")
        violations = repeat.get("violations", 3) if isinstance(repeat, dict) else 3
        within = repeat.get("within_days", 30) if isinstance(repeat, dict) else 30
        for key, value in (("violations", violations), ("within_days", within)):
            check_whole(value, f"{label}.repeat_offenders.{key}", 1)
        policy = replace(
            policy,
            repeat_violations=violations,
            repeat_within_days=within,
            repeat_restrict=restriction,
        )
    return policy


@dataclass(frozen=True)
class Policies:
    default: Policy
    by_organization: dict[str, Policy]

    def for_organization(self, organization: str | None) -> Policy:
        return self.by_organization.get(organization or "", self.default)


def load_policies(moderation: dict[str, Any], engine_keys: Iterable[str] | None = None) -> Policies:
    """Parse and check the ``[moderation]`` section; every mistake is one ConfigError line.

    Besides the policies, the section holds what the engines read: ``engine_keys``,
    by default the keys every installed plugin declares (``moderation_settings``).
    """
    if engine_keys is None:
        from .. import plugins

        engine_keys = plugins.moderation_settings()
    Section(moderation, "[moderation]", MODERATION_KEYS | set(engine_keys))
    base = Policy()
    if "obscene_criticism" in moderation:  # [moderation] obscene_criticism: every organization's
        base = replace(
            base,
            obscene_criticism=check_choice(
                moderation["obscene_criticism"], "[moderation] obscene_criticism", OBSCENE_CRITICISM
            ),
        )
    default = _apply(base, moderation.get("policy", {}), "[moderation.policy]")
    organizations = moderation.get("organizations", {})
    if not isinstance(organizations, dict):
        raise ConfigError('[moderation.organizations."Name"] must be tables named by organization')
    by_org = {
        name: _apply(default, table, f'[moderation.organizations."{name}"]')
        for name, table in organizations.items()
    }
    return Policies(default, by_org)


def check_config(config: Config) -> None:
    """Run on every load (``hub.config.LOAD_CHECKS``): a bad policy stops before any work."""
    load_policies(config.moderation)
