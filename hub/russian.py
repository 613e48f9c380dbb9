"""Russian words the hub needs in more than one place (dates on pages, emulators' texts)."""

from __future__ import annotations

#: month names as a date says them: «6 декабря»
MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
