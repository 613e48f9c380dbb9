"""Finds Russian мат in a comment, however it is disguised, and says where the author wrote it.

How: the comment's skeleton (:mod:`hub_moderation.normalize`) is scanned once with an
Aho-Corasick automaton of the roots; every hit is then *confirmed* against the word it sits in —
the root's position rule (start of the word or after a prefix, anywhere, or whole word) and the
allowlist of innocent words — because a bare substring test would delete «употреблять» and
«хлеб». Words with masking characters (``х*й``, ``п***ц``, ``бл@дь``) are aligned against the
roots with the masks as wildcards. All-Latin words are also read as transliteration (``nahuy``).

Only a confirmed hit pays for the slow, position-tracking normalisation that turns the word's
place in the skeleton back into a span of the original text.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick

from .normalize import WORD_CHARS, norm_word, skeleton, skeleton_with_map, translit, word_text
from .obscene_lexicon import ALLOW_STEMS, LATIN_ALLOW, ROOTS

_MASKED = re.compile(r"(?<![а-яь*])[а-яь][а-яь*]*\*[а-яь*]*")
_LATIN_WORD = re.compile(r"(?<![a-z0-9@./_-])[a-z0-9]*[a-z][a-z0-9]*(?![a-z0-9_@])")
_HAS_LATIN = re.compile(r"[A-Za-z]")
#: a whitespace-delimited token with Latin letters and no Cyrillic: a handle, a link, an English
#: or transliterated word — read only by transliteration, never through the look-alike table
_LATIN_TOKEN = re.compile(r"(?<!\S)[^\sА-Яа-яЁё]*[A-Za-z][^\sА-Яа-яЁё]*(?!\S)")
_MAX_VARIANTS = 27


@dataclass(frozen=True)
class _Rule:
    root: str
    mode: str  # start | any | word
    options: frozenset[str]  # prefixes (start) or whole-word forms (word)


@dataclass(frozen=True)
class ObsceneHit:
    """A confirmed obscene word: its span in the original text and the root that fired."""

    start: int
    end: int
    root: str


def _build():
    roots = ahocorasick.Automaton()
    by_key: dict[str, list[_Rule]] = {}
    for root, mode, options in ROOTS:
        key = norm_word(root)
        opts = frozenset(norm_word(o) for o in options)
        by_key.setdefault(key, []).append(_Rule(key, mode, opts))
    for key, rules in by_key.items():
        roots.add_word(key, (key, tuple(rules)))
    roots.make_automaton()
    allow = ahocorasick.Automaton()
    for stem in ALLOW_STEMS:
        s = norm_word(stem)
        allow.add_word(s, s)
    allow.make_automaton()
    keys = tuple((key, tuple(rules)) for key, rules in by_key.items())
    return roots, allow, keys


_ROOTS, _ALLOW, _KEYS = _build()


def _wild_eq(a: str, b: str) -> bool:
    """``a`` equals ``b`` where ``*`` in ``a`` stands for any one letter."""
    return len(a) == len(b) and all(x == y or x == "*" for x, y in zip(a, b, strict=True))


def _word_bounds(s: str, a: int, b: int) -> tuple[int, int]:
    while a > 0 and s[a - 1] in WORD_CHARS:
        a -= 1
    n = len(s)
    while b < n and s[b] in WORD_CHARS:
        b += 1
    return a, b


def _allowed(word: str, root_at: int, root_len: int) -> bool:
    """True when an allowlisted stem overlaps the root."""
    for end, stem in _ALLOW.iter(word):
        start = end - len(stem) + 1
        if start < root_at + root_len and end >= root_at:
            return True
    return False


def _confirm(word: str, at: int, rules: tuple[_Rule, ...]) -> bool:
    """Does the root found at ``at`` inside ``word`` make the word obscene?"""
    for rule in rules:
        if rule.mode == "any":
            ok = True
        elif rule.mode == "start":
            prefix = word[:at]
            ok = not prefix or prefix in rule.options
            if not ok and "*" in prefix:
                ok = any(_wild_eq(prefix, p) for p in rule.options)
        else:
            ok = word in rule.options or (
                "*" in word and any(_wild_eq(word, f) for f in rule.options)
            )
        if ok and not _allowed(word, at, len(rule.root)):
            return True
    return False


def _scan(sk: str) -> tuple[int, int, str] | None:
    """First confirmed root in a skeleton: (word start, word end, root) in skeleton positions."""
    for end, (key, rules) in _ROOTS.iter(sk):
        at = end - len(key) + 1
        ws, we = _word_bounds(sk, at, end + 1)
        if _confirm(sk[ws:we], at - ws, rules):
            return ws, we, key
    return None


def _mask_variants(word: str) -> list[str]:
    """The word with each run of masks one shorter, as long, or one longer (``п***ц``)."""
    runs = re.split(r"(\*+)", word)
    choices = []
    for piece in runs:
        if piece.startswith("*"):
            k = len(piece)
            choices.append(["*" * n for n in (k, k - 1, k + 1) if n >= 1])
        else:
            choices.append([piece])
    out = ["".join(c) for c in itertools.product(*choices)]
    return out[:_MAX_VARIANTS]


@lru_cache(maxsize=4096)
def masked_root(word: str) -> str | None:
    """The root a masked word hides, if any: masks are wildcards for one letter each.

    A root must share at least one real letter with the word where it is aligned, so ``у***``
    is not read as ``уеб``.
    """
    for variant in _mask_variants(word):
        n = len(variant)
        for key, rules in _KEYS:
            k = len(key)
            for i in range(n - k + 1):
                piece = variant[i : i + k]
                if "*" not in piece or not _wild_eq(piece, key) or piece == "*" * k:
                    continue
                filled = variant[:i] + key + variant[i + k :]
                if _confirm(filled, i, rules):
                    return key
    return None


@lru_cache(maxsize=4096)
def latin_root(word: str) -> str | None:
    """The root an all-Latin word spells, read as transliteration (``blyat``, ``nahuy``) or as
    look-alike letters (``xyu``)."""
    if len(word) < 3 or word in LATIN_ALLOW:
        return None
    hit = _scan(translit(word)) or _scan(skeleton(word_text(word)))
    return hit[2] if hit else None


def _original_span(text: str, word: str, ws: int, we: int, sk: str) -> tuple[int, int]:
    """Map a word's skeleton bounds back to the original text (slow path, confirmed hits only)."""
    sk2, spans = skeleton_with_map(text, word)
    if sk2 != sk or we > len(spans):  # cannot happen: both paths run the same steps
        return 0, len(text)
    return spans[ws][0], spans[we - 1][1]


