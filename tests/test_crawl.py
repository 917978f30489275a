"""End to end: crawl the fixture world (six CMS-style portals on 127.0.0.1) with ``nianbao crawl``.

The crawl runs as a real subprocess against real HTTP servers; the JavaScript-only portal is
rendered in real Chromium through Playwright. Ground truth comes from the world itself.
"""

from __future__ import annotations

import csv
import io
import json
import re
import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from demo.server import free_port, serve
from demo.world import World, fixture_world
from monitor.store.blobs import blob_dir
from monitor.store.packing import unpack
from tests.conftest import FAST, nianbao

pytestmark = pytest.mark.e2e  # crawls, served portals, browsers or subprocesses


def crawl(world: World, db: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    args = ["crawl", "--db", str(db), *FAST, *extra]
    for portal in world.portals:
        args += ["--portal", portal.url]
    return nianbao(*args)


def hits(world: World) -> dict[str, int]:
    return {f"{p.key}{path}": n for p in world.portals for path, n in p.hits.items()}


@pytest.fixture(scope="module")
def crawled(tmp_path_factory):
    """One world, crawled once (plus a dead portal), then recrawled unchanged, then with one change."""
    world = fixture_world()
    db = tmp_path_factory.mktemp("crawl") / "nianbao.db"
    dead = f"http://127.0.0.1:{free_port()}/"
    with serve(world):
        first = crawl(world, db, "--portal", dead)
        after_first = hits(world)
        second = crawl(world, db)
        after_second = hits(world)
        # a report corrected after publication: its page changes, and it is rechecked
        portal = world.portal("wenxian")
        changed = next(e.url for e in portal.expected if e.text_source == "html" and e.published)
        resource = portal.resources[changed]
        assert "深入贯彻落实".encode() in resource.body
        resource.body = resource.body.replace("深入贯彻落实".encode(), "全面贯彻落实".encode())
        third = crawl(world, db, "-s", "NIANBAO_REVALIDATE_DAYS=0")
    return {"world": world, "db": db, "first": first, "second": second, "third": third, "dead": dead,
            "after_first": after_first, "after_second": after_second, "changed": changed}


def rows(db: Path, sql: str, *params) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return conn.execute(sql, params).fetchall()


def test_recall_and_precision(crawled) -> None:
    world: World = crawled["world"]
    found = {(urlsplit(r["url"]).port, urlsplit(r["url"]).path, r["agency"], r["year"])
             for r in rows(crawled["db"], "select url, agency, year from reports")}
    expected = {(p.port, e.url, e.agency, e.year) for p, e in world.expected}
    assert found == expected  # every report, nothing else, each with its full agency name and year
    lookalikes = {(p.port, path) for p in world.portals for path in p.lookalikes}
    assert not {(port, path) for port, path, _, _ in found} & lookalikes


def test_dates_levels_and_formats(crawled) -> None:
    world: World = crawled["world"]
    expected = {(p.port, e.url): e for p, e in world.expected}
    for r in rows(crawled["db"], "select url, published, level, format from reports"):
        e = expected[(urlsplit(r["url"]).port, urlsplit(r["url"]).path)]
        assert r["published"] == (e.published.isoformat() if e.published else None), r["url"]
        assert r["level"] == e.level
        assert r["format"] == e.text_source, r["url"]


def test_attachment_text_extracted(crawled) -> None:
    versions = rows(crawled["db"], "select r.title, v.text, v.format, v.attachment_url, v.attachment_blob "
                                   "from report_versions v join reports r on r.id = v.report_id "
                                   "where v.format in ('pdf', 'docx')")
    assert len(versions) >= 10
    for v in versions:
        assert v["attachment_url"] and v["attachment_blob"]
        assert "三、收到和处理政府信息公开申请情况" in unpack(v["text"])
    assert {v["format"] for v in versions} == {"pdf", "docx"}


def test_findings_as_for_the_files_themselves(crawled) -> None:
    from collections import Counter

    from demo.world import SEED_PLACES
    from monitor.report.analysis import analyze_path
    from tests.conftest import SEEDS

    seeded = {agency: seed for places in SEED_PLACES.values() for seed, agency, _, _ in places}
    by_agency: dict[str, Counter[str]] = {}
    for r in rows(crawled["db"], "select r.agency, f.code from findings f join reports r on r.id = f.report_id"):
        by_agency.setdefault(r["agency"], Counter())[r["code"]] += 1
    # the synthetic reports are consistent: any finding on them would be a reading error
    assert set(by_agency) <= set(seeded), set(by_agency) - set(seeded)
    # a real report served on a page is judged exactly as the file is
    for agency, seed in seeded.items():
        assert by_agency.get(agency, Counter()) == Counter(f.code for f in analyze_path(SEEDS[seed]).findings), agency


def test_gbk_pages_decoded(crawled) -> None:
    texts = [unpack(r["text"]) for r in rows(crawled["db"], "select text from report_versions")]
    assert any("彭镕整理" in t for t in texts)  # 镕 exists only in GBK, and the TRS portal declares gb2312


def test_robots_obeyed_and_traps_avoided(crawled) -> None:
    world: World = crawled["world"]
    for portal in world.portals:
        for path in portal.hits:
            assert not any(path.startswith(f) for f in portal.forbidden), path
            assert not any(path.startswith(t) for t in portal.traps), path
    assert rows(crawled["db"], "select count(*) n from fetches where error_kind = 'robots'")[0]["n"] >= 1


def test_flaky_page_retried(crawled) -> None:
    portal = crawled["world"].portal("wenxian")
    assert crawled["after_first"]["wenxian/xxgk/ndbg/list_2.html"] == 2
    statuses = [r["status"] for r in rows(crawled["db"], "select status from fetches where url like ? order by id",
                                          f"%{portal.port}/xxgk/ndbg/list_2.html")]
    assert statuses[:2] == [503, 200]


def test_javascript_list_rendered_in_browser(crawled) -> None:
    world: World = crawled["world"]
    portal = world.portal("hongqi")
    found = rows(crawled["db"], "select count(*) n from reports where url like ?", f"%:{portal.port}/%")[0]["n"]
    assert found == len(portal.expected) > 0
    # the JSON-API portal was read through its API, without a browser
    api = world.portal("xuecheng")
    assert any(path.startswith("/api/xxgk/nb") for path in api.hits)


def test_hanweb_datastore_and_dataproxy(crawled) -> None:
    portal = crawled["world"].portal("qingchuan")
    assert any(path.startswith("/module/web/jpage/dataproxy.jsp") for path in portal.hits)
    assert len(portal.expected) > 10  # more than the inline first group holds


def test_dead_portal_recorded_and_crawl_goes_on(crawled) -> None:
    out = crawled["first"].stdout
    dead = crawled["dead"]
    line = next(line for line in out.splitlines() if dead in line)
    assert "connection" in line
    runs = rows(crawled["db"], "select r.errors, r.reports_found from crawl_runs r join portals p on p.id = r.portal_id "
                               "where p.url = ?", dead)
    assert runs[0]["errors"] >= 1 and runs[0]["reports_found"] == 0


def test_rerun_downloads_nothing_new(crawled) -> None:
    first, second = crawled["after_first"], crawled["after_second"]
    fetched_again = {k: second[k] - first.get(k, 0) for k in second if second[k] - first.get(k, 0)}
    documents = [k for k in fetched_again if any(x in k for x in (".pdf", ".docx", "downfile", "/art/", "/t20"))]
    assert documents == []  # no report page and no attachment downloaded again
    assert not [k for k in fetched_again if k.endswith("/robots.txt")]  # nor robots.txt, found or not, the same day
    # nor the later pages of a 年报 list (new reports appear on the first, which is always asked for)
    later_pages = [k for k in second if re.search(r"/(list|index)_\d+\.s?html$", k)]
    assert later_pages and not [k for k in later_pages if k in fetched_again]
    assert [k for k in fetched_again if re.search(r"/(list|index)\.s?html$", k)]
    assert sum(fetched_again.values()) < sum(first.values()) * 0.4
    # the second run found every report again, none new, none changed
    second_runs = rows(crawled["db"], "select reports_found, new, changed from crawl_runs order by id")
    second_runs = second_runs[len(crawled["world"].portals) + 1:][:len(crawled["world"].portals)]
    assert [(r["new"], r["changed"]) for r in second_runs] == [(0, 0)] * len(crawled["world"].portals)
    assert sum(r["reports_found"] for r in second_runs) == len(crawled["world"].expected)


def test_changed_report_is_a_new_version(crawled) -> None:
    db, changed = crawled["db"], crawled["changed"]
    versions = rows(db, "select v.text_hash, v.first_seen from report_versions v join reports r on r.id = v.report_id "
                        "where r.url like ? order by v.id", f"%{changed}")
    assert len(versions) == 2 and versions[0]["text_hash"] != versions[1]["text_hash"]
    assert len(rows(db, "select id from report_versions")) == len(crawled["world"].expected) + 1


def test_evidence_kept(crawled) -> None:
    db = crawled["db"]
    blobs = blob_dir(db)
    for v in rows(db, "select page_blob, attachment_blob, source_url from report_versions"):
        assert (blobs / v["page_blob"][:2] / v["page_blob"]).exists()
        if v["attachment_blob"]:
            assert (blobs / v["attachment_blob"][:2] / v["attachment_blob"]).exists()
    fetch = rows(db, "select * from fetches where status = 200 and kind = 'detail' limit 1")[0]
    assert fetch["hash"] and fetch["fetched_at"] and fetch["size"] > 0


def test_export_reports(crawled) -> None:
    db = str(crawled["db"])
    result = nianbao("export", "reports", "--db", db, "--format", "jsonl")
    objs = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(objs) == len(crawled["world"].expected)
    assert set(objs[0]) == {"url", "title", "agency", "jurisdiction", "year", "level", "published", "first_seen",
                            "format", "text_chars", "findings"}
    assert any(o["agency"] == "东城区教育局" for o in objs)
    result = nianbao("export", "reports", "--db", db, "--format", "csv", "--with-text")
    table = list(csv.DictReader(io.StringIO(result.stdout)))
    assert len(table) == len(objs) and "text" in table[0] and len(table[0]["text"]) > 200


def test_scrapy_crawl_command(tmp_path) -> None:
    world = fixture_world()
    world.portals = [world.portal("xuecheng")]
    with serve(world):
        db = tmp_path / "s.db"
        result = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "portal", "-a", f"url={world.portals[0].url}",
             "-s", f"NIANBAO_DB={db}", "-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "LOG_LEVEL=WARNING"],
            capture_output=True, text=True, timeout=300, cwd=Path(__file__).parent.parent)
        assert result.returncode == 0, result.stderr[-2000:]
    assert len(rows(db, "select id from reports")) == len(world.portals[0].expected)


def test_config_file_errors_are_located(tmp_path) -> None:
    config = tmp_path / "portals.yaml"
    config.write_text("jurisdictions:\n  - name: 青川县\n    portal: ftp://example\n", encoding="utf-8")
    result = nianbao("crawl", "--config", str(config), "--db", str(tmp_path / "x.db"), check=False)
    assert result.returncode != 0
    assert f"{config}:3" in result.stderr and "jurisdictions[0].portal" in result.stderr
    config.write_text("jurisdictions:\n  - name: 青川县\n    portal: http://127.0.0.1:1/\n    colums: []\n",
                      encoding="utf-8")
    result = nianbao("crawl", "--config", str(config), "--db", str(tmp_path / "x.db"), check=False)
    assert f"{config}:4" in result.stderr and "colums" in result.stderr and "未知字段" in result.stderr
