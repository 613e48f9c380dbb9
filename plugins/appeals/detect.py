"""Is a resident's comment an appeal — a question, a complaint, a request — and why.

Rules, in order, each naming the words that fired (as a moderation verdict does):

1. ``request.verb`` — the resident asks for something to be done («прошу», «примите меры»,
   «уберите», «почините»): a request, whatever else it says.
2. ``complaint.rhetorical`` — a question that is a complaint («сколько можно», «когда это
   закончится», «куда смотрит администрация»).
3. ``question.mark`` / ``question.word`` — a question: a «?» with something to ask about, or a
   question word opening a clause («когда», «где», «подскажите», «будет ли») addressed to the
   administration or about a topic.
4. ``complaint.words`` — a problem reported or dissatisfaction («до сих пор», «не вывозят»,
   «нет воды», «безобразие»).

Not appeals: thanks and praise with none of the above, chatter, and replies between residents
(a reply must address the administration or name a topic). On a watch page (the governor's,
the region's) a comment counts only if it names one of the municipality's places. Spam and
the community's own comments never reach the detector (the core skips them).

Words match at the start of a word, in any case, «ё» as «е»: «отоплени» finds «отопление»,
«отоплением». The lists are deliberately short and readable; a municipality that needs more
adds ``[appeals.topics]`` or its own plugin on the hook.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from hub.appeals.finding import COMPLAINT, QUESTION, REQUEST, AppealFinding

from .topics import DEFAULT_TOPICS

REQUEST_WORDS = (
    "прошу", "просим", "просьба", "примите меры", "принять меры", "примите же", "помогите",
    "сделайте", "уберите", "почините", "почистите", "очистите", "отремонтируйте",
    "разберитесь", "обратите внимание", "установите", "поставьте", "проверьте", "вывезите",
    "решите вопрос", "решите проблем", "организуйте", "верните", "требуем", "требую",
    "нужно сделать", "надо сделать", "необходимо сделать", "хотелось бы", "будьте добры",
    "проведите", "спилите", "отсыпьте", "засыпьте", "покосите", "посыпьте", "наведите порядок",
    "восстановите", "замените", "отключите", "включите", "продлите", "откройте", "закройте",
    "запустите", "пустите", "назначьте", "добавьте", "примите", "огородите", "залатайте",
    "заберите", "ответьте на", "дайте ответ", "рассмотрите", "отремонтировать", "убрать",
)  # fmt: skip
#: imperatives that ask for information, not for something to be done
ASKING_IMPERATIVES = (
    "подскажите", "скажите", "уточните", "объясните", "расскажите", "поясните", "напишите",
)  # fmt: skip
#: imperatives of ordinary talk, not addressed to the administration as a request
TALK_IMPERATIVES = (
    "извините", "простите", "смотрите", "посмотрите", "представьте", "поверьте", "знаете",
    "слушайте", "давайте", "поздравляйте", "берегите", "пишите", "заходите", "приходите",
    "голосуйте", "участвуйте", "присоединяйтесь", "держитесь", "угадайте", "подумайте",
    "попробуйте", "продолжайте", "вы знаете", "берите", "читайте", "звоните", "вступайте",
    "подписывайтесь", "обращайтесь", "пишите", "заказывайте", "смотрите",
)  # fmt: skip
RHETORICAL = (
    "сколько можно", "доколе", "когда это закончится", "когда это кончится", "когда же это",
    "сколько еще ждать", "сколько ещё ждать", "сколько ждать", "кто ответит", "куда смотрит",
    "куда смотрят", "за что мы платим", "за что платим", "где деньги", "почему опять",
    "почему снова", "сколько это будет продолжаться", "когда наконец", "когда уже",
    "это нормально", "нормально что", "нормально, что", "кто это разрешил", "кто разрешил",
    "кто придумал", "вы хоть раз", "кому нужны", "кому вообще нужн", "где врачи",
    "это лечение", "о каком", "и это называется", "это называется", "сами пробовали",
)  # fmt: skip
#: talk between residents, not to the administration
CHATTER = (
    "девочки", "девчонки", "соседи", "кто-нибудь", "кто нибудь", "кто знает", "кто-то знает",
    "не администрация", "шучу", "снимали", "фото супер", "ребята, кто", "люди, кто",
    "ты ", "тебе", "тебя", "твой", "твоя", "твои",  # «ты» is for a neighbour, not an office
)  # fmt: skip
QUESTION_WORDS = (
    "когда", "почему", "зачем", "где", "куда", "кто", "сколько", "как ", "каким образом",
    "какой", "какая", "какие", "каком", "будет ли", "будут ли", "можно ли", "нельзя ли",
    "планируется ли", "планируют ли", "подскажите", "скажите", "уточните",
    "интересует", "хотелось бы узнать", "хочу узнать", "не подскажете", "есть ли", "почем",
    "что будет", "что делать", "что с ", "а будет", "а будут", "будет ли", "до какого",
    "в каком", "по какому", "на сколько", "насколько", "во сколько", "каким", "какого",
)  # fmt: skip
COMPLAINT_WORDS = (
    "не вывоз", "не убира", "не убрал", "не чист", "не работа", "не горит", "не горят",
    "не ремонтир", "не отремонтир", "не отвеча", "не реагир", "не посыпа", "не приезжа",
    "не приехал", "до сих пор", "опять", "снова", "безобраз", "бардак", "позор", "возмутит",
    "возмущ", "издеват", "беспредел", "безответств", "нет воды", "нет света", "нет отоплени",
    "холодные батаре", "батареи холодн", "мерзнем", "мерзнут", "замерза", "грязь", "свалк",
    "переполнен", "отключ", "жалоб", "прокуратур", "невозможно", "ужас", "отвратит", "разбит",
    "который день", "которую неделю", "который месяц", "третий день", "второй день",
    "неделю уже", "месяц уже", "никто не", "ничего не дела", "обещали", "обещания", "отписк",
    "стыдно", "халатн", "бездейств", "разворов", "воруют", "невыносим", "страшно", "опасно",
    "не можем", "не могу дозвон", "не дозвон", "затопил", "топит", "течет", "течёт", "воняет",
    "вонь", "сломал", "сломан", "не выдают", "не дают", "задерживают", "тишина", "игнорир",
    "ямы", "яма", "аварийн", "пьян", "драки", "холодно", "плесен", "очередь", "очереди",
    "хамят", "хамит", "хамство", "курит", "ржав", "без отоплени", "пересох", "шатает",
    "закрыли", "темно", "ни одного", "не позвали", "не действу", "на бумаге", "нечем",
    "негде", "довели", "открытый люк", "провалил", "пыль", "как хотят", "простояло",
    "классика", "через две недели", "нет фельдшер", "нет врач", "нет вообще", "не ходит",
    "не ходят", "не приходит", "дорого", "подняли",
)  # fmt: skip
THANKS = (
    "спасибо", "благодар", "молодц", "поздравля", "с праздник", "с днем", "умнички",
    "отлично", "здорово", "супер", "прекрасн", "красота", "ура",
)  # fmt: skip
ADDRESS = (
    "администрац", "глава", "главе", "главы", "главу", "власт", "депутат", "чиновник", "мэр",
    "сельсовет", "уважаем", "вы ", "вас ", "вам ", "ваш",
)  # fmt: skip

_LETTER = "а-яёa-z0-9"


@dataclass(frozen=True)
class Detected:
    """The detector's finding on plain text (what ``bench/appeals.py`` measures)."""

    kind: str
    rule: str
    match: str
    topic: str | None = None

    def finding(self) -> AppealFinding:
        return AppealFinding(self.kind, self.rule, self.match, self.topic)


