"""The bureaucratese rules: each reads one sentence's tokens and returns its findings.

:func:`sentence_findings` runs them all on a sentence, in a fixed order (the order decides
which of two equal findings survives deduplication in :mod:`hub.plan.lint`); the
long-sentence rule, deduplication and the score stay there. Here: канцеляризмы from
``PHRASES`` with their sense checks (``_phrases``, ``_sense_ok``), «данный» (``_dannyj``),
«производить» (``_proizvodit``), «будет проходить» (``_budet_prohodit``), chains of verbal
nouns (``_chains``), passives (``_passives``, ``_official_passive``) and press-release
openings (``_press``); and :func:`outside_titles`, which drops findings inside a quoted
document title. Token morphology is in :mod:`hub.plan.lint_morph`, the word lists in
:mod:`hub.plan.lint_lexicon`. :class:`Finding` is defined here because every rule builds
one; its public home is :mod:`hub.plan.lint`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.plan.lint_lexicon import (
    CHAIN_HEADS,
    CONNECTION_NOUNS,
    DATE_WORDS,
    DOCUMENT_WORDS,
    DURATIVE_MARKERS,
    LIGHT_REFLEXIVE,
    OSUSHCHESTVIT_OK,
    PASSIVE_OK,
    PASSIVE_REFLEXIVE,
    PHRASES,
    PRESS_FORMULA_NEXT,
    PRESS_OPENERS,
    PRESS_SUBJECTS,
    PRESS_VERBS,
)
from hub.plan.lint_morph import (
    _VERBAL_SUFFIXES,
    _WORD,
    _has_case,
    _is_action,
    _is_adj,
    _is_agent,
    _is_gent,
    _is_person,
    _is_verbal,
    _lemmas,
    _parses,
    _Tok,
    _top,
)

_BE = frozenset({"был", "была", "было", "были", "будет", "будут", "будь"})
_PREPS = frozenset({"с", "со", "за", "под", "над", "перед", "между", "пред", "подо", "надо"})
_CLAUSE_BREAK = re.compile(r"[,:;—–()«»\"]")


@dataclass(frozen=True)
class Finding:
    rule: str
    span: tuple[int, int]
    match: str
    suggestion: str
    severity: int


def sentence_findings(text: str, toks: list[_Tok], first: bool) -> list[Finding]:
    """Every rule's findings in one sentence (``first``: the text's opening sentence)."""
    found = _press(text, toks, first)
    found += _phrases(text, toks) + _dannyj(text, toks) + _proizvodit(text, toks)
    found += _chains(text, toks) + _passives(text, toks) + _budet_prohodit(text, toks)
    return found


def _matches(tok: _Tok, matcher: str) -> bool:
    kind, alts = matcher[0], matcher[1:].split("|")
    if kind == "=":
        return tok.low in alts
    if kind == "@":
        return _CLASSES[matcher[1:]](tok)
    lemmas = _lemmas(tok.low)
    if kind == "~":
        return any(a in lemmas for a in alts)
    return any(lem.startswith(a) for lem in lemmas for a in alts)


_CLASSES = {
    "gent": _is_gent,
    "adj": _is_adj,
    "agent": _is_agent,
    "verbal": lambda tok: _is_action(tok) and _top(tok.low).tag.case == "gent",
}


def _window(text: str, toks: list[_Tok], i: int, step: int, size: int) -> list[int]:
    """Indexes of up to ``size`` tokens from ``i`` in direction ``step``, within the clause."""
    out, k = [], i
    while len(out) < size:
        nxt = k + step
        if not 0 <= nxt < len(toks):
            break
        a, b = (toks[k], toks[nxt]) if step > 0 else (toks[nxt], toks[k])
        if _CLAUSE_BREAK.search(text, a.end, b.start):
            break
        out.append(nxt)
        k = nxt
    return out


def _finding(text: str, rule: str, a: _Tok, b: _Tok, suggestion: str, sev: int) -> Finding:
    return Finding(rule, (a.start, b.end), text[a.start : b.end], suggestion, sev)


def _instrumental_near(text: str, toks: list[_Tok], i: int) -> bool:
    """An instrumental predicate next to «является»: «является гордостью», «главной задачей»."""
    for k in _window(text, toks, i, 1, 4) + _window(text, toks, i, -1, 3):
        if toks[k].low in ("чем", "тем") or (k and toks[k - 1].low in _PREPS):
            continue
        if _has_case(toks[k], "ablt"):
            return True
    return False


def _sense_ok(rule: str, text: str, toks: list[_Tok], i: int, n: int) -> bool:
    """Sense checks for lookalikes: «осуществить мечту», «является» = appears, «в связи со
    школой» = a connection with a place or a person, photos «в рамках» = in frames."""
    if rule == "kanc.osushchestvlyat":
        near = _window(text, toks, i, 1, 2) + _window(text, toks, i, -1, 2)
        return not any(_lemmas(toks[k].low) & OSUSHCHESTVIT_OK for k in near)
    if rule == "kanc.yavlyatsya":
        return _instrumental_near(text, toks, i)
    if rule == "kanc.v_ramkah":  # «в рамках проекта», not photos «в рамках» (frames)
        return i + n < len(toks) and _is_gent(toks[i + n])
    if rule == "kanc.v_svyazi_s" and i + n < len(toks):
        nxt = toks[i + n]
        return not (_lemmas(nxt.low) & CONNECTION_NOUNS or _is_person(nxt))
    return True


def _index_phrases() -> tuple[dict, dict, list]:
    """Index PHRASES by their first matcher so a token looks up only its candidates."""
    by_surface: dict[str, list] = {}
    by_lemma: dict[str, list] = {}
    other: list = []
    for phrase in PHRASES:
        first = phrase[1][0]
        kind, alts = first[0], first[1:].split("|")
        if kind in "=~":
            for a in alts:
                (by_surface if kind == "=" else by_lemma).setdefault(a, []).append(phrase)
        else:
            other.append(phrase)
    return by_surface, by_lemma, other


_BY_SURFACE, _BY_LEMMA, _OTHER_PHRASES = _index_phrases()
_ORDER = {id(p): n for n, p in enumerate(PHRASES)}


def _phrases(text: str, toks: list[_Tok]) -> list[Finding]:
    out = []
    for i, tok in enumerate(toks):
        candidates = list(_BY_SURFACE.get(tok.low, ()))
        for lem in _lemmas(tok.low):
            candidates.extend(_BY_LEMMA.get(lem, ()))
        candidates.extend(_OTHER_PHRASES)
        seen = set()
        for phrase in sorted(candidates, key=lambda p: _ORDER[id(p)]):
            if id(phrase) in seen:
                continue
            seen.add(id(phrase))
            rule, pattern, suggestion, sev = phrase
            n = len(pattern)
            if (
                i + n <= len(toks)
                and all(_matches(toks[i + k], pattern[k]) for k in range(n))
                and _sense_ok(rule, text, toks, i, n)
            ):
                out.append(_finding(text, rule, toks[i], toks[i + n - 1], suggestion, sev))
    return out


def _budet_prohodit(text: str, toks: list[_Tok]) -> list[Finding]:
    """«будет проходить 8 сентября» for a one-off dated event: «пройдёт»; an undated, repeated
    or lasting event («будет проходить каждую субботу», «всё лето») reads naturally."""
    out = []
    for i in range(len(toks) - 1):
        if toks[i].low not in ("будет", "будут") or toks[i + 1].low != "проходить":
            continue
        lemmas = [_lemmas(t.low) for t in toks]
        dated = any(t.low[0].isdigit() for t in toks) or any(lem & DATE_WORDS for lem in lemmas)
        if not dated:
            continue  # no date: «обучение будет проходить в новом классе» is a plain future
        if any(lem & DURATIVE_MARKERS for lem in lemmas):
            continue
        if any(
            t.low == "по" and k + 1 < len(toks) and _top(toks[k + 1].low).tag.number == "plur"
            for k, t in enumerate(toks)
        ):
            continue
        out.append(_finding(text, "kanc.budet_prohodit", toks[i], toks[i + 1], "«пройдёт»", 2))
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
        elif lem & LIGHT_REFLEXIVE and _top(t.low).tag.POS in ("VERB", "INFN"):
            # «производится уборка» (a light verb), not «здесь производится сыр» (made).
            near = _window(text, toks, i, 1, 3) + _window(text, toks, i, -1, 3)
            if any(_is_action(toks[k]) for k in near):
                out.append(_finding(text, "kanc.proizvodit", t, t, "назовите действие глаголом", 2))
        elif "производство" in lem and i + 1 < len(toks):
            nxt = _top(toks[i + 1].low)
            if nxt.tag.case == "gent" and (
                nxt.normal_form.endswith(_VERBAL_SUFFIXES) or nxt.normal_form == "работа"
            ):
                out.append(
                    _finding(text, "kanc.proizvodit", t, toks[i + 1], "назовите действие", 3)
                )
    return out


def _chain_head(tok: _Tok) -> bool:
    p = _top(tok.low)
    return p.tag.POS == "NOUN" and p.normal_form in CHAIN_HEADS


def _chains(text: str, toks: list[_Tok]) -> list[Finding]:
    """Two or more verbal nouns linked by the genitive (or «по» + dative).

    Genitive adjectives may stand between the links («мер социальной поддержки»); an
    abstract head («недопустимость», «порядок») counts when a verbal noun follows it."""
    out, i = [], 0
    while i < len(toks):
        head = _chain_head(toks[i])
        if not (_is_verbal(toks[i]) or head):
            i += 1
            continue
        j, verbal, k = i, 1, i + 1
        while k < len(toks):
            link = toks[k]
            if link.low == "по" and k + 1 < len(toks) and _is_action(toks[k + 1]):
                j, k, verbal = k + 1, k + 2, verbal + 1
                continue
            p = _top(link.low)
            if p.tag.POS == "NOUN" and p.tag.case == "gent":
                j, k = k, k + 1
                verbal += _is_action(link)
                continue
            if p.tag.POS in ("ADJF", "PRTF") and p.tag.case == "gent" and k + 1 < len(toks):
                k += 1  # an adjective between links; the chain ends at a noun only
                continue
            break
        if head:
            # a head counts only when its first noun is a verbal one: «недопустимость
            # сжигания», «порядок предоставления», not «вопрос жителей»
            nouns = [m for m in range(i + 1, j + 1) if _top(toks[m].low).tag.POS == "NOUN"]
            if not nouns or not _is_action(toks[nouns[0]]):
                verbal = 0
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


def _agrees(prts, tok: _Tok) -> bool:
    """``tok`` is a nominative noun that can be the subject of the short participle."""
    number = prts.tag.number
    for q in _parses(tok.low):
        if (
            q.tag.POS == "NOUN"
            and q.tag.case == "nomn"
            and q.tag.number == number
            and (number == "plur" or q.tag.gender is None or q.tag.gender == prts.tag.gender)
        ):
            return True
    return False


def _official_passive(text: str, toks: list[_Tok], i: int, prts) -> bool:
    """The official form of a short passive, not «магазин закрыт», «дорога отремонтирована»:
    an action as its subject («запланировано выполнение работ», «проведение … назначено»),
    the participle before its subject («подведены итоги», «определён подрядчик») or an
    agent in the instrumental («выполнены подрядной организацией»)."""
    for k in _window(text, toks, i, 1, 3):
        if _agrees(prts, toks[k]):
            return True  # inverted order: participle first, then its subject
        if _top(toks[k].low).tag.POS not in ("ADJF", "PRTF", "ADVB", "NUMR"):
            break
    for k in _window(text, toks, i, 1, 4):
        if (
            _top(toks[k].low).tag.case == "ablt"
            and _is_agent(toks[k])
            and toks[k - 1].low not in _PREPS
        ):
            return True
    for k in range(i - 1, -1, -1):
        if _agrees(prts, toks[k]):
            # an action with its object: «Проведение слушаний … назначено», not «Решение
            # принято»
            return (
                _is_verbal(toks[k])
                and k + 1 < i
                and _top(toks[k + 1].low).tag.POS in ("NOUN", "ADJF", "PRTF")
                and _has_case(toks[k + 1], "gent")
            )
    return False


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
                    2 if _official_passive(text, toks, i, p) else 1,
                )
            )
        elif _lemmas(t.low) & PASSIVE_REFLEXIVE and p.tag.POS in ("VERB", "INFN"):
            start = toks[i - 1] if i and toks[i - 1].low in _BE else t
            out.append(
                _finding(
                    text,
                    "passive.reflexive",
                    start,
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
            sev = 3
            if len(opener) == 1 and opener[0] in ("сообщаем", "информируем"):
                # the formula is «Сообщаем, что…», «Информируем жителей о…»; «Сообщаем
                # радостную новость» is a warm opening and «Информируем:» a mild one
                gap = text[toks[0].end : toks[1].start] if len(toks) > 1 else ""
                if ":" in gap:
                    sev = 1
                elif len(toks) > 1 and lows[1] not in PRESS_FORMULA_NEXT:
                    return out
            out.append(
                _finding(text, "press.opening", toks[0], toks[len(opener) - 1], suggestion, sev)
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


def _quoted_titles(text: str) -> list[tuple[int, int]]:
    """Spans of «…» that quote a document title: «О порядке …», закон «…» (kept verbatim)."""
    spans, depth, start = [], 0, 0
    for m in re.finditer("[«»]", text):
        if m.group() == "«":
            depth += 1
            if depth == 1:
                start = m.end()
        elif depth:
            depth -= 1
            if not depth:
                spans.append((start, m.start()))
    out = []
    for a, b in spans:
        inner = text[a:b].lstrip()
        before = _WORD.findall(text, max(0, a - 60), a)
        if re.match(r"(?:О|Об|Обо)\s", inner) or (
            before and _lemmas(before[-1].lower()) & DOCUMENT_WORDS
        ):
            out.append((a, b))
    return out


def outside_titles(text: str, findings: list[Finding]) -> list[Finding]:
    if "«" not in text:
        return findings
    titles = _quoted_titles(text)
    return [
        f
        for f in findings
        if f.rule == "style.long_sentence"
        or not any(a <= f.span[0] and f.span[1] <= b for a, b in titles)
    ]
