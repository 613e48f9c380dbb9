"""Benchmark: quality and speed of the bureaucratese linter (hub.plan.lint) on a labelled set.

A line of the set is ``{"text": ..., "label": "bureaucratic"|"plain", "note": ...}``. A text is
flagged when ``lint(text).score >= threshold``. For thresholds 10..40 step 5 prints precision,
recall and F1 of the ``bureaucratic`` class and the false-positive rate on the hard negatives
(plain lines whose note starts with ``lookalike``), then the best threshold by F1 and the speed:
the first pass over the set (pymorphy3 already loaded, its per-word caches still cold) and the
warm rate (the set repeated to at least ``--texts`` calls, timed in rounds, best round shown with
the median). The default set is the held-out one, written without looking at the rules.

    python bench/lint.py                                     # the holdout
    python bench/lint.py --data tests/data/bureaucratese_eval.jsonl   # the rules' own set
    python bench/lint.py --mistakes --threshold 20           # every miss with its rules
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

from hub.plan.lint import lint

HOLDOUT = Path(__file__).resolve().parent.parent / "tests" / "data" / "bureaucratese_holdout.jsonl"
THRESHOLDS = range(10, 45, 5)


def load(path: Path) -> list[dict]:
    rows = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            if line.strip():
                rows.append(json.loads(line))
    return rows


def figures(rows: list[dict], scores: list[float], threshold: float) -> dict[str, float]:
    flagged = [s >= threshold for s in scores]
    positive = [r["label"] == "bureaucratic" for r in rows]
    tp = sum(f and p for f, p in zip(flagged, positive, strict=True))
    fp = sum(f and not p for f, p in zip(flagged, positive, strict=True))
    fn = sum(p and not f for f, p in zip(flagged, positive, strict=True))
    hard = [f for f, r in zip(flagged, rows, strict=True) if _hard_negative(r)]
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "hard_fp": sum(hard),
        "hard": len(hard),
    }


def _hard_negative(row: dict) -> bool:
    return row["label"] == "plain" and str(row.get("note", "")).startswith("lookalike")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=HOLDOUT, help="JSONL labelled set")
    parser.add_argument("--threshold", type=float, default=20.0, help="for --mistakes")
    parser.add_argument("--texts", type=int, default=20_000, help="lint calls for the speed")
    parser.add_argument("--mistakes", action="store_true", help="print every wrong verdict")
    args = parser.parse_args(argv)

    rows = load(args.data)
    texts = [r["text"] for r in rows]
    labels = [r["label"] for r in rows]
    print(
        f"{args.data}: {len(rows)} texts, {labels.count('bureaucratic')} bureaucratic, "
        f"{labels.count('plain')} plain ({sum(map(_hard_negative, rows))} hard negatives), "
        f"{sum(r.get('note') == 'borderline' for r in rows)} borderline"
    )

    lint("Прогрев: загружаем словари.")  # load pymorphy3 outside the timed pass
    started = time.perf_counter()
    reports = [lint(t) for t in texts]
    cold = len(texts) / (time.perf_counter() - started)
    scores = [r.score for r in reports]

    header = ("thr", "TP", "FP", "FN", "prec", "recall", "F1")
    print("{:>4} {:>4} {:>4} {:>4} {:>6} {:>6} {:>6}  hard-neg FP".format(*header))
    best = None
    for th in THRESHOLDS:
        m = figures(rows, scores, th)
        print(
            f"{th:>4} {m['tp']:>4} {m['fp']:>4} {m['fn']:>4} {m['precision']:>6.3f} "
            f"{m['recall']:>6.3f} {m['f1']:>6.3f}  {m['hard_fp']}/{m['hard']}"
        )
        if best is None or m["f1"] > best[1]["f1"]:
            best = (th, m)
    if best:
        print(f"best threshold by F1: {best[0]} (F1 {best[1]['f1']:.3f})")

    if args.mistakes:
        for row, rep in zip(rows, reports, strict=True):
            wrong = (rep.score >= args.threshold) != (row["label"] == "bureaucratic")
            if wrong:
                kind = "FP" if row["label"] == "plain" else "FN"
                rules = ", ".join(f"{f.rule}:{f.match!r}" for f in rep.findings) or "-"
                note = row.get("note", "")
                print(f"- {kind} {rep.score:5.1f} [{note}] {row['text']!r} ({rules})")

    per_round = max(1, -(-2_000 // len(texts)))
    rounds = max(1, -(-args.texts // (per_round * len(texts))))
    rates = []
    for _ in range(rounds):
        started = time.perf_counter()
        for _ in range(per_round):
            for t in texts:
                lint(t)
        rates.append(per_round * len(texts) / (time.perf_counter() - started))
    print(
        f"speed: first pass {cold:,.0f} texts/s (word caches cold); warm: best round "
        f"{max(rates):,.0f} texts/s, median {statistics.median(rates):,.0f} "
        f"({rounds * per_round * len(texts)} calls, one thread)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
