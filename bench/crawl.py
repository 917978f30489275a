"""Discovery efficiency: the guided spider against a generic crawler that follows every link.

    .venv/bin/python bench/crawl.py [--portals 50] [--noise 200]

Generates a world of N portals (Hanweb, TRS, static, JSON-API and department-centred styles,
each with a news section of ``--noise`` pages, as real portals have), serves it on loopback,
crawls it with ``nianbao crawl`` and with a generic CrawlSpider, and prints requests per report
found (requests counted by the servers), recall, pages per second, and the ratio — over all
portals, and at equal recall: over the portals where the generic crawler finds every report the
guided one does (it cannot see datastores or JSON-API lists, so elsewhere it finds fewer).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from demo.server import serve  # noqa: E402
from demo.world import generated_world  # noqa: E402

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS=64",
        "-s", "LOG_LEVEL=ERROR"]


def hits_by_portal(world) -> dict[int, int]:
    return {p.port: sum(p.hits.values()) for p in world.portals}


def per_portal(world, before: dict[int, int], found: set[tuple[int, str]]) -> dict[int, tuple[int, int]]:
    """Requests spent and reports found on each portal (by port) since ``before``."""
    expected = {(p.port, e.url) for p, e in world.expected}
    got = {p.port: 0 for p in world.portals}
    for port, _ in found & expected:
        got[port] += 1
    return {p.port: (sum(p.hits.values()) - before[p.port], got[p.port]) for p in world.portals}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--portals", type=int, default=50)
    parser.add_argument("--noise", type=int, default=200)
    args = parser.parse_args()
    started = time.perf_counter()
    world = generated_world(args.portals, noise_pages=args.noise)
    print(f"# crawl benchmark — {args.portals} portals, {len(world.expected)} reports, "
          f"{sum(len(p.resources) for p in world.portals)} resources; built in {time.perf_counter() - started:.1f}s; "
          f"Python {platform.python_version()} {platform.machine()}")
    with tempfile.TemporaryDirectory() as tmp, serve(world):
        expected = {(p.port, e.url) for p, e in world.expected}
        urls = [p.url for p in world.portals]
        # guided
        before = hits_by_portal(world)
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "monitor.cli", "crawl", "--db", f"{tmp}/g.db", *FAST]
        for url in urls:
            cmd += ["--portal", url]
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        guided_time = time.perf_counter() - t0
        found = {(urlsplit(u).port, urlsplit(u).path) for (u,) in
                 sqlite3.connect(f"{tmp}/g.db").execute("select url from reports")}
        guided = per_portal(world, before, found)
        # generic
        before = hits_by_portal(world)
        t0 = time.perf_counter()
        # plain Scrapy (run outside the project so none of Nianbao's settings apply), same politeness:
        # robots.txt, two requests at a time per portal (slots per host:port via the same setting)
        subprocess.run([sys.executable, "-m", "scrapy", "runspider", str(ROOT / "bench" / "generic_spider.py"),
                        "-a", "urls=" + ",".join(urls), "-o", f"{tmp}/generic.jsonl", *FAST,
                        "-s", "ROBOTSTXT_OBEY=True", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
                        "-s", "DEPTH_LIMIT=0"],
                       cwd=tmp, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        generic_time = time.perf_counter() - t0
        lines = Path(f"{tmp}/generic.jsonl").read_text(encoding="utf-8").splitlines()
        generic_urls = {(urlsplit(json.loads(x)["url"]).port, urlsplit(json.loads(x)["url"]).path) for x in lines}
        generic = per_portal(world, before, generic_urls)
    n = len(expected)

    def totals(runs: dict[int, tuple[int, int]], ports) -> tuple[int, int]:
        return sum(runs[p][0] for p in ports), sum(runs[p][1] for p in ports)

    everywhere = [p.port for p in world.portals]
    # equal recall: the portals where the generic crawler finds every report the guided one finds
    equal = [port for port in everywhere if generic[port][1] == guided[port][1] > 0]
    styles = sorted({p.style for p in world.portals if p.port in equal})
    print(f"\n{'crawler':<10}{'portals':<14}{'requests':>10}{'found':>8}{'recall':>9}{'req/report':>12}"
          f"{'pages/s':>10}{'time s':>9}")
    for name, runs, secs in (("guided", guided, guided_time), ("generic", generic, generic_time)):
        for label, ports in (("all", everywhere), ("equal recall", equal)):
            req, got = totals(runs, ports)
            share = sum(1 for p, e in world.expected if p.port in ports)
            rate = f"{req / secs:>10.1f}{secs:>9.1f}" if label == "all" else ""
            print(f"{name:<10}{label:<14}{req:>10}{got:>8}{got / max(share, 1):>9.1%}{req / max(got, 1):>12.2f}{rate}")
    (gr, gf), (nr, nf) = totals(guided, equal), totals(generic, equal)
    print(f"\nAt equal recall ({len(equal)} portals where both find the same reports: {', '.join(styles)}), the "
          f"guided spider issues {(nr / max(nf, 1)) / (gr / max(gf, 1)):.1f}x fewer requests per report found.")
    (gr, gf), (nr, nf) = totals(guided, everywhere), totals(generic, everywhere)
    print(f"Over all portals: {(nr / max(nf, 1)) / (gr / max(gf, 1)):.1f}x, at recall {gf / n:.0%} (guided) vs "
          f"{nf / n:.0%} (generic: it cannot see Hanweb datastores or JSON-API lists).")


if __name__ == "__main__":
    main()
