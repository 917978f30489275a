"""A store filled by `nianbao analyze --db` (no crawl: reports with no publication date, no year
or no jurisdiction) is a store like any other: status, the site and health work on it."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SEEDS, nianbao

pytestmark = pytest.mark.e2e  # the CLI in subprocesses


def test_status_and_site_on_a_store_filled_by_analyze(tmp_path) -> None:
    db = tmp_path / "a.db"
    unknown = tmp_path / "unknown.txt"
    unknown.write_text("这不是一份年报。" * 5, encoding="utf-8")  # no year, no unit, no jurisdiction
    nianbao("analyze", str(SEEDS["000"]), str(SEEDS["001"]), str(unknown), "--db", str(db))
    rows = json.loads(nianbao("status", "--db", str(db), "--format", "json").stdout)
    assert rows and all(r["year"] >= 2008 and r["jurisdiction"] for r in rows)  # the unknown one owes nothing
    site = nianbao("site", "--db", str(db), "--out", str(tmp_path / "site"))
    assert "Traceback" not in site.stderr
    pages = [p.read_text(encoding="utf-8") for p in (tmp_path / "site" / "reports").glob("*.html")]
    assert len(pages) == 3 and any("无法确定" in p for p in pages)
    assert nianbao("health", "--db", str(db)).returncode == 0


def test_a_portal_that_refuses_connections_is_one_line_and_a_failed_crawl(tmp_path) -> None:
    from demo.server import free_port

    dead = f"http://127.0.0.1:{free_port()}/"  # nothing listens there
    result = nianbao("crawl", "--portal", dead, "--db", str(tmp_path / "n.db"), "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.05",
                     check=False)
    assert result.returncode == 5  # every portal failed: not a success
    assert "✗ 未能访问该网站：连接失败" in result.stdout
    assert "Traceback" not in result.stderr and "Scrapy" not in result.stderr and "Overridden settings" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1  # the one line that says the crawl failed
    row = next(line for line in result.stdout.splitlines() if line.startswith(dead))
    assert row.split()[5] == "2"  # robots.txt and the home page: each counted once, not once per retry
    [health] = json.loads(nianbao("health", "--db", str(tmp_path / "n.db"), "--format", "json").stdout)
    assert {f["url"] for f in health["failures"]} == {dead, dead + "robots.txt"}  # which URLs failed, and why
    assert all(f["kind"] == "connection" and "refused" in f["reason"] for f in health["failures"])
