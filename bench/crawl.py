"""Discovery efficiency: the guided spider against a generic crawler that follows every link.

    .venv/bin/python bench/crawl.py [--portals 50] [--noise 200]

Generates a world of N portals (Hanweb, TRS, static, JSON-API and department-centred styles,
each with a news section of ``--noise`` pages, as real portals have), serves it on loopback,
crawls it with ``nianbao crawl`` and with a generic CrawlSpider, and prints requests per report
found (requests counted by the servers), recall, pages per second, and the ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from crawler.world import generated_world  # noqa: E402
from crawler.world.server import serve  # noqa: E402

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "CONCURRENT_REQUESTS=64",
        "-s", "LOG_LEVEL=ERROR"]


def total_hits(world) -> int:
    return sum(sum(p.hits.values()) for p in world.portals)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--portals", type=int, default=50)
    parser.add_argument("--noise", type=int, default=200)
    args = parser.parse_args()
    started = time.perf_counter()
    world = generated_world(args.portals, noise_pages=args.noise)
    expected = {(p.port, e.url) for p, e in world.expected}
    print(f"# crawl benchmark — {args.portals} portals, {len(world.expected)} reports, "
          f"{sum(len(p.resources) for p in world.portals)} resources; built in {time.perf_counter() - started:.1f}s; "
          f"Python {platform.python_version()} {platform.machine()}")
    with tempfile.TemporaryDirectory() as tmp, serve(world):
        expected = {(p.port, e.url) for p, e in world.expected}
        urls = [p.url for p in world.portals]
        # guided
        before = total_hits(world)
        t0 = time.perf_counter()
        cmd = [sys.executable, "-m", "monitor.cli", "crawl", "--db", f"{tmp}/g.db", *FAST]
        for url in urls:
            cmd += ["--portal", url]
        subprocess.run(cmd, cwd=ROOT, check=True, capture_output=True)
        guided_time = time.perf_counter() - t0
        guided_requests = total_hits(world) - before
        import sqlite3

        found = {(urlsplit(u).port, urlsplit(u).path) for (u,) in
                 sqlite3.connect(f"{tmp}/g.db").execute("select url from reports")}
        guided_found = len(found & expected)
        # generic
        before = total_hits(world)
        t0 = time.perf_counter()
        # plain Scrapy (run outside the project so none of Nianbao's settings apply), same politeness:
        # robots.txt, two requests at a time per portal (slots per host:port via the same setting)
        subprocess.run([sys.executable, "-m", "scrapy", "runspider", str(ROOT / "bench" / "generic_spider.py"),
                        "-a", "urls=" + ",".join(urls), "-o", f"{tmp}/generic.jsonl", *FAST,
                        "-s", "ROBOTSTXT_OBEY=True", "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=2",
                        "-s", "DEPTH_LIMIT=0"],
                       cwd=tmp, check=True, capture_output=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        generic_time = time.perf_counter() - t0
        generic_requests = total_hits(world) - before
        lines = Path(f"{tmp}/generic.jsonl").read_text(encoding="utf-8").splitlines()
        generic_urls = {(urlsplit(json.loads(x)["url"]).port, urlsplit(json.loads(x)["url"]).path) for x in lines}
        generic_found = len(generic_urls & expected)
    n = len(expected)
    print(f"\n{'crawler':<10}{'requests':>10}{'found':>8}{'recall':>9}{'req/report':>12}{'pages/s':>10}{'time s':>9}")
    for name, req, got, secs in (("guided", guided_requests, guided_found, guided_time),
                                 ("generic", generic_requests, generic_found, generic_time)):
        print(f"{name:<10}{req:>10}{got:>8}{got / n:>9.1%}{req / max(got, 1):>12.2f}{req / secs:>10.1f}{secs:>9.1f}")
    ratio = (generic_requests / max(generic_found, 1)) / (guided_requests / max(guided_found, 1))
    print(f"\nThe guided spider issues {ratio:.1f}x fewer requests per report found "
          f"(recall {guided_found / n:.0%} vs {generic_found / n:.0%}; the generic crawler cannot see Hanweb "
          "datastores or JSON-API lists, so its figure flatters it).")


if __name__ == "__main__":
    main()
