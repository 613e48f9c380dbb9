"""Tokens and what pymorphy3 says about them, for the bureaucratese linter.

A token (:class:`_Tok`) keeps its span in the original text; its parses, lemmas and cases
are cached per word, so a text costs little once its words were seen. The word classes here
(genitive, adjective, agent, person, verbal or action noun) are what the rules in
:mod:`hub.plan.lint_rules` ask about a token; the rules themselves live there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import pymorphy3

from hub.plan.lint_lexicon import ACTION_NOUNS, AGENT_NOUNS, NOT_VERBAL

_WORD = re.compile(r"[А-Яа-яЁёA-Za-z0-9]+(?:-[А-Яа-яЁёA-Za-z0-9]+)*")
_VERBAL_SUFFIXES = ("ние", "тие", "ция", "ство", "ение")
_NOMINAL = frozenset({"NOUN", "ADJF", "PRTF", "NPRO", "NUMR"})


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


@lru_cache(maxsize=65536)
def _cases(word: str) -> frozenset[str]:
    """Cases a nominal word can take (none when it is most likely not a nominal)."""
    parses = _parses(word)
    if parses[0].tag.POS not in _NOMINAL:
        return frozenset()
    # indeclinable and abbreviated readings («Мороз», «к») would take every case
    return frozenset(
        p.tag.case
        for p in parses
        if p.tag.POS in _NOMINAL and p.tag.case and not {"Abbr", "Fixd"} & p.tag.grammemes
    )


def _has_case(tok: _Tok, case: str) -> bool:
    return case in _cases(tok.low)


def _is_gent(tok: _Tok) -> bool:
    """A genitive nominal (or a number): «в рамках проекта», «в рамках 5-го этапа»."""
    return tok.low[0].isdigit() or _has_case(tok, "gent")


def _is_adj(tok: _Tok) -> bool:
    return _top(tok.low).tag.POS in ("ADJF", "PRTF")


def _is_agent(tok: _Tok) -> bool:
    """A noun naming who acts: a person or group, or an organisation."""
    p = _top(tok.low)
    return p.tag.POS == "NOUN" and ("anim" in p.tag or p.normal_form in AGENT_NOUNS)


def _is_person(tok: _Tok) -> bool:
    """A person or people («с ним», «с земляками»), not «с морозами» (also a surname)."""
    nouns = [p for p in _parses(tok.low) if p.tag.POS in ("NOUN", "NPRO")]
    common = [p for p in nouns if not {"Surn", "Name", "Patr"} & p.tag.grammemes]
    if common:
        return all("anim" in p.tag or p.tag.POS == "NPRO" for p in common)
    return bool(nouns) and tok.text[0].isupper()


def _is_action(tok: _Tok) -> bool:
    """A verbal noun or an action noun without the suffix («уборка», «вывоз»)."""
    return _is_verbal(tok) or (
        _top(tok.low).tag.POS == "NOUN" and bool(_lemmas(tok.low) & ACTION_NOUNS)
    )


def _is_verbal(tok: _Tok) -> bool:
    p = _top(tok.low)
    return (
        p.tag.POS == "NOUN"
        and p.normal_form.endswith(_VERBAL_SUFFIXES)
        and p.normal_form not in NOT_VERBAL
    )
