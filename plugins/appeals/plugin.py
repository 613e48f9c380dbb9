"""Entry point of the default appeal detector: answers ``detect_appeal`` last.

``trylast=True`` so a municipality's own detector (registered without it) is asked first.
"""

from __future__ import annotations

from hub.appeals.finding import AppealContext, AppealFinding
from hub.hookspecs import hookimpl
from hub.verdicts import CommentView

from .detect import detect, names_place


@hookimpl(trylast=True)
def detect_appeal(comment: CommentView, context: AppealContext) -> AppealFinding | None:
    if context.watch and not names_place(comment.text, context.places):
        return None  # a regional page: only what concerns this municipality
    found = detect(comment.text, context.topics or None, is_reply=comment.is_reply)
    return found.finding() if found else None
