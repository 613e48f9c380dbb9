"""Recognises criticism of the administration's work, so it is answered rather than deleted.

Why a flag and not a category: every act in the brief lists what to delete (spam, insults, мат,
aggression, unlawful content) and criticism is not on the list — a complaint is a citizen's
appeal. The flag changes the outcome, not the judgement: a criticising comment with spam,
insults or threats goes to an operator instead of being deleted; with мат it is still deleted
(the regulations name obscene language outright) but the operator sees it was an appeal.

Detection is deliberately generous — a false flag on a clean comment costs nothing (it is kept
either way), while a missed flag on a complaint that also trips a spam rule would delete an
appeal. Signals: complaint vocabulary («не чистят», «сколько можно», «безобразие», «обещали»,
«до сих пор», «прокуратура», «жалобу напишу»), or a demand («требуем», «примите меры») addressed
to someone («администрация», «глава», «вы»). All are plain stems that must start a word, matched
in the engine's single phrase scan.
"""

from __future__ import annotations

from .phrases import Hits, PhraseBook

COMPLAINT = (
    "не чист", "не вывоз", "не работа", "не гор", "не убира", "не убрал", "не ремонтир",
    "не отремонтир", "не отвеча", "не ответил", "не сдела", "не дела", "не приех", "не почин",
    "не чин", "не реагир", "не включ", "не дал", "не посыпа", "не грейдир", "не кос", "не скос",
    "не вывезл", "не провел", "не провод", "не слыш", "не видят", "не выполн", "не исправ",
    "не подключ", "не собира", "не пуска", "не ход", "не прислал", "не начал", "не законч",
    "не выдел", "не помог", "не могут", "не можем", "никто не", "ничего не", "сколько можно",
    "до сих пор", "безобрази", "бардак", "позор", "возмутительн", "возмущ", "издевательств",
    "беспредел", "халатн", "бездейств", "некомпетентн", "разворова", "воруют", "ворует",
    "воровств", "отписк", "обещал", "в который раз", "который день", "который месяц",
    "который год", "вторую неделю", "третью неделю", "которую неделю", "второй день",
    "третий день", "второй месяц", "неделями", "месяцами", "годами", "жалоб", "пожалуюсь",
    "прокуратур", "в суд", "где деньги", "куда смотр", "куда уход", "куда дел", "наплевать",
    "плевать", "никому не нужн", "цирк", "стыд", "срам", "доколе", "невозможно", "нельзя так",
    "кто ответит", "кто будет отвечать", "на каком основании", "почему опять", "почему снова",
    "почему до сих пор", "почему никто", "почему не", "опять", "снова", "в очередной раз", "ямы",
    "яма", "ямам", "ямах", "колдоб", "грязь", "грязи", "свалк", "переполнен", "отключ",
    "нет воды", "нет света", "нет отопления", "нет газа", "нет связи", "аварийн", "разбит",
    "заброшен", "развалива", "разруш", "антисанитар", "холодные батаре", "батареи холодн",
    "мерзнем", "замерза", "ужасн", "отвратительн", "безответственн", "равнодуш",
    "очковтирательств", "показух", "распил", "откат", "за что мы плат", "за что плат",
    "куда идут", "зря", "бесполезн", "некому", "бросили", "когда уже", "когда наконец",
    "когда это закончится", "сколько ждать", "сколько еще",
)  # fmt: skip
DEMAND = (
    "требуем", "требую", "просим", "прошу", "примите меры", "разберитесь", "наведите порядок",
    "обратите внимание", "верните", "сделайте", "уберите", "почините", "отремонтируйте",
    "дайте ответ", "ответьте", "отреагируйте", "когда будет", "когда сделают",
    "когда отремонтируют",
    "когда починят", "когда уберут", "когда дадут",
)  # fmt: skip
ADDRESS = (
    "администрац", "глава", "главе", "главу", "главы", "главой", "чиновник", "власт", "мэр",
    "депутат", "управляющ", "жкх", "сельсовет", "поселени", "руководств", "ответственн",
    "начальник", "директор", "губернатор", "водоканал", "энергосбыт", "коммунальщик", "дорожн",
    "подрядчик", "муп", "отдел образовани", "соцзащит", "поликлиник", "больниц", "школ",
)  # fmt: skip


def register(book: PhraseBook) -> None:
    """Add the criticism groups to the engine's phrase book."""
    book.add("complaint", "complaint", list(COMPLAINT))
    book.add("demand", "demand", list(DEMAND))
    book.add("address", "address", list(ADDRESS))
    book.add("address", "you", "вы вам вас ук", r"\b(?:вы|вам|вас|ук)\b")


def is_criticism(hits: Hits) -> bool:
    """True when the scanned comment complains about how things are run."""
    return hits.any("complaint") or (hits.any("demand") and hits.any("address"))