def normalized(text: str) -> str:
    """Lower case, «ё» as «е», same length (so a match's span is the original's)."""
    return text.lower().replace("ё", "е")


@lru_cache(maxsize=64)
def _pattern(words: tuple[str, ...]) -> re.Pattern[str]:
    """One regex for a word list: each word at the start of a word, longest first."""
    ordered = sorted({normalized(w) for w in words if w.strip()}, key=len, reverse=True)
    body = "|".join(re.escape(w) for w in ordered) or "(?!)"
    return re.compile(rf"(?<![{_LETTER}])(?:{body})")


def _find(words: tuple[str, ...], text: str, norm: str) -> str | None:
    found = _pattern(words).search(norm)
    return text[found.start() : found.end()].strip() if found else None


def _topic(text: str, norm: str, topics: dict[str, tuple[str, ...]]) -> str | None:
    """The topic whose words the comment uses most; on a tie, the one listed first."""
    best, best_hits = None, 0
    for name, words in topics.items():
        hits = len(_pattern(tuple(words)).findall(norm))
        if hits > best_hits:
            best, best_hits = name, hits
    return best


def _clause_question(text: str, norm: str) -> str | None:
    """A question word opening the text or a clause (after . ! ? , ; or a dash)."""
    for start in [0, *(m.end() for m in re.finditer(r"[.!?,;:\n—-]\s*", norm))]:
        head = norm[start : start + 40]
        found = _pattern(QUESTION_WORDS).match(head)
        if found:
            return text[start + found.start() : start + found.end()].strip()
    return None


