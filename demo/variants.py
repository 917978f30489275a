"""The variant matrix: one small fake portal per list/pagination variant of ``shared/spec/portals.md``.

Each portal is built from the spec alone, the way a real portal of its family behaves: a home page
links (信息公开 / 政府信息公开) to an area page, which links to the 年报 column; the column is the
variant's list and spans several pages or groups; out-of-range requests answer as the spec says
(404, a repeat of page 1, an empty recordset, or the last page again). ``portal.expected`` holds
exactly the reports a perfect crawl finds, ``portal.lookalikes`` the 解读/图解 pages listed beside
them. ``VariantPortal`` adds dynamic endpoints (dataproxy.jsp, JSON APIs, ``?page=`` lists) to
the static resources of :class:`demo.world.Portal`, and records what the list states about its
size (``stated_total``) and how later records are reached (``paging``), so tests can name each.

Families (spec section): Hanweb datastore and dataproxy.jsp POST/GET, path variants, multi-column,
permission-gated column, ``?uid=&pageNum=`` (§1.2–1.4), xxgk ``search.jsp`` (§1.5), jpaas (§1.7);
TRS ``createPageHTML`` in its 4/5/6-argument and ``var countPage`` forms, per-year sub-columns,
JS-written and template-hidden lists (§2.2–2.3); gkmlpt (§3.1); the Anhui label endpoint (§3.5);
博达 VSB dynamic and static (§3.10); the Yunnan base64 pager (§3.11); generic 下一页 / numbered /
query-parameter lists and a JSON API (§8); and a click-only pager that only a browser can follow.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from html import escape
from typing import NamedTuple
from urllib.parse import parse_qs, quote

from demo.world import (
    LOOKALIKES,
    Anomalies,
    Expected,
    Portal,
    Resource,
    World,
    _detail,
    _list_item,
    _page,
    _plans,
    make_units,
)

Query = dict[str, list[str]]
Endpoint = Callable[[str, Query, Query], Resource]  # (method, query, form) -> answer
Route = Callable[[str, re.Match[str], Query, Query], Resource]  # (method, path match, query, form) -> answer


@dataclass(eq=False)
class VariantPortal(Portal):
    """A portal whose list is one pagination variant; dynamic endpoints answer beside static pages."""

    variant: str = ""
    list_path: str = ""  # the 年报 column as the area page links it
    stated_total: int | None = None  # the record count the list states (None: stated nowhere)
    stated_pages: int | None = None  # the page count the list states (countPage, pageCount:, 共N页)
    paging: str = ""  # how later records are reached, for people reading a test failure
    needs_browser: bool = False  # later records are reachable only by clicking in a real browser
    gated: list[str] = field(default_factory=list)  # list pages that declare records but serve none
    endpoints: dict[str, Endpoint] = field(default_factory=dict)  # exact path -> endpoint
    routes: list[tuple[re.Pattern[str], Route]] = field(default_factory=list)  # path pattern -> route

    def handle(self, method: str, path: str, query: str, body: bytes) -> Resource:
        full = path + ("?" + query if query else "")
        endpoint = self.endpoints.get(path)
        route: Route | None = None
        match: re.Match[str] | None = None
        if endpoint is None and full not in self.resources:
            for pattern, candidate in self.routes:
                if match := pattern.fullmatch(path):
                    route = candidate
                    break
        if endpoint is None and route is None:
            return super().handle(method, path, query, body)  # static pages, 404s, hit counting
        self.hits[full] += 1
        params = parse_qs(query, keep_blank_values=True)
        form = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True) if body else {}
        if endpoint is not None:
            return endpoint(method, params, form)
        assert route is not None and match is not None
        return route(method, match, params, form)


# --------------------------------------------------------------------------- shared helpers


class Entry(NamedTuple):
    when: date
    path: str
    title: str


@dataclass
class _Doc:
    title: str
    agency: str
    level: str
    year: int
    when: date
    body: str
    real: bool  # an annual report (expected) rather than a look-alike


YEARS = [2021, 2022, 2023, 2024]
WIDE = [2020, 2021, 2022, 2023, 2024]

JURISDICTIONS = {
    "hanweb_post_param": "甲山区", "hanweb_get_nextgroup": "乙水县", "hanweb_get_nototal": "丙川区",
    "hanweb_module_jpage": "丁河县", "hanweb_module_jslib": "戊江区", "hanweb_morecolumn": "己原县",
    "hanweb_permission": "庚岭区", "hanweb_uid_pagenum": "辛桥县", "hanweb_uid_pagenum_reliable": "壬湖区",
    "hanweb_jpaas": "癸石县", "hanweb_xxgk_search": "子阳区", "trs_4arg": "丑林县", "trs_5arg": "寅峰区",
    "trs_6arg": "卯溪县", "trs_countpage": "辰坪区", "trs_year_subcolumns": "巳泉县", "trs_js_written": "午塘区",
    "trs_hidden_template": "未岗县", "generic_next_links": "申湾区", "generic_numbered": "酉洲县",
    "generic_query_page": "戌坝区", "generic_query_pageno": "亥田县", "generic_query_pageindex": "金滩区",
    "json_api": "木沟县", "gkmlpt": "水岗区", "anhui_label": "火湖县", "vsb": "土岭区", "vsb_static": "石桥县",
    "base64_pager": "竹洲区", "click_only_pager": "松坪县",
}


def _new(name: str, seed: int, years: list[int] = YEARS, departments: int = 6,
         townships: int = 2) -> tuple[VariantPortal, list[_Doc]]:
    """A portal and its documents: years × units real reports, then two look-alikes."""
    jurisdiction = JURISDICTIONS[name]
    p = VariantPortal(name, f"variant:{name}", jurisdiction, variant=name)
    p.units = make_units(jurisdiction, departments, townships)
    plans = _plans(random.Random(seed), jurisdiction, p.units, years, Anomalies(), ("html",))
    docs = [_Doc(pl.title, pl.unit.name, pl.unit.level, pl.year, pl.published or date(pl.year + 1, 2, 1), pl.body_html,
                 True) for pl in plans]
    for i, template in enumerate(LOOKALIKES[:2]):
        docs.append(_Doc(template.format(j=jurisdiction, y=2023, y1=2024), f"{jurisdiction}人民政府办公室", "government",
                         2023, date(2024, 2, 2 + i), "<p>解读内容。</p>", False))
    return p, docs


def _publish(p: VariantPortal, docs: list[_Doc], path_of: Callable[[int, _Doc], str], meta: str = "hanweb") -> list[Entry]:
    """Serve every document's detail page; return the list entries, newest first."""
    entries = []
    for n, doc in enumerate(docs):
        path = path_of(n, doc)
        p.add(path, _detail(p, doc.title, doc.agency, doc.when, doc.body, meta))
        if doc.real:
            p.expected.append(Expected(path, doc.agency, doc.year, doc.level, doc.when, "html", doc.title))
        else:
            p.lookalikes.append(path)
        entries.append(Entry(doc.when, path, doc.title))
    entries.sort(key=lambda e: (e.when, e.path), reverse=True)
    return entries


def _shell(p: VariantPortal, area: str, column: str, label: str = "政府信息公开年报", area_label: str = "政府信息公开",
           more: str = "") -> None:
    """Home → area → column navigation, with a little noise beside the links that matter."""
    p.list_path = column
    p.add("/", _page(f"{p.jurisdiction}人民政府", '<ul class="nav"><li><a href="/">首页</a></li>'
                     f'<li><a href="/xwzx/index.html">新闻中心</a></li><li><a href="{area}">{area_label}</a></li>'
                     '<li><a href="/hdjl/index.html">互动交流</a></li></ul>'))
    p.add("/xwzx/index.html", _page("新闻中心", "<ul>" + "".join(
        _list_item(f"/xwzx/{d}.html", f"{p.jurisdiction}召开专题会议（{d}）", date(2024, 3, d)) for d in range(1, 6)) + "</ul>"))
    for d in range(1, 6):
        p.add(f"/xwzx/{d}.html", _page("新闻", "<div id='zoom'><p>会议内容。</p></div>"))
    p.add("/hdjl/index.html", _page("互动交流", "<p>留言板</p>"))
    p.add("/gkzn/index.html", _page("政府信息公开指南", "<div id='zoom'><p>指南内容。</p></div>"))
    p.add(area, _page(area_label, '<ul class="xxgk-nav"><li><a href="/gkzn/index.html">政府信息公开指南</a></li>'
                      f'<li><a href="{column}">{label}</a></li>{more}</ul>'))


