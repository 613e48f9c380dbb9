"""Scores the engine on the labelled evaluation set (shared by the bench and the quality test).

Why here: ``bench/moderation.py`` (figures and speed) and ``tests/test_moderation_quality.py``
(floors that fail CI) must count exactly the same way. A prediction counts for a category when the
verdict's category equals it; the action is compared as is; ``criticism_deleted`` counts comments
of kind ``criticism`` whose verdict was ``delete`` (the brief requires none).

:data:`EVAL_SETTINGS` is the configuration the evaluation set describes: the municipality's own
sites are on the allowlist, as a real ``[moderation]`` table would have them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from hub.verdicts import CATEGORIES, CommentView, ModerationContext, Verdict

EVAL_SETTINGS = {"allow_domains": ["klochki.ru", "adm-oktyabrsky.ru"]}


def default_path() -> Path:
    return Path(__file__).resolve().parents[2] / "tests" / "data" / "moderation_eval.jsonl"


def load(path: Path | str | None = None) -> list[dict]:
    with open(path or default_path(), encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


@dataclass
class Report:
    total: int = 0
    action_ok: int = 0
    criticism_deleted: int = 0
    tp: Counter = field(default_factory=Counter)
    predicted: Counter = field(default_factory=Counter)
    expected: Counter = field(default_factory=Counter)
    mistakes: list[tuple[dict, Verdict]] = field(default_factory=list)

    def precision(self, category: str) -> float:
        return self.tp[category] / self.predicted[category] if self.predicted[category] else 1.0

    def recall(self, category: str) -> float:
        return self.tp[category] / self.expected[category] if self.expected[category] else 1.0

    @property
    def action_accuracy(self) -> float:
        return self.action_ok / self.total if self.total else 1.0


def comments(rows: list[dict]) -> list[CommentView]:
    """The rows as comments, each from its own author (the set is written by many residents)."""
    return [CommentView(text=row["text"], author_id=1000 + i) for i, row in enumerate(rows)]


def judge_all(engine, rows: list[dict] | list[CommentView]) -> list[Verdict]:
    """One pass over the set with a fresh context (flood history), as the caller would run it:
    judge a comment, then remember it."""
    context = ModerationContext(settings=EVAL_SETTINGS)
    judge, remember = engine.judge, context.remember
    out = []
    for comment in rows if rows and isinstance(rows[0], CommentView) else comments(rows):
        out.append(judge(comment, context))
        remember(comment)
    return out


def score(rows: list[dict], verdicts: list[Verdict]) -> Report:
    report = Report()
    for row, verdict in zip(rows, verdicts, strict=True):
        report.total += 1
        gold, pred = row["category"], verdict.category
        if gold:
            report.expected[gold] += 1
        if pred:
            report.predicted[pred] += 1
        if gold and gold == pred:
            report.tp[gold] += 1
        if verdict.action == row["action"]:
            report.action_ok += 1
        if row["kind"] == "criticism" and verdict.action == "delete":
            report.criticism_deleted += 1
        if gold != pred or verdict.action != row["action"]:
            report.mistakes.append((row, verdict))
    return report


def table(report: Report) -> str:
    lines = [f"{'category':<12}{'expected':>9}{'predicted':>10}{'precision':>10}{'recall':>8}"]
    for c in CATEGORIES:
        lines.append(
            f"{c:<12}{report.expected[c]:>9}{report.predicted[c]:>10}"
            f"{report.precision(c):>10.3f}{report.recall(c):>8.3f}"
        )
    lines.append(
        f"action accuracy: {report.action_accuracy:.3f} ({report.action_ok}/{report.total})"
    )
    lines.append(f"criticism deleted: {report.criticism_deleted}")
    return "\n".join(lines)