def place_stems(place: str) -> tuple[str, ...]:
    """A place's words cut to a stem that finds their forms («Клочки» → «клоч»)."""
    words = re.findall(rf"[{_LETTER}№]+", normalized(place))
    return tuple(w if len(w) <= 4 or w.isdigit() else w[: max(4, len(w) - 2)] for w in words)


def names_place(text: str, places: Iterable[str]) -> str | None:
    """The first place a text names, every word of it in some form, or None."""
    norm = normalized(text)
    for place in places:
        stems = place_stems(place)
        if stems and all(re.search(rf"(?<![{_LETTER}]){re.escape(stem)}", norm) for stem in stems):
            return place
    return None


def detect(
    text: str,
    topics: dict[str, tuple[str, ...]] | dict[str, list[str]] | None = None,
    *,
    is_reply: bool = False,
) -> Detected | None:
    """The appeal in ``text``, or None (see the module's rules)."""
    text = text or ""
    norm = normalized(text)
    if len(re.sub(rf"[^{_LETTER}]", "", norm)) < 6:
        return None
    topics = {k: tuple(v) for k, v in (topics or DEFAULT_TOPICS).items()}
    topic = _topic(text, norm, topics)
    addressed = _find(ADDRESS, text, norm)
    if is_reply and not (addressed or topic):
        return None  # residents talking to each other
    finding = _classify(text, norm, topic, addressed)
    return finding


_IMPERATIVE = re.compile(rf"(?<![{_LETTER}])([а-я]{{3,}}(?:ите|йте))(?![{_LETTER}])")


def _imperative(text: str, norm: str) -> str | None:
    """A request in the imperative («залатайте», «огородите»), not one asking for
    information («подскажите») nor one of ordinary talk («извините», «смотрите»)."""
    skip = {normalized(w) for w in (*ASKING_IMPERATIVES, *TALK_IMPERATIVES)}
    for found in _IMPERATIVE.finditer(norm):
        if found.group(1) not in skip:
            return text[found.start(1) : found.end(1)]
    return None


def _classify(text: str, norm: str, topic: str | None, addressed: str | None) -> Detected | None:
    if found := _find(REQUEST_WORDS, text, norm) or _imperative(text, norm):
        return Detected(REQUEST, "request.verb", found, topic)
    if found := _find(RHETORICAL, text, norm):
        return Detected(COMPLAINT, "complaint.rhetorical", found, topic)
    if _find(CHATTER, text, norm):
        return None  # residents asking each other
    word = _clause_question(text, norm)
    if "?" in norm:
        return Detected(QUESTION, "question.mark", word or "?", topic)
    opening = _pattern(QUESTION_WORDS).match(re.sub(r"^\s*(?:а|и)\s+", "", norm))
    if opening and len(norm.split()) < 4:
        opening = None  # «Какая милота»: too short to be asking the administration
    if opening or (word and (addressed or topic)):
        return Detected(QUESTION, "question.word", word or opening.group(0).strip(), topic)
    if found := _find(COMPLAINT_WORDS, text, norm):
        return Detected(COMPLAINT, "complaint.words", found, topic)
    return None
