"""Russian text pools for the MAX emulator's synthetic municipal channels.

Residents' names and the post/comment phrases are shared with the other emulators through
:mod:`hub.sandbox.sample_texts`; what is MAX's own lives here: channel cards (title, the
``max.ru`` link slug, the place named in texts, a description) and the bot's name. Plain
tuples keep seeded picks deterministic.
"""

from __future__ import annotations

# (title, link slug for https://max.ru/<slug>, short place name used in texts)
CHANNEL_TEMPLATES: tuple[tuple[str, str, str], ...] = (
    ("Администрация Шелаболихинского района", "shelabolikha_adm", "с. Шелаболиха"),
    ("Администрация Кытмановского сельсовета", "kytmanovo_ss", "с. Кытманово"),
    ("Администрация города Заринска", "zarinsk_adm", "г. Заринск"),
    ("ЕДДС Тогульского района", "edds_togul", "с. Тогул"),
    ("Администрация Первомайского сельского поселения", "pervomayskoe_sp", "п. Первомайский"),
    ("МКУ «Управление ЖКХ» Солтонского района", "soltonskiy_zhkh", "с. Солтон"),
    ("Совет депутатов Черемновского сельсовета", "sovet_cheremnoe", "с. Черемное"),
    ("Дом культуры с. Новичиха", "dk_novichikha", "с. Новичиха"),
)

DESCRIPTIONS = (
    "Официальный канал: {title}. Новости, объявления, отключения, приём граждан ({place}).",
    "{title}. Оперативная информация для жителей ({place}). Вопросы — в комментариях.",
    "Госпаблик: {title}. Официальная информация для жителей ({place}).",
)

BOT_FIRST_NAME = "Муниципальный хаб"
BOT_USERNAME = "municipal_hub_bot"
BOT_DESCRIPTION = "Бот администрации: публикации, ответы на обращения, модерация комментариев."
