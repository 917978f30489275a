"""Throughput, politeness and recrawl cost of ``nianbao crawl`` on a generated world.

    .venv/bin/python bench/scale.py [--portals 50] [--workers 1,2,4] [--latency 0.1] [--delay 0.5]

Generates N portals × M units × Y years in the fixture world's CMS styles (each answer takes
``--latency`` seconds, as a real county portal's does), serves them on loopback, and measures:

* a single process without Redis — the baseline;
* distributed mode with 1, 2, 4 … crawling processes on one machine (the coordinator, which also
  crawls and alone writes the store, plus ``--worker`` processes) against a private redis-server:
  pages/s, reports/s, speed-up over one distributed process, and the politeness seen by the
  portals (most requests one portal answered at once, highest request rate one portal saw —
  limits: 2 and 1 / delay) and Redis's peak memory;
* for every run, the CPU a stored report costs over all of the run's processes (crawling and
  judging ones; ``crawler.cpu``), and how it splits between fetching (Scrapy, Twisted, sockets),
  parsing pages, judging reports and storing them;
* a recrawl of the unchanged world on the baseline's database: requests as a share of the first
  crawl's, and report pages and attachments downloaded again (should be none).

Per-portal politeness uses the crawler's own settings (``--delay`` between requests, two at a time);
the ratios, not the absolute figures, are what carry to another machine.
"""

from __future__ import annotations

import argparse
import bisect
import json
import os
import platform
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.server import free_port, serve  # noqa: E402
from demo.world import World, generated_world  # noqa: E402


def crawl_flags(args: argparse.Namespace) -> list[str]:
    return ["-s", f"DOWNLOAD_DELAY={args.delay}", "-s", "DOWNLOAD_DELAY_JITTER=0", "-s", "AUTOTHROTTLE_ENABLED=0",
            "-s", f"CONCURRENT_REQUESTS={args.concurrency}", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
            "-s", "NIANBAO_PLAYWRIGHT=0", "-s", "LOG_LEVEL=ERROR"]


def reset(world: World) -> None:
    for p in world.portals:
        p.hits.clear()
        p.starts.clear()
        p.max_active = 0


def politeness(world: World, delay: float) -> tuple[int, float]:
    """Most requests any portal answered at once, and the highest rate any portal saw over a
    window of ten delays (requests per second; the limit is 1 / delay). Gaps between single
    requests are not the measure: a busy process sends a leased request a little late."""
    window = 10 * delay
    peak = 0
    for p in world.portals:
        starts = sorted(p.starts)
        for i, t in enumerate(starts):
            peak = max(peak, bisect.bisect_left(starts, t + window) - i)  # in [t, t + window)
    return max(p.max_active for p in world.portals), peak / window


def documents(world: World) -> set[tuple[int, str]]:
    """Report pages and attachments: what an unchanged recrawl should not download again."""
    docs = {(p.port, e.url) for p, e in world.expected}
    for p in world.portals:
        docs |= {(p.port, path) for path, r in p.resources.items()
                 if not r.content_type.startswith(("text/", "application/json"))}
    return docs


def reports_in(db: Path) -> set[tuple[str, str, int, str]]:
    """Every stored report as (jurisdiction, agency, year, URL)."""
    return set(sqlite3.connect(db).execute("select jurisdiction, agency, year, url from reports"))


def forbidden_fetched(world: World) -> int:
    """Requests for pages robots.txt forbids (must be none)."""
    return sum(n for p in world.portals for path, n in p.hits.items() if any(path.startswith(f) for f in p.forbidden))


def start_redis(tmp: str) -> tuple[subprocess.Popen, str]:
    port = free_port()
    proc = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", tmp], stdout=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port)
    for _ in range(200):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    return proc, f"redis://127.0.0.1:{port}/0"


def redis_peak_mb(url: str) -> float:
    """Redis's peak memory during the crawl (frontier, Bloom filter, item backlog), in MB."""
    import redis

    return redis.Redis.from_url(url).info("memory")["used_memory_peak"] / 1e6


