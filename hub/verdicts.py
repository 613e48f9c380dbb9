"""What a moderation engine sees and says. The engine itself is a plugin (``moderate_comment``).

The core asks the ``moderate_comment`` hook, a ``firstresult`` hook: the first
plugin that returns a :class:`Verdict` decides, so a municipality's own plugin
registered ahead of the default engine can take precedence or add rules. The
core then applies the organization's policy (what is deleted at once, what goes
to review, how repeat offenders are restricted) and carries the actions out.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import Any

KEEP, REVIEW, DELETE = "keep", "review", "delete"
ACTIONS = (KEEP, REVIEW, DELETE)
CATEGORIES = ("obscene", "insult", "spam", "aggression", "unlawful")

#: the legal ground named in the audit log for each category (Russian, as a complaint needs)
LEGAL_CATEGORIES = {
    "obscene": "нецензурная брань (ст. 20.1 КоАП РФ; п. 2.5 Порядка ведения аккаунтов)",
    "insult": "оскорбление (ст. 5.61 КоАП РФ)",
    "spam": "реклама и рассылки без согласия (ст. 18 Федерального закона «О рекламе»)",
    "aggression": "угрозы и агрессия (ст. 119 УК РФ — при реальной угрозе)",
    "unlawful": "противоправная информация (ст. 15.1 Федерального закона № 149-ФЗ)",
}


@dataclass(frozen=True)
class Verdict:
    """A decision about one comment, explained.

    ``match`` is the text span as the author wrote it and ``span`` its
    (start, end) in the comment's text; ``reason`` is a sentence an operator or
    a resident understands.
    """

    action: str
    category: str | None = None
    rule: str = ""
    match: str | None = None
    span: tuple[int, int] | None = None
    reason: str = ""
    #: the comment criticises or complains about the administration's work: it is an
    #: appeal to be answered, so no policy deletes it automatically (review at most)
    criticism: bool = False

    def __post_init__(self) -> None:
        if self.action not in ACTIONS:
            raise ValueError(f"verdict action must be one of {ACTIONS}, not {self.action!r}")
        if self.category is not None and self.category not in CATEGORIES:
            raise ValueError(f"verdict category must be one of {CATEGORIES} or None")

    def as_dict(self) -> dict[str, Any]:
        return {
            "action": self.action,
            "category": self.category,
            "rule": self.rule,
            "match": self.match,
            "span": list(self.span) if self.span else None,
            "reason": self.reason,
            "criticism": self.criticism,
        }


@dataclass(frozen=True)
class CommentView:
    """A comment as a moderation rule sees it."""

    text: str
    author_id: int | None = None
    account_id: str | None = None
    network: str | None = None
    organization: str | None = None
    published_at: int | None = None
    #: the comment answers another comment rather than the post
    is_reply: bool = False


@dataclass
class ModerationContext:
    """What the engine may know beyond the comment: settings and the recent conversation.

    ``settings`` is the config's ``[moderation]`` table (allowlists, extra
    lexicon words). ``recent`` holds (author id, text) of the account's recent
    comments, oldest first, for flood detection; callers add each judged
    comment with :meth:`remember`.
    """

    settings: dict[str, Any] = field(default_factory=dict)
    recent: deque = field(default_factory=lambda: deque(maxlen=500))

    def remember(self, comment: CommentView) -> None:
        self.recent.append((comment.author_id, comment.text))
