"""The obscene roots (Russian мат) and the words that merely contain their letters.

Why roots carry a *position*: most innocent look-alikes are told apart by where the letters sit
in the word, not by a list. ``еб`` is мат at the start of a word or after a verbal prefix
(``ебать``, ``заебали``, ``долбоёб``) but not inside ``хлеб``, ``себя``, ``требовать``,
``ребёнок``; ``блят`` starts ``блять`` but sits inside ``употреблять``; ``хуй`` follows only
``на/по/ни/о…`` (``нахуй``, ``охуеть``) and not ``стра`` (``страхуй``) or ``ти`` (``тихую``).
The allowlist is the second line of defence for the words the position rule cannot settle
(``скипидар``, ``команда``, ``мандарин``); all-Latin words are judged only by transliteration,
with their own list of English exceptions (``ebay``, ``job``).

Modes:

``start``  the root begins the word or follows one of the listed prefixes;
``any``    anywhere in the word (roots that no innocent Russian word contains);
``word``   the whole word is one of the listed forms (``бля``, ``манда``).

Every string here is written in plain Russian and passed through
:func:`hub_moderation.normalize.norm_word` at load time, like the text it is compared with.
"""

from __future__ import annotations

# verbal and nominal prefixes seen before the roots (``ъ`` is read as ``ь``)
_EB_PREFIXES = (
    "за", "у", "вы", "на", "по", "до", "от", "оть", "об", "обь", "раз", "разь", "рас", "рась",
    "сь", "вь", "изь", "из", "при", "про", "пере", "недо", "подь", "надь",
    "долбо", "долба", "мудо", "дуро",
)  # fmt: skip
_HU_PREFIXES = (
    "на", "по", "ни", "не", "о", "а", "за", "от", "до", "вы", "рас", "раз", "с", "при", "пере",
    "недо", "под", "об", "в",
)  # fmt: skip
_BLYAD_PREFIXES = ("вы", "за", "раз", "по")

#: (root as written, mode, prefixes or whole-word forms)
ROOTS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("хуй", "start", _HU_PREFIXES),
    ("хуе", "start", _HU_PREFIXES),
    ("хуя", "start", _HU_PREFIXES),
    ("хуи", "start", _HU_PREFIXES),
    ("хую", "start", _HU_PREFIXES),
    # «хули/хуле/хуля» coincide with rare forms of «хула/хулить»; in comments they are мат, and
    # «хулить», «хулиган», «хулы» stay clean because only these whole words count
    ("хул", "word", ("хули", "хуле", "хуля", "нахули", "нахуле", "нахуля")),
    ("пизд", "any", ()),
    ("пизж", "any", ()),
    ("пезд", "any", ()),
    ("еб", "start", _EB_PREFIXES),
    ("йоб", "start", ()),
    ("епт", "word", ("ебт", "епт", "епта", "ебта", "ёпт", "ёпта", "ёптить")),
    ("бляд", "start", _BLYAD_PREFIXES),
    ("блят", "start", _BLYAD_PREFIXES),
    ("бля", "word", ("бля", "блябля")),
    ("мудак", "start", ()),
    ("мудач", "start", ()),
    ("мудил", "start", ()),
    ("мудоз", "start", ()),
    ("мудох", "start", ("за", "от")),
    ("залуп", "any", ()),
    ("манд", "word", ("манда", "манды", "манде", "манду", "мандой", "мандою", "мандами")),
    ("мандав", "start", ()),
    ("мандюк", "start", ()),
    ("пидор", "start", ()),
    ("пидар", "start", ()),
    ("пидр", "start", ()),
)

#: substrings that, when they overlap a root in a word, make the word innocent
ALLOW_STEMS: tuple[str, ...] = (
    # -бля- / -блят- / -бляд- inside a word
    "корабл", "рубл", "сабл", "оскорбл", "употребл", "потребл", "истребл", "злоупотребл",
    "стебл", "ансамбл", "дирижабл", "колебл", "грабл", "бляха", "бляш", "блях", "гребл",
    "теребл", "скобля", "зыбля",
    # -еб-
    "хлеб", "неб", "треб", "греб", "реб", "колеб", "учеб", "служеб", "судеб",
    "лебед", "глеб", "щеб", "жереб", "вебин", "веб", "дебат", "дебют", "дебет", "дебил",
    "шебут", "погреб", "серебр", "волшеб", "ущерб", "дебош", "ебург",
    # -хуй- / -хуе- / -хую- / -хуя-
    "страху", "психу", "тиху", "сухую", "глуху", "плоху", "лиху", "ветху", "неплоху", "трухую",
    "чихуахуа", "хуан", "хуавей", "хуторок",
    # -муд-
    "мудр", "мудрец",
    # -манд-
    "команд", "мандарин", "мандат", "мандол", "мандраж", "мандельштам", "аманд", "командир",
    # -пидар-
    "скипидар", "спидер", "спидр", "лапидар", "тепидар",
    # -пизд- never occurs innocently; -залуп- neither
)  # fmt: skip

#: English words that transliterate into an obscene root and must be skipped as a whole
LATIN_ALLOW: frozenset[str] = frozenset(
    {
        "hue",
        "hues",
        "huey",
        "ebay",
        "ebook",
        "ebooks",
        "ebony",
        "ebola",
        "ebb",
        "ebbs",
        "job",
        "jobs",
        "yob",
        "yobs",
        "mudd",
        "eben",
        "ebert",
        "hoo",
    }  # fmt: skip
)
