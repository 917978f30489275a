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
