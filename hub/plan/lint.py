"""Bureaucratese (канцелярит) linter for post drafts.

``lint(text)`` returns a :class:`LintReport` with findings (rule id, span into the
original text, the text as written, a plain suggestion and a severity 1–3) and a score.

Rules: канцеляризмы matched on pymorphy3 lemmas (``kanc.*``), chains of verbal nouns
(``chain.verbal_nouns``), passive constructions (``passive.short``,
``passive.reflexive``), over-long sentences (``style.long_sentence``) and press-release
openings (``press.opening``). Sense checks keep lookalikes clean (photos «в рамках»,
«осуществить мечту», «является» = appears, «в связи со школой»), and text inside «…» that
quotes a document title («О порядке …», закон «…») is not linted: titles are quoted verbatim.
A short passive weighs 2 in its official form (see ``lint_rules._official_passive``), else 1.

What lives where: this module is the public API — :func:`lint`, :class:`LintReport`,
:class:`Finding` (defined in :mod:`hub.plan.lint_rules`, which builds it), the split into
sentences, the long-sentence rule, deduplication and the score. The other rules and the
quoted-title check are in :mod:`hub.plan.lint_rules`, tokens and their morphology in
:mod:`hub.plan.lint_morph`, the word lists in :mod:`hub.plan.lint_lexicon`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from hub.plan.lint_morph import _WORD, _Tok
from hub.plan.lint_rules import Finding, outside_titles, sentence_findings

__all__ = ["MIN_WORDS", "SCORE_PER_SEVERITY", "Finding", "LintReport", "lint"]

SCORE_PER_SEVERITY = 2.0
MIN_WORDS = 20

_SENTENCE_END = re.compile(r"[.!?…]+[»\"')]*(?=\s|$)|\n\s*\n")


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    score: float = 0.0
    words: int = 0


def _sentences(text: str) -> list[tuple[int, int]]:
    spans, start = [], 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.end()))
        start = m.end()
    if text[start:].strip():
        spans.append((start, len(text)))
    return [
        (s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in spans if text[s:e].strip()
    ]


def lint(text: str, *, max_sentence_words: int = 25) -> LintReport:
    """Lint ``text`` for bureaucratese.

    The score is the sum of finding severities per 100 words, times
    ``SCORE_PER_SEVERITY`` (2), capped at 100; texts shorter than ``MIN_WORDS`` (20)
    count as 20 words so a lone short sentence is not over-punished. One severity-3
    канцелярит in a short sentence scores 30, a clean text 0.
    """
    findings: list[Finding] = []
    words = 0
    for n, (s, e) in enumerate(_sentences(text)):
        toks = [
            _Tok(m.group(), m.group().lower().replace("ё", "е"), s + m.start(), s + m.end())
            for m in _WORD.finditer(text[s:e])
        ]
        if not toks:
            continue
        words += len(toks)
        found = sentence_findings(text, toks, n == 0)
        if len(toks) > max_sentence_words:
            sev = 2 if len(toks) > 1.5 * max_sentence_words else 1
            found.append(
                Finding(
                    "style.long_sentence",
                    (s, e),
                    text[s:e],
                    f"разбейте на 2–3 предложения: {len(toks)} слов при норме {max_sentence_words}",
                    sev,
                )
            )
        findings.extend(found)
    findings = _dedupe(outside_titles(text, findings))
    weight = sum(f.severity for f in findings)
    score = min(100.0, SCORE_PER_SEVERITY * 100.0 * weight / max(words, MIN_WORDS))
    return LintReport(findings=findings, score=round(score, 1), words=words)


def _dedupe(findings: list[Finding]) -> list[Finding]:
    """Drop findings whose span lies inside a heavier-or-equal finding's span (same kind)."""
    findings.sort(key=lambda f: (f.span[0], -f.span[1], -f.severity))
    out: list[Finding] = []
    for f in findings:
        inside = any(
            g.rule != "style.long_sentence"
            and f.rule != "style.long_sentence"
            and g.span[0] <= f.span[0]
            and f.span[1] <= g.span[1]
            and g.severity >= f.severity
            and g.rule.split(".")[0] == f.rule.split(".")[0]
            for g in out
        )
        if not inside:
            out.append(f)
    return out
