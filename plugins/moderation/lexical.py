"""Insults, aggression and unlawful content: lexicons with lemmatisation, and phrase patterns.

Why lemmas: Russian inflects — «идиотами», «дебилу», «сволочей», «зарежу» — and listing every
form by hand misses some. pymorphy3 gives the dictionary form, but at ~40 µs a word it is far too
slow to run on every word of every comment. So an Aho-Corasick automaton of the first four
letters of every form of every lexicon word picks the few candidate tokens (a hit must start a
word), and only those are lemmatised, each distinct token once per process (:func:`analyse` is an
``lru_cache``). The rules for context are described in :mod:`hub_moderation.lexicon`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick

from . import lexicon as lx
from .phrases import Hits, PhraseBook

_TOKEN = re.compile(r"[а-яё]+(?:-[а-яё]+)?")
_LETTER = frozenset("абвгдеёжзийклмнопрстуфхцчшщъыьэюя")
_SENTENCE_END = re.compile(r"[.!?\n;]")
_INNOCENT = re.compile(r"\bв дурака\b|\bдурак[а-я]* валя|\bпо-собачьи\b")
_CALL_FORMS = frozenset({"1sg", "1pl", "impr", "infn"})

_morph = None


def _analyzer():
    global _morph
    if _morph is None:
        import pymorphy3

        _morph = pymorphy3.MorphAnalyzer()
    return _morph


@dataclass(frozen=True)
class Parse:
    lemma: str
    form: str  # 1sg / 1pl (first-person future), impr, infn, other
    case: str | None
    pos: str | None
    person: str | None


@lru_cache(maxsize=200_000)
def analyse(token: str) -> tuple[Parse, ...]:
    """The distinct likely parses of a token (at most four), cached per word."""
    out: list[Parse] = []
    for p in _analyzer().parse(token)[:4]:
        tag = p.tag
        if tag.POS == "INFN":
            form = "infn"
        elif tag.mood == "impr":
            form = "impr"
        elif tag.person == "1per" and tag.tense == "futr":
            form = "1sg" if tag.number == "sing" else "1pl"
        else:
            form = "other"
        item = Parse(p.normal_form.replace("ё", "е"), form, tag.case, tag.POS, tag.person)
        if item not in out:
            out.append(item)
    return tuple(out)


@lru_cache(maxsize=4096)
def _lexeme_prefixes(word: str) -> frozenset[str]:
    """First four letters of every form of the word (the automaton's keys)."""
    forms = {word}
    for p in _analyzer().parse(word)[:2]:
        forms.update(f.word.replace("ё", "е") for f in p.lexeme)
    return frozenset(f[:4] for f in forms)


@dataclass(frozen=True)
class LexHit:
    category: str
    rule: str
    start: int
    end: int


def _window(word: str, start: int, end: int, k: int) -> list[str]:
    """Up to ``k`` words on each side of [start, end) within the same sentence."""
    left = word[max(0, start - 80) : start]
    ends = [m.end() for m in _SENTENCE_END.finditer(left)]
    if ends:
        left = left[ends[-1] :]
    right = word[end : end + 80]
    stop = _SENTENCE_END.search(right)
    if stop:
        right = right[: stop.start()]
    return _TOKEN.findall(left)[-k:] + _TOKEN.findall(right)[:k]


def _is_person(token: str, nominative: bool = False, verbs: bool = True) -> bool:
    """A pronoun of address, a word for a person, or (with ``verbs``) a second-person verb.

    With ``nominative`` only a person who is the subject or addressee counts («сосед — козёл»,
    «вы козлы»), not an owner («у соседа козёл»). An adjective agrees with a noun, so for it a
    verb is no evidence («ножи тупые, купите точилку»).
    """
    if token in lx.PRONOUNS:
        return not nominative or token in ("ты", "вы")
    for p in analyse(token):
        if verbs and p.person == "2per" and p.pos in ("VERB", "INFN"):
            return True
        if p.lemma in lx.PERSON_LEMMAS and (not nominative or p.case in ("nomn", "voct")):
            return True
    return False


def _is_object(token: str) -> bool:
    if token in lx.OBJECT_WORDS:
        return True
    return any(p.lemma in lx.PERSON_LEMMAS for p in analyse(token))


def _is_title(text: str, start: int) -> bool:
    """A capitalised word in quotes or after a hyphenated name: «Идиот», Иван-дурак."""
    if start >= 2 and text[start - 1] == "-" and text[start - 2].isalpha():
        j = start - 2
        while j > 0 and text[j - 1].isalpha():
            j -= 1
        return text[j].isupper()
    before = text[max(0, start - 3) : start]
    return text[start].isupper() and any(q in before for q in '«"„')


class Lexical:
    """Finds insults, threats and unlawful content; extendable from settings.

    ``unlawful_words``, ``insult_words`` and ``aggression_words`` (settings lists) add words —
    matched in any inflected form — or, when they contain a space, literal phrases.
    """

    def __init__(self, book: PhraseBook, unlawful_words=(), insult_words=(), aggression_words=()):
        self.kinds: dict[str, str] = {}
        for words, kind in (
            (lx.STRONG_INSULTS, "insult"),
            (lx.CONTEXT_INSULTS, "insult_ctx"),
            (lx.STRONG_THREATS, "threat"),
            (lx.SOLO_THREATS, "threat_solo"),
            (lx.WEAK_THREATS, "threat_weak"),
            (lx.HARM_WISHES, "wish"),
            (lx.DRUG_WORDS, "drug"),
        ):
            for w in words:
                self.kinds.setdefault(w, kind)
        self.forms = {w: "threat" for w in lx.THREAT_FORMS}
        for rule, anchors, regex in lx.AGGRESSION_PHRASES:
            book.add("aggression", rule, anchors, regex)
        for rule, anchors, regex in lx.UNLAWFUL_PHRASES:
            book.add("unlawful", rule, anchors, regex)
        book.add("drug_sale", *lx.DRUG_SALE)
        book.add("drug_sale_strong", *lx.DRUG_SALE_STRONG)
        for words, kind, cat in (
            (unlawful_words, "unlawful_word", "unlawful"),
            (insult_words, "insult", "insult"),
            (aggression_words, "aggression_word", "aggression"),
        ):
            for raw in words or ():
                w = str(raw).strip().lower().replace("ё", "е")
                if " " in w:
                    book.add(cat, f"{cat}.settings", [w])
                elif w:
                    for p in analyse(w):
                        self.kinds[p.lemma] = kind
                    self.kinds[w] = kind
                    self.forms[w] = kind
        self.auto = ahocorasick.Automaton()
        for w in list(self.kinds) + list(self.forms):
            for key in _lexeme_prefixes(w) | {w[:4]}:
                self.auto.add_word(key, len(key))
        self.auto.make_automaton()

    def find(self, text: str, word: str, hits: Hits) -> dict[str, LexHit]:
        """The first hit per category (``word`` is the normalised text, ``hits`` its phrases)."""
        found: dict[str, LexHit] = {}
        for cat in ("unlawful", "aggression"):
            ph = hits.first(cat)
            if ph:
                found[cat] = LexHit(cat, ph.rule, ph.start, ph.end)
        seen: set[int] = set()
        drug: LexHit | None = None
        drugs: set[str] = set()
        n = len(word)
        for end, size in self.auto.iter(word):
            start = end - size + 1
            if start in seen or (start > 0 and word[start - 1] in _LETTER):
                continue
            seen.add(start)
            stop = end + 1
            while stop < n and word[stop] in _LETTER:
                stop += 1
            hit = self._judge_token(text, word, start, stop)
            if hit is None:
                continue
            if hit.category == "drug":
                drug = drug or hit
                drugs.add(word[hit.start : hit.end][:4])
            elif hit.category == "insult" and "insult" in found:
                continue
            elif hit.category == "aggression" and hit.rule.endswith("settings"):
                found["aggression"] = hit
            else:
                found.setdefault(hit.category, hit)
        if drug is not None and "unlawful" not in found:
            token = word[drug.start : drug.end]
            ambiguous = any(p.lemma in lx.AMBIGUOUS_DRUGS for p in analyse(token)[:1])
            if len(drugs) > 1 or hits.any("drug_sale_strong" if ambiguous else "drug_sale"):
                found["unlawful"] = LexHit("unlawful", "unlawful.drugs", drug.start, drug.end)
        return found

    def _judge_token(self, text: str, word: str, start: int, stop: int) -> LexHit | None:
        token = word[start:stop]
        if token in self.forms:
            return self._hit(
                self.forms[token],
                text,
                word,
                start,
                stop,
                Parse(token, "1sg", None, "VERB", "1per"),
            )
        for p in analyse(token)[:3]:
            kind = self.kinds.get(p.lemma)
            if kind is not None:
                hit = self._hit(kind, text, word, start, stop, p)
                if hit:
                    return hit
        return None

    def _hit(self, kind: str, text: str, word: str, start: int, stop: int, p: Parse):
        if kind in ("insult", "insult_ctx"):
            if _is_title(text, start) or _INNOCENT.search(word, max(0, start - 3), stop + 8):
                return None
            if kind == "insult_ctx" and not self._said_to_person(word, start, stop, p):
                return None
            return LexHit("insult", "insult.lexicon", start, stop)
        if kind == "threat" and p.form in _CALL_FORMS:
            return LexHit("aggression", "aggression.threat", start, stop)
        if kind in ("threat_solo", "threat_weak") and p.form in _CALL_FORMS:
            if (kind == "threat_solo" and p.form == "1sg") or any(
                _is_object(t) for t in _window(word, start, stop, 3)
            ):
                return LexHit("aggression", "aggression.threat", start, stop)
            return None
        if kind == "wish" and p.form == "impr":
            return LexHit("aggression", "aggression.wish", start, stop)
        if kind == "drug":
            return LexHit("drug", "unlawful.drugs", start, stop)
        if kind == "unlawful_word":
            return LexHit("unlawful", "unlawful.settings", start, stop)
        if kind == "aggression_word":
            return LexHit("aggression", "aggression.settings", start, stop)
        return None

    @staticmethod
    def _said_to_person(word: str, start: int, stop: int, p: Parse) -> bool:
        """A contextual insult counts only when it names a person (see the lexicon's rules)."""
        if p.lemma in lx.CONTEXT_ADJECTIVES or p.pos in ("ADJF", "ADJS"):
            return any(_is_person(t, verbs=False) for t in _window(word, start, stop, 1))
        near = _window(word, start, stop, 2)
        if p.case == "ablt":
            return any(t in lx.PREDICATE_WORDS for t in near)
        if p.case not in ("nomn", "voct", None):
            return False
        return any(_is_person(t, nominative=True) for t in near)
