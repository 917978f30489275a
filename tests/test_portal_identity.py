"""Which portal a URL belongs to: one key for ``www.`` and bare hosts, subsites told apart by path
prefix, a home page that redirects to another host name followed and the portal re-keyed."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from crawler.discovery import portal_identity, portal_key, same_site
from crawler.runs import PortalIndex, PortalRun, match_portal
from demo.server import serve
from demo.world import Anomalies, Portal, Resource, World, _page, _plans, _standard_details, make_units
from tests.conftest import FAST, nianbao


def test_www_and_bare_host_are_one_portal() -> None:
    assert portal_key("http://www.x.gov.cn/a.html") == portal_key("http://X.gov.cn/b.html") == "x.gov.cn"
    assert same_site("http://x.gov.cn/xxgk/1.html", "http://www.x.gov.cn/")
    run = PortalRun("http://www.x.gov.cn/", None, None)
    assert match_portal({run.key: run}, {}, "http://x.gov.cn/xxgk/nb/1.html") is run


def test_subsites_under_one_host_are_separate_portals() -> None:
    city = PortalRun("http://www.city.gov.cn/", None, None)
    a = PortalRun("http://www.city.gov.cn/jiaxian/", None, None)
    b = PortalRun("http://www.city.gov.cn/yixian/index.html", None, None)
    portals = {r.key: r for r in (city, a, b)}
    assert len(portals) == 3 and b.key == "city.gov.cn/yixian/"
    assert match_portal(portals, {}, "http://city.gov.cn/jiaxian/col/col1/index.html") is a
    assert match_portal(portals, {}, "http://www.city.gov.cn/yixian/nb/2.html") is b
    assert match_portal(portals, {}, "http://www.city.gov.cn/news/1.html") is city
    # shared paths (/art/…, /module/…) belong to the subsite that asked for them
    assert match_portal(portals, {}, "http://www.city.gov.cn/art/2024/1/2/art_1_2.html", a.key) is a
    assert match_portal({a.key: a, b.key: b}, {}, "http://www.city.gov.cn/art/1.html") is None
    assert portal_identity("http://www.city.gov.cn/") == "city.gov.cn"


def test_redirected_host_is_the_same_portal() -> None:
    run = PortalRun("http://localhost:8000/", None, None)
    assert match_portal({run.key: run}, {run.key: {"127.0.0.1:8000"}}, "http://127.0.0.1:8000/x.html") is run
    assert match_portal({run.key: run}, {}, "http://127.0.0.1:8000/x.html") is None


def test_the_host_index_finds_what_a_scan_of_every_portal_finds() -> None:
    """With thousands of portals a URL's portal is looked up by host, not by trying each portal;
    portals and aliases added during the crawl are taken in."""
    runs = [PortalRun(f"http://127.0.0.1:{9000 + k}/", None, None) for k in range(300)]
    runs += [PortalRun("http://www.city.gov.cn/", None, None), PortalRun("http://www.city.gov.cn/jiaxian/", None, None)]
    portals = {r.key: r for r in runs[:150]}
    aliases: dict[str, set[str]] = {}
    index = PortalIndex()
    urls = [f"http://127.0.0.1:{9000 + k}/art/{k}.html" for k in range(0, 300, 7)]
    urls += ["http://city.gov.cn/jiaxian/nb/1.html", "http://www.city.gov.cn/news/1.html", "http://localhost:9001/x",
             "http://elsewhere.example/"]

    def same() -> None:
        for url in urls:
            for hint in (None, runs[1].key):
                assert match_portal(portals, aliases, url, hint, index) is match_portal(portals, aliases, url, hint)

    same()
    portals.update({r.key: r for r in runs[150:]})  # the rest of the portals, as a fleet learns them
    same()
    aliases[runs[1].key] = {"localhost:9001"}  # a home page that redirected
    same()
    assert match_portal(portals, aliases, "http://localhost:9001/x", None, index) is runs[1]


def _subsite(p: Portal, prefix: str, jurisdiction: str, seed: int) -> None:
    """A county subsite under ``prefix`` of a shared host: home → 信息公开 → 年报 list → reports."""
    rng = random.Random(seed)
    plans = _plans(rng, jurisdiction, make_units(jurisdiction, 2, 0), [2023, 2024], Anomalies(), ("html",))
    items = _standard_details(p, plans, f"{prefix}xxgk/nb/", 100 * seed)
    p.add(f"{prefix}index.html", _page(f"{jurisdiction}人民政府", f'<a href="{prefix}xxgk/">政府信息公开</a>'))
    p.add(f"{prefix}xxgk/", _page("政府信息公开", f'<a href="{prefix}xxgk/nb/">政府信息公开年报</a>'
                                              f'<a href="/other/">兄弟县</a>'))
    p.add(f"{prefix}xxgk/nb/", _page("政府信息公开年报", "<ul>" + "".join(
        f'<li><a href="{i["url"]}">{i["title"]}</a><span>{i["date"]}</span></li>' for i in items) + "</ul>"))


@pytest.mark.e2e
def test_two_counties_on_one_host_and_a_redirected_home(tmp_path: Path) -> None:
    host = Portal("city", "static", "某市")
    _subsite(host, "/jia/", "甲山县", 1)
    _subsite(host, "/yi/", "乙水县", 2)
    # the configured address redirects to another host name of the same server
    host.resources["/yi/"] = Resource(b"", "text/html", 302, headers={"Location": "/yi/index.html"}, conditional=False)
    world = World([host])
    db = tmp_path / "n.db"
    with serve(world):
        port = host.port
        jia = f"http://127.0.0.1:{port}/jia/index.html"
        yi = f"http://localhost:{port}/yi/"
        host.resources["/yi/"].headers["Location"] = f"http://127.0.0.1:{port}/yi/index.html"
        nianbao("crawl", "--db", str(db), *FAST, "--portal", jia, "--portal", yi)
    con = sqlite3.connect(db)
    rows = con.execute("select r.url, r.jurisdiction, p.url from reports r join portals p on p.id = r.portal_id").fetchall()
    by_portal: dict[str, set[str]] = {}
    for url, jurisdiction, portal in rows:
        by_portal.setdefault(portal, set()).add(jurisdiction)
        assert ("/jia/" in url) == (portal == jia), (url, portal)
    assert by_portal == {jia: {"甲山县"}, yi: {"乙水县"}}
    expected = {e.url for e in host.expected}
    assert {"/" + u.split("/", 3)[3] for u, _, _ in rows} == expected  # both counties whole


def _listed_titles() -> list[str]:
    """The report titles of a real zone's 信息公开年报 column (鄂尔多斯恩格贝生态示范区, see its .yml)."""
    from crawler.discovery import extract_links

    page = Path(__file__).parent / "fixtures" / "real" / "lists" / "trs-ordos-engebei-xxgknb-countPage.html"
    links = extract_links(page.read_text(encoding="utf-8"), "http://www.ordos.gov.cn/engb/xxgk/xxgknb/")
    return [link.text for link in links if "年度报告" in link.text]


