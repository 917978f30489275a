"""Identity and false findings on the real corpus: per-field accuracy, false alarms, missed defects.

    .venv/bin/python bench/identity.py [--verbose]

Runs the analyser over every item of tests/fixtures/real (real reports and report pages, each with
labels set by reading it) and prints, per identity field, how many the analyser got right; the
errors raised on reports labelled correct; the labelled defects it did not find; the sections it
did not find. ``--verbose`` lists every miss.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.realcorpus import (
    IDENTITY_FIELDS,
    analyse,
    compare,
    false_alarms,
    load_items,
    missed_defects,
    missed_sections,
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verbose", action="store_true")
    args = parser.parse_args()
    items = load_items()
    right: Counter[str] = Counter()
    total: Counter[str] = Counter()
    misses: list[str] = []
    alarms: list[str] = []
    defects_missed: list[str] = []
    defects_total = 0
    sections_total = sections_missed = 0
    started = time.perf_counter()
    for item in items:
        report = analyse(item)
        for field, (ok, expected, got) in compare(item, report).items():
            total[field] += 1
            right[field] += ok
            if not ok:
                misses.append(f"{item.stem}: {field} expected {expected!r}, got {got!r}")
        alarms += [f"{item.stem}: {a}" for a in false_alarms(item, report)]
        defects_total += len(item.labels.get("defects") or [])
        defects_missed += [f"{item.stem}: {code}" for code in missed_defects(item, report)]
        labelled = item.labels.get("sections") or []
        sections_total += len(labelled)
        missed = missed_sections(item, report)
        sections_missed += len(missed)
        if missed:
            misses.append(f"{item.stem}: sections {missed} not found")
    elapsed = time.perf_counter() - started
    kinds = Counter(i.kind for i in items)
    print(f"real corpus: {len(items)} items ({kinds['report']} reports, {kinds['page']} pages), {elapsed:.1f} s")
    for field in IDENTITY_FIELDS:
        if total[field]:
            print(f"  {field:<13} {right[field]:>3} / {total[field]:<3} {100 * right[field] / total[field]:5.1f} %")
    print(f"  sections      {sections_total - sections_missed:>3} / {sections_total:<3} labelled sections found")
    correct = sum(1 for i in items if i.correct)
    print(f"  false alarms  {len(alarms)} on {correct} reports labelled correct")
    print(f"  defects found {defects_total - len(defects_missed)} / {defects_total}")
    if args.verbose:
        for line in misses + alarms + [f"missed defect {d}" for d in defects_missed]:
            print("   ", line)


if __name__ == "__main__":
    main()
