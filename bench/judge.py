"""The judge at national size: seconds to evaluate stores of template-made reports, and how that grows.

    .venv/bin/python bench/judge.py [--sizes 4000 16000]

Each store holds counties as the season benchmark makes them (most with a government, 2–5
departments and a few townships, one in ten with 20–40 departments), two report years, every
report rendered from the synthetic template and recorded through the store as a crawl would.
Reports drawn from one template share much of their prose (the sentence pools are small), so
nearly every same-year pair is a candidate copy: the worst case for copy detection, which compares
reports of one year across the whole store. Prints the evaluation's time, its copy detection's
share (candidate pairs, pairs confirmed on the texts) and, for the largest against the smallest
size, how many times the time grew for how many times the reports (1x per 1x is linear).
"""

from __future__ import annotations

import argparse
import platform
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from demo.synth import SynthReport, consistent_tables, render_text
from demo.world import county_name, make_units
from monitor.judge import _copies, evaluate, load_reports
from monitor.judge.registry import Registry
from monitor.report.analysis import analyze_text
from monitor.store import Store, open_store

AS_OF = date(2026, 4, 15)


def generate(path: Path, n: int, seed: int = 0) -> Store:
    """At least ``n`` reports of whole counties (years 2024 and 2025), recorded through the store."""
    store = open_store(path)
    rng = random.Random(seed)
    count = county = 0
    while count < n:
        name = county_name(county)
        departments, townships = (rng.randint(20, 40), 0) if county % 10 == 9 else (rng.randint(2, 5),
                                                                                    rng.randint(0, 3))
        for year in (2024, 2025):
            for unit in make_units(name, departments, townships):
                report = SynthReport(unit.name, year, consistent_tables(rng, "2021", scale=4, zero=rng.random() < 0.3),
                                     jurisdiction=name, published=date(year + 1, 1, 20))
                store.record_report(analyze_text(render_text(report)), url=f"http://127.0.0.1:9/{county}/{count}.html",
                                    jurisdiction=name, agency=unit.name, year=year, level=unit.level,
                                    published=report.published.isoformat())
                count += 1
        county += 1
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[4000, 16000])
    args = parser.parse_args()
    print(f"# judge benchmark — Python {platform.python_version()} {platform.machine()}")
    results = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            started = time.perf_counter()
            store = generate(Path(tmp) / "j.db", n)
            made = time.perf_counter() - started
            reports = store.db.execute("select count(*) from reports").fetchone()[0]
            started = time.perf_counter()
            evaluation = evaluate(store, Registry(), AS_OF)
            seconds = time.perf_counter() - started
            # the copy detection alone, on the same reports
            known = load_reports(store, AS_OF)
            started = time.perf_counter()
            _copies(store, known, lambda *_args: None)
            copies = time.perf_counter() - started
            codes = Counter(t.finding.code for t in evaluation.findings.values())
            store.close()
        results.append((reports, seconds))
        print(f"\n## {reports:,} reports (generated in {made:.0f} s)")
        print(f"evaluate: {seconds:.2f} s = {1000 * seconds / reports:.3f} ms a report; copy detection "
              f"{copies:.2f} s ({copies / seconds:.0%}); COPIED_FROM_OTHER {codes['COPIED_FROM_OTHER']:,}, "
              f"COPIED_FROM_PREVIOUS {codes['COPIED_FROM_PREVIOUS']:,}")
    if len(results) >= 2:
        (n1, s1), (n2, s2) = results[0], results[-1]
        print(f"\n{n2 / n1:.1f}x the reports: {s2 / s1:.1f}x the time")


if __name__ == "__main__":
    main()
