"""Site build time and peak memory for 10k and 100k synthetic reports; growth must be linear.

    .venv/bin/python bench/site.py [--sizes 10000 100000]

For each size a fresh database is generated (jurisdictions of 25 units × 4 years; every report a
real judged synthetic report, so pages carry full tables and findings) and the site is built
in a child process, which reports its wall time and peak RSS. The last line compares the
growth of time and memory with the growth in reports.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def generate(db_path: Path, n: int) -> None:
    """N reports: a few judged templates, re-keyed, inserted in bulk (judging 100k texts is another bench)."""
    from demo.synth import render_text, sample_report
    from monitor.report.analysis import analyze_text
    from monitor.report.record import carry_rows, prose_signature
    from monitor.report.similarity import normalise
    from monitor.store import open_store, text_hash

    rng = random.Random(7)
    templates = []
    for k in range(8):
        report = analyze_text(render_text(sample_report(k, agency="青川县教育局", fee_statement=k % 4 != 0)))
        data = report.to_json()
        templates.append((report.text, data, report.findings, normalise(report.authored_prose(), ["青川县教育局"])))
    store = open_store(db_path)
    db = store.db
    units = [f"局{i:02d}" for i in range(24)]
    reports, versions, findings = [], [], []
    rid = 0
    for j in range(n // 100 + 1):
        name = f"县{j:05d}区"
        for unit in ["人民政府", *units]:
            for year in (2022, 2023, 2024, 2025):
                if rid >= n:
                    break
                rid += 1
                text, data, fs, template_prose = templates[rid % len(templates)]
                # every report its own prose (half the sentences its own), as real reports have
                prose = template_prose[: len(template_prose) // 2] + "".join(
                    rng.choice("的工作信息公开政府部门推进加强完善制度平台建设依申请办理") for _ in range(400))
                level = "government" if unit == "人民政府" else "department"
                deadline_month = 3 if level == "government" else 1
                day = rng.randint(1, 28)
                month = deadline_month + (1 if rng.random() < 0.1 else 0)
                reports.append({"id": rid, "jurisdiction": name, "agency": name + unit, "year": year, "level": level,
                                "title": f"{name}{unit}{year}年政府信息公开工作年度报告",
                                "url": f"http://127.0.0.1/{j}/{rid}.html", "published": f"{year + 1}-{month:02d}-{day:02d}",
                                "first_seen": "2026-01-01T00:00:00+00:00", "last_seen": "2026-11-01T00:00:00+00:00",
                                "current_version_id": rid, "format": "html"})
                versions.append({"id": rid, "report_id": rid, "text_hash": text_hash(text + str(rid)), "format": "html",
                                 "source_url": f"http://127.0.0.1/{j}/{rid}.html", "title": reports[-1]["title"],
                                 "text": text, "text_chars": data["text_chars"], "template": data["template"],
                                 "sections": json.dumps(data["sections"]), "tables": json.dumps(data["tables"]),
                                 "first_seen": "2026-01-01T00:00:00+00:00", "last_seen": "2026-11-01T00:00:00+00:00",
                                 "prose": prose, "signature": prose_signature(prose),
                                 "carry": json.dumps(carry_rows(data["tables"]))})
                findings += [{"report_id": rid, "version_id": rid, "code": f.code, "severity": f.severity,
                              "message": f.message, "detail": json.dumps(f.detail, ensure_ascii=False),
                              "first_seen": "2026-01-01", "last_seen": "2026-11-01"} for f in fs]
        if len(reports) >= 5000 or rid >= n:
            with store.transaction():
                db["reports"].insert_all(reports)
                db["report_versions"].insert_all(versions)
                db["findings"].insert_all(findings)
            reports, versions, findings = [], [], []
        if rid >= n:
            break
    store.close()


def child(db: str, out: str) -> None:
    from datetime import date

    from monitor.judge.registry import Registry
    from monitor.publish.site import build_site
    from monitor.store import open_store

    started = time.perf_counter()
    result = build_site(open_store(db), Registry(), out, date(2026, 11, 22))
    elapsed = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"seconds": elapsed, "peak_mb": peak_mb, "pages": result.pages, "reports": result.reports}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(*args.child)
        return
    print(f"# site benchmark — Python {platform.python_version()} {platform.machine()}")
    print(f"{'reports':>9}{'db MB':>9}{'gen s':>8}{'build s':>9}{'ms/report':>11}{'peak MB':>9}{'pages':>9}")
    results = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "n.db"
            t0 = time.perf_counter()
            generate(db, n)
            gen = time.perf_counter() - t0
            out = subprocess.run([sys.executable, __file__, "--child", str(db), str(Path(tmp) / "site")],
                                 capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
            size = db.stat().st_size / 1e6
            results.append((n, r))
            print(f"{n:>9}{size:>9.0f}{gen:>8.1f}{r['seconds']:>9.1f}{1000 * r['seconds'] / n:>11.2f}"
                  f"{r['peak_mb']:>9.0f}{r['pages']:>9}")
    if len(results) >= 2:
        (n1, a), (n2, b) = results[0], results[-1]
        print(f"\n{n2 // n1}x the reports: {b['seconds'] / a['seconds']:.1f}x the build time, "
              f"{b['peak_mb'] / a['peak_mb']:.1f}x the peak memory")


if __name__ == "__main__":
    main()
