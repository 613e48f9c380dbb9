"""The bureaucratese linter on a held-out set written apart from its rules: regression floors.

tests/data/bureaucratese_eval.jsonl was written by the author of the rules (1.00/1.00 there,
a training score). bureaucratese_holdout.jsonl was written afterwards without opening the
linter, its lexicon, its tests or that set, and must never be used to tune the rules (tune on
a fresh set, then write another holdout). One line:
``{"text": ..., "label": "bureaucratic"|"plain", "note": ...}``; a note starting with
``lookalike`` marks a hard negative (a plain text with an innocent lookalike word: «данные о
погоде», фото «в рамках», «является» = appears, a quoted law title…), ``borderline`` a case an
editor could argue either way (labelled anyway).

Measured at the product threshold 20 when written: precision 0.886, recall 0.830, F1 0.857,
5/47 hard negatives flagged. The rules were then revised using this set's misses (so it is no
longer independent; a fresh holdout2 is being written): precision 0.968, recall 0.979, F1 0.974,
0/47 hard negatives. The floors sit a little under, so a regression fails:

    python bench/lint.py                      # the holdout: P/R/F1 at 10..40, speed
    python bench/lint.py --mistakes           # every miss with the rules that fired
    python bench/lint.py --data OTHER.jsonl   # any set in the same format
"""

import json

import pytest

from hub.plan.lint import lint
from tests.helpers import TESTS

HOLDOUT = TESTS / "data" / "bureaucratese_holdout.jsonl"
THRESHOLD = 20.0

PRECISION_FLOOR = 0.95
RECALL_FLOOR = 0.96
HARD_NEGATIVE_FPR_CEILING = 0.03


def _rows() -> list[dict]:
    with HOLDOUT.open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def _hard(row: dict) -> bool:
    return row["label"] == "plain" and row["note"].startswith("lookalike")


def _measure(rows: list[dict], flagged: list[bool]) -> dict[str, float]:
    pairs = list(zip(rows, flagged, strict=True))
    tp = sum(f for r, f in pairs if r["label"] == "bureaucratic")
    fp = sum(f for r, f in pairs if r["label"] == "plain")
    positives = sum(r["label"] == "bureaucratic" for r in rows)
    hard = [f for r, f in pairs if _hard(r)]
    return {
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / positives,
        "hard_fpr": sum(hard) / len(hard),
    }


def _passes(m: dict[str, float]) -> bool:
    return (
        m["precision"] >= PRECISION_FLOOR
        and m["recall"] >= RECALL_FLOOR
        and m["hard_fpr"] <= HARD_NEGATIVE_FPR_CEILING
    )


@pytest.fixture(scope="module")
def rows() -> list[dict]:
    return _rows()


def test_the_set_is_well_formed(rows):
    assert len(rows) >= 160
    assert {r["label"] for r in rows} == {"bureaucratic", "plain"}
    assert all(r["text"].strip() and r["note"].strip() for r in rows)
    bureaucratic = sum(r["label"] == "bureaucratic" for r in rows)
    assert 0.4 <= bureaucratic / len(rows) <= 0.6
    assert sum(map(_hard, rows)) >= 30
    assert sum(r["note"] == "borderline" for r in rows) >= 10
    assert len({r["text"] for r in rows}) == len(rows)


def test_floors_on_the_held_out_set(rows):
    reports = [lint(r["text"]) for r in rows]
    m = _measure(rows, [rep.score >= THRESHOLD for rep in reports])
    misses = "\n".join(
        f"{'FP' if r['label'] == 'plain' else 'FN'} {rep.score:5.1f} {r['text'][:80]!r} "
        f"{[f.rule for f in rep.findings]}"
        for r, rep in zip(rows, reports, strict=True)
        if (rep.score >= THRESHOLD) != (r["label"] == "bureaucratic")
    )
    summary = f"{m}\n{misses}"
    assert m["precision"] >= PRECISION_FLOOR, summary
    assert m["recall"] >= RECALL_FLOOR, summary
    assert m["hard_fpr"] <= HARD_NEGATIVE_FPR_CEILING, summary


def test_the_floors_can_fail(rows):
    """Degenerate linters (flag all, flag none, flag every «в …» phrase) miss the floors."""
    assert not _passes(_measure(rows, [True] * len(rows)))
    assert not _passes(_measure(rows, [False] * len(rows)))
    crude = [any(w in r["text"].lower() for w in ("в связи", "в рамках", "является")) for r in rows]
    assert not _passes(_measure(rows, crude))


# The second held-out set, written by someone else without seeing the rules, any earlier set
# or the tests, *after* the rules were revised on the first: the honest figure. Measured at
# 20 when it arrived: before the revision precision 0.850, recall 0.864, F1 0.857, 16/76 hard
# negatives flagged; after it precision 0.885, recall 0.928, F1 0.906, 12/76. Never tune on it.
HOLDOUT2 = TESTS / "data" / "bureaucratese_holdout2.jsonl"


def test_floors_on_the_second_held_out_set():
    with HOLDOUT2.open(encoding="utf-8") as f:
        rows2 = [json.loads(line) for line in f if line.strip()]
    assert len(rows2) >= 250 and sum(map(_hard, rows2)) >= 60
    m = _measure(rows2, [lint(r["text"]).score >= THRESHOLD for r in rows2])
    assert m["precision"] >= 0.87, m
    assert m["recall"] >= 0.91, m
    assert m["hard_fpr"] <= 0.18, m
