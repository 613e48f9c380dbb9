"""Phrase patterns gated by literal anchors: one Aho-Corasick pass decides which regexes run.

Why: a few hundred alternatives in a handful of big regular expressions cost ~70 µs a comment
(Python's ``re`` tries every branch at every position). Each pattern here names *anchors* —
literal substrings at least one of which every match must contain — and a single automaton pass
over the comment finds which anchors occur; only the patterns they point at are searched. Most
comments trigger none. A pattern without a regex is a plain stem that must start a word.

Patterns are written against the normalised text (:func:`hub_moderation.normalize.word_text`),
where Latin look-alikes are already Cyrillic; :func:`lat` spells a Latin word the same way
(``lat("whatsapp")``) so patterns can mention it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import ahocorasick

from .normalize import word_text

_LETTER = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")


def lat(word: str) -> str:
    """A Latin word as it reads after look-alike normalisation (regex-escaped)."""
    return re.escape(word_text(word))


@dataclass(frozen=True)
class PhraseHit:
    group: str
    rule: str
    start: int
    end: int


class Hits:
    """The anchors one comment triggered; patterns are searched lazily, per group."""

    __slots__ = ("book", "text", "by_group", "stems", "_cache")

    def __init__(self, book: PhraseBook, text: str, by_group: dict, stems: dict[int, tuple]):
        self.book, self.text, self.by_group, self.stems = book, text, by_group, stems
        self._cache: dict[str, PhraseHit | None] = {}

    def first(self, group: str) -> PhraseHit | None:
        """The first pattern of the group (in the order given) that matches, or None."""
        triggered = self.by_group.get(group)
        always = self.book.always_by_group.get(group)
        if always:
            triggered = always | triggered if triggered else always
        if not triggered:
            return None
        if group in self._cache:
            return self._cache[group]
        found = None
        for i in sorted(triggered) if len(triggered) > 1 else triggered:
            rule, pattern = self.book.patterns[i]
            if pattern is None:
                start, end = self.stems[i]
                found = PhraseHit(group, rule, start, end)
                break
            m = pattern.search(self.text)
            if m:
                found = PhraseHit(group, rule, m.start(), m.end())
                break
        self._cache[group] = found
        return found

    def any(self, group: str) -> bool:
        return self.first(group) is not None


class PhraseBook:
    """Named groups of anchored patterns; :meth:`scan` a text once, then ask per group."""

    def __init__(self) -> None:
        self.patterns: list[tuple[str, re.Pattern | None]] = []
        self.groups: dict[str, list[int]] = {}
        self.group_of: list[str] = []
        self._anchors: dict[str, list[tuple[int, bool]]] = {}
        #: patterns without anchors, by group: searched whenever their group is asked for
        self.always_by_group: dict[str, frozenset[int]] = {}
        self._auto: ahocorasick.Automaton | None = None

    def add(self, group: str, rule: str, anchors, regex: str | None = None) -> None:
        """Add a pattern; ``anchors`` is a string of space-separated stems or a sequence.

        Without anchors the pattern is searched whenever its group is asked for — for cues that
        are only consulted after something else fired (a drug word needs a sale cue).
        """
        if isinstance(anchors, str):
            anchors = anchors.split()
        i = len(self.patterns)
        if not anchors:
            if not regex:
                raise ValueError("a pattern without anchors needs a regex")
            self.always_by_group[group] = self.always_by_group.get(group, frozenset()) | {i}
        self.patterns.append((rule, re.compile(regex) if regex else None))
        self.groups.setdefault(group, []).append(i)
        self.group_of.append(group)
        for a in anchors:
            self._anchors.setdefault(a, []).append((i, regex is None))
        self._auto = None

    def _automaton(self) -> ahocorasick.Automaton:
        if self._auto is None:
            auto = ahocorasick.Automaton()
            for anchor, targets in self._anchors.items():
                auto.add_word(anchor, (len(anchor), tuple(targets)))
            auto.make_automaton()
            self._auto = auto
        return self._auto

    def scan(self, text: str) -> Hits:
        """One automaton pass: which patterns of which groups the text may match."""
        by_group: dict[str, set[int]] = {}
        stems: dict[int, tuple[int, int]] = {}
        group_of = self.group_of
        for end, (size, targets) in self._automaton().iter(text):
            start = end - size + 1
            for i, literal in targets:
                if literal:
                    if i in stems or (start and text[start - 1] in _LETTER):
                        continue
                    stems[i] = (start, end + 1)
                g = group_of[i]
                if g in by_group:
                    by_group[g].add(i)
                else:
                    by_group[g] = {i}
        return Hits(self, text, by_group, stems)
