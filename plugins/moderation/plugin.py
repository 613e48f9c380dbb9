"""Entry point of the default moderation engine: answers ``moderate_comment`` last.

``trylast=True`` so that a municipality's own plugin (registered without it) is asked first and
can decide; this one always returns a Verdict (``keep`` when nothing fires), so the core always
gets an answer. Engines are built once per distinct settings — the lexicons, automata and
allowlists depend on them — and cached by a stable representation of the settings table.
"""

from __future__ import annotations

import json
from collections import OrderedDict

from hub.hookspecs import hookimpl
from hub.verdicts import CommentView, ModerationContext, Verdict

from .engine import SETTINGS, Engine


def _settings_key(settings) -> str:
    return json.dumps(settings or {}, sort_keys=True, ensure_ascii=False, default=repr)


_CACHE: OrderedDict[str, Engine] = OrderedDict()
_CACHE_SIZE = 32


def engine_for(settings) -> Engine:
    """The engine for these settings, built on first use (a small LRU of engines)."""
    key = _settings_key(settings)
    engine = _CACHE.get(key)
    if engine is None:
        engine = _CACHE[key] = Engine(dict(settings or {}))
        while len(_CACHE) > _CACHE_SIZE:
            _CACHE.popitem(last=False)
    else:
        _CACHE.move_to_end(key)
    return engine


@hookimpl(trylast=True)
def moderate_comment(comment: CommentView, context: ModerationContext) -> Verdict:
    settings = context.settings if context is not None else {}
    return engine_for(settings).judge(comment, context)


@hookimpl
def moderation_settings() -> frozenset[str]:
    """The engine's own ``[moderation]`` keys (lexicon additions, allowlists, flood limits)."""
    return SETTINGS
