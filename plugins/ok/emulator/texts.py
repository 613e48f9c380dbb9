"""Russian text pools for the OK emulator's synthetic municipal data.

Resident names and the municipal post/comment phrases are the same material the
VK emulator uses, so they come from :mod:`hub.sandbox.sample_texts` instead of
being duplicated (one place to improve them). What differs on OK lives here: group
cards (OK groups carry a postal address, phone, e-mail and site), admin names and
link titles. Plain tuples keep seeded picks deterministic.
"""

from __future__ import annotations

from hub.sandbox.sample_texts import (
    COMPLAINTS,
    EDIT_SUFFIXES,
    FEMALE_FIRST,
    MALE_FIRST,
    OFFICIAL_REPLIES,
    POST_TEMPLATES,
    QUESTIONS,
    RESIDENT_REPLIES,
    RUDE,
    SPAM,
    STREETS,
    SURNAMES,
    THANKS,
    female_surname,
    fill,
)

__all__ = [
    "ADMIN_NAMES",
    "BIG_TOPIC_TEXT",
    "COMPLAINTS",
    "EDIT_SUFFIXES",
    "FEMALE_FIRST",
    "GROUP_TEMPLATES",
    "LINK_TITLES",
    "MALE_FIRST",
    "OFFICIAL_REPLIES",
    "POST_TEMPLATES",
    "QUESTIONS",
    "RESIDENT_REPLIES",
    "RUDE",
    "SPAM",
    "STREETS",
    "SURNAMES",
    "THANKS",
    "female_surname",
    "fill",
]

# (name, shortname, short place name for texts, "postcode, region, district" for the address)
GROUP_TEMPLATES: tuple[tuple[str, str, str, str], ...] = (
    (
        "Администрация Клочковского сельсовета",
        "admklochki",
        "с. Клочки",
        "658540, Алтайский край, Ребрихинский район",
    ),
    (
        "МБОУ «Амурзетская СОШ»",
        "amurzetschool",
        "с. Амурзет",
        "679230, Еврейская автономная область, Октябрьский район",
    ),
    (
        "Дом культуры с. Пятилетка",
        "dkpyatiletka",
        "с. Пятилетка",
        "658541, Алтайский край, Ребрихинский район",
    ),
    (
        "Администрация Октябрьского муниципального района",
        "oktrayon",
        "с. Амурзет",
        "679230, Еврейская автономная область",
    ),
    (
        "МБДОУ «Детский сад № 5 «Колосок»",
        "kolosok5",
        "р.п. Тальменка",
        "658030, Алтайский край, Тальменский район",
    ),
    (
        "Администрация Белоярского сельского поселения",
        "beloyarskoesp",
        "п. Белоярский",
        "628162, Ханты-Мансийский автономный округ, Белоярский район",
    ),
    (
        "МКУК «Межпоселенческая библиотека» Шипуновского района",
        "shipbiblio",
        "с. Шипуново",
        "658390, Алтайский край, Шипуновский район",
    ),
    (
        "Совет депутатов Берёзовского сельсовета",
        "sovetberezovka",
        "с. Берёзовка",
        "659653, Алтайский край, Петропавловский район",
    ),
    (
        "МУП «Коммунальщик» г. Каменки",
        "kommkamenka",
        "г. Каменка",
        "442240, Пензенская область, Каменский район",
    ),
    (
        "ЕДДС Павловского района",
        "eddspavlovsk",
        "с. Павловск",
        "659000, Алтайский край, Павловский район",
    ),
    (
        "Администрация Усть-Калманского района",
        "ustkalmanka",
        "с. Усть-Калманка",
        "658150, Алтайский край, Усть-Калманский район",
    ),
    (
        "МБУ ДО «Детская школа искусств» с. Романово",
        "dshiromanovo",
        "с. Романово",
        "658640, Алтайский край, Романовский район",
    ),
    (
        "Фельдшерско-акушерский пункт с. Новые Ключи",
        "fapnovklyuchi",
        "с. Новые Ключи",
        "658081, Алтайский край, Новичихинский район",
    ),
    (
        "Молодёжный центр «Импульс» г. Славгорода",
        "impulsslavgorod",
        "г. Славгород",
        "658820, Алтайский край",
    ),
    (
        "Администрация рабочего посёлка Тальменка",
        "admtalmenka",
        "р.п. Тальменка",
        "658030, Алтайский край, Тальменский район",
    ),
    (
        "КГБУЗ «Ребрихинская центральная районная больница»",
        "rebrihacrb",
        "с. Ребриха",
        "658540, Алтайский край, Ребрихинский район",
    ),
)

# The people behind the configured tokens (admins/moderators of every group).
ADMIN_NAMES = (
    "Ирина Соколова",
    "Андрей Белов",
    "Наталья Кравец",
    "Сергей Дорофеев",
    "Ольга Юдина",
)

LINK_TITLES = (
    "Подробнее на официальном сайте",
    "Постановление администрации",
    "Расписание на Госуслугах",
    "Полный текст объявления",
)

BIG_TOPIC_TEXT = (
    "Обсуждаем проект благоустройства центральной площади! Какие объекты вы хотите "
    "видеть: фонтан, сцену, детскую площадку? Пишите в комментариях, каждое мнение "
    "будет учтено."
)