def _chunks(items: list, size: int) -> list[list]:
    return [items[i:i + size] for i in range(0, len(items), size)] or [[]]


def _first(params: Query, key: str, default: str = "") -> str:
    values = params.get(key)
    return values[0] if values else default


def _int(text: str | None, default: int) -> int:
    try:
        return int(str(text).strip())
    except (TypeError, ValueError):
        return default


def _merged(query: Query, form: Query) -> dict[str, str]:
    """Parameters the way a servlet's getParameter sees them: the query string first, then the body."""
    out = {k: v[0] for k, v in form.items() if v}
    out.update({k: v[0] for k, v in query.items() if v})
    return out


def _html(text: str, status: int = 200) -> Resource:
    return Resource(text.encode("utf-8"), "text/html; charset=utf-8", status, conditional=False)


def _json(data: object, status: int = 200) -> Resource:
    return Resource(json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8", status,
                    conditional=False)


def _not_found() -> Resource:
    return _html(_page("404", "<p>页面不存在</p>"), 404)


def _rel(folder: str, path: str) -> str:
    return "./" + path[len(folder):] if path.startswith(folder) else path


# --------------------------------------------------------------------------- 大汉 Hanweb


PROXY_WEB = "/module/web/jpage/dataproxy.jsp"
PROXY_JPAGE = "/module/jpage/dataproxy.jsp"
PROXY_JSLIB = "/module/jslib/jquery/jpage/dataproxy.jsp"
PROXY_MORE = "/module/web/jpage/morecolumndataproxy.jsp"
HANWEB_AREA = "/col/col8000/index.html"


def _art(col: int, base: int = 4130000) -> Callable[[int, _Doc], str]:
    """Hanweb article paths: /art/YYYY/M/D/art_{col}_{id}.html, month and day not zero-padded."""
    return lambda n, d: f"/art/{d.when.year}/{d.when.month}/{d.when.day}/art_{col}_{base + n}.html"


def _record(e: Entry, style: str = "li") -> str:
    """One datastore record, in the shapes §1.2 lists."""
    short = e.title if len(e.title) <= 22 else e.title[:22] + "..."
    if style == "b":  # single-quoted attributes, date in <b>
        return (f"<li class='clearfix'><a href='{escape(e.path)}' title='{escape(e.title)}' target='_blank'>{escape(short)}"
                f"</a><b>{e.when.isoformat()}</b></li>")
    if style == "tr":  # old table rows, date in brackets
        return (f"<tr><td><img src='/images/dot.gif'></td><td><a href='{escape(e.path)}' title='{escape(e.title)}' "
                f"target='_blank'>{escape(short)}</a></td><td>[{e.when.isoformat()}]</td></tr>")
    return _list_item(e.path, e.title, e.when)


def _datastore(records: list[str], nextgroup: str = "") -> str:
    return ('<script type="text/xml"><datastore>\n<nextgroup><![CDATA[' + nextgroup + "]]></nextgroup>\n<recordset>\n"
            + "".join(f"<record><![CDATA[\n{r}\n]]></record>\n" for r in records) + "</recordset>\n</datastore></script>")


def _xml_reply(records: list[str], total: int | None, nextgroup: str = "", stray: str = "") -> Resource:
    xml = ('<?xml version="1.0" encoding="UTF-8"?>\n<datastore>\n<nextgroup><![CDATA[' + nextgroup + "]]></nextgroup>\n"
           "<recordset>" + stray + "".join(f"\n<record><![CDATA[{r}]]></record>" for r in records) + "\n</recordset>"
           + (f"\n<totalrecord>{total}</totalrecord>" if total is not None else "") + "\n</datastore>")
    return Resource(xml.encode("utf-8"), "text/xml; charset=utf-8", conditional=False)


def _nextgroup(proxy: str, page: int, webid: int, col: int | str, unit: int, webname: str = "",
               path: str = "/", appid: str = "appid=1") -> str:
    """The <nextgroup> anchor: query separators written as &amp; inside the CDATA."""
    query = (f"page={page}&{appid}&webid={webid}&path={path}&columnid={col}&unitid={unit}&webname={webname}"
             "&permissiontype=0")
    return f'<a href="{proxy}?{query.replace("&", "&amp;")}"></a>'


def _param_js(unit: int, webid: int, col: int | str, webname: str, source_type: int = 1, permission: int = 0,
              extra: str = "") -> str:
    col_value = f"'{col}'" if isinstance(col, str) else str(col)
    return (f"var param_{unit} = {{col:1, appid:1, webid:{webid}, path:'/', columnid:{col_value}, "
            f"sourceContentType:{source_type}, unitid:'{unit}', webname:'{webname}', permissiontype:{permission}{extra}}};\n")


def _jpage_js(unit: int, per: int, group: int, proxy: str, total: int | str | None = None, param: bool = True) -> str:
    total_part = f"totalRecord: {total}, " if total is not None else ""
    ajax = f"ajaxParam: param_{unit}, " if param else ""
    return (f"$('#{unit}').jpage({{dataStore: $('#{unit} script[type=\"text/xml\"]'), perPage: {per}, {total_part}"
            f"groupSize: {group}, barPosition: 'bottom', proxyUrl: '{proxy}', {ajax}showMode: 'full', "
            "themeName: 'default'});\n")


def _hanweb_column(p: VariantPortal, path: str, title: str, unit: int, records: list[str], nextgroup: str = "",
                   script: str = "", extra: str = "") -> None:
    body = (f'<div class="crumb">首页 &gt; 政府信息公开 &gt; {title}</div><div class="lm-title">{title}</div>'
            f'<div id="{unit}">{_datastore(records, nextgroup)}</div>{extra}<script>{script}</script>')
    p.add(path, _page(title, body, head=f'<meta name="ColumnName" content="{title}">'))


@dataclass
class _Column:
    records: list[str]
    total: int  # declared: len(records), or more on a permission-gated column


def _dataproxy(webid: int, columns: dict[tuple[str, str], _Column], *, ranges: bool, pages: bool, per_page: int = 10,
               nextgroup: Callable[[int], str] | None = None, stray: str = "") -> Endpoint:
    """dataproxy.jsp: POSTed record ranges (with <totalrecord>) and/or GET ``page=N`` (without it).

    A request must name a known column and unit (columnid, unitid, webid); a range request also
    needs sourceContentType from the page's ``param_`` object. Anything else gets an empty recordset.
    Range groups after the first repeat the previous group's last record (the documented overlap).
    """

    def endpoint(method: str, query: Query, form: Query) -> Resource:
        params = _merged(query, form)
        cols = ",".join(sorted(c.strip().strip("'") for c in params.get("columnid", "").split(",") if c.strip()))
        column = columns.get((cols, params.get("unitid", "").strip("'")))
        known = column is not None and params.get("webid", "").strip("'") == str(webid)
        if ranges and "startrecord" in params:
            if not known or "sourceContentType" not in params:
                return _xml_reply([], 0)
            assert column is not None
            start = max(1, _int(params["startrecord"], 1))  # some clients send 0-based starts
            end = _int(params.get("endrecord"), start - 1)
            low = start - 1 - (1 if start > 1 else 0)
            return _xml_reply(column.records[low:max(low, end)], column.total, stray=stray)
        if pages and "page" in params and known:
            assert column is not None
            page = max(1, _int(params["page"], 1))
            chunk = column.records[(page - 1) * per_page:page * per_page]
            return _xml_reply(chunk, None, nextgroup(page + 1) if chunk and nextgroup else "", stray)
        return _xml_reply([], 0 if ranges else None)

    return endpoint


