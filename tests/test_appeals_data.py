"""The appeals labelled set is well-formed, so a detection figure measured on it means something.

``bench/appeals.py`` and the lead's quality floors read ``tests/data/appeals/labelled.jsonl``; a
line with a misspelt kind, a topic on a ``none`` line or the same comment twice would quietly skew
precision and recall. Only the data is checked here: the detector is not imported.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path

import pytest

DATA = Path(__file__).parent / "data" / "appeals"
LABELLED = DATA / "labelled.jsonl"
PUBLIC = DATA / "public" / "nash_spb.jsonl"
KINDS = {"question", "complaint", "request", "none"}
TOPICS = {
    "ЖКХ",
    "дороги",
    "транспорт",
    "благоустройство",
    "образование",
    "здравоохранение",
    "безопасность",
    "другое",
}
#: enough per kind for a per-kind recall to move in steps of under two points
MIN_PER_KIND = 60


def _rows(path: Path) -> list[dict]:
    lines = path.read_text(encoding="utf-8").splitlines()
    rows = []
    for number, line in enumerate(lines, 1):
        try:
            row = json.loads(line)
        except json.JSONDecodeError as error:
            pytest.fail(f"{path.name}:{number}: not JSON: {error}")
        assert isinstance(row, dict), f"{path.name}:{number}: not an object"
        rows.append(row)
    return rows


def _key(text: str) -> str:
    """Case, ё/е, spaces and punctuation aside: «Воды нет!» and «воды нет» are the same comment."""
    return re.sub(r"\W", "", text.casefold().replace("ё", "е")) or text


def test_every_line_has_an_allowed_kind_and_topic():
    rows = _rows(LABELLED)
    assert len(rows) >= 400
    for number, row in enumerate(rows, 1):
        assert set(row) == {"text", "kind", "topic"}, f"line {number}: keys {sorted(row)}"
        assert isinstance(row["text"], str) and row["text"].strip(), f"line {number}: empty text"
        assert row["kind"] in KINDS, f"line {number}: kind {row['kind']!r}"
        if row["kind"] == "none":
            assert row["topic"] is None, f"line {number}: a non-appeal has no topic"
        else:
            assert row["topic"] in TOPICS, f"line {number}: topic {row['topic']!r}"


def test_no_comment_appears_twice():
    seen: dict[str, int] = {}
    for number, row in enumerate(_rows(LABELLED), 1):
        key = _key(row["text"])
        assert key not in seen, f"line {number} repeats line {seen[key]}: {row['text']!r}"
        seen[key] = number


def test_each_kind_has_enough_examples():
    counts = Counter(row["kind"] for row in _rows(LABELLED))
    for kind in sorted(KINDS):
        assert counts[kind] >= MIN_PER_KIND, f"{kind}: {counts[kind]} < {MIN_PER_KIND}"
    # the feed is mostly not appeals: the set keeps a real share of thanks, chatter and spam
    assert counts["none"] / sum(counts.values()) >= 0.25


def test_public_sample_is_well_formed():
    """The public sample is optional (SOURCE.md says why it may be removed); if present, sane."""
    if not PUBLIC.exists():
        pytest.skip("no public sample")
    assert PUBLIC.stat().st_size <= 2 * 1024 * 1024
    assert (PUBLIC.parent / "SOURCE.md").exists()
    rows = _rows(PUBLIC)
    keys = set()
    for number, row in enumerate(rows, 1):
        assert row["topic"] in TOPICS, f"line {number}: topic {row['topic']!r}"
        assert isinstance(row["text"], str) and row["text"].strip(), f"line {number}: empty text"
        keys.add(_key(row["text"]))
    assert len(keys) == len(rows), "a public text appears twice"
