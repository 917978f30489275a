"""Discovery and classification as pure functions: which links lead to reports, and what is one."""

from __future__ import annotations

import json

import pytest

from crawler import cms, discovery
from crawler.cms.trs import page_urls, pager
from crawler.discovery import Link, classify_link
from monitor.report.classify import classify_title
from monitor.report.intake import full_agency_name
from monitor.report.pagemeta import detail_facts, url_date

BASE = "http://127.0.0.1:8000/"


@pytest.mark.parametrize("title,is_report,reason", [
    ("青川县教育局2023年政府信息公开工作年度报告", True, "年度报告"),
    ("2023年政府信息公开工作年度报告", True, "年度报告"),
    ("某县民政局2017年政府信息公开年度报告", True, "年度报告"),
    ("城关镇二〇二三年政务公开工作年度报告", True, "年度报告"),
    ("关于2023年政府信息公开工作年度报告的解读", False, "年报解读"),
    ("图解：青川县2023年政府信息公开工作年度报告", False, "年报解读"),
    ("关于做好2023年政府信息公开工作年度报告编制和发布工作的通知", False, "关于年报的通知"),
    ("青川县2024年政务公开工作要点", False, "政务公开工作要点"),
    ("青川县教育局2024年部门预算公开", False, "预算/决算"),
    ("青川县2024年政府工作报告", False, "政府工作报告"),
    ("青川县2023年法治政府建设情况报告", False, "法治政府建设情况报告"),
    ("青川县2023年国民经济和社会发展统计公报", False, "统计公报"),
    ("青川县财政局2023年政府信息公开工作年度报告（征求意见稿）", False, "草稿或模板"),
    ("政府信息公开年报", False, "栏目名称（无年度）"),
])
def test_classify_titles(title: str, is_report: bool, reason: str) -> None:
    verdict = classify_title(title)
    assert (verdict.is_report, verdict.reason) == (is_report, reason)


@pytest.mark.parametrize("text,url,page,kind", [
    ("政府信息公开", "/col/col200/index.html", "home", "area"),
    ("政务公开", "/zwgk/", "home", "area"),
    ("政府信息公开年报", "/col/col300/index.html", "area", "column"),
    ("年度报告", "/xxgk/ndbg/list.html", "area", "column"),
    ("部门信息公开", "/xxgk/bm/", "area", "deptindex"),
    ("区教育局", "/xxgk/bm/jyj/", "deptindex", "dept"),
    ("2023年", "/zfxxgknb/2023nb/", "column", "column"),
    ("部门年报", "/zfxxgknb/bmnb/", "column", "column"),
    ("青川县教育局2023年政府信息公开工作年度…", "/art/2024/1/23/art_300_1.html", "column", "detail"),
    ("新闻动态", "/col/col101/index.html", "home", None),
    ("搜索年报", "/search?q=x", "home", None),
    ("工作日历（含年报发布安排）", "/calendar/2024-01-01.html", "home", None),
    ("青川县教育局2024年部门预算公开", "/art/1.html", "column", None),
    ("附件.pdf", "/files/a.pdf", "column", None),
])
def test_classify_links(text: str, url: str, page: str, kind: str | None) -> None:
    assert classify_link(Link(BASE.rstrip("/") + url, text), page) == kind


def test_truncated_link_text_uses_title_attribute() -> None:
    html = '<ul><li><a href="/a.html" title="青川县民政局2023年政府信息公开工作年度报告">青川县民政局2023年...</a>' \
           "<span>2024-01-23</span></li></ul>"
    [link] = discovery.extract_links(html, BASE)
    assert link.text == "青川县民政局2023年政府信息公开工作年度报告" and link.date == "2024-01-23"


def test_hanweb_datastore_and_jpage() -> None:
    html = ('<script type="text/xml"><datastore><recordset><record><![CDATA[<li><a href="/art/1.html">甲</a></li>]]>'
            "</record><record><![CDATA[<li><a href='/art/2.html'>乙</a></li>]]></record></recordset></datastore>"
            "</script><script>var param_4130 = {col:1, appid:1, webid:39, path:'/', columnid:300, unitid:'4130', "
            "webname:'', permissiontype:0};$('#4130').jpage({perPage: 15, totalRecord: 100, groupSize: 3, "
            "proxyUrl:'/module/web/jpage/dataproxy.jsp', ajaxParam: param_4130});</script>")
    page_url = BASE + "col/col300/index.html"
    adapter, page = cms.open_list(html, page_url, discovery.extract_links(html, page_url))
    assert adapter.name == "hanweb" and len(page.entries) == 2 and page.stated_records == 100
    [post] = page.follow
    form = dict(post.form)
    assert post.method == "POST" and form["columnid"] == "300" and form["webname"] == "" and form["path"] == "/"
    assert post.url == BASE + "module/web/jpage/dataproxy.jsp?startrecord=3&endrecord=47&perpage=15"
    walk = cms.Walk(page_url, "hanweb", context=page.context)
    reply = "<datastore><recordset><record><![CDATA[<a href='/art/3.html'>丙</a>]]></record></recordset></datastore>"
    nxt = cms.ADAPTERS["hanweb"].reply(reply, post, walk).follow
    assert nxt[0].url == BASE + "module/web/jpage/dataproxy.jsp?startrecord=48&endrecord=92&perpage=15"


