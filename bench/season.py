"""A reporting season, simulated end to end: crawl every county portal, judge, publish, notify.

    .venv/bin/python bench/season.py [--portals 2800] [--processes 1,4] [--latency 0.1] [--delay 0.5]

Generates N county portals (default 2,800, the national count) in the fixture world's CMS styles:
most are small (a government, a few departments and townships), a tail (one in ten) are large
department-centred portals with 20–40 departments, each with its own 年报 column. They are served
on loopback, and for each process count the season runs as the service would run it:

1. ``nianbao crawl`` through a private redis-server (the coordinator, which alone writes the store,
   plus ``k - 1`` ``--worker`` processes);
2. ``nianbao judge``, ``nianbao site`` and ``nianbao digest --outbox`` (a digest for every office:
   one per county and one above all of them), on the crawl's database.

It prints the wall time of each stage, requests per report, CPU per report over every crawling and
judging process (``crawler.cpu``), the single writer's utilisation (the coordinator's storing CPU
over the crawl's wall time), Redis's peak memory, the database's size and ``PRAGMA
integrity_check``. At the national size it takes about an hour; it is a benchmark, not a test.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from scale import cpu_line, crawl_flags, redis_peak_mb, run, start_redis  # noqa: E402

from demo.server import serve  # noqa: E402
from demo.world import Anomalies, World, add_noise, county_name, make_portal, make_units  # noqa: E402

AS_OF = "2026-04-15"  # after every deadline of report year 2025


def season_world(n: int, seed: int = 0, noise: int = 10) -> World:
    """N county portals: mostly small, a tail of large department-centred ones."""
    rng = random.Random(seed)
    portals = []
    for i in range(n):
        if i % 10 == 9:
            style, departments, townships = "dept", rng.randint(20, 40), 0
        else:
            style = ("hanweb", "trs", "static", "jsapi")[i % 4]
            departments, townships = rng.randint(2, 5), rng.randint(0, 3)
        name = county_name(i)
        # what a season finds: some reports late, some never published, some with a carry-over error
        units = [u.name for u in make_units(name, departments, townships if style != "dept" else 0)]
        odd = Anomalies(late={(u, 2025) for u in units if rng.random() < 0.08},
                        missing=[(u, 2025) for u in units[1:] if rng.random() < 0.05],
                        carry_mismatch={(u, 2025) for u in units if rng.random() < 0.05})
        portal = make_portal(f"c{i:04d}", style, name, [2024, 2025], seed + i, departments=departments,
                             townships=townships, odd=odd)
        add_noise(portal, noise)
        portals.append(portal)
    return World(portals)


def write_config(world: World, path: Path) -> None:
    """Every county with its portal and an office of its own, and one office above all of them."""
    lines = ["jurisdictions:"]
    for p in world.portals:
        lines += [f"  - name: {p.jurisdiction}", "    parent: 演示市", f"    portal: {p.url}"]
    lines += ["  - name: 演示市", "    level: city", "offices:"]
    for k, p in enumerate(world.portals):
        lines += [f"  - name: {p.jurisdiction}政务公开办", f"    jurisdictions: [{p.jurisdiction}]",
                  f"    recipients: [office{k}@127.0.0.1]"]
    lines += ["  - name: 演示市政务公开办", "    jurisdictions: [演示市]", "    recipients: [city@127.0.0.1]",
              "site:", "  base_url: https://nianbao.example.org/"]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def nianbao(*args: str) -> float:
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "monitor.cli", *args], cwd=ROOT, check=True, capture_output=True,
                   env={**os.environ, "PYTHONPATH": str(ROOT)})
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--portals", type=int, default=2800)
    parser.add_argument("--processes", default="1,4", help="crawling processes to try, comma-separated")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds each portal answer takes")
    parser.add_argument("--delay", type=float, default=0.5, help="DOWNLOAD_DELAY per portal")
    parser.add_argument("--concurrency", type=int, default=32, help="CONCURRENT_REQUESTS per process")
    parser.add_argument("--noise", type=int, default=10, help="news pages per portal")
    parser.add_argument("--keep", type=Path, help="copy each run's database into this folder (to profile it later)")
    args = parser.parse_args()

    built = time.perf_counter()
    world = season_world(args.portals, noise=args.noise)
    for p in world.portals:
        p.latency = args.latency
    n = len(world.expected)
    large = sum(1 for p in world.portals if p.style == "dept")
    print(f"# season benchmark — {args.portals} county portals ({large} large department-centred), "
          f"{n} reports, {sum(len(p.resources) for p in world.portals)} resources "
          f"(built in {time.perf_counter() - built:.0f} s)")
    print(f"# {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"latency {args.latency}s, delay {args.delay}s, {args.concurrency} requests at a time per process\n")
    flags = crawl_flags(args)
    with tempfile.TemporaryDirectory() as tmp, serve(world):
        config = Path(tmp) / "season.yaml"
        write_config(world, config)
        for k in [int(x) for x in args.processes.split(",") if x]:
            for p in world.portals:
                p.hits.clear()
            db = Path(tmp) / f"season-{k}.db"
            redis_proc, url = start_redis(tmp)
            try:
                crawl = run(world, db, flags, k, url)
                redis_mb = redis_peak_mb(url)
            finally:
                redis_proc.terminate()
                redis_proc.wait(10)
            reports = len(crawl["reports"])
            judge_s = nianbao("judge", "--db", str(db), "--config", str(config), "--as-of", AS_OF)
            site_s = nianbao("site", "--db", str(db), "--config", str(config), "--as-of", AS_OF,
                             "--out", str(Path(tmp) / f"site-{k}"))
            outbox = Path(tmp) / f"outbox-{k}"
            digest_s = nianbao("digest", "--db", str(db), "--config", str(config), "--as-of", AS_OF,
                               "--outbox", str(outbox))
            mails = sum(1 for _ in outbox.rglob("*.eml"))
            con = sqlite3.connect(db)
            integrity = con.execute("pragma integrity_check").fetchone()[0]
            # a portal the crawl left with nothing found, or cut by a budget: recall lost (every
            # generated portal publishes reports, none is slow enough to need cutting)
            empty = con.execute("select count(*) from portals p where not exists "
                                "(select 1 from reports r where r.portal_id = p.id)").fetchone()[0]
            cut = con.execute("select count(*) from crawl_runs where budget_cuts not in ('', '{}')").fetchone()[0]
            con.close()
            if args.keep:
                args.keep.mkdir(parents=True, exist_ok=True)
                shutil.copy2(db, args.keep / db.name)
            store_cpu = crawl["cpu"].get("writer_store", 0.0)
            print(f"## {k} crawling process{'es' if k > 1 else ''}")
            print(f"crawl: {crawl['seconds']:.0f} s, {crawl['requests']:,} requests, {reports:,}/{n:,} reports, "
                  f"{crawl['requests'] / max(1, reports):.2f} requests a report; {cpu_line(crawl)}")
            print(f"portals with no report found: {empty:,} of {len(world.portals):,}; runs cut by a budget: {cut:,}")
            print(f"single writer: storing {store_cpu:.0f} s of CPU in {crawl['seconds']:.0f} s of crawl = "
                  f"{store_cpu / crawl['seconds']:.0%} busy; Redis peak {redis_mb:.0f} MB")
            print(f"judge {judge_s:.0f} s, site {site_s:.0f} s, digests {digest_s:.0f} s ({mails:,} mails for "
                  f"{len(world.portals) + 1:,} offices)")
            print(f"store: {db.stat().st_size / 1e6:,.0f} MB = {db.stat().st_size / max(1, reports) / 1024:.1f} KB a "
                  f"report; integrity_check: {integrity}")
            print(f"season, end to end: {crawl['seconds'] + judge_s + site_s + digest_s:.0f} s\n", flush=True)
    print(json.dumps({"portals": args.portals, "reports": n}))


if __name__ == "__main__":
    main()
