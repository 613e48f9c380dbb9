"""Undo the usual obfuscation of Russian words while remembering where each letter came from.

Why two passes exist: the engine must judge tens of thousands of comments a second, so the
everyday path (:func:`word_text`, :func:`skeleton`) is built only from C-speed operations —
``str.translate`` for the one-to-one replacements and compiled regular expressions for the few
steps that change the length. Only when a rule actually fires does :func:`skeleton_with_map`
replay *the same* regular-expression steps while tracking, for every normalised character, the
(start, end) of the original characters it stands for — so a verdict can quote the word exactly
as the author typed it (``п.и.з.д.е.ц``, ``бляяяядь``, ``х*й``).

The steps, in order:

1. one-to-one (:data:`WORD_TABLE`): Latin look-alikes to Cyrillic (case-sensitive: ``H`` looks
   like ``Н``, ``h`` is a transliterated ``х``), ``ё`` → ``е``, Ukrainian/Belarusian letters to
   Russian ones; then lower case. The result (``word_text``) keeps digits, so spam phrases such
   as «от 5000 в день» still read as written.
2. one-to-one (:data:`OBSCENE_TABLE`): digits that stand for letters (``3`` → ``з``, ``6`` →
   ``б``, ``0`` → ``о``, ``9`` → ``я``…), ``ъ`` → ``ь``, masking characters (``* @ # $ %``) to
   ``*``, a wildcard that the obscene matcher fills in.
3. invisible characters (stress marks, zero-width spaces, soft hyphens) are dropped, and
   ``}{`` → ``х``.
4. single letters separated by spaces or punctuation are joined (``х.у.й``, ``е б а т ь``); a
   gap of two or more spaces stays a word break.
5. short pieces joined by punctuation inside one token are joined (``пи.зд.ец``, ``бл-ядь``),
   unless a piece is a whole word by itself (``ну,блядь`` keeps ``блядь`` a word).
6. runs of the same letter collapse to one (``бляяяядь`` → ``блядь``; also ``касса`` → ``каса``,
   which is why every lexicon and allowlist entry goes through the same function) — except a
   doubled ``е``, which Russian spells on purpose (``переебать``, ``длинношеее``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

#: Latin letters (both cases) that stand for Cyrillic ones in mixed-script words.
_LOOKALIKE = {
    "a": "а", "A": "а", "b": "б", "B": "в", "c": "с", "C": "с", "d": "д", "D": "д",
    "e": "е", "E": "е", "f": "ф", "F": "ф", "g": "г", "G": "г", "h": "х", "H": "н",
    "i": "и", "I": "и", "j": "й", "J": "й", "k": "к", "K": "к", "l": "л", "L": "л",
    "m": "м", "M": "м", "n": "п", "N": "н", "o": "о", "O": "о", "p": "р", "P": "р",
    "q": "к", "Q": "к", "r": "г", "R": "р", "s": "с", "S": "с", "t": "т", "T": "т",
    "u": "и", "U": "и", "v": "в", "V": "в", "w": "ш", "W": "ш", "x": "х", "X": "х",
    "y": "у", "Y": "у", "z": "з", "Z": "з",
    "ё": "е", "Ё": "е", "і": "и", "І": "и", "ї": "и", "Ї": "и", "є": "е", "Є": "е",
    "ў": "у", "Ў": "у",
}  # fmt: skip
WORD_TABLE = str.maketrans(_LOOKALIKE)

#: Digits read as letters and masking characters, applied after :data:`WORD_TABLE`.
OBSCENE_TABLE = str.maketrans(
    {
        "0": "о",
        "1": "и",
        "3": "з",
        "4": "ч",
        "6": "б",
        "8": "в",
        "9": "я",
        "ъ": "ь",
        "*": "*",
        "@": "*",
        "#": "*",
        "$": "*",
        "%": "*",
    }
)

LETTERS = "абвгдежзийклмнопрстуфхцчшщьыэюя"
WORD_CHARS = LETTERS + "*"
_L = "а-яь"  # after the tables only Russian lower-case letters (and ``*``) remain
_W = _L + "*"
_SEP = r"\s.,\-_|/\\'\"~+:;!?^`"

_HX = re.compile(r"\}\{")
#: stress marks, zero-width characters and soft hyphens: never a real break inside a word
_INVISIBLE = re.compile("[\u0300-\u036f\u00ad\u200b-\u200f\u2060\ufeff]+")
_SPACED = re.compile(rf"(?<![{_W}])[{_W}](?:[{_SEP}]{{1,3}}[{_W}](?![{_W}])){{2,}}")
_INWORD = re.compile(rf"(?<![{_W}])[{_W}]++(?:[.\-_|/\\'\"~+^]++[{_W}]++)+")
_INWORD_SPLIT = re.compile(r"[.\-_|/\\'\"~+^]+")
#: a doubled ``е`` is kept (``переебать`` must keep its prefix); three or more collapse
_REPEAT = re.compile(r"([а-дж-яь])\1+")
_E_RUN = re.compile(r"ее{2,}")
_OBSCENE_RUN = re.compile(r"[\d*@#$%ъ]+")
_NOT_WORD = re.compile(rf"[^{_W}]+")
# cheap tests that let the common comment skip a step that would change nothing
_NEEDS_WORD_TABLE = re.compile("[A-Za-zіІїЇєЄўЎ]")
# (each starts with a character class, which lets ``re`` skip ahead instead of trying every
# position: four times faster than the same test written letter-first)
_NEEDS_OBSCENE_TABLE = re.compile(
    r"[\d*@#$%ъ](?:(?<=[а-яё]\d)|(?<=[а-яё][\W_]\d)|(?=[\W_]?[а-яё])|(?<=[*@#$%ъ]))"
)
_HAS_INWORD = re.compile(rf"[.\-_|/\\'\"~+^]+[{_W}]")
_HAS_REPEAT = re.compile(rf"([{_L}])\1")
#: anything steps 2–5 would touch except spaced letters: most comments have none of it
_ATTENTION = re.compile(
    "[\\d*@#$%ъ}\u0300-\u036f\u00ad\u200b-\u200f\u2060\ufeff]|[.\\-_|/\\\\'\"~+^][а-яь*]"
)
#: two single letters in a row: a cheap necessary condition for :data:`_SPACED`
_SPACED_HINT = re.compile(rf"[{_SEP}][{_W}][{_SEP}]{{1,3}}[{_W}](?:[{_SEP}]|$)")
_WIDE_GAP = re.compile(r"\s{2,}")
#: a piece that is a whole obscene word by itself must not be glued to its neighbour
_STANDALONE = re.compile(r"^(?:бля|ху[йеяию]|пизд|пезд|еб[аулнн]|мудак|залуп)")


def lower(text: str) -> str:
    """Lower case without changing the length (``İ`` would otherwise become two characters)."""
    low = text.lower()
    if len(low) == len(text):
        return low
    return "".join(ch if len(ch.lower()) != 1 else ch.lower() for ch in text)


def word_text(text: str) -> str:
    """Step 1: look-alikes mapped, ``ё`` → ``е``, lower case; one character per original one."""
    if _NEEDS_WORD_TABLE.search(text):
        return lower(text.translate(WORD_TABLE))
    low = lower(text)
    return low.replace("ё", "е") if "ё" in low else low


def _obscene_chars(word: str) -> str:
    """Step 2 (digits, masks, ``ъ``), skipped when no digit touches a letter and no mask occurs."""
    if not _NEEDS_OBSCENE_TABLE.search(word):
        return word
    # translating only the runs is three times faster than ``word.translate`` on Cyrillic text
    return _OBSCENE_RUN.sub(_translate_run, word)


def _translate_run(m: re.Match) -> str:
    return m.group().translate(OBSCENE_TABLE)


def _join_spaced(m: re.Match) -> str:
    """``е б а т ь`` → ``ебать``; a wider gap stays a word break (``п и ш и  в  л с``)."""
    return " ".join(_NOT_WORD.sub("", part) for part in _WIDE_GAP.split(m.group()))


def _join_inword(m: re.Match) -> str:
    token = m.group()
    pieces = [p for p in _INWORD_SPLIT.split(token) if p]
    if any(len(p) >= 3 and _STANDALONE.match(p) for p in pieces[1:]):
        return token
    short = sum(1 for p in pieces if len(p) <= 2)
    if all(len(p) <= 3 for p in pieces) or short * 2 >= len(pieces):
        return "".join(pieces)
    return token


_STEPS: tuple[tuple[re.Pattern, Callable[[re.Match], str] | str], ...] = (
    (_INVISIBLE, ""),
    (_HX, "х"),
    (_SPACED, _join_spaced),
    (_INWORD, _join_inword),
    (_REPEAT, lambda m: m.group(1)),
    (_E_RUN, "е"),
)


def has_spaced(word: str) -> bool:
    """Does the text spell something out letter by letter (``е б а т ь``)?"""
    return _SPACED_HINT.search(word) is not None and _SPACED.search(word) is not None


def skeleton(word: str, spaced: bool | None = None) -> str:
    """Steps 2–6 on the output of :func:`word_text`: the string the obscene roots are matched in.

    ``spaced`` is :func:`has_spaced` of ``word`` when the caller already knows it (the spam
    rules ask the same question), so the step is skipped when it would change nothing.
    """
    if not _ATTENTION.search(word):
        s = word
        if spaced is not False:
            s = _SPACED.sub(_join_spaced, s)
    else:
        s = _obscene_chars(word)
        if _INVISIBLE.search(s):
            s = _INVISIBLE.sub("", s)
        if "}{" in s:
            s = _HX.sub("х", s)
        s = _SPACED.sub(_join_spaced, s)
        if _HAS_INWORD.search(s):
            s = _INWORD.sub(_join_inword, s)
    if _HAS_REPEAT.search(s):
        s = _REPEAT.sub(r"\1", s)
        if "еее" in s:
            s = _E_RUN.sub("е", s)
    return s


def _mapped_sub(pattern: re.Pattern, repl, s: str, spans: list[tuple[int, int]]):
    """``pattern.sub(repl, s)`` that also rewrites ``spans`` (one (start, end) per character).

    A replaced match gives each of its replacement characters the span of the whole match: spans
    are only ever used to find where a *word* starts and ends in the original, and a match never
    crosses a word boundary.
    """
    out: list[str] = []
    new_spans: list[tuple[int, int]] = []
    pos = 0
    for m in pattern.finditer(s):
        a, b = m.span()
        out.append(s[pos:a])
        new_spans.extend(spans[pos:a])
        r = repl(m) if callable(repl) else repl
        if r == m.group():
            out.append(r)
            new_spans.extend(spans[a:b])
        elif r:
            whole = (spans[a][0], spans[b - 1][1])
            out.append(r)
            new_spans.extend([whole] * len(r))
        pos = b
    out.append(s[pos:])
    new_spans.extend(spans[pos:])
    return "".join(out), new_spans


def skeleton_with_map(text: str, word: str | None = None) -> tuple[str, list[tuple[int, int]]]:
    """The same string as ``skeleton(word)``, with the original span of each character.

    ``word`` defaults to ``word_text(text)``; any string with one character per character of
    ``text`` will do (the obscene matcher passes one with Latin tokens blanked out).
    """
    s = _obscene_chars(word_text(text) if word is None else word)
    spans = [(i, i + 1) for i in range(len(s))]
    for pattern, repl in _STEPS:
        s, spans = _mapped_sub(pattern, repl, s, spans)
    return s, spans


# --- transliteration of all-Latin words (``blyat``, ``nahuy``) ---------------------------------

_TRANSLIT_MULTI = (
    ("shch", "щ"), ("sch", "щ"), ("zh", "ж"), ("kh", "х"), ("ch", "ч"), ("sh", "ш"),
    ("ts", "ц"), ("ya", "я"), ("ja", "я"), ("ia", "я"), ("yu", "ю"), ("ju", "ю"),
    ("yo", "е"), ("jo", "е"), ("ye", "е"), ("je", "е"),
)  # fmt: skip
_TRANSLIT_ONE = dict(zip("abcdefghijklmnopqrstuvwxz", "абцдефгхийклмнопкрстуввхз", strict=True))
_TRANSLIT_RE = re.compile("|".join(m for m, _ in _TRANSLIT_MULTI) + "|[a-z]")
_TRANSLIT_MAP = dict(_TRANSLIT_MULTI)


@lru_cache(maxsize=4096)
def translit(latin: str) -> str:
    """Russian reading of an all-Latin word, e.g. ``pizdec`` → ``пиздец``, ``huy`` → ``хуй``."""
    out: list[str] = []
    for m in _TRANSLIT_RE.finditer(latin.lower()):
        piece = m.group()
        if piece in _TRANSLIT_MAP:
            out.append(_TRANSLIT_MAP[piece])
        elif piece == "y":
            out.append("й" if out and out[-1] in "аеиоуыэюя" else "ы")
        else:
            out.append(_TRANSLIT_ONE[piece])
    return _E_RUN.sub("е", _REPEAT.sub(r"\1", "".join(out)))


@lru_cache(maxsize=8192)
def norm_word(word: str) -> str:
    """A lexicon or allowlist entry as the matcher sees it (same steps as the comment text)."""
    return skeleton(word_text(word))
