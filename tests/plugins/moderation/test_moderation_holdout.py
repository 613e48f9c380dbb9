"""The engine on a held-out set written apart from it (never used to tune it): the issue's floors.

tests/data/moderation_eval.jsonl was used while the engine was built; its figures
are partly a training score. moderation_holdout.jsonl was written afterwards by
someone who saw neither the engine nor that set, so these floors are the honest
check: obscene precision ≥ 0.98 and recall ≥ 0.95, spam precision ≥ 0.97, and no
criticism deleted. Review categories are measured (bench/moderation.py --data …)
but go to a person anyway.
"""

from hub_moderation import evaluation
from hub_moderation.engine import Engine
from tests.helpers import TESTS

HOLDOUT = TESTS / "data" / "moderation_holdout.jsonl"
SETTINGS = {"allow_domains": ["klochki.ru"]}


def test_floors_on_the_held_out_set():
    rows = evaluation.load(HOLDOUT)
    report = evaluation.score(rows, evaluation.judge_all(Engine(SETTINGS), rows))
    text = evaluation.table(report)
    assert report.precision("obscene") >= 0.98 and report.recall("obscene") >= 0.95, text
    assert report.precision("spam") >= 0.97, text
    assert report.criticism_deleted == 0, text