@pytest.mark.parametrize("script,pages", [
    ('createPageHTML(3, 0, "index", "shtml");', ["index.shtml", "index_1.shtml", "index_2.shtml"]),
    ("createPageHTML('page_div', 2, 1, 'fg', 'shtml', 89);", ["fg.shtml", "fg_1.shtml"]),
    ("var countPage = 2; var currentPage = 0;", ["index.html", "index_1.html"]),
])
def test_trs_pagination(script: str, pages: list[str]) -> None:
    base = BASE + "zwgk/nb/"
    count, prefix, ext, _ = pager(f"<script>{script}</script>")
    assert page_urls(count, prefix, ext, base + "index.shtml") == [base + p for p in pages]


def test_js_redirect_and_js_only_lists() -> None:
    assert discovery.js_redirect('<script>window.location.href="/portal/index.html";</script>') == "/portal/index.html"
    assert discovery.js_redirect("<script>location.replace('/a.html')</script>") == "/a.html"
    assert discovery.looks_js_only('<ul id="app"><li>加载中……</li></ul><script src="/app.js"></script>')
    assert not discovery.looks_js_only("<ul><li><a href='/a'>a</a></li></ul>")


def test_json_api_guess_and_items() -> None:
    html = '<script>var API = "/api/xxgk/nb"; fetch(API + "?page=" + p + "&size=10")</script>'
    [guess] = discovery.api_guesses(html, BASE + "xxgk/nb/")
    assert guess.page(2) == BASE + "api/xxgk/nb?size=10&page=2"
    payload = json.dumps({"total": 25, "data": [{"title": "甲2023年政府信息公开工作年度报告", "url": "/a.html",
                                                 "date": "2024-01-02"}]})
    links, total = discovery.json_links(payload, BASE)
    assert total == 25 and links[0].url == BASE + "a.html" and links[0].date == "2024-01-02"


def test_pagination_skips_calendars() -> None:
    links = [Link(BASE + "list_2.html", "下一页"), Link(BASE + "list.html?date=2024-01-02", "2"),
             Link(BASE + "list_3.html", "3"), Link(BASE + "about.html", "4")]
    assert [link.url for link in discovery.pagination(links, BASE + "list.html")] == [BASE + "list_2.html",
                                                                                      BASE + "list_3.html"]


def test_detail_facts_trs_page() -> None:
    html = ("<html><head><meta http-equiv='Content-Type' content='text/html; charset=gb2312'></head><body>"
            "<ul><li>索引号： 11411100MB0/2024-00012</li><li>发文机构： 文峰区教育局</li>"
            "<li>成文日期： 2024年01月10日</li><li>发布日期： 2024年01月12日</li></ul>"
            "<div class='TRS_Editor'><p>详见附件。</p><a href='./P020240112600001.pdf'>年报.pdf</a>"
            "<a href='/print.html'>打印</a></div></body></html>")
    facts = detail_facts(html, BASE + "zwgk/202401/t20240112_1.shtml")
    assert facts.published.isoformat() == "2024-01-12" and facts.published_source == "发布日期"
    assert facts.agency == "文峰区教育局" and facts.index_no == "11411100MB0/2024-00012"
    assert [a.url for a in facts.attachments] == [BASE + "zwgk/202401/P020240112600001.pdf"]
    assert facts.points_to_attachment


def test_url_dates() -> None:
    assert url_date("http://x/qzfb/202401/t20240125_2349704.shtml").isoformat() == "2024-01-25"
    assert url_date("http://x/art/2024/1/23/art_1229_4130999.html").isoformat() == "2024-01-23"
    assert url_date("http://x/xxgk/nb/3000.html") is None


@pytest.mark.parametrize("name,jurisdiction,full", [
    ("区教育局", "东城区", "东城区教育局"), ("东城区教育局", "东城区", "东城区教育局"), ("教育局", "东城区", "东城区教育局"),
    ("城关镇人民政府", "东城区", "城关镇人民政府"), ("县民政局", "温县", "温县民政局"), (None, "温县", None),
])
def test_full_agency_names(name, jurisdiction, full) -> None:
    assert full_agency_name(name, jurisdiction) == full
