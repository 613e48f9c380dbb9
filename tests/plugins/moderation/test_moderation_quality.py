"""Quality floors of the default moderation engine on the labelled set (tests/data).

The floors sit a little under the figures measured with ``bench/moderation.py`` and never under
the targets of issue 5, so a regression in any rule fails CI. No timing here: the bench measures
speed.
"""

from __future__ import annotations

import pytest

from hub_moderation import evaluation
from hub_moderation.engine import Engine

#: (category, precision floor, recall floor); targets: obscene P ≥ 0.98, R ≥ 0.95, spam P ≥ 0.97
#: measured (bench/moderation.py): obscene 1.000/1.000, spam 1.000/1.000, insult 1.000/1.000,
#: aggression 1.000/0.964, unlawful 1.000/1.000, action accuracy 0.998, no criticism deleted
FLOORS = [
    ("obscene", 0.98, 0.97),
    ("spam", 0.97, 0.95),
    ("insult", 0.96, 0.96),
    ("aggression", 0.96, 0.92),
    ("unlawful", 0.95, 0.95),
]
ACTION_ACCURACY_FLOOR = 0.98


@pytest.fixture(scope="module")
def scored():
    path = evaluation.default_path()
    if not path.exists():
        pytest.skip("the evaluation set is not there yet")
    rows = evaluation.load(path)
    verdicts = evaluation.judge_all(Engine(evaluation.EVAL_SETTINGS), rows)
    return rows, verdicts, evaluation.score(rows, verdicts)


@pytest.mark.parametrize("category, precision, recall", FLOORS)
def test_precision_and_recall_floors(scored, category, precision, recall):
    report = scored[2]
    assert report.precision(category) >= precision, evaluation.table(report)
    assert report.recall(category) >= recall, evaluation.table(report)


def test_no_criticism_is_deleted(scored):
    assert scored[2].criticism_deleted == 0


def test_action_accuracy(scored):
    assert scored[2].action_accuracy >= ACTION_ACCURACY_FLOOR, evaluation.table(scored[2])


def test_every_verdict_quotes_the_original_text(scored):
    rows, verdicts, _ = scored
    for row, v in zip(rows, verdicts, strict=True):
        if v.span is not None:
            assert row["text"][v.span[0] : v.span[1]] == v.match
        assert v.reason
