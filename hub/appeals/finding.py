"""What an appeal detector sees and says (the ``detect_appeal`` hook's types)."""

from __future__ import annotations

from dataclasses import dataclass, field

QUESTION, COMPLAINT, REQUEST = "question", "complaint", "request"
KINDS = (QUESTION, COMPLAINT, REQUEST)
KIND_TITLES = {QUESTION: "вопрос", COMPLAINT: "жалоба", REQUEST: "просьба"}


@dataclass(frozen=True)
class AppealFinding:
    """A comment is an appeal of this kind, explained like a moderation verdict.

    ``rule`` names the rule that fired (``question.mark``, ``request.verb``, …) and
    ``match`` the words that made it one, as the resident wrote them; ``topic`` is the
    first configured topic whose words the comment uses, or None.
    """

    kind: str
    rule: str
    match: str
    topic: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"appeal kind must be one of {KINDS}, not {self.kind!r}")


@dataclass(frozen=True)
class AppealContext:
    """What a detector may use beyond the text: the ``[appeals]`` settings it reads.

    ``topics``: topic → words (word forms matched by their start); ``places``: for a
    watch page, the municipality's settlements, streets and institutions — a comment
    there is an appeal only if it names one; ``watch``: the page is such a page.
    """

    topics: dict[str, tuple[str, ...]] = field(default_factory=dict)
    places: tuple[str, ...] = ()
    watch: bool = False
