"""List variants: requests per report and browser use for each CMS list variant of the spec.

    .venv/bin/python bench/lists.py

Crawls the variant matrix (``demo.variants``: one portal per list variant documented in
``shared/spec/portals.md``) with ``nianbao crawl`` and prints, per variant, recall, requests per
report (counted by the portal servers) and whether the browser was used. Target: 100 % recall,
≤ 2.0 requests per report overall, the browser only for the click-only variant.
"""

from __future__ import annotations

import platform
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from demo.server import serve
from demo.variants import variant_world

FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0"]


def main() -> None:
    world = variant_world()
    db = Path(tempfile.mkdtemp()) / "lists.db"
    started = time.monotonic()
    with serve(world):
        args = [sys.executable, "-m", "monitor.cli", "crawl", "--db", str(db), *FAST]
        for portal in world.portals:
            args += ["--portal", portal.url]
        subprocess.run(args, check=True, capture_output=True)
    elapsed = time.monotonic() - started
    con = sqlite3.connect(db)
    found: dict[int, set[str]] = {}
    for (url,) in con.execute("select url from reports"):
        found.setdefault(int(url.split("/")[2].split(":")[1]), set()).add("/" + url.split("/", 3)[3])
    lists: dict[int, list[tuple]] = {}
    for row in con.execute("select column_url, adapter, complete, browser, reason from list_checks"):
        lists.setdefault(int(row[0].split("/")[2].split(":")[1]), []).append(row)
    print(f"# list variants — {len(world.portals)} portals, Python {platform.python_version()}, {elapsed:.0f} s")
    print(f"{'variant':<30}{'recall':>10}{'requests':>10}{'req/report':>12}  adapter (browser)")
    total_requests = total_reports = total_found = 0
    for p in world.portals:
        expected = {e.url for e in p.expected}
        got = found.get(p.port, set()) & expected
        requests = sum(p.hits.values())
        total_requests, total_reports, total_found = total_requests + requests, total_reports + len(expected), \
            total_found + len(got)
        adapters = ", ".join(sorted({r[1] for r in lists.get(p.port, [])}))
        flags = " gated column reported" if any(r[4] == "permission" for r in lists.get(p.port, [])) else ""
        print(f"{p.variant:<30}{len(got):>5}/{len(expected):<4}{requests:>10}{requests / len(expected):>12.2f}  "
              f"{adapters}{flags}")
    print(f"{'overall':<30}{total_found:>5}/{total_reports:<4}{total_requests:>10}"
          f"{total_requests / total_reports:>12.2f}")


if __name__ == "__main__":
    main()