def _blank_latin(text: str, word: str) -> str:
    """``word`` with every all-Latin token replaced by spaces (positions unchanged)."""
    parts, pos = [], 0
    for m in _LATIN_TOKEN.finditer(text):
        parts.append(word[pos : m.start()])
        parts.append(" " * (m.end() - m.start()))
        pos = m.end()
    parts.append(word[pos:])
    return "".join(parts)


def find_obscene(text: str, word: str, spaced: bool | None = None) -> ObsceneHit | None:
    """The first obscene word of ``text``; ``word`` is ``normalize.word_text(text)`` and
    ``spaced`` (optional) whether it spells anything out letter by letter."""
    latin = _HAS_LATIN.search(text) is not None
    if latin:
        word = _blank_latin(text, word)
        spaced = None
    sk = skeleton(word, spaced)
    hit = _scan(sk)
    if hit:
        ws, we, key = hit
        return ObsceneHit(*_original_span(text, word, ws, we, sk), key)
    if "*" in sk:
        for m in _MASKED.finditer(sk):
            key = masked_root(m.group())
            if key:
                return ObsceneHit(*_original_span(text, word, m.start(), m.end(), sk), key)
    low = text.lower() if latin else ""
    if low and len(low) == len(text):
        for m in _LATIN_WORD.finditer(low):
            key = latin_root(m.group())
            if key:
                return ObsceneHit(m.start(), m.end(), key)
    return None
