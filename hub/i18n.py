"""The language the hub speaks: Russian for Russian municipal staff, English otherwise.

Messages are English msgids in the code, wrapped in :func:`_` (and :func:`ngettext`
where a count decides the form: Russian has three, 1 комментарий, 2 комментария,
5 комментариев). Their translations live in one catalogue,
``hub/locale/ru/LC_MESSAGES/hub.po``, read at run time with Babel, so there is no
compiled ``.mo`` to build or keep in step.

The language is chosen once per run (:func:`setup`): ``[ui] language`` in the
config, else the environment (``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``, ``LANG``:
the first one set; ``ru*`` is Russian), else English.

Click's help texts are built at import, before any of that is known. They stay
English msgids on the command objects; :func:`translate_commands` shows them in
the chosen language, keeping the msgid aside so a second call (the config's
``[ui]`` read after the environment) translates from English again. Click's own
words ("Usage:", "Options", "Missing argument") go through the same catalogue.
"""

from __future__ import annotations

import gettext
import importlib
import inspect
import io
import os
import re
import tomllib
from collections.abc import Iterator, Mapping
from contextvars import ContextVar
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

import click

LANGUAGES = ("en", "ru")
DOMAIN = "hub"
LOCALE_DIR = Path(__file__).parent / "locale"
#: the environment variables gettext itself reads, in its order
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")
#: click's modules that call ``gettext`` for their own words
_CLICK_MODULES = ("core", "decorators", "exceptions", "formatting", "parser", "types", "termui")

#: click's own help for --help (see :func:`_params`)
HELP_OPTION_MSGID = "Show this message and exit."

_translations: gettext.NullTranslations = gettext.NullTranslations()
current = "en"
#: a language for this context only (the console's requests speak Russian, whatever the
#: process's language — a daemon serving the console keeps its own)
_context: ContextVar[gettext.NullTranslations | None] = ContextVar("hub_language", default=None)


def _active() -> gettext.NullTranslations:
    return _context.get() or _translations


def _(message: str) -> str:
    """``message`` (an English msgid) in the current language."""
    return _active().gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form for ``n`` (Russian: one, few, many) in the current language."""
    return _active().ngettext(singular, plural, n)


def speak_here(language: str) -> None:
    """Use ``language`` in this context (an asyncio task and what it awaits) only."""
    _context.set(_catalogue(language))


def language_from_env(environ: Mapping[str, str] | None = None) -> str:
    """``ru`` when the first locale variable set names Russian, else ``en``."""
    environ = os.environ if environ is None else environ
    for name in LOCALE_VARIABLES:
        value = environ.get(name, "").strip()
        if value:  # LANGUAGE may list several: "ru:en"
            return "ru" if value.split(":")[0].lower().startswith("ru") else "en"
    return "en"


def parse_ui(data: Mapping[str, Any], where: str = "") -> str | None:
    """The ``[ui]`` table's language, checked; None when the config does not say."""
    from .errors import ConfigError
    from .settings import Section  # here, not at the top: hub.settings imports this module

    table = Section.of(data, "ui", {"language"}, where)
    language = table.get("language")
    if language is not None and language not in LANGUAGES:
        raise ConfigError(
            _('[ui] language{where} must be "ru" or "en", not {value!r}').format(
                where=where, value=language
            )
        )
    return language


def config_language(path: str | os.PathLike | None) -> str | None:
    """``[ui] language`` of the config at ``path``, read leniently.

    A missing or broken config is not this function's news: loading it says what
    is wrong, in the language of the environment.
    """
    if path is None:
        return None
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        return parse_ui(data)
    except Exception:  # noqa: BLE001 - see above
        return None


def set_language(language: str) -> None:
    global _translations, current
    _translations = _catalogue(language)
    current = language


def setup(config_file: str | os.PathLike | None, root: click.Command | None = None) -> str:
    """Choose the language (config, else environment, else English); translate ``root``."""
    set_language(config_language(config_file) or language_from_env())
    if root is not None:
        translate_commands(root)
    return current


@cache
def _catalogue(language: str) -> gettext.NullTranslations:
    if language == "en":
        return gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with catalogue_path(language).open("rb") as po:
        catalog = read_po(po, locale=language, domain=DOMAIN)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)  # fuzzy entries are left out: English until reviewed
    compiled.seek(0)
    return gettext.GNUTranslations(compiled)