def hanweb_post_param(seed: int) -> VariantPortal:
    """First group (15×3 = 45 of 57) inline; the rest by POST with the param_ form; total in jpage() and replies."""
    p, docs = _new("hanweb_post_param", seed, WIDE, departments=7, townships=3)
    col, unit, webid = 9001, 5001, 7
    entries = _publish(p, docs, _art(col))
    records = [_record(e) for e in entries]
    _shell(p, HANWEB_AREA, f"/col/col{col}/index.html")
    script = _param_js(unit, webid, col, f"{p.jurisdiction}人民政府") + _jpage_js(unit, 15, 3, PROXY_WEB, len(records))
    _hanweb_column(p, p.list_path, "政府信息公开年报", unit, records[:45], script=script)
    p.endpoints[PROXY_WEB] = _dataproxy(webid, {(str(col), str(unit)): _Column(records, len(records))},
                                        ranges=True, pages=False)
    p.stated_total, p.paging = len(records), "POST dataproxy.jsp?startrecord=46&endrecord=90&perpage=15 + param_ form"
    return p


def _hanweb_get(name: str, seed: int, col: int, unit: int, webid: int, per: int, group: int, *, proxy: str = PROXY_WEB,
                webname: str = "", path: str = "/", appid: str = "appid=1", style: str = "li",
                script: Callable[[int], str] = lambda total: "") -> VariantPortal:
    """GET ``page=N`` from the <nextgroup> href; each page holds ``per`` records, beyond the end is empty."""
    p, docs = _new(name, seed)
    entries = _publish(p, docs, _art(col))
    records = [_record(e, style) for e in entries]
    _shell(p, HANWEB_AREA, f"/col/col{col}/index.html", label="政府信息公开工作年度报告")

    def nextgroup(page: int) -> str:
        return _nextgroup(proxy, page, webid, col, unit, webname, path, appid)

    _hanweb_column(p, p.list_path, "政府信息公开工作年度报告", unit, records[:per * group], nextgroup(1), script(len(records)))
    p.endpoints[proxy] = _dataproxy(webid, {(str(col), str(unit)): _Column(records, len(records))}, ranges=False,
                                    pages=True, per_page=per, nextgroup=nextgroup)
    p.paging = f"GET {proxy}?page=N (nextgroup href, {per} per page) until an empty recordset"
    return p


def hanweb_get_nextgroup(seed: int) -> VariantPortal:
    """No param_, no jpage(); the total only as ``var totalRecord = N;``; webname double-encoded."""
    webname = quote(quote("乙水县人民政府"))
    p = _hanweb_get("hanweb_get_nextgroup", seed, 9101, 5101, 12, 8, 2, webname=webname,
                    script=lambda total: f"var totalRecord = {total};\nvar perPage = 8;\ninitList('5101');\n")
    p.stated_total = len(p.expected) + len(p.lookalikes)
    return p


def hanweb_get_nototal(seed: int) -> VariantPortal:
    """Like get_nextgroup, with no total anywhere, an empty webname and a duplicated appid."""
    return _hanweb_get("hanweb_get_nototal", seed, 9201, 5201, 15, 10, 1, appid="appid=1&appid=1")


def hanweb_module_jslib(seed: int) -> VariantPortal:
    """Old path /module/jslib/jquery/jpage/dataproxy.jsp, table-row records, quoted path/webname, GET pages."""
    p = _hanweb_get("hanweb_module_jslib", seed, 9401, 5401, 3, 10, 2, proxy=PROXY_JSLIB, webname="'戊江区人民政府'",
                    path="'/'", style="tr",
                    script=lambda total: _jpage_js(5401, 10, 2, PROXY_JSLIB, total, param=False))
    p.stated_total = len(p.expected) + len(p.lookalikes)
    return p


def hanweb_module_jpage(seed: int) -> VariantPortal:
    """Path /module/jpage/dataproxy.jsp, POST ranges; jpage() states no total, replies carry <totalrecord>."""
    p, docs = _new("hanweb_module_jpage", seed)
    col, unit, webid = 9301, 5301, 5
    entries = _publish(p, docs, _art(col))
    records = [_record(e, "b") for e in entries]
    _shell(p, HANWEB_AREA, f"/col/col{col}/index.html")
    script = _param_js(unit, webid, col, "丁河县人民政府") + _jpage_js(unit, 12, 2, PROXY_JPAGE)
    _hanweb_column(p, p.list_path, "政府信息公开年报", unit, records[:24], script=script)
    p.endpoints[PROXY_JPAGE] = _dataproxy(webid, {(str(col), str(unit)): _Column(records, len(records))}, ranges=True,
                                          pages=False, stray='<ul id="information-list"></ul>')
    p.stated_total = len(records)
    p.paging = "POST /module/jpage/dataproxy.jsp?startrecord=25&endrecord=48&perpage=12; total only in <totalrecord>"
    return p


def hanweb_morecolumn(seed: int) -> VariantPortal:
    """One list over three sub-columns: morecolumndataproxy.jsp, columnid=a,b,c, sourceContentType=3."""
    p, docs = _new("hanweb_morecolumn", seed)
    subs = {"government": 9511, "department": 9512, "township": 9513}
    entries = _publish(p, docs, lambda n, d: _art(subs[d.level])(n, d))
    records = [_record(e) for e in entries]
    _shell(p, HANWEB_AREA, "/col/col9500/index.html")
    cols, unit, webid = "9511,9512,9513", 5501, 7
    script = (_param_js(unit, webid, cols, "己原县人民政府", source_type=3, extra=", keyWordCount:30")
              + _jpage_js(unit, 10, 2, PROXY_MORE, len(records)))
    _hanweb_column(p, p.list_path, "政府信息公开年报", unit, records[:20], script=script)
    p.endpoints[PROXY_MORE] = _dataproxy(webid, {(cols, str(unit)): _Column(records, len(records))}, ranges=True,
                                         pages=False)
    p.stated_total, p.paging = len(records), "POST morecolumndataproxy.jsp ranges, form columnid=9511,9512,9513"
    return p


def hanweb_permission(seed: int) -> VariantPortal:
    """A gated 年报 column (empty recordset, totalRecord 24, permissiontype 1) beside a normal one."""
    p, docs = _new("hanweb_permission", seed)
    col, gated, webid = 9601, 9602, 9
    entries = _publish(p, docs, _art(col))
    records = [_record(e) for e in entries]
    gated_path = f"/col/col{gated}/index.html"
    _shell(p, HANWEB_AREA, f"/col/col{col}/index.html",
           more=f'<li><a href="{gated_path}">部门政府信息公开年报</a></li>')
    script = _param_js(5601, webid, col, "庚岭区人民政府") + _jpage_js(5601, 15, 2, PROXY_WEB, len(records))
    _hanweb_column(p, p.list_path, "政府信息公开年报", 5601, records[:30], script=script)
    script = (_param_js(5602, webid, gated, "庚岭区人民政府", permission=1)
              + _jpage_js(5602, 15, 2, PROXY_WEB, 24))
    _hanweb_column(p, gated_path, "部门政府信息公开年报", 5602, [], script=script)
    p.endpoints[PROXY_WEB] = _dataproxy(webid, {(str(col), "5601"): _Column(records, len(records)),
                                                (str(gated), "5602"): _Column([], 24)}, ranges=True, pages=False)
    p.gated.append(gated_path)
    p.stated_total, p.paging = len(records), "POST dataproxy ranges; the gated column answers 0 records of 24"
    return p


