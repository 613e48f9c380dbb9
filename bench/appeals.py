"""Benchmark: how well the appeals detector finds questions, complaints and requests, and its cost.

The labelled set (``tests/data/appeals/labelled.jsonl``) was written by hand apart from the
detector's rules, so a figure here is not the rules grading themselves. Printed for it:
precision, recall, F1 and support per kind (``question``, ``complaint``, ``request``) and for
"any appeal" against ``none``; the confusion matrix; topic accuracy among the appeals whose kind
was found right; the false-positive rate on ``none`` (thanks, chatter, spam, residents' replies
flagged as appeals: each one is a false "unanswered" on a head of administration's report).

The public sample (``tests/data/appeals/public/nash_spb.jsonl``, see its ``SOURCE.md``) holds real
messages to a city portal: all are appeals, and the portal does not tell the kinds apart, so only
appeal recall and topic accuracy are printed for it. A set whose lines carry no ``kind`` is scored
that way too.

Cost: every text of every set judged in rounds (at least 3), timed with ``time.perf_counter``;
the best round is the detector's own speed on a shared host, the median is printed beside it.
Exits 1 only if the detector cannot be imported; the quality floors live in the tests.

    python bench/appeals.py                        # the labelled set and the public sample
    python bench/appeals.py --show-errors 20       # also 20 misclassified comments
    python bench/appeals.py --set OTHER.jsonl      # any set in the same format (repeatable)
    python bench/appeals.py --no-public --rounds 10
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "appeals"
LABELLED = DATA / "labelled.jsonl"
PUBLIC = DATA / "public" / "nash_spb.jsonl"
APPEAL_KINDS = ("question", "complaint", "request")
KINDS = (*APPEAL_KINDS, "none")
#: the kind given to lines of a set that has none (the public sample: every line is an appeal)
ANY_APPEAL = "appeal"
#: one round judges at least this many comments, so a round lasts long enough to time
ROUND_COMMENTS = 5_000


def load(path: Path) -> list[dict]:
    """The set's lines; a line without ``kind`` is an appeal of unknown kind (see the doc)."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        row = json.loads(line)
        if "text" not in row:
            raise ValueError(f"{path}:{number}: no text")
        row.setdefault("kind", ANY_APPEAL)
        row.setdefault("topic", None)
        rows.append(row)
    return rows


@dataclass
class Judged:
    """One comment, its labels and what the detector said (``kind`` ``none`` when it said None)."""

    text: str
    kind: str
    topic: str | None
    got_kind: str = "none"
    got_topic: str | None = None
    rule: str = ""
    match: str = ""


def judge(detect: Callable, rows: Sequence[dict]) -> list[Judged]:
    judged = []
    for row in rows:
        found = detect(row["text"])
        item = Judged(row["text"], row["kind"], row["topic"])
        if found is not None:
            # no topic found is the set's «другое» (an appeal outside the named topics)
            item.got_kind, item.got_topic = found.kind, found.topic or "другое"
            item.rule, item.match = str(found.rule), str(found.match)
        judged.append(item)
    return judged


@dataclass
class Score:
    tp: int = 0
    predicted: int = 0
    support: int = 0

    @property
    def precision(self) -> float:
        return self.tp / self.predicted if self.predicted else 0.0

    @property
    def recall(self) -> float:
        return self.tp / self.support if self.support else 0.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


@dataclass
class Report:
    """The figures of one set; ``per_kind`` also holds ``appeal`` (any kind against ``none``)."""

    judged: list[Judged]
    per_kind: dict[str, Score] = field(default_factory=dict)
    confusion: Counter = field(default_factory=Counter)
    topic_right: int = 0
    topic_total: int = 0
    none_total: int = 0
    none_flagged: int = 0

    @property
    def kinds_labelled(self) -> bool:
        return any(j.kind in KINDS for j in self.judged)

    @property
    def topic_accuracy(self) -> float:
        return self.topic_right / self.topic_total if self.topic_total else 0.0

    @property
    def none_fp_rate(self) -> float:
        return self.none_flagged / self.none_total if self.none_total else 0.0

    def errors(self) -> list[Judged]:
        """Wrong kind first (the appeal's fate), then a right kind with a wrong topic."""
        wrong_kind = [j for j in self.judged if not _kind_right(j)]
        wrong_topic = [
            j
            for j in self.judged
            if _kind_right(j) and j.got_kind != "none" and j.topic and j.got_topic != j.topic
        ]
        return wrong_kind + wrong_topic


def _is_appeal(kind: str) -> bool:
    return kind != "none"


def _kind_right(j: Judged) -> bool:
    if j.kind == ANY_APPEAL:
        return _is_appeal(j.got_kind)
    return j.got_kind == j.kind


