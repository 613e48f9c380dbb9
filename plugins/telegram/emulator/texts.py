"""Russian text pools for the Telegram emulator's synthetic municipal channels.

Residents' names and the post/comment phrases are shared with the other emulators
through :mod:`hub.sandbox.sample_texts` (one place to improve them). What is Telegram's own
lives here: channel cards (public @usernames, a one-line description, the press
office signature), hashtags, and the foreign channels that comment "as a channel".
Plain tuples keep seeded picks deterministic.
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
    SURNAMES,
    THANKS,
    female_surname,
    fill,
    translit,
)

__all__ = [
    "BOT_FIRST_NAME",
    "CHANNEL_TEMPLATES",
    "COMPLAINTS",
    "DESCRIPTIONS",
    "EDIT_SUFFIXES",
    "FEMALE_FIRST",
    "FOREIGN_CHANNELS",
    "HASHTAGS",
    "MALE_FIRST",
    "OFFICIAL_REPLIES",
    "POST_TEMPLATES",
    "QUESTIONS",
    "RESIDENT_REPLIES",
    "RUDE",
    "SIGNATURES",
    "SPAM",
    "SURNAMES",
    "THANKS",
    "female_surname",
    "fill",
    "translit",
]

# (title, @username without "@", short place name used in texts)
CHANNEL_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("Администрация Клочковского сельсовета", "adm_klochki", "с. Клочки"),
    ("Администрация Ребрихинского района", "rebriha_adm", "с. Ребриха"),
    ("Администрация рабочего посёлка Тальменка", "talmenka_adm", "р.п. Тальменка"),
    ("ЕДДС Павловского района", "edds_pavlovsk", "с. Павловск"),
    ("Администрация Усть-Калманского района", "ustkalmanka_adm", "с. Усть-Калманка"),
    ("Администрация Белоярского сельского поселения", "beloyarskoe_sp", "п. Белоярский"),
    ("МУП «Коммунальщик» г. Каменки", "kommunal_kamenka", "г. Каменка"),
    ("Совет депутатов Берёзовского сельсовета", "sovet_berezovka", "с. Берёзовка"),
)

DESCRIPTIONS = (
    "Официальный канал: {title}. Новости, объявления, отключения, приём граждан ({place}).",
    "{title}. Оперативная информация для жителей ({place}). Обращения — в комментариях.",
    "Официальная информация: {title}. Вопросы задавайте в комментариях к постам.",
)

# author_signature of channels that sign their posts
SIGNATURES = ("Пресс-служба", "Отдел по связям с общественностью", "Дежурный диспетчер")

HASHTAGS = ("новости", "ЖКХ", "объявление", "благоустройство", "важно", "культура")

# Channels that comment "as a channel" (from 136817688 + sender_chat): (title, username)
FOREIGN_CHANNELS: tuple[tuple[str, str], ...] = (
    ("Барахолка Алтай", "baraholka_altai"),
    ("Новости Барнаула 24", "brn_news24"),
    ("Бонусы и ставки", "bonus_stavki_tg"),
)

BOT_FIRST_NAME = "Муниципальный хаб"