def hanweb_uid_pagenum(seed: int) -> VariantPortal:
    """Pager links ``index.html?uid=&pageNum=N`` all render page 1; later records only via dataproxy (both forms)."""
    p, docs = _new("hanweb_uid_pagenum", seed)
    col, unit, webid, per = 9701, 5701, 21, 10
    entries = _publish(p, docs, _art(col))
    records = [_record(e) for e in entries]
    _shell(p, HANWEB_AREA, f"/col/col{col}/index.html")
    pages = -(-len(records) // per)

    def nextgroup(page: int) -> str:
        return _nextgroup(PROXY_WEB, page, webid, col, unit, quote("辛桥县人民政府"))

    pager = ('<div class="jp-pager">' + "".join(f'<a href="index.html?uid={unit}&amp;pageNum={n}">{n}</a> '
                                                 for n in range(1, pages + 1))
             + f'<a href="index.html?uid={unit}&amp;pageNum=2">下一页</a> '
               f'<a href="index.html?uid={unit}&amp;pageNum={pages}">尾页</a></div>')
    script = _param_js(unit, webid, col, "辛桥县人民政府") + _jpage_js(unit, per, 1, PROXY_WEB, len(records))
    _hanweb_column(p, p.list_path, "政府信息公开年报", unit, records[:per], nextgroup(1), script, extra=pager)
    page_one = p.resources.pop(p.list_path)
    p.endpoints[p.list_path] = lambda method, query, form: page_one  # the server ignores uid and pageNum
    p.endpoints[PROXY_WEB] = _dataproxy(webid, {(str(col), str(unit)): _Column(records, len(records))}, ranges=True,
                                        pages=True, per_page=per, nextgroup=nextgroup)
    p.stated_total = len(records)
    p.paging = "?uid=&pageNum=N repeats page 1; dataproxy POST ranges or GET page=N give the rest"
    return p


def hanweb_uid_pagenum_reliable(seed: int) -> VariantPortal:
    """``index.html?uid=&pageNum=N`` really renders page N; no dataproxy at all; beyond the end is empty."""
    p, docs = _new("hanweb_uid_pagenum_reliable", seed)
    col, unit, per = 9801, 5801, 10
    entries = _publish(p, docs, _art(col))
    records = [_record(e) for e in entries]
    _shell(p, HANWEB_AREA, f"/col/col{col}/index.html")
    pages = -(-len(records) // per)

    def column(method: str, query: Query, form: Query) -> Resource:
        n = max(1, _int(_first(query, "pageNum", "1"), 1))
        links = "".join(f'<a href="index.html?uid={unit}&amp;pageNum={k}">{k}</a> ' for k in range(1, pages + 1))
        if n < pages:
            links += f'<a href="index.html?uid={unit}&amp;pageNum={n + 1}">下一页</a>'
        script = _jpage_js(unit, per, 1, PROXY_WEB, len(records), param=False)
        body = (f'<div id="{unit}">{_datastore(records[(n - 1) * per:n * per])}</div>'
                f'<div class="jp-pager">{links}</div><script>{script}</script>')
        return _html(_page("政府信息公开年报", body))

    p.endpoints[p.list_path] = column
    p.stated_total, p.paging = len(records), "?uid=5801&pageNum=N renders page N (10 per page)"
    return p


JPAAS_URL = "/api-gateway/jpaas-publish-server/front/page/build/unit"
JPAAS_TAG = "阳光政务_分页列表"
JPAAS_JS = """(function () {
  document.querySelectorAll("[queryData][url]").forEach(function (el) {
    var q = JSON.parse(el.getAttribute("queryData").replace(/'/g, '"'));
    var cur = 1;
    function load(n) {
      q.paramJson = JSON.stringify({pageNo: n, pageSize: 15});
      var qs = Object.keys(q).map(function (k) { return encodeURIComponent(k) + "=" + encodeURIComponent(q[k]); });
      fetch(el.getAttribute("url") + "?" + qs.join("&")).then(function (r) { return r.json(); })
        .then(function (res) { if (res.success) { cur = n; el.innerHTML = res.data.html; } });
    }
    el.addEventListener("click", function (e) {
      if (e.target.classList.contains("next")) { load(cur + 1); }
      if (e.target.classList.contains("prev") && cur > 1) { load(cur - 1); }
    });
    load(1);
  });
})();
"""


def hanweb_jpaas(seed: int) -> VariantPortal:
    """A static shell naming build/unit; pages of JSON {success, data:{html}} with rows/count attributes."""
    p, docs = _new("hanweb_jpaas", seed, WIDE, departments=7, townships=3)
    entries = _publish(p, docs, lambda n, d: f"/xxgk/art/{d.when.year}/art_{hashlib.md5(f'jp{n}'.encode()).hexdigest()}.html")
    _shell(p, "/col/col1487001/index.html", "/col/col1487002/index.html", label="政府信息公开工作年度报告")
    query_data = ("{'webId':'2945','pageId':'1487002','tplSetId':'5c4b2d1e','tagId':'阳光政务_分页列表',"
                  "'pageType':'column','parseType':'bulidstatic','editType':'null'}")
    shell = (f'<div class="lm-title">政府信息公开工作年度报告</div><div id="{JPAAS_TAG}" queryData="{query_data}" '
             f'url="{JPAAS_URL}"></div><script src="/module/jpaas/unit.js"></script>')
    p.add(p.list_path, _page("政府信息公开工作年度报告", shell))
    p.add("/module/jpaas/unit.js", JPAAS_JS, "application/javascript")

    def unit(method: str, query: Query, form: Query) -> Resource:
        q = _merged(query, {})
        if (q.get("webId") != "2945" or q.get("pageId") != "1487002" or q.get("tagId") != JPAAS_TAG
                or q.get("parseType") not in ("bulidstatic", "buildstatic")):
            return _json({"success": False, "code": "404", "message": "页面单元不存在", "data": None})
        try:
            opts = json.loads(q.get("paramJson") or "{}")
        except ValueError:
            opts = {}
        page = max(1, _int(opts.get("pageNo"), 1))
        size = min(50, max(1, _int(opts.get("pageSize"), 15)))
        items = "".join(f'<li class="clearfix"><a class="news" href="{e.path}" title="{escape(e.title)}" target="_blank">'
                        f'{escape(e.title)}</a><span class="time">{e.when.isoformat()}</span></li>'
                        for e in entries[(page - 1) * size:page * size])
        html = (f'<div class="page-content"><ul>{items}</ul></div><div class="pagination" rows="{size}" '
                f'count="{len(entries)}"><a class="prev" href="javascript:;">上一页</a>'
                f'<span class="cur">{page}</span><a class="next" href="javascript:;">下一页</a></div>')
        return _json({"success": True, "code": "200", "message": "操作成功", "data": {"html": html}})

    p.endpoints[JPAAS_URL] = unit
    p.stated_total = len(entries)
    p.paging = 'GET build/unit?…&paramJson={"pageNo":n,"pageSize":m} (default 15, at most 50); total in count=""'
    return p


def hanweb_xxgk_search(seed: int) -> VariantPortal:
    """信息公开目录 module: a form POSTs to /module/xxgk/search.jsp with currpage; HTML rows and 共N页."""
    p, docs = _new("hanweb_xxgk_search", seed)
    entries = _publish(p, docs, _art(9901))
    _shell(p, HANWEB_AREA, "/col/col9901/index.html")
    per = 10
    pages = _chunks(entries, per)
    action = ("/module/xxgk/search.jsp?standardXxgk=0&isAllList=1&texttype=0&fbtime=&vc_all=&vc_filenumber=&vc_title="
              "&vc_number=&currpage=1&sortfield=,createdatetime:0,orderid:0")
    fields = {"infotypeId": "C0101", "jdid": "7", "area": "002482429", "divid": "div5901", "currpage": "1"}

    def results(n: int) -> str:
        rows = "".join(f"<tr class='tr_main_value_{'odd' if i % 2 == 0 else 'even'}'><td><a href='{e.path}' "
                       f"target='_blank' title='{escape(e.title)}'>{escape(e.title)}</a></td><td>{e.when.isoformat()}</td></tr>"
                       for i, e in enumerate(pages[n - 1] if 1 <= n <= len(pages) else []))
        rows = rows or "<tr><td colspan='2'>暂无信息</td></tr>"
        nav = (f"<a href='javascript:searchsubmit({n + 1})'>下一页</a>" if n < len(pages) else "")
        return (f"<table class='xxgk_list'>{rows}</table><div class='pager'>共{len(pages)}页 共{len(entries)}条 "
                f"当前第{n}页 {nav}</div>")

    def search(method: str, query: Query, form: Query) -> Resource:
        params = _merged(query, form)  # a currpage in the query string wins, as in a servlet
        if any(params.get(k) != fields[k] for k in ("infotypeId", "jdid", "area")):
            return _html("<table class='xxgk_list'><tr><td colspan='2'>暂无信息</td></tr></table><div class='pager'>共0页</div>")
        return _html(results(max(1, _int(params.get("currpage"), 1))))

    inputs = "".join(f'<input type="hidden" name="{k}" value="{v}">' for k, v in fields.items())
    body = (f'<div id="div5901">{results(1)}</div><form id="searchform" method="post" action="{escape(action)}">{inputs}'
            "</form><script>function searchsubmit(n) { var f = document.getElementById('searchform'); "
            "f.currpage.value = n; f.action = f.action.replace(/currpage=\\d+/, 'currpage=' + n); f.submit(); }</script>")
    p.add(p.list_path, _page("政府信息公开年报", body))
    p.endpoints["/module/xxgk/search.jsp"] = search
    p.stated_total, p.stated_pages = len(entries), len(pages)
    p.paging = "POST search.jsp with infotypeId/jdid/area and currpage=N (query and form); 共N页"
    return p


# --------------------------------------------------------------------------- 拓尔思 TRS


CREATE_PAGE_JS = """function createPageHTML() {
  var a = Array.prototype.slice.call(arguments);
  if (typeof a[0] === "string") { a.shift(); }
  var n = a[0], k = a[1], name = a[2], ext = a[3];
  if (n <= 1) { return; }
  var u = function (i) { return i === 0 ? name + "." + ext : name + "_" + i + "." + ext; };
  var h = "<span>共" + n + "页</span> ";
  if (k > 0) { h += "<a href=\\"" + u(0) + "\\">首页</a> <a href=\\"" + u(k - 1) + "\\">上一页</a> "; }
  if (k < n - 1) { h += "<a href=\\"" + u(k + 1) + "\\">下一页</a> <a href=\\"" + u(n - 1) + "\\">尾页</a>"; }
  document.write(h);
}
"""


def _trs(n: int, d: _Doc, folder: str, ext: str = "html") -> str:
    return f"{folder}{d.when:%Y%m}/t{d.when:%Y%m%d}_{2349700 + n}.{ext}"


def _trs_ul(folder: str, chunk: list[Entry], k: int) -> str:
    return '<ul class="list">' + "".join(_list_item(_rel(folder, e.path), e.title, e.when) for e in chunk) + "</ul>"


def _trs_pages(p: VariantPortal, folder: str, entries: list[Entry], per: int, call: Callable[[int, int, int], str], *,
               name: str = "index", ext: str = "html", render: Callable[[str, list[Entry], int], str] = _trs_ul,
               head: str = '<script src="/js/createPageHTML.js"></script>', title: str = "政府信息公开年报") -> list[str]:
    """Pages {name}.{ext}, {name}_1.{ext} … (0-based), each ending in its pager script; returns their paths."""
    p.add("/js/createPageHTML.js", CREATE_PAGE_JS, "application/javascript")
    paths = []
    chunks = _chunks(entries, per)
    for k, chunk in enumerate(chunks):
        path = folder + (f"{name}.{ext}" if k == 0 else f"{name}_{k}.{ext}")
        body = (f'<div class="crumb">首页 &gt; 政府信息公开 &gt; {title}</div>{render(folder, chunk, k)}'
                f'<div class="page" id="page_div"><script>{call(len(chunks), k, len(entries))}</script></div>')
        p.add(path, _page(title, body, head))
        paths.append(path)
    return paths


def _trs_variant(name: str, seed: int, folder: str, per: int, call: Callable[[int, int, int], str], *, page: str = "index",
                 ext: str = "html", render: Callable[[str, list[Entry], int], str] = _trs_ul,
                 head: str = '<script src="/js/createPageHTML.js"></script>') -> VariantPortal:
    p, docs = _new(name, seed)
    entries = _publish(p, docs, lambda n, d: _trs(n, d, folder, ext), meta="trs")
    area = folder.rsplit("/", 2)[0] + f"/index.{ext}"
    paths = _trs_pages(p, folder, entries, per, call, name=page, ext=ext, render=render, head=head)
    _shell(p, area, paths[0])
    p.stated_pages = len(paths)
    p.paging = f"{page}_k.{ext} (0-based), k < countPage from the pager script; beyond → 404"
    return p


def trs_4arg(seed: int) -> VariantPortal:
    return _trs_variant("trs_4arg", seed, "/zwgk/xxgk/zfxxgknb/", 8,
                        lambda n, k, t: f'createPageHTML({n}, {k}, "index", "html");')


def trs_5arg(seed: int) -> VariantPortal:
    """Five arguments read as (containerId, countPage, currentPage, prefix, ext)."""
    return _trs_variant("trs_5arg", seed, "/xxgk/gknb/zfxxgknb/", 8,
                        lambda n, k, t: f"createPageHTML('page_div', {n}, {k}, 'index', 'shtml');", ext="shtml")


def trs_6arg(seed: int) -> VariantPortal:
    """Six arguments with prefix ``fg``: fg.shtml, fg_1.shtml …, the record total last."""
    p = _trs_variant("trs_6arg", seed, "/zwgk/zdgk/nb/", 7,
                     lambda n, k, t: f"createPageHTML('page_div', {n}, {k}, 'fg', 'shtml', {t});", page="fg", ext="shtml")
    p.stated_total = len(p.expected) + len(p.lookalikes)
    return p


def trs_countpage(seed: int) -> VariantPortal:
    """``var countPage = n; var currentPage = k;`` then a call on those names; beyond range repeats page 1."""
    folder = "/zwgk/zfxxgknb/"
    head = f"<script>{CREATE_PAGE_JS}</script>"  # the older templates define the function inline
    p = _trs_variant("trs_countpage", seed, folder, 8, lambda n, k, t: f"var countPage = {n}; var currentPage = {k};\n"
                     'createPageHTML(countPage, currentPage, "index", "html");', head=head)
    first = p.resources[folder + "index.html"]
    p.routes.append((re.compile(re.escape(folder) + r"index_\d+\.html"), lambda method, m, query, form: first))
    p.paging = "index_k.html (0-based) from var countPage; beyond range → page 1 again (200)"
    return p


def trs_year_subcolumns(seed: int) -> VariantPortal:
    """The 年报 column lists per-year sub-columns (2024年 …), each paged with createPageHTML."""
    p, docs = _new("trs_year_subcolumns", seed)
    column = "/xxgk/zfxxgknb/"
    by_year: dict[int, list[_Doc]] = {}
    for doc in docs:
        by_year.setdefault(doc.year, []).append(doc)
    links = []
    for year in sorted(by_year, reverse=True):
        folder = f"{column}{year}/"
        entries = _publish(p, by_year[year], lambda n, d, f=folder, y=year: _trs(n + 100 * (y - 2000), d, f), meta="trs")
        _trs_pages(p, folder, entries, 4, lambda n, k, t: f'createPageHTML({n}, {k}, "index", "html");',
                   title=f"{year}年政府信息公开年报")
        links.append(f'<li><a href="./{year}/index.html">{year}年</a></li>')
    p.add(column + "index.html", _page("政府信息公开年报", '<div class="sub-columns"><ul>' + "".join(links) + "</ul></div>"))
    _shell(p, "/xxgk/index.html", column + "index.html")
    p.paging = "per-year sub-columns {year}/index.html, each index_k.html (0-based) by createPageHTML"
    return p


def _js_written(folder: str, chunk: list[Entry], k: int) -> str:
    """Wuhan style: every item a script block setting var url/title, then document.writeln."""
    blocks = "".join(f'<script>\nvar url = "{_rel(folder, e.path)}";\nvar title = "{e.title}";\nvar FILENUM = "";\n'
                     "document.writeln(\"<li><a href='\" + url + \"' target='_blank' title='\" + title + \"'>\" + title"
                     f" + \"</a><span>{e.when.isoformat()}</span></li>\");\n</script>\n" for e in chunk)
    return f'<ul class="list">\n{blocks}</ul>'


def trs_js_written(seed: int) -> VariantPortal:
    return _trs_variant("trs_js_written", seed, "/zwgk/zfxxgknb/", 10,
                        lambda n, k, t: f'createPageHTML({n}, {k}, "index", "shtml");', ext="shtml", render=_js_written)


def _hidden(folder: str, chunk: list[Entry], k: int) -> str:
    """Items inside a hidden template (even pages) or a hidden textarea (odd pages), copied in by script."""
    items = "".join(_list_item(_rel(folder, e.path), e.title, e.when) for e in chunk)
    if k % 2 == 0:
        return (f'<ul id="list"></ul><script type="text/html" id="tpl">{items}</script>'
                "<script>document.getElementById('list').innerHTML = document.getElementById('tpl').innerHTML;</script>")
    return (f'<ul id="list"></ul><textarea id="listData" style="display:none">{escape(items)}</textarea>'
            "<script>document.getElementById('list').innerHTML = document.getElementById('listData').value;</script>")


def trs_hidden_template(seed: int) -> VariantPortal:
    return _trs_variant("trs_hidden_template", seed, "/xxgk/zfxxgknb/", 10,
                        lambda n, k, t: f'createPageHTML({n}, {k}, "index", "html");', render=_hidden)


# --------------------------------------------------------------------------- generic lists


def _ul(chunk: list[Entry]) -> str:
    return '<ul class="list">' + "".join(_list_item(e.path, e.title, e.when) for e in chunk) + "</ul>"


def _generic(name: str, seed: int, folder: str = "/xxgk/ndbg/", meta: str = "static") -> tuple[VariantPortal, list[Entry]]:
    p, docs = _new(name, seed)
    return p, _publish(p, docs, lambda n, d: f"{folder}{7000 + n}.html", meta=meta)


def generic_next_links(seed: int) -> VariantPortal:
    """list.html, list_2.html … with 下一页/尾页 and 共N条/共N页; beyond the last page 404."""
    p, entries = _generic("generic_next_links", seed)
    chunks = _chunks(entries, 8)
    n = len(chunks)
    name = lambda k: "list.html" if k == 1 else f"list_{k}.html"  # noqa: E731
    for k, chunk in enumerate(chunks, 1):
        nav = f'共{len(entries)}条 共{n}页 当前第{k}页 <a href="{name(1)}">首页</a> '
        nav += f'<a href="{name(k - 1)}">上一页</a> ' if k > 1 else ""
        nav += f'<a href="{name(k + 1)}">下一页</a> ' if k < n else ""
        nav += f'<a href="{name(n)}">尾页</a>'
        p.add(f"/xxgk/ndbg/{name(k)}", _page("政府信息公开工作年度报告", _ul(chunk) + f'<div class="pager">{nav}</div>'))
    _shell(p, "/xxgk/index.html", "/xxgk/ndbg/list.html", label="政府信息公开工作年度报告", area_label="信息公开")
    p.stated_total, p.stated_pages = len(entries), n
    p.paging = "下一页 links list_k.html (1-based); 共N条 共N页; beyond → 404"
    return p


def generic_numbered(seed: int) -> VariantPortal:
    """list-1.html … list-N.html reached only by numbered links, no 下一页, no total."""
    p, entries = _generic("generic_numbered", seed, "/xxgk/nb/")
    chunks = _chunks(entries, 8)
    for k, chunk in enumerate(chunks, 1):
        nav = " ".join(f'<span class="current">{i}</span>' if i == k else f'<a href="list-{i}.html">{i}</a>'
                       for i in range(1, len(chunks) + 1))
        p.add(f"/xxgk/nb/list-{k}.html", _page("政府信息公开年报", _ul(chunk) + f'<div class="pages">{nav}</div>'))
    _shell(p, "/xxgk/index.html", "/xxgk/nb/list-1.html")
    p.paging = "numbered links list-k.html (1-based) only; beyond → 404"
    return p


def _query_list(name: str, seed: int, path: str, param: str, beyond: str, fixed: str = "",
                label: str = "政府信息公开年报") -> VariantPortal:
    """One dynamic list page paged by ``?{param}=N``; ``beyond`` is empty | last | first."""
    p, entries = _generic(name, seed)
    chunks = _chunks(entries, 8)
    n = len(chunks)
    base = path.rsplit("/", 1)[1] + "?" + (fixed + "&amp;" if fixed else "")
    wanted = dict(kv.split("=") for kv in fixed.split("&")) if fixed else {}

    def page(method: str, query: Query, form: Query) -> Resource:
        if any(_first(query, k) != v for k, v in wanted.items()):
            return _not_found()
        k = _int(_first(query, param, "1"), 1)
        k = 1 if k < 1 else k
        if k > n:
            if beyond == "empty":
                return _html(_page(label, '<ul class="list"></ul><p class="none">暂无数据</p>'))
            k = n if beyond == "last" else 1
        nav = " ".join(f"<b>{i}</b>" if i == k else f'<a href="{base}{param}={i}">{i}</a>' for i in range(1, n + 1))
        nav += f' <a href="{base}{param}={k + 1}">下一页</a>' if k < n else ""
        return _html(_page(label, _ul(chunks[k - 1]) + f'<div class="pager">共{len(entries)}条记录 共{n}页 {nav}</div>'))

    p.endpoints[path] = page
    _shell(p, "/xxgk/index.html", path + ("?" + fixed if fixed else ""), label=label)
    p.stated_total, p.stated_pages = len(entries), n
    p.paging = f"?{param}=N (1-based), 共N条记录 共N页; beyond → {beyond}"
    return p


def generic_query_page(seed: int) -> VariantPortal:
    return _query_list("generic_query_page", seed, "/xxgk/ndbg/index.jsp", "page", "empty")


def generic_query_pageno(seed: int) -> VariantPortal:
    return _query_list("generic_query_pageno", seed, "/xxgk/ndbg/list.do", "pageNo", "last",
                       label="政府信息公开工作年度报告")


def generic_query_pageindex(seed: int) -> VariantPortal:
    return _query_list("generic_query_pageindex", seed, "/Article/List.aspx", "pageIndex", "first", fixed="ClassID=12")


def json_api(seed: int) -> VariantPortal:
    """The list is filled from /api/gknb/list named in the page's script; data.total states the size."""
    p, entries = _generic("json_api", seed, "/xxgk/gknb/", meta="hanweb")
    script = """var listApi = "/api/gknb/list";
var pageSize = 10;
function render(res) {
  var ul = document.getElementById("list");
  ul.innerHTML = "";
  res.data.list.forEach(function (x) {
    var li = document.createElement("li");
    li.innerHTML = '<a href="' + x.url + '" title="' + x.title + '">' + x.title + '</a><span>' + x.publishTime + '</span>';
    ul.appendChild(li);
  });
  document.getElementById("total").textContent = res.data.total;
  document.getElementById("pager").innerHTML = res.data.pageNum < res.data.pages ?
    '<a href="javascript:void(0)" onclick="loadPage(' + (res.data.pageNum + 1) + ')">下一页</a>' : "";
}
function loadPage(pageNum) {
  fetch(listApi + "?channelId=1024&pageNum=" + pageNum + "&pageSize=" + pageSize)
    .then(function (r) { return r.json(); }).then(render);
}
loadPage(1);
"""
    p.add("/xxgk/gknb/index.html", _page("政府信息公开年报", '<ul id="list"></ul><div class="pager">共<span id="total"></span>条'
                                                       f'<span id="pager"></span></div><script>{script}</script>'))

    def api(method: str, query: Query, form: Query) -> Resource:
        q = _merged(query, form)
        if q.get("channelId") != "1024":
            return _json({"code": 400, "msg": "channelId不能为空", "data": None})
        page, size = max(1, _int(q.get("pageNum"), 1)), min(20, max(1, _int(q.get("pageSize"), 10)))
        items = [{"id": 7000 + i, "title": e.title, "url": e.path, "publishTime": e.when.isoformat()}
                 for i, e in enumerate(entries)][(page - 1) * size:page * size]
        return _json({"code": 0, "msg": "success", "data": {"total": len(entries), "pageNum": page, "pageSize": size,
                                                             "pages": -(-len(entries) // size), "list": items}})

    p.endpoints["/api/gknb/list"] = api
    _shell(p, "/xxgk/index.html", "/xxgk/gknb/index.html")
    p.stated_total = len(entries)
    p.paging = "GET /api/gknb/list?channelId=1024&pageNum=N&pageSize=10 (at most 20); data.total; beyond → empty list"
    return p


# --------------------------------------------------------------------------- provincial platforms


def gkmlpt(seed: int) -> VariantPortal:
    """Guangdong gkmlpt: _CONFIG SID/TREE, /gkmlpt/api/all/{cat}?page=&sid= JSON, 8 per page, beyond → 404."""
    p, docs = _new("gkmlpt", seed)
    sid, size = "990001", 8
    cats = {"government": 101, "department": 102, "township": 103}
    ids: dict[str, int] = {}
    level: dict[str, str] = {}

    def path_of(n: int, d: _Doc) -> str:
        post = 4688000 + n
        path = f"/gkmlpt/content/{post // 1000000}/{post // 1000}/post_{post}.html"
        ids[path], level[path] = post, d.level
        return path

    entries = _publish(p, docs, path_of)
    by_cat = {100: entries, **{c: [e for e in entries if level[e.path] == lv] for lv, c in cats.items()}}
    names = {100: "政府信息公开年报", 101: "区政府年报", 102: "部门年报", 103: "镇街年报"}
    tree = [{"id": 100, "name": names[100], "post_count": len(entries),
             "children": [{"id": c, "name": names[c], "post_count": len(by_cat[c]), "children": []} for c in (101, 102, 103)]}]
    config = json.dumps({"SID": sid, "TREE": tree, "SERVICE_AREA_ID": 1}, ensure_ascii=False)
    p.add("/gkmlpt/index", _page("政府信息公开", f'<div id="app"></div><script>window._CONFIG = {config};</script>'
                                              '<script src="/gkmlpt/static/js/app.js"></script>'))

    def article(e: Entry, cat: int) -> dict[str, object]:
        post = ids[e.path]
        return {"id": post, "title": e.title, "url": f"http://127.0.0.1:{p.port}{e.path}", "post_url": e.path,
                "created_at": f"{e.when.isoformat()} 09:30:00", "display_publish_time": e.when.isoformat(),
                "identifier": f"00693974{cat % 10}/{e.when.year}-{post % 100000:05d}", "publisher": p.jurisdiction,
                "document_number": "", "abstract": "", "attachment": [], "classify_main_name": names[cat]}

    def api(method: str, match: re.Match[str], query: Query, form: Query) -> Resource:
        cat = int(match.group(1))
        if cat not in by_cat or _first(query, "sid") != sid:
            return _not_found()
        page = max(1, _int(_first(query, "page", "1"), 1))  # page=0 and page=1 are the same page
        chunk = by_cat[cat][(page - 1) * size:page * size]
        if not chunk:
            return _not_found()
        classify = {"id": cat, "name": names[cat], "post_count": len(by_cat[cat])}
        return _json({"classify": classify, "total": len(by_cat[cat]), "articles": [article(e, cat) for e in chunk]})

    p.routes.append((re.compile(r"/gkmlpt/api/all/(\d+)"), api))
    _shell(p, "/zwgk/index.html", "/gkmlpt/index#100")
    p.stated_total = len(entries)
    p.paging = "GET /gkmlpt/api/all/100?page=N&sid=990001 (8 per page; children 101-103); beyond → 404"
    return p


def anhui_label(seed: int) -> VariantPortal:
    """Anhui /public/column/{organId}?…&catId= with pageCount:N; pages from /site/label/8888 as HTML fragments."""
    p, docs = _new("anhui_label", seed)
    organ, cat, site, size = "6596221", "7065111", "6789", 8
    entries = _publish(p, docs, lambda n, d: f"/public/content/{37034500 + n}")
    pages = _chunks(entries, size)
    label = ("/site/label/8888?IsAjax=1&dataType=html&labelName=publicInfoList&siteId=" + site
             + f"&pageSize={size}&pageIndex=\" + pageIndex + \"&action=list&isDate=true&dateFormat=yyyy-MM-dd&length=50"
             f"&organId={organ}&type=4&catId={cat}&cId=&result=暂无相关信息&file=/c3/hs/publicInfoList_newest")
    script = (f'function loadList(pageIndex) {{\n  $("#publicInfoList").load("{label}");\n}}\n'
              f'Ls.pagination("#page_public_info", function (pageIndex) {{ loadList(pageIndex); }}, '
              f"{{currPage: 1, pageCount:{len(pages)}, pageSize: {size}}});\nloadList(1);\n")

    def column(method: str, query: Query, form: Query) -> Resource:
        if _first(query, "catId") != cat:
            return _not_found()
        body = ('<div class="crumb">信息公开 &gt; 政府信息公开年报</div><div id="publicInfoList"></div>'
                f'<div id="page_public_info"></div><script>{script}</script>')
        return _html(_page("政府信息公开年报", body))

    def fragment(method: str, query: Query, form: Query) -> Resource:
        q = _merged(query, form)
        n = _int(q.get("pageIndex"), 1)
        known = q.get("labelName") == "publicInfoList" and q.get("organId") == organ and q.get("catId") == cat
        if not known or not 1 <= n <= len(pages):
            return _html(f"<div class=\"no-data\">{escape(q.get('result') or '暂无相关信息')}</div>")
        items = "".join(f'<li class="clearfix"><a href="{e.path}" title="{escape(e.title)}" target="_blank">{escape(e.title)}'
                        f'</a><span class="date">{e.when.isoformat()}</span></li>' for e in pages[n - 1])
        return _html(f'<ul class="clearfix xxgk_nav_list">{items}</ul>')

    p.endpoints[f"/public/column/{organ}"] = column
    p.endpoints["/site/label/8888"] = fragment
    _shell(p, "/xxgk/index.html", f"/public/column/{organ}?type=4&amp;action=list&amp;nav=3&amp;sub=&amp;catId={cat}")
    p.list_path = f"/public/column/{organ}?type=4&action=list&nav=3&sub=&catId={cat}"
    p.stated_pages = len(pages)
    p.paging = f"GET /site/label/8888?labelName=publicInfoList&…&pageIndex=n, n ≤ pageCount:{len(pages)}; beyond → 暂无相关信息"
    return p


def _vsb_nav(total: int, k: int, n: int, href: Callable[[int], str]) -> str:
    nav = f"共{total}条&nbsp;&nbsp;{k}/{n}&nbsp;"
    nav += (f'<a href="{href(1)}">首页</a>&nbsp;<a href="{href(k - 1)}">上页</a>&nbsp;' if k > 1 else "首页&nbsp;上页&nbsp;")
    nav += (f'<a href="{href(k + 1)}" class="Next">下页</a>&nbsp;<a href="{href(n)}">尾页</a>' if k < n else "下页&nbsp;尾页")
    return f'<div class="pb_sys_common pb_sys_normal">{nav}</div>'


def _vsb_ul(chunk: list[Entry], prefix: str) -> str:
    return '<ul class="list">' + "".join(_list_item(prefix + e.path[1:], e.title, e.when) for e in chunk) + "</ul>"


def vsb(seed: int) -> VariantPortal:
    """博达 list.jsp?urltype=tree.TreeTempUrl&wbtreeid=1648 with &PAGENUM=n&totalpage=N; beyond → the last page."""
    p, docs = _new("vsb", seed)
    entries = _publish(p, docs, lambda n, d: f"/info/1648/{47200 + n}.htm", meta="static")
    chunks = _chunks(entries, 8)
    n = len(chunks)

    def href(k: int) -> str:
        return f"list.jsp?totalpage={n}&PAGENUM={k}&urltype=tree.TreeTempUrl&wbtreeid=1648"

    def page(method: str, query: Query, form: Query) -> Resource:
        if _first(query, "urltype") != "tree.TreeTempUrl" or _first(query, "wbtreeid") != "1648":
            return _not_found()
        k = min(n, max(1, _int(_first(query, "PAGENUM", "1"), 1)))
        return _html(_page("政府信息公开年报", _vsb_ul(chunks[k - 1], "../") + _vsb_nav(len(entries), k, n, href)))

    p.endpoints["/xxgk/list.jsp"] = page
    _shell(p, "/xxgk/index.html", "/xxgk/list.jsp?urltype=tree.TreeTempUrl&amp;wbtreeid=1648")
    p.list_path = "/xxgk/list.jsp?urltype=tree.TreeTempUrl&wbtreeid=1648"
    p.stated_total, p.stated_pages = len(entries), n
    p.paging = "下页 → list.jsp?totalpage=N&PAGENUM=k&…; beyond → last page"
    return p


def vsb_static(seed: int) -> VariantPortal:
    """博达 static: nb.htm, then nb/4.htm … nb/1.htm numbered backwards, reached by 下页."""
    p, docs = _new("vsb_static", seed)
    entries = _publish(p, docs, lambda n, d: f"/info/1650/{51300 + n}.htm", meta="static")
    chunks = _chunks(entries, 8)
    n = len(chunks)
    for k, chunk in enumerate(chunks, 1):
        here = "" if k == 1 else "../"  # page 1 is /xxgk/nb.htm, page k is /xxgk/nb/{n - k + 1}.htm

        def href(i: int, here: str = here) -> str:
            return f"{here}nb.htm" if i == 1 else ("nb/" if not here else "") + f"{n - i + 1}.htm"

        path = "/xxgk/nb.htm" if k == 1 else f"/xxgk/nb/{n - k + 1}.htm"
        p.add(path, _page("政府信息公开年报", _vsb_ul(chunk, "../" + here) + _vsb_nav(len(entries), k, n, href)))
    _shell(p, "/xxgk/index.html", "/xxgk/nb.htm")
    p.stated_total, p.stated_pages = len(entries), n
    p.paging = "下页 → nb/{N-1}.htm … nb/1.htm (backwards); beyond → 404"
    return p


def base64_pager(seed: int) -> VariantPortal:
    """Yunnan: the pager inside <div id="pages"> is base64 of URL-quoted HTML, decoded by window.atob."""
    p, entries = _generic("base64_pager", seed, "/zwgk/zfxxgknb/", meta="hanweb")
    chunks = _chunks(entries, 8)
    n = len(chunks)
    name = lambda k: "index.html" if k == 1 else f"index_{k}.html"  # noqa: E731
    for k, chunk in enumerate(chunks, 1):
        pager = f"<span>共{n}页</span> " + " ".join(str(i) if i == k else f'<a href="{name(i)}">{i}</a>' for i in range(1, n + 1))
        pager += f' <a href="{name(k + 1)}">下一页</a>' if k < n else ""
        blob = base64.b64encode(quote(pager, safe="").encode("ascii")).decode("ascii")
        script = f'<script>document.write(decodeURIComponent(window.atob("{blob}")));</script>'
        p.add(f"/zwgk/zfxxgknb/{name(k)}", _page("政府信息公开年报", _ul(chunk) + f'<div id="pages">{script}</div>'))
    _shell(p, "/zwgk/index.html", "/zwgk/zfxxgknb/index.html")
    p.stated_pages = n
    p.paging = "index_k.html (1-based) named only in the base64 pager; beyond → 404"
    return p


CLICK_SCRIPT = """var cur = 1;
var pageCount = %d;
var seg = ["xxgk", "nb", "more"];
function nextPage() {
  if (cur >= pageCount) { return; }
  cur += 1;
  var xhr = new XMLHttpRequest();
  xhr.open("GET", "/" + seg.join("/") + "_" + "da" + "ta" + ".jsp?p=" + cur);
  xhr.onload = function () {
    document.getElementById("list").innerHTML = xhr.responseText;
    document.getElementById("cur").textContent = cur;
  };
  xhr.send();
}
"""


def click_only_pager(seed: int) -> VariantPortal:
    """下一页 is javascript:void(0) + onclick; the next page's URL is built by concatenation, never written."""
    p, entries = _generic("click_only_pager", seed, "/xxgk/nb/")
    chunks = _chunks(entries, 10)

    def more(method: str, query: Query, form: Query) -> Resource:
        k = _int(_first(query, "p", "1"), 1)
        chunk = chunks[k - 1] if 1 <= k <= len(chunks) else []
        return _html("".join(_list_item(e.path, e.title, e.when) for e in chunk))

    body = (f'<ul class="list" id="list">{"".join(_list_item(e.path, e.title, e.when) for e in chunks[0])}</ul>'
            f'<div class="pager">共{len(entries)}条 第<span id="cur">1</span>/{len(chunks)}页 '
            '<a href="javascript:void(0)" onclick="nextPage()">下一页</a></div>'
            f"<script>{CLICK_SCRIPT % len(chunks)}</script>")
    p.add("/xxgk/nb/index.html", _page("政府信息公开年报", body))
    p.endpoints["/xxgk/nb/more_data.jsp"] = more
    _shell(p, "/xxgk/index.html", "/xxgk/nb/index.html")
    p.stated_total, p.stated_pages, p.needs_browser = len(entries), len(chunks), True
    p.paging = "only a browser click on 下一页 (XHR to a concatenated URL); page 1 holds 10 of the records"
    return p


# --------------------------------------------------------------------------- the matrix


VARIANTS: dict[str, Callable[[int], VariantPortal]] = {
    "hanweb_post_param": hanweb_post_param,
    "hanweb_get_nextgroup": hanweb_get_nextgroup,
    "hanweb_get_nototal": hanweb_get_nototal,
    "hanweb_module_jpage": hanweb_module_jpage,
    "hanweb_module_jslib": hanweb_module_jslib,
    "hanweb_morecolumn": hanweb_morecolumn,
    "hanweb_permission": hanweb_permission,
    "hanweb_uid_pagenum": hanweb_uid_pagenum,
    "hanweb_uid_pagenum_reliable": hanweb_uid_pagenum_reliable,
    "hanweb_jpaas": hanweb_jpaas,
    "hanweb_xxgk_search": hanweb_xxgk_search,
    "trs_4arg": trs_4arg,
    "trs_5arg": trs_5arg,
    "trs_6arg": trs_6arg,
    "trs_countpage": trs_countpage,
    "trs_year_subcolumns": trs_year_subcolumns,
    "trs_js_written": trs_js_written,
    "trs_hidden_template": trs_hidden_template,
    "generic_next_links": generic_next_links,
    "generic_numbered": generic_numbered,
    "generic_query_page": generic_query_page,
    "generic_query_pageno": generic_query_pageno,
    "generic_query_pageindex": generic_query_pageindex,
    "json_api": json_api,
    "gkmlpt": gkmlpt,
    "anhui_label": anhui_label,
    "vsb": vsb,
    "vsb_static": vsb_static,
    "base64_pager": base64_pager,
    "click_only_pager": click_only_pager,
}
assert set(VARIANTS) == set(JURISDICTIONS) and len(set(JURISDICTIONS.values())) == len(JURISDICTIONS)


def variant_world(names: list[str] | None = None, seed: int = 0) -> World:
    """The variant portals (all, or the named ones); each seed depends only on the variant's name."""
    order = list(VARIANTS)
    return World([VARIANTS[name](seed + 1 + order.index(name)) for name in (names or order)])