def catalogue_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


# --------------------------------------------------------------------------- dates

#: how a day is written in Russia: 07.12.2026 (a time may follow: 07.12.2026 18:00)
_RUSSIAN_DAY = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})")
_RUSSIAN_MOMENT = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[ T]+(\d{1,2}):(\d{2}))?")
#: the forms :func:`parse_moment` reads, for the one line that refuses another
MOMENT_FORMS = "07.12.2026 18:00, 07.12.2026, 2026-12-07 18:00, 2026-12-07T18:00"
DAY_FORMS = "07.12.2026, 2026-12-07"


def parse_day(text: str) -> date:
    """``07.12.2026`` or ISO ``2026-12-07``; ValueError otherwise."""
    text = text.strip()
    match = _RUSSIAN_DAY.fullmatch(text)
    if match:
        day, month, year = map(int, match.groups())
        return date(year, month, day)
    return date.fromisoformat(text)


def parse_moment(text: str) -> datetime:
    """``07.12.2026 18:00``, ``07.12.2026`` (midnight) or ISO; ValueError otherwise.

    The result is naive unless an ISO text gave an offset: the caller knows the zone.
    """
    text = text.strip()
    match = _RUSSIAN_MOMENT.fullmatch(text)
    if match:
        day, month, year, hour, minute = (int(g) if g else 0 for g in match.groups())
        return datetime(year, month, day, hour, minute)
    text = re.sub(r"^(\d{4}-\d{2}-\d{2})[ T](\d):", r"\1 0\2:", text)  # 9:00 → 09:00
    return datetime.fromisoformat(text.replace(" ", "T", 1) if " " in text else text)


# --------------------------------------------------------------------------- click


def walk(command: click.Command, *, dynamic: bool = False) -> Iterator[click.Command]:
    """``command`` and every command under it.

    Groups that make their commands on demand (a ``click.Group`` overriding
    ``get_command``) are asked only when ``dynamic``: each run would otherwise
    build them to translate help nobody asked for; such a group translates what it
    hands out instead. The plugins' commands (``register_commands``) are in the tree
    from import on, and translated with the rest.
    """
    yield command
    if not isinstance(command, click.Group):
        return
    if dynamic:
        ctx = click.Context(command)
        subs = [command.get_command(ctx, name) for name in command.list_commands(ctx)]
    else:
        subs = list(command.commands.values())
    for sub in subs:
        if sub is not None:
            yield from walk(sub, dynamic=dynamic)


def help_msgids(command: click.Command) -> Iterator[str]:
    """The English help texts of ``command``'s tree: what the catalogue must translate."""
    for cmd in walk(command, dynamic=True):
        for text in _english(cmd).values():
            if text:
                yield text
        for param in _params(cmd):
            if _english(param).get("help"):
                yield _english(param)["help"]


def translate_commands(command: click.Command | None) -> click.Command | None:
    """Show the help of ``command``'s tree in the current language; return ``command``."""
    if command is None:
        return None
    for cmd in walk(command):
        for attr, text in _english(cmd).items():
            setattr(cmd, attr, _(text) if text else text)
        for param in _params(cmd):
            text = _english(param).get("help")
            if text:
                param.help = _(text)
    return command


def _english(thing: Any) -> dict[str, str | None]:
    """The help texts ``thing`` was built with (its msgids), kept on first sight."""
    if "_hub_msgids" not in thing.__dict__:
        attrs = ("help", "short_help", "epilog") if isinstance(thing, click.Command) else ("help",)
        thing._hub_msgids = {
            attr: inspect.cleandoc(getattr(thing, attr)) if getattr(thing, attr) else None
            for attr in attrs
        }
    return thing._hub_msgids


def _params(cmd: click.Command) -> list[click.Parameter]:
    """Its parameters and its --help option, which click makes once and keeps."""
    params = list(cmd.params)
    help_option = cmd.get_help_option(click.Context(cmd))
    if help_option is not None:  # made in whatever language was current then
        help_option.__dict__.setdefault("_hub_msgids", {"help": HELP_OPTION_MSGID})
        params.append(help_option)
    return params


def _route_click_through_catalogue() -> None:
    for name in _CLICK_MODULES:
        module = importlib.import_module(f"click.{name}")
        if hasattr(module, "_"):
            module._ = _
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext


_route_click_through_catalogue()
