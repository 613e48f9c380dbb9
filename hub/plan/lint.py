"""Bureaucratese (канцелярит) linter for post drafts.

``lint(text)`` returns a :class:`LintReport` with findings (rule id, span into the
original text, the text as written, a plain suggestion and a severity 1–3) and a score.

Rules: канцеляризмы matched on pymorphy3 lemmas (``kanc.*``), chains of verbal nouns
(``chain.verbal_nouns``), passive constructions (``passive.short``,
``passive.reflexive``), over-long sentences (``style.long_sentence``) and press-release
openings (``press.opening``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache

import pymorphy3

from hub.plan.lint_lexicon import (
    NOT_VERBAL,
    PASSIVE_OK,
    PASSIVE_REFLEXIVE,
    PHRASES,
    PRESS_OPENERS,
    PRESS_SUBJECTS,
    PRESS_VERBS,
)

SCORE_PER_SEVERITY = 2.0
MIN_WORDS = 20

_WORD = re.compile(r"[А-Яа-яЁёA-Za-z0-9]+(?:-[А-Яа-яЁёA-Za-z0-9]+)*")
_SENTENCE_END = re.compile(r"[.!?…]+[»\"')]*(?=\s|$)|\n\s*\n")
_VERBAL_SUFFIXES = ("ние", "тие", "ция", "ство", "ение")
_BE = frozenset({"был", "была", "было", "были", "будет", "будут", "будь"})


@dataclass(frozen=True)
class Finding:
    rule: str
    span: tuple[int, int]
    match: str
    suggestion: str
    severity: int


@dataclass
class LintReport:
    findings: list[Finding] = field(default_factory=list)
    score: float = 0.0
    words: int = 0


@dataclass(frozen=True)
class _Tok:
    text: str
    low: str
    start: int
    end: int


@lru_cache(maxsize=1)
def _morph() -> pymorphy3.MorphAnalyzer:
    return pymorphy3.MorphAnalyzer()


@lru_cache(maxsize=65536)
def _parses(word: str) -> tuple:
    return tuple(_morph().parse(word))


@lru_cache(maxsize=65536)
def _lemmas(word: str) -> frozenset[str]:
    return frozenset(p.normal_form.replace("ё", "е") for p in _parses(word))


def _top(word: str):
    return _parses(word)[0]


def _matches(tok: _Tok, matcher: str) -> bool:
    kind, alts = matcher[0], matcher[1:].split("|")
    if kind == "=":
        return tok.low in alts
    lemmas = _lemmas(tok.low)
    if kind == "~":
        return any(a in lemmas for a in alts)
    return any(lem.startswith(a) for lem in lemmas for a in alts)


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


def _finding(text: str, rule: str, a: _Tok, b: _Tok, suggestion: str, sev: int) -> Finding:
    return Finding(rule, (a.start, b.end), text[a.start : b.end], suggestion, sev)


def _phrases(text: str, toks: list[_Tok]) -> list[Finding]:
    out = []
    for rule, pattern, suggestion, sev in PHRASES:
        n = len(pattern)
        for i in range(len(toks) - n + 1):
            if all(_matches(toks[i + k], pattern[k]) for k in range(n)):
                out.append(_finding(text, rule, toks[i], toks[i + n - 1], suggestion, sev))
    return out


def _dannyj(text: str, toks: list[_Tok]) -> list[Finding]:
    """«данный/данная/данного …» as a demonstrative, not «данные» (data)."""
    out = []
    for i, t in enumerate(toks):
        if not t.low.startswith("данн") or i + 1 >= len(toks):
            continue
        forms = [p for p in _parses(t.low) if p.normal_form in ("данный", "дать")]
        forms = [p for p in forms if {"ADJF", "PRTF"} & set(p.tag.grammemes)]
        noun = _top(toks[i + 1].low)
        if not forms or noun.tag.POS != "NOUN" or toks[i + 1].low.startswith("данн"):
            continue
        if any(p.tag.case == noun.tag.case and p.tag.number == noun.tag.number for p in forms):
            out.append(_finding(text, "kanc.dannyj", t, t, "«этот», «эта», «это» или уберите", 3))
    return out


def _proizvodit(text: str, toks: list[_Tok]) -> list[Finding]:
    """«производить»/«производство» in the sense of doing something."""
    out = []
    for i, t in enumerate(toks):
        lem = _lemmas(t.low)
        if lem & {"производить", "произвести"} and "производиться" not in lem:
            out.append(_finding(text, "kanc.proizvodit", t, t, "«делать» или назовите действие", 3))
        elif "производство" in lem and i + 1 < len(toks):
            nxt = _top(toks[i + 1].low)
            if nxt.tag.case == "gent" and (
                nxt.normal_form.endswith(_VERBAL_SUFFIXES) or nxt.normal_form == "работа"
            ):
                out.append(
                    _finding(text, "kanc.proizvodit", t, toks[i + 1], "назовите действие", 3)
                )
    return out


def _is_verbal(tok: _Tok) -> bool:
    p = _top(tok.low)
    return (
        p.tag.POS == "NOUN"
        and p.normal_form.endswith(_VERBAL_SUFFIXES)
        and p.normal_form not in NOT_VERBAL
    )


def _chains(text: str, toks: list[_Tok]) -> list[Finding]:
    """Two or more verbal nouns linked by the genitive (or «по» + dative)."""
    out, i = [], 0
    while i < len(toks):
        if not _is_verbal(toks[i]):
            i += 1
            continue
        j, verbal, k = i, 1, i + 1
        while k < len(toks):
            link = toks[k]
            if link.low == "по" and k + 1 < len(toks) and _is_verbal(toks[k + 1]):
                j, k, verbal = k + 1, k + 2, verbal + 1
                continue
            p = _top(link.low)
            if p.tag.POS == "NOUN" and p.tag.case == "gent":
                j, k = k, k + 1
                verbal += _is_verbal(link)
                continue
            break
        if verbal >= 2:
            sev = 3 if verbal >= 3 else 2
            out.append(
                _finding(
                    text,
                    "chain.verbal_nouns",
                    toks[i],
                    toks[j],
                    "замените цепочку отглагольных существительных глаголом: "
                    "«проводим», «обеспечим» → «сделаем»",
                    sev,
                )
            )
        i = j + 1
    return out


def _passives(text: str, toks: list[_Tok]) -> list[Finding]:
    out = []
    for i, t in enumerate(toks):
        p = _top(t.low)
        if p.tag.POS == "PRTS" and "pssv" in p.tag and p.normal_form not in PASSIVE_OK:
            start = toks[i - 1] if i and toks[i - 1].low in _BE else t
            out.append(
                _finding(
                    text,
                    "passive.short",
                    start,
                    t,
                    "скажите, кто сделал: «мы провели», «дворники убрали»",
                    1,
                )
            )
        elif _lemmas(t.low) & PASSIVE_REFLEXIVE and p.tag.POS == "VERB":
            out.append(
                _finding(
                    text,
                    "passive.reflexive",
                    t,
                    t,
                    "скажите, кто делает: «мы проводим», «рабочие ремонтируют»",
                    2,
                )
            )
    return out


def _press(text: str, toks: list[_Tok], first: bool) -> list[Finding]:
    out = []
    lows = [t.low for t in toks]
    for opener, suggestion in PRESS_OPENERS:
        if tuple(lows[: len(opener)]) == opener:
            out.append(
                _finding(text, "press.opening", toks[0], toks[len(opener) - 1], suggestion, 3)
            )
            return out
    if lows and lows[0] in PRESS_SUBJECTS:
        for k in range(1, min(len(lows), 10)):
            if lows[k] in PRESS_VERBS:
                out.append(
                    _finding(
                        text,
                        "press.opening",
                        toks[0],
                        toks[k],
                        "пишите от первого лица и с сути: «Мы…», «Завтра…»",
                        3 if first else 2,
                    )
                )
                break
    return out


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
        found = _press(text, toks, n == 0)
        found += _phrases(text, toks) + _dannyj(text, toks) + _proizvodit(text, toks)
        found += _chains(text, toks) + _passives(text, toks)
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
    findings = _dedupe(findings)
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
