"""The moderation screen (being written)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ..pages import render


async def index(request: Request) -> Response:
    return render(request, "placeholder.html", title="moderation")


ROUTES = [Route("/moderation", index)]
