"""A portal's time budget counts the portal's own time on the network, not the crawl's wall clock,
and a budget that cuts a crawl short is said (crawl record, health), never silent.

Measured at national scale (bench/season.py, 2,800 portals): with the budget running from seeding,
half the portals' home pages were taken after their budget had run out and those portals ended
"finished" with nothing found. These tests crawl real portals on 127.0.0.1."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from demo.server import serve
from demo.world import World, make_portal
from tests.conftest import FAST, nianbao

pytestmark = pytest.mark.e2e


def small_portals(n: int) -> World:
    names = ["温县", "青川县", "文峰区", "薛城区", "红旗区", "东城区", "安平县", "宁江区"]
    return World([make_portal(f"b{i}", "static", names[i], [2024, 2025], 40 + i, departments=1, townships=0)
                  for i in range(n)])


def cuts(db: Path) -> dict[str, dict]:
    return {url: json.loads(raw or "{}") for url, raw in sqlite3.connect(db).execute(
        "select p.url, r.budget_cuts from crawl_runs r join portals p on p.id = r.portal_id")}


def reports_of(db: Path, url: str) -> int:
    return sqlite3.connect(db).execute(
        "select count(*) from reports r join portals p on p.id = r.portal_id where p.url = ?", [url]).fetchone()[0]


def test_a_crawl_longer_than_the_budget_cuts_no_portal_that_used_little_of_it(tmp_path) -> None:
    """Eight portals taking turns at a polite pace: the crawl lasts several times the one-second
    budget, each portal's own network time stays far below it, and every report is found."""
    world = small_portals(8)
    db = tmp_path / "n.db"
    with serve(world):
        nianbao("crawl", "--db", str(db), *FAST, "-s", "DOWNLOAD_DELAY=0.15", "-s", "DOWNLOAD_DELAY_JITTER=0",
                "-s", "CONCURRENT_REQUESTS=2", "-s", "NIANBAO_PORTAL_TIME_BUDGET=1",
                *[a for p in world.portals for a in ("--portal", p.url)])
        durations = [d for (d,) in sqlite3.connect(db).execute("select duration_s from crawl_runs")]
    assert max(durations) > 2  # the wall clock ran well past the budget
    for portal in world.portals:
        assert reports_of(db, portal.url) == len(portal.expected), portal.url
    assert all(not c for c in cuts(db).values())


def test_a_slow_portal_is_cut_by_its_time_budget_and_health_says_so(tmp_path) -> None:
    world = small_portals(2)
    slow, fast = world.portals
    slow.latency = 0.4
    db = tmp_path / "n.db"
    with serve(world):
        nianbao("crawl", "--db", str(db), *FAST, "-s", "NIANBAO_PORTAL_TIME_BUDGET=1",
                *[a for p in world.portals for a in ("--portal", p.url)])
    by_url = cuts(db)
    assert by_url[slow.url]["time"]["count"] >= 1 and by_url[slow.url]["time"]["where"]
    assert reports_of(db, slow.url) < len(slow.expected)
    assert reports_of(db, fast.url) == len(fast.expected) and not by_url[fast.url]
    # its fetches took about the budget (the requests in flight when it ran out finish)
    spent = sqlite3.connect(db).execute(
        "select sum(f.duration_ms) from fetches f join portals p on p.id = f.portal_id where p.url = ?",
        [slow.url]).fetchone()[0]
    assert 1000 <= spent < 4000
    health = {h["url"]: h for h in json.loads(nianbao("health", "--db", str(db), "--format", "json").stdout)}
    alerts = [a for a in health[slow.url]["alerts"] if a["kind"] == "budget"]
    assert alerts and "抓取时长上限" in alerts[0]["message"]
    assert not [a for a in health[fast.url]["alerts"] if a["kind"] == "budget"]
