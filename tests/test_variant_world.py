"""The variant matrix answers as its spec variant says: each list, walked the intended way over plain
HTTP, yields every expected report and look-alike; rejections and out-of-range pages behave as
documented. These drivers are the test world's reference clients, not the crawler."""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from html import unescape
from itertools import count
from urllib.parse import quote, unquote, urlencode, urljoin, urlsplit

import pytest

from demo.server import serve
from demo.variants import VARIANTS, VariantPortal, variant_world

pytestmark = pytest.mark.e2e  # crawls, served portals, browsers or subprocesses


@pytest.fixture(scope="module")
def world() -> Iterator:
    with serve(variant_world()) as served:
        yield served


# --------------------------------------------------------------------------- a tiny HTTP client


def _ascii(path: str) -> str:
    return quote(path, safe="/?&=%:,;'+@!$()*~#")


def fetch(p: VariantPortal, path: str, data: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(p.url.rstrip("/") + _ascii(path), data=None if data is None else data.encode(),
                                     headers={"Content-Type": "application/x-www-form-urlencoded; charset=UTF-8"})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:
            return response.status, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode("utf-8", "replace")


def get(p: VariantPortal, path: str, data: str | None = None) -> str:
    status, text = fetch(p, path, data)
    assert status == 200, (path, status)
    return text


def resolve(base: str, href: str) -> str:
    parts = urlsplit(urljoin("http://h" + base, unescape(href)))
    return parts.path + ("?" + parts.query if parts.query else "")


def hrefs(text: str, base: str = "/") -> list[str]:
    return [resolve(base, h) for h in re.findall(r"""href\s*=\s*["']([^"']*)["']""", text)
            if not h.startswith(("javascript", "http://www.gov.cn"))]


def anchor(text: str, label: str) -> str | None:
    m = re.search(r"""<a [^>]*href=["']([^"']+)["'][^>]*>\s*""" + label + r"\s*</a>", text)
    return unescape(m.group(1)) if m else None


def records(xml: str) -> list[str]:
    return re.findall(r"<record><!\[CDATA\[(.*?)\]\]></record>", xml, re.S)


def record_links(xml: str) -> list[str]:
    return [h for r in records(xml) for h in hrefs(r)]


def wanted(p: VariantPortal) -> set[str]:
    return {e.url for e in p.expected} | set(p.lookalikes)


# --------------------------------------------------------------------------- Hanweb drivers


def _param(page: str) -> dict[str, str]:
    body = re.search(r"var param_\d+ = \{(.*?)\};", page).group(1)
    return {k: (q if q or not n else n) for k, q, n in re.findall(r"(\w+):(?:'([^']*)'|(\d+))", body)}


def _jpage(page: str) -> dict[str, str]:
    call = re.search(r"\.jpage\(\{(.*?)\}\);", page, re.S).group(1)
    return dict(re.findall(r"(\w+): '?([\w/.]+)'?", call))


def hanweb_post(p: VariantPortal, path: str | None = None) -> tuple[set[str], int]:
    """The jpage way: inline first group, then POSTed groups of perPage × groupSize with the param_ form."""
    page = get(p, path or p.list_path)
    jpage, form = _jpage(page), urlencode(_param(page))
    per, group, proxy = int(jpage["perPage"]), int(jpage["groupSize"]), jpage["proxyUrl"]
    inline = record_links(page)
    found, last, start, total = set(inline), inline[-1] if inline else None, len(inline) + 1, None
    while total is None or start <= total:
        xml = get(p, f"{proxy}?startrecord={start}&endrecord={start + per * group - 1}&perpage={per}", form)
        total = int(re.search(r"<totalrecord>(\d+)</totalrecord>", xml).group(1))
        links = record_links(xml)
        if not links:
            break
        assert links[0] == last, "a later group starts with the previous group's last record"
        found |= set(links)
        last, start = links[-1], start + per * group
    assert "totalRecord" not in jpage or int(jpage["totalRecord"]) == total
    # a POST without the form fields gets an empty recordset
    assert records(get(p, f"{proxy}?startrecord=1&endrecord=45&perpage=15", "")) == []
    return found, total


def hanweb_get(p: VariantPortal) -> set[str]:
    """The nextgroup way: copy its href, replace page=1 by page=N until a reply has no record."""
    page = get(p, p.list_path)
    raw = re.search(r'<nextgroup><!\[CDATA\[<a href="([^"]+)"', page).group(1)
    assert "&amp;" in raw
    assert records(get(p, raw.replace("page=1", "page=2", 1))) == [], "an un-unescaped href names no column"
    found = set(record_links(page))
    for n in count(1):
        xml = get(p, re.sub(r"(?<=[?&])page=1(?=&)", f"page={n}", unescape(raw), count=1))
        assert "<totalrecord>" not in xml
        links = record_links(xml)
        if not links:
            break
        found |= set(links)
        assert n < 20
    assert n > 2
    return found


def d_hanweb_post_param(p: VariantPortal) -> set[str]:
    found, total = hanweb_post(p)
    assert total == p.stated_total == 57 and len(found) == total
    assert len(records(get(p, p.list_path))) == 45
    assert records(get(p, "/module/web/jpage/dataproxy.jsp?page=2&columnid=9001&unitid=5001&webid=7")) == []
    assert "<nextgroup><![CDATA[]]>" in get(p, p.list_path)
    return found


def d_hanweb_get_nextgroup(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    assert "param_" not in page and "jpage(" not in page and "%25E4" in page
    assert int(re.search(r"var totalRecord = (\d+);", page).group(1)) == p.stated_total
    found = hanweb_get(p)
    assert len(found) == p.stated_total
    return found


def d_hanweb_get_nototal(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    assert "otalRecord" not in page and "appid=1&amp;appid=1" in page and p.stated_total is None
    return hanweb_get(p)


def d_hanweb_module_jslib(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    assert "/module/jslib/jquery/jpage/dataproxy.jsp?page=1" in page and "path='/'" in page and "<tr><td>" in page
    assert f"totalRecord: {p.stated_total}" in page and "ajaxParam" not in page
    return hanweb_get(p)


def d_hanweb_module_jpage(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    assert "/module/jpage/dataproxy.jsp" in page and "otalRecord" not in page
    found, total = hanweb_post(p)
    assert total == p.stated_total == len(found)
    xml = get(p, "/module/jpage/dataproxy.jsp?startrecord=25&endrecord=48&perpage=12", urlencode(_param(page)))
    assert '<recordset><ul id="information-list"></ul>' in xml
    return found


def d_hanweb_morecolumn(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    param = _param(page)
    assert param["columnid"] == "9511,9512,9513" and param["sourceContentType"] == "3"
    found, total = hanweb_post(p)
    assert total == len(found) == p.stated_total
    assert {re.search(r"art_(\d+)_", u).group(1) for u in found} == {"9511", "9512", "9513"}
    one = urlencode({**param, "columnid": "9511"})
    assert records(get(p, "/module/web/jpage/morecolumndataproxy.jsp?startrecord=1&endrecord=20&perpage=10", one)) == []
    return found


def d_hanweb_permission(p: VariantPortal) -> set[str]:
    found, total = hanweb_post(p)
    assert total == len(found) == p.stated_total
    gated = p.gated[0]
    page = get(p, gated)
    assert records(page) == [] and "totalRecord: 24" in page and "permissiontype:1" in page
    xml = get(p, "/module/web/jpage/dataproxy.jsp?startrecord=1&endrecord=30&perpage=15", urlencode(_param(page)))
    assert records(xml) == [] and "<totalrecord>24</totalrecord>" in xml
    return found


def d_hanweb_uid_pagenum(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    later = [u for u in hrefs(page, p.list_path) if "pageNum=" in u]
    assert len(later) > 3
    for url in later:
        assert get(p, url) == page, "every ?uid=&pageNum= renders page 1"
    found, total = hanweb_post(p)
    assert found == hanweb_get(p) and total == len(found) == p.stated_total
    return found


def d_hanweb_uid_pagenum_reliable(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    numbered = sorted({u for u in hrefs(page, p.list_path) if "pageNum=" in u})
    pages = [get(p, u) for u in numbered]
    firsts = {record_links(x)[0] for x in pages}
    assert len(firsts) == len(pages) == 4
    assert "dataproxy" not in page.replace("proxyUrl: '/module/web/jpage/dataproxy.jsp'", "")
    assert records(get(p, p.list_path + "?uid=5801&pageNum=9")) == []
    return {u for x in pages for u in record_links(x)}


def d_hanweb_jpaas(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    m = re.search(r'queryData="([^"]+)"\s+url="([^"]+)"', page)
    query, api = json.loads(m.group(1).replace("'", '"')), m.group(2)
    assert api.endswith("/front/page/build/unit")

    def unit(extra: dict[str, str]) -> dict:
        return json.loads(get(p, api + "?" + urlencode({**query, **extra})))

    found: set[str] = set()
    for n in count(1):
        html = unit({"paramJson": json.dumps({"pageNo": n, "pageSize": 15})})["data"]["html"]
        assert 'rows="15"' in html and f'count="{p.stated_total}"' in html
        links = re.findall(r'<a class="news" href="([^"]+)"', html)
        if not links:
            break
        found |= set(links)
    assert n == 5
    assert unit({})["data"]["html"].count("<li") == 15
    big = {u for n in (1, 2) for u in re.findall(r'href="([^"]+)"', unit({"paramJson": json.dumps(
        {"pageNo": n, "pageSize": 50})})["data"]["html"]) if "/art/" in u}
    assert big == found and len(found) == p.stated_total
    assert unit({"tagId": ""})["success"] is False
    return found


def d_hanweb_xxgk_search(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    action = unescape(re.search(r'<form id="searchform" method="post" action="([^"]+)"', page).group(1))
    fields = dict(re.findall(r'name="(\w+)" value="([^"]*)"', page))
    pages = int(re.search(r"共(\d+)页", page).group(1))
    found = set(hrefs(page.split('<div class="footer">')[0].split('<div id="div5901">')[1]))

    def search(n: int) -> str:
        return get(p, action.replace("currpage=1", f"currpage={n}"), urlencode({**fields, "currpage": str(n)}))

    for n in range(1, pages + 1):
        found |= set(hrefs(search(n)))
    assert "暂无信息" in search(pages + 1)
    assert "暂无信息" in get(p, action, urlencode({**fields, "area": "x"}))
    return found


# --------------------------------------------------------------------------- TRS drivers

CALL = re.compile(r"""createPageHTML\(\s*(?:'[^']*'\s*,\s*)?(\d+)\s*,\s*(\d+)\s*,\s*["'](\w+)["']\s*,\s*["'](\w+)["']""")


def trs_walk(p: VariantPortal, first: str, links: Callable[[str, str], list[str]] = hrefs, beyond: str = "404") -> set[str]:
    """Read the pager call on the first page, fetch every {name}_k.{ext}, check the page after the last."""
    page = get(p, first)
    if m := CALL.search(page):
        n, name, ext = int(m.group(1)), m.group(3), m.group(4)
    else:
        n = int(re.search(r"var countPage = (\d+);", page).group(1))
        name, ext = re.search(r'createPageHTML\(countPage, currentPage, "(\w+)", "(\w+)"\)', page).groups()
    folder = first.rsplit("/", 1)[0] + "/"
    urls = [folder + (f"{name}.{ext}" if k == 0 else f"{name}_{k}.{ext}") for k in range(n)]
    assert urls[0] == first and n >= 2
    found = {u for url in urls for u in links(get(p, url), url)}
    status, text = fetch(p, folder + f"{name}_{n}.{ext}")
    assert (status, text == page) == ((404, False) if beyond == "404" else (200, True))
    return found


def d_trs_4arg(p: VariantPortal) -> set[str]:
    assert 'createPageHTML(5, 0, "index", "html");' in get(p, p.list_path)
    return trs_walk(p, p.list_path)


def d_trs_5arg(p: VariantPortal) -> set[str]:
    assert "createPageHTML('page_div', 5, 0, 'index', 'shtml');" in get(p, p.list_path)
    return trs_walk(p, p.list_path)


def d_trs_6arg(p: VariantPortal) -> set[str]:
    assert f"createPageHTML('page_div', 6, 0, 'fg', 'shtml', {p.stated_total});" in get(p, p.list_path)
    assert p.list_path.endswith("/fg.shtml")
    return trs_walk(p, p.list_path)


def d_trs_countpage(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    assert "var countPage = 5; var currentPage = 0;" in page and "function createPageHTML" in page
    return trs_walk(p, p.list_path, beyond="repeat")


def d_trs_year_subcolumns(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    years = re.findall(r'<a href="(\./\d{4}/index\.html)">(\d{4})年</a>', page)
    assert [y for _, y in years] == ["2024", "2023", "2022", "2021"]
    return {u for href, _ in years for u in trs_walk(p, resolve(p.list_path, href))}


def d_trs_js_written(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    outside = re.sub(r"<script>.*?</script>", "", page, flags=re.S)
    assert not set(hrefs(outside, p.list_path)) & wanted(p) and "document.writeln" in page
    return trs_walk(p, p.list_path, lambda text, base: [resolve(base, u) for u in re.findall(r'var url = "([^"]+)";', text)])


def d_trs_hidden_template(p: VariantPortal) -> set[str]:
    first, second = get(p, p.list_path), get(p, p.list_path.replace("index.html", "index_1.html"))
    assert '<script type="text/html" id="tpl"><li>' in first and '<textarea id="listData" style="display:none">&lt;li' in second
    return trs_walk(p, p.list_path, lambda text, base: hrefs(unescape(text), base))


# --------------------------------------------------------------------------- generic and platform drivers


def follow(p: VariantPortal, start: str, label: str, limit: int = 20) -> tuple[set[str], list[str]]:
    """Follow the `label` link page after page; returns the links seen and the pages visited."""
    found, visited, url = set(), [], start
    while url and len(visited) < limit:
        text = get(p, url)
        visited.append(url)
        found |= set(hrefs(text, url))
        nxt = anchor(text, label)
        url = resolve(url, nxt) if nxt else None
    assert 2 < len(visited) < limit
    return found, visited


def d_generic_next_links(p: VariantPortal) -> set[str]:
    assert f"共{p.stated_total}条 共5页" in get(p, p.list_path)
    found, visited = follow(p, p.list_path, "下一页")
    assert visited[-1] == "/xxgk/ndbg/list_5.html" and fetch(p, "/xxgk/ndbg/list_6.html")[0] == 404
    return found


def d_generic_numbered(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    assert "下一页" not in page and "共" not in page
    numbered = sorted({u for u in hrefs(page, p.list_path) if re.search(r"list-\d+\.html$", u)} | {p.list_path})
    assert len(numbered) == 5 and fetch(p, "/xxgk/nb/list-6.html")[0] == 404
    return {u for url in numbered for u in hrefs(get(p, url), url)}


def _list_part(text: str) -> list[str]:
    return hrefs(text.split('<ul class="list">')[1].split("</ul>")[0])


def _query(p: VariantPortal, param: str) -> tuple[set[str], list[str]]:
    assert f"共{p.stated_total}条记录 共5页" in get(p, p.list_path)
    found, visited = follow(p, p.list_path, "下一页")
    assert len(visited) == 5 and all(f"{param}=" in u for u in visited[1:])
    return found, visited


def d_generic_query_page(p: VariantPortal) -> set[str]:
    found, _ = _query(p, "page")
    beyond = get(p, p.list_path + "?page=6")
    assert "暂无数据" in beyond and not set(hrefs(beyond)) & wanted(p)
    return found


def d_generic_query_pageno(p: VariantPortal) -> set[str]:
    found, visited = _query(p, "pageNo")
    assert _list_part(get(p, "/xxgk/ndbg/list.do?pageNo=9")) == _list_part(get(p, visited[-1]))
    return found


def d_generic_query_pageindex(p: VariantPortal) -> set[str]:
    found, _ = _query(p, "pageIndex")
    assert _list_part(get(p, "/Article/List.aspx?ClassID=12&pageIndex=9")) == _list_part(get(p, p.list_path))
    assert fetch(p, "/Article/List.aspx?pageIndex=2")[0] == 404
    return found


def d_json_api(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    api = re.search(r'var listApi = "([^"]+)";', page).group(1)
    fixed = re.search(r'listApi \+ "\?([^"]*?)pageNum=', page).group(1)
    found: set[str] = set()
    for n in count(1):
        data = json.loads(get(p, f"{api}?{fixed}pageNum={n}&pageSize=10"))["data"]
        assert data["total"] == p.stated_total
        if not data["list"]:
            break
        found |= {x["url"] for x in data["list"]}
    assert n == 5 and json.loads(get(p, f"{api}?pageNum=1"))["code"] == 400
    return found


def d_gkmlpt(p: VariantPortal) -> set[str]:
    page = get(p, "/gkmlpt/index")
    config = json.loads(re.search(r"window\._CONFIG = (\{.*?\});</script>", page).group(1))
    sid, root = config["SID"], config["TREE"][0]
    assert root["name"] == "政府信息公开年报" and p.list_path.endswith(f"#{root['id']}")

    def articles(cat: int) -> list[str]:
        out = []
        for n in count(1):
            status, text = fetch(p, f"/gkmlpt/api/all/{cat}?page={n}&sid={sid}")
            if status == 404:
                return out
            data = json.loads(text)
            assert data["total"] == data["classify"]["post_count"]
            out += [a["url"] for a in data["articles"]]
            assert all(a["url"].startswith(p.url.rstrip("/") + "/gkmlpt/content/") for a in data["articles"])

    everything = articles(root["id"])
    assert len(everything) == p.stated_total and len(everything) > 8 * 3
    assert sorted(everything) == sorted(u for child in root["children"] for u in articles(child["id"]))
    assert get(p, f"/gkmlpt/api/all/100?page=0&sid={sid}") == get(p, f"/gkmlpt/api/all/100?page=1&sid={sid}")
    assert fetch(p, "/gkmlpt/api/all/100?page=1&sid=1")[0] == 404
    return {urlsplit(u).path for u in everything}


def d_anhui_label(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    pages = int(re.search(r"pageCount:(\d+)", page).group(1))
    template = re.search(r'\.load\("(.*?)"\);', page).group(1)
    assert pages == p.stated_pages == 5 and "publicInfoList" in template

    def label(n: int) -> str:
        return get(p, template.replace('" + pageIndex + "', str(n)))

    found = {u for n in range(1, pages + 1) for u in hrefs(label(n))}
    assert "暂无相关信息" in label(pages + 1) and fetch(p, "/public/column/6596221?type=4")[0] == 404
    return found


def d_vsb(p: VariantPortal) -> set[str]:
    found, visited = follow(p, p.list_path, "下页")
    assert len(visited) == 5 and all("PAGENUM=" in u and "totalpage=5" in u for u in visited[1:])
    last = get(p, visited[-1])
    assert get(p, visited[-1].replace("PAGENUM=5", "PAGENUM=9")) == last
    return found


def d_vsb_static(p: VariantPortal) -> set[str]:
    found, visited = follow(p, p.list_path, "下页")
    assert visited == ["/xxgk/nb.htm", "/xxgk/nb/4.htm", "/xxgk/nb/3.htm", "/xxgk/nb/2.htm", "/xxgk/nb/1.htm"]
    assert fetch(p, "/xxgk/nb/5.htm")[0] == 404 and fetch(p, "/xxgk/nb/0.htm")[0] == 404
    return found


def d_base64_pager(p: VariantPortal) -> set[str]:
    found, url, seen = set(), p.list_path, 0
    while url:
        text = get(p, url)
        assert "index_" not in text.split('<div id="pages">')[1]
        pager = unquote(base64.b64decode(re.search(r'window\.atob\("([^"]+)"\)', text).group(1)).decode())
        found |= set(hrefs(text, url))
        nxt = anchor(pager, "下一页")
        url, seen = (resolve(url, nxt) if nxt else None), seen + 1
    assert seen == 5 and fetch(p, "/zwgk/zfxxgknb/index_6.html")[0] == 404
    return found


def d_click_only_pager(p: VariantPortal) -> set[str]:
    page = get(p, p.list_path)
    assert 'href="javascript:void(0)" onclick="nextPage()">下一页</a>' in page and p.needs_browser
    assert "more_data" not in page and len(set(hrefs(page)) & wanted(p)) == 10
    # what a browser's click would fetch; the URL is written nowhere
    found = {u for n in range(1, 5) for u in hrefs(get(p, f"/xxgk/nb/more_data.jsp?p={n}"))}
    assert get(p, "/xxgk/nb/more_data.jsp?p=5") == ""
    return found


DRIVERS: dict[str, Callable[[VariantPortal], set[str]]] = {
    name: globals()[f"d_{name}"] for name in VARIANTS
}


# --------------------------------------------------------------------------- tests


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_list_yields_every_report(world, name: str) -> None:
    p = world.portal(name)
    assert p.style == f"variant:{name}" and p.variant == name
    assert 30 <= len(p.expected) <= 60 and 1 <= len(p.lookalikes) <= 2
    found = DRIVERS[name](p)
    missing = wanted(p) - found
    assert not missing, sorted(missing)[:5]
    if p.stated_total is not None:
        assert p.stated_total == len(wanted(p))


@pytest.mark.parametrize("name", list(VARIANTS))
def test_variant_navigation(world, name: str) -> None:
    """Home → 信息公开 area → the 年报 column, by link text."""
    p = world.portal(name)
    home = get(p, "/")
    area = anchor(home, r"(?:政府)?信息公开")
    assert area
    columns = re.findall(r"""<a [^>]*href=["']([^"']+)["'][^>]*>[^<]*(?:年报|年度报告)[^<]*</a>""", get(p, area))
    assert p.list_path in [unescape(c) for c in columns]
    for gated in p.gated:
        assert gated in columns


def test_reports_and_lookalikes_are_served(world) -> None:
    for p in world.portals:
        for e in p.expected:
            text = get(p, e.url)
            assert f'<meta name="ArticleTitle" content="{e.title}">' in text
        for path in p.lookalikes:
            assert "解读" in get(p, path) or "图解" in get(p, path)
    names = [p.jurisdiction for p in world.portals]
    assert len(set(names)) == len(names)


def test_dynamic_endpoints_count_hits() -> None:
    with serve(variant_world(["hanweb_post_param", "trs_countpage"])) as w:
        p = w.portal("hanweb_post_param")
        get(p, "/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15", "columnid=9001")
        get(p, p.list_path)
        assert p.hits["/module/web/jpage/dataproxy.jsp?startrecord=46&endrecord=90&perpage=15"] == 1
        assert p.hits[p.list_path] == 1
        t = w.portal("trs_countpage")
        get(t, "/zwgk/zfxxgknb/index_7.html")
        assert t.hits["/zwgk/zfxxgknb/index_7.html"] == 1