def test_reports_of_other_bodies_reposted_in_a_column_keep_their_own_identity() -> None:
    from monitor.report.intake import Source, judge_fetched

    titles = _listed_titles()
    assert len(titles) == 4  # the city's and the region's reports, reposted by the zone
    body = "<p>一、总体情况</p><p>" + "本年度政府信息公开工作稳步推进。" * 10 + "</p>"
    for title in titles:
        html = f"<html><head><title>{title}</title></head><body><h1>{title}</h1>{body}</body></html>"
        judged = judge_fetched(Source("http://www.ordos.gov.cn/engb/a.html", html.encode()), [], title=title,
                               portal_jurisdiction="恩格贝生态示范区", published="2020-09-03", published_source="列表日期")
        assert judged.jurisdiction in ("鄂尔多斯市", "内蒙古自治区"), title
        assert judged.agency.startswith(judged.jurisdiction)
        assert judged.published is None  # the repost date is not the report's publication date
        assert judged.identity["reposted_on_portal_of"] == "恩格贝生态示范区"
    own = "恩格贝生态示范区管理委员会2019年政府信息公开工作年度报告"
    html = f"<html><head><title>{own}</title></head><body><h1>{own}</h1>{body}</body></html>"
    judged = judge_fetched(Source("http://www.ordos.gov.cn/engb/b.html", html.encode()), [], title=own,
                           portal_jurisdiction="恩格贝生态示范区", published="2020-01-20", published_source="列表日期")
    assert judged.jurisdiction == "恩格贝生态示范区" and judged.published == "2020-01-20"
    assert "reposted_on_portal_of" not in judged.identity
