"""List adapters: every documented CMS variant found whole, every list checked against what it states.

Two kinds of evidence. Real list material (``tests/fixtures/real/lists/``, with provenance) read by
the adapters as pure functions; and the variant matrix (``demo.variants``: one portal per
variant, built from ``shared/spec/portals.md``) crawled end to end by ``nianbao crawl``.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from urllib.parse import urljoin

import pytest
import yaml

from crawler import cms
from crawler.cms.base import Fetch, Walk, script_urls, text_totals
from crawler.cms.hanweb import Hanweb, record_links
from crawler.cms.trs import pager
from crawler.discovery import extract_links
from demo.server import serve
from demo.variants import VARIANTS, variant_world
from demo.world import World
from tests.conftest import FAST, nianbao

REAL = Path(__file__).parent / "fixtures" / "real" / "lists"


def real_items() -> list[tuple[str, dict]]:
    out = []
    for meta in sorted(REAL.glob("*.yml")):
        info = yaml.safe_load(meta.read_text(encoding="utf-8"))
        labels = info.get("labels") or {}
        if labels.get("records_on_page") and info["file"].endswith((".html", ".xml")):
            out.append((info["file"], info))
    return out


@pytest.mark.parametrize(("name", "info"), real_items(), ids=[n for n, _ in real_items()])
def test_real_list_material_read_as_labelled(name: str, info: dict) -> None:
    text = (REAL / name).read_text(encoding="utf-8")
    labels = info["labels"]
    base = "http://www.example.gov.cn/col/col1/index.html"
    if info["family"] == "hanweb":
        # a datastore (page block or dataproxy reply): one entry per record, the next group as stated
        assert len(record_links(text, base)) == labels["records_on_page"]
        adapter, page = cms.open_list(text, base, extract_links(text, base))
        assert adapter.name == "hanweb"
        if labels.get("stated_total_records"):
            assert page.stated_records == labels["stated_total_records"]
        nxt = labels.get("next_request") or ""
        if nxt.startswith("GET ") and "param_" not in text:  # with a param_ form the plugin POSTs (a)
            assert page.follow and page.follow[0].method == "GET"
            assert page.follow[0].url == urljoin(base, nxt.split(" ", 1)[1].split("   ")[0].strip())
        elif page.follow:
            assert page.follow[0].method == "POST" and "startrecord=" in page.follow[0].url
    elif info["family"] == "trs":
        adapter, page = cms.open_list(text, base, extract_links(text, base))
        if labels.get("stated_pages"):
            assert adapter.name == "trs" and page.stated_pages == labels["stated_pages"]
            assert page.follow[0].url == urljoin(base, labels["next_request"])
            assert len(page.follow) == labels["stated_pages"] - 1
        assert len(page.entries) == labels["records_on_page"]


def test_every_observed_createpagehtml_call_read() -> None:
    """Each real pager call copied by a public scraper: page count, prefix, extension, total."""
    calls = {
        'createPageHTML(46, 0, "index", "html");': (46, "index", "html", None),
        "createPageHTML('page_div',10, 1,'xlist','shtml',189)": (10, "xlist", "shtml", 189),
        "createPageHTML('page_div', 5, 1, 'fg', 'shtml', 89)": (5, "fg", "shtml", 89),
        "createPageHTML('page_div',84, 1,'dc_list','shtml',1000);": (84, "dc_list", "shtml", 1000),
        "var countPage = 17;//共多少页\nvar currentPage = 0;": (17, "index", "html", None),
    }
    observed = (REAL / "trs-createPageHTML-observed-calls.txt").read_text(encoding="utf-8")
    for call, expected in calls.items():
        assert call.split("\n")[0].split("//")[0].strip()[:30] in observed
        assert pager(call) == expected
    # the five-argument form, in both readings
    assert pager("createPageHTML('page_div', 5, 0, 'index', 'shtml')") == (5, "index", "shtml", None)
    assert pager("createPageHTML(5, 0, 'index', 'shtml', 41)") == (5, "index", "shtml", 41)


def test_hanweb_get_reply_keeps_double_encoding_and_pages_on() -> None:
    reply = (REAL / "hanweb-dingxi-dataproxy-get.xml").read_text(encoding="utf-8")
    walk = Walk("http://www.dx.gov.cn/col/col12377/index.html", "hanweb")
    fetch = Fetch("http://www.dx.gov.cn/module/web/jpage/dataproxy.jsp?page=2&webid=110&columnid=12377", page=2,
                  reply="datastore")
    page = Hanweb().reply(reply, fetch, walk)
    assert len(page.entries) == 45
    assert "page=3" in page.follow[0].url


def test_totals_stated_in_words() -> None:
    assert text_totals("共38条记录 当前第1/5页") == (38, 5)
    assert text_totals("共 4 页 共 38 条") == (38, 4)
    assert text_totals("页次：1/12页") == (None, 12)


def test_urls_a_script_builds() -> None:
    html = ('<script>var listApi = "/api/gknb/list"; var pageSize = 10;\n'
            'function loadPage(n) { fetch(listApi + "?channelId=1024&pageNum=" + n + "&pageSize=" + pageSize); }'
            '</script>')
    assert script_urls(html, "http://x.gov.cn/a/") == [
        ("http://x.gov.cn/api/gknb/list?channelId=1024&pageNum=1&pageSize=10", "pageNum")]
    elsewhere = '<script>fetch("http://evil.example.com/api/list?page=" + n)</script>'
    assert script_urls(elsewhere, "http://x.gov.cn/a/") == []  # no request leaves the portal


# --------------------------------------------------------------------------- the variant matrix, crawled


def crawl(world: World, db: Path, *extra: str):
    args = ["crawl", "--db", str(db), *FAST, *extra]
    for portal in world.portals:
        args += ["--portal", portal.url]
    return nianbao(*args)


@pytest.fixture(scope="module")
def matrix(tmp_path_factory):
    world = variant_world()
    db = tmp_path_factory.mktemp("variants") / "nianbao.db"
    with serve(world):
        result = crawl(world, db)
    con = sqlite3.connect(db)
    con.row_factory = sqlite3.Row
    yield {"world": world, "db": db, "con": con, "result": result}
    con.close()


def _port(url: str) -> int:
    return int(url.split("/")[2].split(":")[1])


@pytest.mark.e2e
@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_variant_found_whole(matrix, variant: str) -> None:
    portal = next(p for p in matrix["world"].portals if p.variant == variant)
    found = {"/" + r["url"].split("/", 3)[3] for r in matrix["con"].execute("select url from reports")
             if _port(r["url"]) == portal.port}
    assert {e.url for e in portal.expected} == found  # every report, no look-alike
    lists = [dict(r) for r in matrix["con"].execute("select * from list_checks") if _port(r["column_url"]) == portal.port]
    assert lists, "the list walk was recorded"
    gated = [x for x in lists if x["reason"] == "permission"]
    assert bool(gated) == bool(getattr(portal, "gated", None))  # a gated column is reported, nothing else
    for x in lists:
        if x["reason"] != "permission":
            assert x["complete"] in (1, None), x
            if x["stated"] is not None:
                assert x["found"] >= x["stated"], x
    browser = any(x["browser"] for x in lists)
    assert browser == portal.needs_browser  # the browser only where plain HTTP cannot see the list


@pytest.mark.e2e
def test_health_shows_lists_and_the_gated_column(matrix) -> None:
    out = nianbao("health", "--db", str(matrix["db"]), "--format", "json")
    rows = json.loads(out.stdout)
    gated_portal = next(p for p in matrix["world"].portals if p.variant == "hanweb_permission")
    row = next(r for r in rows if r["url"] == gated_portal.url)
    assert {"column", "stated", "found", "adapter", "complete"} <= set(row["lists"][0])
    bad = [x for x in row["lists"] if x["complete"] is False]
    assert bad and bad[0]["stated"] == 24 and bad[0]["found"] == 0
    assert any(a["kind"] == "LIST_INCOMPLETE" for a in row["alerts"])
    assert row["status"] == "incomplete"  # the run is not a clean success
    trs = next(p for p in matrix["world"].portals if p.variant == "trs_4arg")
    clean = next(r for r in rows if r["url"] == trs.url)
    assert clean["status"] == "finished" and not clean["alerts"]


@pytest.mark.e2e
def test_unknown_pager_without_browser_is_reported(tmp_path) -> None:
    """A click-only pager, and no browser allowed: the list is reported incomplete, never silent."""
    world = variant_world(["click_only_pager"])
    db = tmp_path / "n.db"
    with serve(world):
        crawl(world, db, "-s", "NIANBAO_PLAYWRIGHT=0")
    con = sqlite3.connect(db)
    [(complete, found, stated, reason)] = con.execute("select complete, found, stated, reason from list_checks")
    assert complete == 0 and found < stated and reason == "shortfall"
    out = nianbao("health", "--db", str(db))
    assert "不完整：声明 38 条，找到 10 条" in out.stdout and "（不完整）" in out.stdout


@pytest.mark.e2e
def test_a_list_that_grew_is_read_again_not_from_the_store(tmp_path) -> None:
    """A new report on page 1 pushes the oldest entry of each page to the next: a rerun must not
    read the later pages from the store (it would miss the pushed entries and cry incomplete)."""
    import re

    world = variant_world(["generic_next_links"])
    portal = world.portals[0]
    db = tmp_path / "n.db"
    with serve(world):
        crawl(world, db)
        pages = sorted((k for k in portal.resources if re.fullmatch(r"/xxgk/ndbg/list(_\d+)?\.html", k)),
                       key=lambda k: int(re.search(r"(\d+)\.html", k).group(1)) if "_" in k else 1)
        bodies = [portal.resources[k].body.decode("utf-8") for k in pages]
        items = [re.findall(r"<li>.*?</li>", b) for b in bodies]
        old = portal.expected[0]
        title = old.title.replace(str(old.year), "2025", 1)
        new_path = "/xxgk/ndbg/9999.html"
        portal.add(new_path, portal.resources[old.url].body.decode("utf-8").replace(old.title, title))
        flat = [f'<li><a href="{new_path}" title="{title}">{title}</a><span class="time">2026-03-01</span></li>']
        flat += [i for page in items for i in page]
        start = 0
        for key, body, page in zip(pages, bodies, items, strict=True):
            chunk = flat[start:start + len(page) + (1 if key == pages[-1] else 0)]
            start += len(chunk)
            body = body.replace("".join(page), "".join(chunk)).replace("共38条", "共39条")
            portal.resources[key].body = body.encode("utf-8")
        crawl(world, db)
    con = sqlite3.connect(db)
    [(run, )] = con.execute("select max(run_id) from list_checks").fetchall()
    [(complete, found, stated, browser)] = con.execute(
        "select complete, found, stated, browser from list_checks where run_id = ?", [run]).fetchall()
    assert (complete, stated, browser) == (1, 39, 0) and found == 39
    urls = {"/" + u.split("/", 3)[3] for (u,) in con.execute("select url from reports")}
    assert new_path in urls and {e.url for e in portal.expected} <= urls