def run(world: World, db: Path, flags: list[str], processes: int = 1, redis_url: str | None = None) -> dict:
    """One crawl; with ``redis_url``, the coordinator plus ``processes - 1`` workers."""
    portals = [a for p in world.portals for a in ("--portal", p.url)]
    base = [sys.executable, "-m", "monitor.cli", "crawl"]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    accounts = Path(tempfile.mkdtemp(prefix="cpu-", dir=db.parent))
    flags = [*flags, "-s", f"NIANBAO_CPU_REPORT={accounts}/{{pid}}.json"]
    before = sum(sum(p.hits.values()) for p in world.portals)
    started = time.perf_counter()
    workers = [subprocess.Popen([*base, "--worker", "--redis", redis_url, *flags], cwd=ROOT, env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for _ in range(processes - 1)] if redis_url else []
    redis_flags = ["--redis", redis_url] if redis_url else []
    done = subprocess.run([*base, *redis_flags, "--db", str(db), *flags, *portals], cwd=ROOT, env=env,
                          capture_output=True, text=True)
    for w in workers:
        w.wait(timeout=600)
    seconds = time.perf_counter() - started
    if done.returncode not in (0, 1):  # 1: some portal had errors, which a generated world does not plant
        raise SystemExit(f"crawl failed:\n{done.stderr[-3000:]}")
    requests = sum(sum(p.hits.values()) for p in world.portals) - before
    cpu: dict[str, float] = {}
    for account in accounts.glob("*.json"):
        stages = json.loads(account.read_text())
        role = stages.pop("role", "writer")
        for stage, value in stages.items():
            cpu[stage] = cpu.get(stage, 0) + value
        if role == "writer":
            cpu["writer_store"] = cpu.get("writer_store", 0) + stages.get("store", 0)
    return {"seconds": seconds, "requests": requests, "reports": reports_in(db), "forbidden": forbidden_fetched(world),
            "cpu": cpu}


def cpu_line(r: dict) -> str:
    """CPU per report (every process of the run, the judging ones included) and each stage's share."""
    cpu = r["cpu"]
    judge, parse, store = cpu.get("judge", 0.0), cpu.get("parse", 0.0), cpu.get("store", 0.0)
    total = cpu.get("process", 0.0) + judge
    other = total - judge - parse - store
    reports = max(1, len(r["reports"]))
    shares = ", ".join(f"{name} {value / total:.0%}" for name, value in
                       (("fetch/Scrapy", other), ("parse", parse), ("judge", judge), ("store", store))) if total else ""
    return f"{1000 * total / reports:.1f} ms CPU a report ({shares})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--portals", type=int, default=50)
    parser.add_argument("--departments", type=int, default=4)
    parser.add_argument("--townships", type=int, default=2)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--noise", type=int, default=20, help="news pages per portal")
    parser.add_argument("--workers", default="1,2,4", help="crawling processes to try, comma-separated")
    parser.add_argument("--latency", type=float, default=0.1, help="seconds each portal answer takes")
    parser.add_argument("--delay", type=float, default=0.5, help="DOWNLOAD_DELAY per portal")
    parser.add_argument("--concurrency", type=int, default=32, help="CONCURRENT_REQUESTS per process")
    args = parser.parse_args()
    counts = [int(x) for x in args.workers.split(",") if x]
    if counts and not shutil.which("redis-server"):
        raise SystemExit("redis-server is not installed (scripts/setup.sh installs it)")

    built = time.perf_counter()
    world = generated_world(args.portals, departments=args.departments, townships=args.townships,
                            years=args.years, noise_pages=args.noise)
    for p in world.portals:
        p.latency = args.latency
    n = len(world.expected)
    print(f"# scale benchmark — {args.portals} portals × {args.departments + args.townships + 1} units × "
          f"{args.years} years = {n} reports, {sum(len(p.resources) for p in world.portals)} resources "
          f"(built in {time.perf_counter() - built:.1f}s)")
    print(f"# {platform.node()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}; "
          f"latency {args.latency}s, delay {args.delay}s and 2 at a time per portal, "
          f"{args.concurrency} requests at a time per process\n")
    flags = crawl_flags(args)
    runs: list[tuple[str, dict]] = []

    def line(name: str, r: dict, extra: str = "") -> None:
        runs.append((name, r))
        reports = len(r["reports"])
        print(f"{name:<22}{r['requests']:>9}{reports:>9}{r['seconds']:>9.1f}{r['requests'] / r['seconds']:>9.1f}"
              f"{reports / r['seconds']:>11.1f}{extra}", flush=True)
        print(f"{'':<22}{cpu_line(r)}", flush=True)

    print(f"{'run':<22}{'requests':>9}{'reports':>9}{'time s':>9}{'pages/s':>9}{'reports/s':>11}"
          f"{'speed-up':>10}{'max/portal':>12}{'peak req/s':>12}{'Redis MB':>10}")
    with tempfile.TemporaryDirectory() as tmp, serve(world):
        baseline = run(world, Path(tmp, "single.db"), flags)
        busiest, rate = politeness(world, args.delay)
        line("single, no Redis", baseline, f"{'':>10}{busiest:>12}{rate:>12.2f}")
        first_hits = {(p.port, path): k for p in world.portals for path, k in p.hits.items()}
        reset(world)
        recrawl = run(world, Path(tmp, "single.db"), flags)
        again = {(p.port, path) for p in world.portals for path in p.hits} & documents(world)
        line("recrawl, unchanged", recrawl)

        one = None
        for k in counts:
            reset(world)
            redis_proc, url = start_redis(tmp)
            try:
                r = run(world, Path(tmp, f"dist{k}.db"), flags, k, url)
                peak_mb = redis_peak_mb(url)
            finally:
                redis_proc.terminate()
                redis_proc.wait(10)
            one = one or r
            busiest, rate = politeness(world, args.delay)
            speedup = (r["requests"] / r["seconds"]) / (one["requests"] / one["seconds"])
            line(f"distributed, {k} proc", r, f"{speedup:>9.2f}x{busiest:>12}{rate:>12.2f}{peak_mb:>10.1f}")

    print(f"\nrecall: {len(baseline['reports'])}/{n} reports (single process)")
    for name, r in runs[2:]:
        extra, missing = len(r["reports"] - baseline["reports"]), len(baseline["reports"] - r["reports"])
        verdict = f"{extra} extra, {missing} missing" if extra + missing else "the same reports as the single process"
        print(f"{name}: {verdict}")
    print(f"pages robots.txt forbids, fetched: {sum(r['forbidden'] for _, r in runs)} (over all runs)")
    portals = len(world.portals)
    print(f"recrawl of the unchanged world: {recrawl['requests']}/{baseline['requests']} requests = "
          f"{recrawl['requests'] / baseline['requests']:.1%} of the first crawl "
          f"({(recrawl['requests'] + portals) / baseline['requests']:.1%} a day later, robots.txt read again); "
          f"report pages and attachments downloaded again: {len(again)} (of {len(documents(world) & set(first_hits))})")


if __name__ == "__main__":
    main()