def score(judged: list[Judged]) -> Report:
    """Per-kind and any-appeal scores, the confusion matrix, topic accuracy, none's FP rate.

    Topic accuracy is counted over the appeals whose kind is right (for an unkinded set: over
    the appeals found), so a missed appeal is not counted twice.
    """
    report = Report(judged, per_kind={k: Score() for k in (*APPEAL_KINDS, "appeal")})
    for j in judged:
        report.confusion[j.kind, j.got_kind] += 1
        gold, got = _is_appeal(j.kind), _is_appeal(j.got_kind)
        appeal = report.per_kind["appeal"]
        appeal.support += gold
        appeal.predicted += got
        appeal.tp += gold and got
        for kind in APPEAL_KINDS:
            s = report.per_kind[kind]
            s.support += j.kind == kind
            s.predicted += j.got_kind == kind and j.kind != ANY_APPEAL
            s.tp += j.kind == kind and j.got_kind == kind
        if j.kind == "none":
            report.none_total += 1
            report.none_flagged += got
        if gold and _kind_right(j) and j.topic is not None:
            report.topic_total += 1
            report.topic_right += j.got_topic == j.topic
    return report


def table(report: Report) -> str:
    lines = [f"{'kind':<12}{'precision':>10}{'recall':>8}{'F1':>7}{'support':>9}"]
    names = (*APPEAL_KINDS, "appeal") if report.kinds_labelled else ("appeal",)
    for name in names:
        s = report.per_kind[name]
        label = "any appeal" if name == "appeal" else name
        if report.kinds_labelled or name != "appeal":
            p, f1 = f"{s.precision:.3f}", f"{s.f1:.3f}"
        else:  # every line is an appeal: precision would be 1.0 by construction
            p, f1 = "-", "-"
        lines.append(f"{label:<12}{p:>10}{s.recall:>8.3f}{f1:>7}{s.support:>9}")
    lines.append("")
    gold_kinds = [k for k in (*KINDS, ANY_APPEAL) if any(g == k for g, _ in report.confusion)]
    lines.append("confusion (rows: label, columns: detected)")
    lines.append(f"{'':<12}" + "".join(f"{k:>11}" for k in KINDS))
    for gold in gold_kinds:
        cells = "".join(f"{report.confusion[gold, got]:>11}" for got in KINDS)
        lines.append(f"{gold:<12}{cells}")
    unknown = sorted({got for _, got in report.confusion if got not in KINDS})
    if unknown:
        lines.append(f"detected kinds outside {KINDS}: {unknown}")
    lines.append("")
    among = "appeals of the right kind" if report.kinds_labelled else "appeals found"
    lines.append(
        f"topic accuracy among {among}: {report.topic_accuracy:.3f} "
        f"({report.topic_right}/{report.topic_total})"
    )
    if report.none_total:
        lines.append(
            f"'none' false-positive rate: {report.none_fp_rate:.3f} "
            f"({report.none_flagged}/{report.none_total} flagged as appeals)"
        )
    return "\n".join(lines)


def show_errors(report: Report, limit: int) -> None:
    errors = report.errors()
    print(f"misclassified: {len(errors)} (showing {min(limit, len(errors))})")
    for j in errors[:limit]:
        said = j.got_kind if j.got_kind == "none" else f"{j.got_kind}/{j.got_topic}"
        why = f" {j.rule}: {j.match!r}" if j.rule or j.match else ""
        print(f"- [{j.kind}/{j.topic} → {said}]{why} {j.text!r}")


def cost(detect: Callable, texts: Sequence[str], rounds: int) -> tuple[float, float, int]:
    """Best and median comments per second over ``rounds`` rounds, and the comments judged."""
    passes = max(1, -(-ROUND_COMMENTS // len(texts)))
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(passes):
            for text in texts:
                detect(text)
        rates.append(passes * len(texts) / (time.perf_counter() - started))
    return max(rates), statistics.median(rates), rounds * passes * len(texts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--set",
        dest="sets",
        action="append",
        type=Path,
        metavar="PATH",
        help=f"a JSONL set (repeatable; default: {LABELLED.name} and the public sample)",
    )
    parser.add_argument("--no-public", action="store_true", help="leave out the public sample")
    parser.add_argument(
        "--show-errors", type=int, default=0, metavar="N", help="print N misclassified comments"
    )
    parser.add_argument("--rounds", type=int, default=5, help="timed rounds (at least 3)")
    parser.add_argument(
        "--half",
        choices=("even", "odd"),
        help="only the even (0, 2, …) or odd lines of each set: the rules were tuned on the "
        "even lines of labelled.jsonl after its first measurement, so the odd ones stay unseen",
    )
    args = parser.parse_args(argv)

    try:
        from hub_appeals.detect import detect
    except ImportError as error:
        print(f"cannot import the detector (from hub_appeals.detect import detect): {error}")
        return 1

    sets = args.sets or [LABELLED, *([] if args.no_public or not PUBLIC.exists() else [PUBLIC])]
    texts: list[str] = []
    for path in sets:
        rows = load(path)
        if args.half:
            rows = rows[0 if args.half == "even" else 1 :: 2]
        texts.extend(row["text"] for row in rows)
        report = score(judge(detect, rows))
        print(f"== {path.name}: {len(rows)} comments")
        print(table(report))
        if args.show_errors:
            show_errors(report, args.show_errors)
        print()

    best, median, total = cost(detect, texts, max(3, args.rounds))
    print(
        f"cost: {total} judgements in {max(3, args.rounds)} rounds: best round "
        f"{best:,.0f} comments/s ({1e6 / best:.1f} µs per comment), median {median:,.0f} "
        f"comments/s ({1e6 / median:.1f} µs) (one process, one thread)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
