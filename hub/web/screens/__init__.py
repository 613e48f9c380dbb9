"""The console's screens, one module each; each defines ``ROUTES`` (Starlette routes).

Adding a screen: a module here with ``ROUTES``, listed in :data:`SCREENS`, its
templates in ``hub/web/templates/<screen>/``, and (a top-level screen) its entry in
:data:`hub.web.pages.NAVIGATION`.
"""

from __future__ import annotations

from starlette.routing import BaseRoute

from . import accounts, appeals, compliance, moderation, plan, plan_editor, registry

SCREENS = (moderation, appeals, plan, plan_editor, compliance, registry, accounts)


def routes() -> list[BaseRoute]:
    return [route for screen in SCREENS for route in screen.ROUTES]
