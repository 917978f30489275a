"""Site build time, memory and store size for 10k and 100k synthetic reports.

    .venv/bin/python bench/site.py [--sizes 10000 100000] [--no-compare]

For each size a fresh database is generated (jurisdictions of 25 units × 4 years; every report a
real judged synthetic report, stored as the store stores it, so pages carry full tables and
findings). A child process then, in one run:

1. judges the store once (as a service cycle does before it publishes: ``judge``, which also logs
   what moved for the next build — the judge's change feed);
   (before each build is timed, the files earlier steps wrote are synced to disk: see ``_settle``)
2. builds the site with one process per CPU (the default) — wall time, CPU, peak memory;
3. builds it again with one process (the baseline) and compares the two byte for byte
   (``SOURCE_DATE_EPOCH`` fixes the "built at" line; skip with ``--no-compare``);
4. two days' crawls, one after the other: every portal crawled and every report seen again, 1 % of
   the reports changed (a corrected title, a finding moved); after each, judges again and rebuilds
   on the previous site (planned from the change feed and the site's state): the incremental
   build as a share of the full one, in wall time and in CPU (on a busy or file-system-bound
   machine the CPU share is the steadier figure; two days show how much one rebuild's figure
   moves from run to run).

It prints per-report figures and ratios, the DB's bytes per report and ``PRAGMA integrity_check``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
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
    from monitor.store.packing import pack, pack_json

    rng = random.Random(7)
    templates = []
    for k in range(8):
        report = analyze_text(render_text(sample_report(k, agency="青川县教育局", fee_statement=k % 4 != 0)))
        data = report.to_json()
        templates.append((report.text, data, report.findings, normalise(report.authored_prose(), ["青川县教育局"]),
                          pack(report.text), pack_json(data["tables"])))
    store = open_store(db_path)
    db = store.db
    units = [f"局{i:02d}" for i in range(24)]
    reports, versions, findings = [], [], []
    rid = 0
    for j in range(n // 100 + 1):
        name = f"县{j:05d}区"
        # each county's portal, crawled the day before (the site says whether a report was still there)
        portal_id = db["portals"].insert({"url": f"http://127.0.0.1/{j}/", "jurisdiction": name}).last_pk
        db["crawl_runs"].insert({"portal_id": portal_id, "started_at": "2026-11-01T00:00:00+00:00",
                                 "finished_at": "2026-11-01T00:30:00+00:00", "status": "finished"})
        for unit in ["人民政府", *units]:
            for year in (2022, 2023, 2024, 2025):
                if rid >= n:
                    break
                rid += 1
                text, data, fs, template_prose, packed_text, packed_tables = templates[rid % len(templates)]
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
                                "current_version_id": rid, "format": "html", "portal_id": portal_id})
                versions.append({"id": rid, "report_id": rid, "text_hash": text_hash(text + str(rid)), "format": "html",
                                 "source_url": f"http://127.0.0.1/{j}/{rid}.html", "title": reports[-1]["title"],
                                 "text": packed_text, "text_chars": data["text_chars"], "template": data["template"],
                                 "sections": json.dumps(data["sections"]), "tables": packed_tables,
                                 "first_seen": "2026-01-01T00:00:00+00:00", "last_seen": "2026-11-01T00:00:00+00:00",
                                 "prose": pack(prose), "signature": prose_signature(prose),
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


def _peak_mb() -> tuple[float, float]:
    """Peak RSS of this process and of its largest child (rendering processes), MB."""
    return (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)


def _cpu() -> float:
    own, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def _same_tree(a: Path, b: Path) -> tuple[int, list[str]]:
    """Files compared and those that differ (by path) between two site folders."""
    import filecmp

    names_a = {p.relative_to(a) for p in a.rglob("*") if p.is_file()}
    names_b = {p.relative_to(b) for p in b.rglob("*") if p.is_file()}
    differ = sorted(str(n) for n in names_a ^ names_b)
    differ += [str(n) for n in sorted(names_a & names_b) if not filecmp.cmp(a / n, b / n, shallow=False)]
    return len(names_a | names_b), differ


def _settle() -> None:
    """Write what earlier steps left in the page cache to disk before a build is timed. Back to
    back, a build paid for the writeback of the 100k files the previous one wrote seconds before
    (a day's rebuild follows the last build by a day, not by seconds); each build starts from a
    quiet disk, and the one it is compared with does too."""
    os.sync()
    time.sleep(1)


def _day_of_crawl(db: str, share: float, day: int = 23) -> int:
    """A day's crawl (on 2026-11-``day``): every portal crawled again and every report seen again,
    and ``share`` of the reports changed (a corrected title, a finding moved)."""
    from monitor.store import open_store

    store = open_store(db)
    ids = [r[0] for r in store.db.execute("select id from reports order by id")]
    rng = random.Random(day)
    changed = rng.sample(ids, max(1, int(len(ids) * share)))
    moment = f"2026-11-{day:02d}T02"
    with store.transaction() as tx:
        tx.execute("insert into crawl_runs (portal_id, started_at, finished_at, status) select id, "
                   f"'{moment}:00:00+00:00', '{moment}:30:00+00:00', 'finished' from portals")
        tx.execute(f"update reports set last_seen = '{moment}:10:00+00:00'")
        tx.execute(f"update report_versions set last_seen = '{moment}:10:00+00:00' "
                   "where id in (select current_version_id from reports)")
        for rid in changed:  # a corrected page: its title and one of its findings
            tx.execute("update reports set title = title || '（更正）' where id = ?", [rid])
            tx.execute("update findings set message = message || '（复核）' where id = "
                       "(select min(id) from findings where report_id = ?)", [rid])
    store.close()
    return len(changed)


def child(db: str, out: str, compare: bool) -> None:
    from datetime import date

    from monitor.judge import judge
    from monitor.judge.registry import Registry
    from monitor.publish.site import build_site
    from monitor.store import open_store

    os.environ["SOURCE_DATE_EPOCH"] = "1795000000"
    as_of = date(2026, 11, 22)
    store = open_store(db)
    started = time.perf_counter()
    evaluation, _ = judge(store, Registry(), as_of)
    judge_s = time.perf_counter() - started
    result: dict = {"judge_s": judge_s, "workers": len(os.sched_getaffinity(0))}

    _settle()
    cpu, started = _cpu(), time.perf_counter()
    built = build_site(store, Registry(), out, evaluation=evaluation)
    result.update(seconds=time.perf_counter() - started, cpu=_cpu() - cpu, pages=built.pages, reports=built.reports)
    result["peak_mb"], result["peak_child_mb"] = _peak_mb()

    if compare:
        single = out + "-single"
        _settle()
        cpu, started = _cpu(), time.perf_counter()
        build_site(store, Registry(), single, evaluation=evaluation, workers=1)
        result.update(single_s=time.perf_counter() - started, single_cpu=_cpu() - cpu)
        result["files"], differ = _same_tree(Path(out), Path(single))
        result["differ"] = differ[:5]
        result["n_differ"] = len(differ)

    result["days"] = []
    for day in (23, 24):
        store.close()
        changed = _day_of_crawl(db, 0.01, day)
        store = open_store(db)
        started = time.perf_counter()
        evaluation, _ = judge(store, Registry(), as_of)
        judged = time.perf_counter() - started
        _settle()
        cpu, started = _cpu(), time.perf_counter()
        again = build_site(store, Registry(), out, evaluation=evaluation)
        result["days"].append({"changed": changed, "judge_s": judged, "seconds": time.perf_counter() - started,
                               "cpu": _cpu() - cpu, "rendered": again.pages - again.reused, "reused": again.reused,
                               "planned": again.incremental, "stages": again.stages})
    if compare:  # kept until now: removing 100k files just before a rebuild slowed the disk under it
        shutil.rmtree(out + "-single")
    result["integrity"] = store.db.execute("pragma integrity_check").fetchone()[0]
    store.db.execute("pragma wal_checkpoint(truncate)")
    result["judged_bytes"] = os.path.getsize(db)  # with the finding lifecycle and the judge's feed
    print(json.dumps(result))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--no-compare", action="store_true", help="skip the single-process build and comparison")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], args.child[1], args.child[2] == "1")
        return
    print(f"# site benchmark — Python {platform.python_version()} {platform.machine()}, "
          f"{len(os.sched_getaffinity(0))} CPUs")
    results = []
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            db = Path(tmp) / "n.db"
            t0 = time.perf_counter()
            generate(db, n)
            gen = time.perf_counter() - t0
            db_bytes = db.stat().st_size
            out = subprocess.run([sys.executable, __file__, "--child", str(db), str(Path(tmp) / "site"),
                                  "0" if args.no_compare else "1"], capture_output=True, text=True, check=True)
            r = json.loads(out.stdout.strip().splitlines()[-1])
        results.append((n, r))
        print(f"\n## {n:,} reports (generated in {gen:.0f} s)")
        print(f"store: {db_bytes / 1e6:,.0f} MB, {db_bytes / n / 1024:.1f} KB a report; after three judgements "
              f"(tracked findings, the judge's feed) {r['judged_bytes'] / n / 1024:.1f} KB a report; "
              f"integrity_check after the run: {r['integrity']}")
        print(f"judge (once per cycle, before publishing; first judgement): {r['judge_s']:.1f} s")
        print(f"site, {r['workers']} processes: {r['seconds']:.1f} s wall = {1000 * r['seconds'] / n:.2f} ms a report; "
              f"CPU {r['cpu']:.1f} s ({1000 * r['cpu'] / n:.2f} ms a report); {r['pages']:,} pages; "
              f"peak memory {r['peak_mb']:.0f} MB (main) / {r['peak_child_mb']:.0f} MB (largest renderer)")
        if "single_s" in r:
            print(f"site, 1 process (baseline): {r['single_s']:.1f} s = {1000 * r['single_s'] / n:.2f} ms a report; "
                  f"speed-up {r['single_s'] / r['seconds']:.2f}x; byte-identical: "
                  f"{'yes' if not r['n_differ'] else 'NO'} ({r['files']:,} files compared"
                  f"{'' if not r['n_differ'] else ', differ: ' + ', '.join(r['differ'])})")
        for k, d in enumerate(r["days"], 1):
            print(f"incremental after day {k}'s crawl ({d['changed']:,} reports changed, judged again in "
                  f"{d['judge_s']:.1f} s): {d['seconds']:.1f} s = {100 * d['seconds'] / r['seconds']:.1f} % "
                  f"of the full build ({d['rendered']:,} pages drawn, {d['reused']:,} reused"
                  f"{', planned from the change feed' if d['planned'] else ', EVERY INPUT DIGESTED'}); "
                  f"CPU {d['cpu']:.1f} s = {100 * d['cpu'] / r['cpu']:.1f} % of the full build's")
            print("  its stages, s: " + ", ".join(f"{name} {seconds:.2f}" for name, seconds in d["stages"].items()))
    if len(results) >= 2:
        (n1, a), (n2, b) = results[0], results[-1]
        print(f"\n{n2 // n1}x the reports: {b['seconds'] / a['seconds']:.1f}x the build time, "
              f"{b['peak_mb'] / a['peak_mb']:.1f}x the peak memory")


if __name__ == "__main__":
    main()
