"""The default detector (issue 17), explainable: each finding names its rule and the words; the
thanks, chatter and residents' replies to each other are not appeals; places match word forms."""

from __future__ import annotations

import pytest

from hub_appeals.detect import detect, names_place


@pytest.mark.parametrize(
    ("text", "kind", "rule", "match", "topic"),
    [
        (
            "Подскажите, где записаться к врачу",
            "question",
            "question.word",
            "Подскажите",
            "здравоохранение",
        ),
        (
            "Будет ли автобус до Клочков в субботу?",
            "question",
            "question.mark",
            "Будет ли",
            "транспорт",
        ),
        ("Прошу убрать мусор у дома 5", "request", "request.verb", "Прошу", "ЖКХ"),
        (
            "Сколько можно терпеть эти ямы",
            "complaint",
            "complaint.rhetorical",
            "Сколько можно",
            "дороги",
        ),
        ("Опять нет воды третий день", "complaint", "complaint.words", "Опять", "ЖКХ"),
    ],
)
def test_appeals_name_their_rule_and_words(text, kind, rule, match, topic):
    found = detect(text)
    assert (found.kind, found.rule, found.match, found.topic) == (kind, rule, match, topic)
    assert found.match in text  # as the resident wrote it


@pytest.mark.parametrize(
    "text",
    ["Спасибо за новости!", "Класс, красиво", "Маша, ты идёшь завтра?", "👍👍👍", "С праздником!"],
)
def test_thanks_and_chatter_are_not_appeals(text):
    assert detect(text) is None


def test_a_reply_between_residents_is_not_an_appeal_unless_it_addresses_the_administration():
    assert detect("Опять ты за своё", is_reply=True) is None
    assert detect("Опять администрация не вывозит мусор", is_reply=True).kind == "complaint"


def test_configured_topics_replace_the_defaults():
    topics = {"культура": ["концерт", "дом культуры"]}
    assert detect("Когда будет концерт в доме культуры?", topics).topic == "культура"
    assert detect("Когда починят дорогу?", topics).topic is None


def test_places_are_found_in_their_forms():
    places = ["Клочки", "улица Садовая"]
    assert names_place("Что в Клочках с водой?", places) == "Клочки"
    assert names_place("на Садовой улице яма", places) == "улица Садовая"
    assert names_place("в Барнауле снег", places) is None
