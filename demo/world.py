"""A world of fake county portals, in the CMS styles real portals use, served on 127.0.0.1.

The tests crawl it, the demo crawls it, the benchmarks crawl a large generated one. Each portal
knows the ground truth — which annual reports it publishes (agency, year, date, URL), which
look-alikes it lists, what robots.txt forbids, where its traps are — so a crawl can be scored
for recall and precision. Styles follow ``shared/spec/portals.md``:

``hanweb``   大汉 JCMS: records in a ``<script type="text/xml">`` datastore, further records by POST to
             ``dataproxy.jsp``, ``downfile.jsp`` attachments typed only by their headers.
``trs``      拓尔思: GBK pages declared gb2312, ``createPageHTML`` pagination, per-unit sub-columns,
             ``t20240125_…`` details with PDF/DOCX attachments, a meta-refresh home page.
``static``   plain site, no charset anywhere, 下一页 pagination, look-alikes, a calendar trap and an
             endless search, a robots.txt rule, a flaky list page, a JS ``location`` redirect home.
``jsapi``    list filled by JavaScript from a JSON API named in the page's script.
``jsrender`` list built by JavaScript from data no crawler can see without a browser.
``dept``     department-centred: one 年报 sub-column per department; titles omit the agency.
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import threading
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, timedelta
from html import escape
from pathlib import Path
from urllib.parse import parse_qs, quote

from demo.synth import SynthReport, consistent_tables, render_docx, render_pdf, report_body_html
from monitor.report.identity import find_title

STYLES = ("hanweb", "trs", "static", "jsapi", "jsrender", "dept")


@dataclass
class Resource:
    body: bytes
    content_type: str = "text/html; charset=utf-8"
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    fail_first: int = 0  # answer 503 this many times before serving (a flaky page)
    conditional: bool = True  # serve ETag/Last-Modified and honour If-None-Match
    fault: str | None = None  # a transport fault the server acts out: hang, reset, truncated


@dataclass
class Expected:
    """A report the portal really publishes: what a perfect crawl finds."""

    url: str  # path of the report's page
    agency: str
    year: int
    level: str
    published: date | None
    text_source: str  # html | pdf | docx
    title: str


@dataclass
class Unit:
    name: str  # full name, e.g. 青川县教育局
    short: str  # as a department column calls it, e.g. 区教育局
    level: str
    slug: str


@dataclass
class Portal:
    key: str
    style: str
    jurisdiction: str
    encoding: str = "utf-8"
    resources: dict[str, Resource] = field(default_factory=dict)
    expected: list[Expected] = field(default_factory=list)
    lookalikes: list[str] = field(default_factory=list)  # paths of pages that only look like reports
    forbidden: list[str] = field(default_factory=list)  # robots.txt-disallowed path prefixes
    traps: list[str] = field(default_factory=list)  # path prefixes a guided crawl must not wander into
    units: list[Unit] = field(default_factory=list)
    missing: list[tuple[str, int]] = field(default_factory=list)  # (agency, year) never published
    hits: Counter[str] = field(default_factory=Counter)
    port: int | None = None
    home: str = "/"  # the page with the site navigation (after any redirect)
    faults: str | None = None  # see FAULTS: what the paths in fault_paths do instead of answering
    fault_paths: set[str] = field(default_factory=lambda: {"/"})
    anomalies: Anomalies | None = None
    attempts: Counter[str] = field(default_factory=Counter)
    latency: float = 0.0  # seconds each answer takes, as a real portal's would (benchmarks)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    @contextmanager
    def in_flight(self):
        """Count requests being answered at once, and when each began (politeness checks)."""
        with self._lock:
            self.active += 1
            self.max_active = max(self.max_active, self.active)
            self.starts.append(time.monotonic())
        try:
            yield
        finally:
            with self._lock:
                self.active -= 1

    def add(self, path: str, body: str | bytes, content_type: str | None = None, **kw) -> None:
        if isinstance(body, str):
            data = body.encode(self.encoding, errors="xmlcharrefreplace")
            content_type = content_type or "text/html"
            if self.style != "static" and self.encoding == "utf-8" and "charset" not in content_type:
                content_type += "; charset=utf-8"
        else:
            data = body
        self.resources[path] = Resource(data, content_type or "application/octet-stream", **kw)

    # dynamic endpoints ------------------------------------------------------------------

    def handle(self, method: str, path: str, query: str, body: bytes) -> Resource:
        """Answer one request; the server adds conditional-request handling."""
        full = path + ("?" + query if query else "")
        self.hits[full] += 1
        if self.faults and path in self.fault_paths and path != "/robots.txt":
            return fault_response(self.faults, path, query)
        if self.style == "hanweb" and path == "/module/web/jpage/dataproxy.jsp":
            return self._dataproxy(parse_qs(query), parse_qs(body.decode("utf-8", "replace")))
        if self.style == "jsapi" and path == "/api/xxgk/nb":
            return self._json_api(parse_qs(query))
        if self.style == "static" and path.startswith("/search"):
            page = int(parse_qs(query).get("page", ["1"])[0])
            return Resource(_page("搜索结果", f'<p>共找到相关结果</p><a href="/search?q=%E5%B9%B4%E6%8A%A5&amp;page={page + 1}">'
                                                f"下一页</a>").encode("utf-8"), "text/html")
        if self.style == "static" and path.startswith("/calendar/"):
            day = date.fromisoformat(path.rsplit("/", 1)[-1][:10]) + timedelta(days=1)
            return Resource(_page("日历", f'<a href="/calendar/{day.isoformat()}.html">下一天 年报</a>').encode(), "text/html")
        if self.style == "static" and path == "/xxgk/ndbg/list.html" and query.startswith("date="):
            day = date.fromisoformat(parse_qs(query)["date"][0]) + timedelta(days=1)
            return Resource(_page("年度报告", f'<a href="?date={day.isoformat()}">{day.day}</a>'
                                            f'<a href="list.html">年度报告</a>').encode(), "text/html")
        resource = self.resources.get(full) or self.resources.get(path if not query else full)
        if resource is None:
            return Resource(_page("404", "<p>页面不存在</p>").encode("utf-8"), "text/html; charset=utf-8", 404)
        if resource.fail_first and self.attempts[full] < resource.fail_first:
            self.attempts[full] += 1
            return Resource(b"<html><body>Service Unavailable</body></html>", "text/html", 503, conditional=False)
        return resource

    def _dataproxy(self, query: dict[str, list[str]], form: dict[str, list[str]]) -> Resource:
        records = self._records
        start = int(query.get("startrecord", ["1"])[0])
        end = int(query.get("endrecord", ["45"])[0])
        # the documented quirk: a POSTed group repeats the previous group's last record
        chunk = records[max(0, start - 2):end]
        xml = ("<?xml version=\"1.0\" encoding=\"UTF-8\"?><datastore><nextgroup><![CDATA[]]></nextgroup><recordset>"
               + "".join(f"<record><![CDATA[{r}]]></record>" for r in chunk)
               + f"</recordset><totalrecord>{len(records)}</totalrecord></datastore>")
        assert form.get("columnid") == ["300"], "dataproxy needs the jpage parameters"
        return Resource(xml.encode("utf-8"), "text/xml; charset=utf-8", conditional=False)

    def _json_api(self, query: dict[str, list[str]]) -> Resource:
        page = int(query.get("page", ["1"])[0])
        size = int(query.get("size", ["10"])[0])
        items = self._api_items[(page - 1) * size:page * size]
        data = {"code": 200, "total": len(self._api_items), "page": page, "size": size, "data": items}
        return Resource(json.dumps(data, ensure_ascii=False).encode("utf-8"), "application/json; charset=utf-8")

    _records: list[str] = field(default_factory=list)
    _api_items: list[dict[str, str]] = field(default_factory=list)
    active: int = 0
    max_active: int = 0
    starts: list[float] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


# Ways a portal fails, each acted out by the server on 127.0.0.1 (see fault_response).
FAULTS = ("error500", "hang", "reset", "truncated", "redirect_loop", "waf412", "soft404", "gone404")
HANG_SECONDS = 6.0


def fault_response(kind: str, path: str, query: str) -> Resource:
    if kind == "error500":
        return Resource(b"<html><body>Internal Server Error</body></html>", "text/html", 500, conditional=False)
    if kind == "redirect_loop":
        n = int(query.split("=")[-1]) if query.startswith("n=") else 0
        return Resource(b"", "text/html", 302, headers={"Location": f"{path}?n={(n + 1) % 2}"}, conditional=False)
    if kind == "waf412":  # a 瑞数-style JavaScript challenge
        return Resource(b'<html><head><meta http-equiv="Content-Type" content="text/html; charset=utf-8">'
                        b'<script r="m">var _$x=1;eval(function(){return "challenge"}())</script></head><body></body></html>',
                        "text/html", 412, conditional=False)
    if kind == "soft404":
        return Resource(_page("页面不存在", "<p>对不起，您访问的页面不存在或已被删除。</p>").encode(), "text/html; charset=utf-8",
                        200, conditional=False)
    if kind == "gone404":
        return Resource(_page("404", "<p>页面不存在</p>").encode(), "text/html; charset=utf-8", 404, conditional=False)
    return Resource(_page("正常页面", "<p>" + "内容" * 400 + "</p>").encode(), "text/html; charset=utf-8",
                    conditional=False, fault=kind)  # hang, reset, truncated: the server misbehaves


def fault_portal(kind: str, seed: int = 0) -> Portal:
    """A small portal that fails in one way. ``soft404``/``gone404`` break only its 年报 column."""
    portal = make_portal(f"fault-{kind}", "static", "故障区", [2024], seed, departments=1, townships=0)
    portal.faults = kind
    if kind in ("soft404", "gone404"):
        portal.fault_paths = {"/xxgk/ndbg/list.html"}
    return portal


@dataclass
class World:
    portals: list[Portal]

    def portal(self, key: str) -> Portal:
        return next(p for p in self.portals if p.key == key)

    @property
    def expected(self) -> list[tuple[Portal, Expected]]:
        return [(p, e) for p in self.portals for e in p.expected]


# --------------------------------------------------------------------------- page shells


def _page(title: str, body: str, head: str = "", charset: str | None = "utf-8") -> str:
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={charset}">' if charset else ""
    return (f"<!DOCTYPE html><html><head>{meta}<title>{escape(title)}</title>{head}</head><body>"
            '<div class="top"><a href="/">首页</a> <a href="http://www.gov.cn/">中国政府网</a></div>'
            f"{body}<div class=\"footer\">版权所有 网站标识码 4107000001</div></body></html>")


def _detail(portal: Portal, title: str, agency_label: str, published: date | None, body_html: str,
            meta_style: str) -> str:
    pub = published.isoformat() if published else ""
    head = (f'<meta name="ArticleTitle" content="{escape(title)}">'
            + (f'<meta name="PubDate" content="{pub} 10:00">' if published and meta_style != "nometa" else "")
            + f'<meta name="ContentSource" content="{escape(agency_label)}">')
    if meta_style == "trs":
        serial = int(hashlib.md5(title.encode()).hexdigest()[:6], 16) % 10**6
        info = (f"<ul class=\"xxgk-info\"><li>索引号： 11411100MB0{serial:06d}/{(published or date(2000, 1, 1)).year}-00012</li>"
                f"<li>发文机构： {escape(agency_label)}</li>"
                + (f"<li>成文日期： {published.year}年{published.month:02d}月{max(1, published.day - 1):02d}日</li>"
                   f"<li>发布日期： {published.year}年{published.month:02d}月{published.day:02d}日</li>" if published else "")
                + "</ul>")
        container = "TRS_Editor"
    elif meta_style == "static":
        info = (f"<div class=\"info\">发布时间：{published:%Y/%m/%d} 09:30　来源：{escape(agency_label)}</div>"
                if published else f"<div class=\"info\">来源：{escape(agency_label)}</div>")
        container = "article-content"
    elif meta_style == "nometa":
        info = f"<div class=\"info\">来源：{escape(agency_label)}　点击：12</div>"
        container = "article-content"
    else:
        info = (f"<div class=\"info\">发布日期：{pub}　信息来源：{escape(agency_label)}　浏览次数：35</div>"
                if published else "")
        container = "zoom"
    attr = 'id="zoom"' if container == "zoom" else f'class="{container}"'
    return _page(title, f'<div class="crumb">首页 &gt; 信息公开 &gt; 政府信息公开年报</div><h1>{escape(title)}</h1>'
                        f"{info}<div {attr}>{body_html}</div><div class=\"share\">分享到：微信 微博</div>",
                 head, charset="gb2312" if portal.encoding == "gbk" else (None if portal.style == "static" else "utf-8"))


def _list_item(href: str, title: str, when: date | None, truncate: bool = True) -> str:
    shown = title if not truncate or len(title) <= 22 else title[:22] + "..."
    return (f'<li><a href="{escape(href)}" title="{escape(title)}" target="_blank">{escape(shown)}</a>'
            f'<span class="time">{when.isoformat() if when else ""}</span></li>')


# --------------------------------------------------------------------------- content


LOOKALIKES = (
    "关于{y}年政府信息公开工作年度报告的解读",
    "图解：{j}{y}年政府信息公开工作年度报告",
    "关于做好{y}年政府信息公开工作年度报告编制和发布工作的通知",
    "{j}{y1}年政务公开工作要点",
    "{j}教育局{y1}年部门预算公开",
    "{j}{y}年国民经济和社会发展统计公报",
    "{j}{y1}年政府工作报告",
    "{j}{y}年法治政府建设情况报告",
    "{j}财政局{y}年政府信息公开工作年度报告（征求意见稿）",
)
DEPARTMENTS = (("教育局", "jyj"), ("民政局", "mzj"), ("财政局", "czj"), ("商务局", "swj"),
               ("自然资源局", "zrzyj"), ("卫生健康委员会", "wjw"), ("市场监督管理局", "scjgj"),
               # a large county's other departments (the season benchmark's department-centred portals)
               ("发展和改革局", "fgj"), ("公安局", "gaj"), ("司法局", "sfj"), ("人力资源和社会保障局", "rsj"),
               ("生态环境分局", "sthjj"), ("住房和城乡建设局", "zjj"), ("交通运输局", "jtysj"), ("水利局", "slj"),
               ("农业农村局", "nyncj"), ("文化广电旅游局", "wglj"), ("退役军人事务局", "tyjrj"), ("应急管理局", "yjglj"),
               ("审计局", "sjj"), ("统计局", "tjj"), ("医疗保障局", "ybj"), ("林业局", "lyj"), ("科学技术局", "kjj"),
               ("工业和信息化局", "gxj"), ("城市管理局", "cgj"), ("行政审批局", "xzspj"), ("信访局", "xfj"),
               ("档案馆", "dag"), ("机关事务服务中心", "jgswzx"), ("体育局", "tyj"), ("民族宗教事务局", "mzzjj"),
               ("乡村振兴局", "xczxj"), ("粮食和物资储备局", "lsj"), ("供销合作社联合社", "gxs"), ("气象局", "qxj"),
               ("消防救援大队", "xfjyd"), ("税务局", "swuj"), ("人民防空办公室", "rfb"), ("地方志办公室", "dfzb"))
TOWNSHIPS = (("城关镇人民政府", "cgz"), ("东城街道办事处", "dcjd"), ("河口乡人民政府", "hkx"))


def make_units(jurisdiction: str, departments: int, townships: int) -> list[Unit]:
    units = [Unit(f"{jurisdiction}人民政府", f"{jurisdiction}人民政府", "government", "qzf")]
    for name, slug in DEPARTMENTS[:departments]:
        units.append(Unit(f"{jurisdiction}{name}", f"区{name}" if jurisdiction.endswith("区") else f"县{name}",
                          "department", slug))
    for name, slug in TOWNSHIPS[:townships]:
        units.append(Unit(name, name, "township", slug))
    return units


def _published(rng: random.Random, unit: Unit, year: int, late: bool) -> date:
    deadline = date(year + 1, 3, 31) if unit.level == "government" else date(year + 1, 1, 31)
    if late:
        return deadline + timedelta(days=rng.randint(3, 40))
    return deadline - timedelta(days=rng.randint(0, 25))


@dataclass
class _Plan:
    unit: Unit
    year: int
    published: date | None
    report: SynthReport
    source: str  # html | pdf | docx
    seed_text: str | None = None  # a real report's text, served in <pre> instead of the synthetic one

    @property
    def title(self) -> str:
        if self.seed_text is not None:
            return find_title(self.seed_text.splitlines())[0] or self.report.title
        return self.report.title

    @property
    def body_html(self) -> str:
        if self.seed_text is not None:
            return f"<pre>{escape(self.seed_text)}</pre>"
        return report_body_html(self.report)


SEED_DIR = Path(__file__).resolve().parent / "seeds"
# The real seed reports, placed on the portal of their own jurisdiction: (seed, unit, year, published).
SEED_PLACES = {
    # seed 004 (a 2019 report of an unnamed 区商务局) is not placed: it belongs to no demo jurisdiction
    "wenfeng": [("000", "文峰区商务局", 2023, date(2024, 1, 20))],
    "wenxian": [("001", "温县商务局", 2021, date(2022, 2, 15))],  # two weeks late
    "xuecheng": [("002", "薛城区商务和投资促进局", 2023, date(2024, 1, 16))],
    "hongqi": [("003", "红旗区商务局", 2023, date(2024, 1, 25))],
}


def _seed_plans(key: str, rng: random.Random, jurisdiction: str) -> list[_Plan]:
    plans = []
    for seed, agency, year, published in SEED_PLACES.get(key, []):
        text = next(SEED_DIR.glob(f"{seed}_*.txt")).read_text(encoding="utf-8")
        unit = Unit(agency, "区" + agency[len(jurisdiction):], "department", f"seed{seed}")
        report = SynthReport(agency, year, consistent_tables(rng, "2021"), jurisdiction=jurisdiction)
        plans.append(_Plan(unit, year, published, report, "html", seed_text=text))
    return plans


@dataclass
class Anomalies:
    """Defects planted in a portal's reports, for the monitor's tests and the demo."""

    missing: list[tuple[str, int]] = field(default_factory=list)  # (unit, year) never published
    late: set[tuple[str, int]] = field(default_factory=set)
    undated: set[tuple[str, int]] = field(default_factory=set)
    copies_previous: set[tuple[str, int]] = field(default_factory=set)  # re-dated copy of the unit's last report
    copies_other: dict[tuple[str, int], str] = field(default_factory=dict)  # (unit, year) -> unit copied
    carry_mismatch: set[tuple[str, int]] = field(default_factory=set)  # 上年结转 ≠ last year's 结转下年度


def _plans(rng: random.Random, jurisdiction: str, units: list[Unit], years: list[int], odd: Anomalies,
           sources: tuple[str, ...]) -> list[_Plan]:
    plans = []
    carried: dict[str, list[int]] = {}
    for year in years:
        for unit in units:
            if (unit.name, year) in odd.missing:
                continue
            fmt = "2021" if year >= 2021 else "2019"
            carried_in = carried.get(unit.name)
            if carried_in and (unit.name, year) in odd.carry_mismatch:
                carried_in = [v + 1 for v in carried_in]
            tables = consistent_tables(rng, fmt, scale=4, zero=rng.random() < 0.3, carried_in=carried_in)
            carried[unit.name] = tables.t3["carried_out"][:-1]
            report = SynthReport(unit.name, year, tables, jurisdiction=jurisdiction)
            if (unit.name, year) in odd.copies_previous:
                report.prose_seed = report.prose_key(unit.name, year - 1)
            elif (unit.name, year) in odd.copies_other:
                report.prose_seed = report.prose_key(odd.copies_other[(unit.name, year)], year)
            published = None if (unit.name, year) in odd.undated else \
                _published(rng, unit, year, (unit.name, year) in odd.late)
            report.published = published
            plans.append(_Plan(unit, year, published, report, rng.choice(sources)))
    return plans


def _attachment(plan: _Plan) -> tuple[bytes, str]:
    if plan.source == "pdf":
        return render_pdf(plan.report), "application/pdf"
    return render_docx(plan.report), "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


def _report_body(plan: _Plan, attachment_href: str | None, name: str) -> str:
    if plan.source == "html" or attachment_href is None:
        return plan.body_html
    return f'<p>{escape(plan.title)}详见附件。</p><p>附件：<a href="{escape(attachment_href)}">{escape(name)}</a></p>'


# --------------------------------------------------------------------------- styles


def build_hanweb(p: Portal, plans: list[_Plan], rng: random.Random) -> None:
    p.add("/", _page(f"{p.jurisdiction}人民政府", '<ul class="nav"><li><a href="/col/col100/index.html">政务公开</a></li>'
                                                 '<li><a href="/col/col101/index.html">新闻动态</a></li>'
                                                 '<li><a href="/col/col200/index.html">政府信息公开</a></li></ul>'))
    news = "".join(_list_item(f"/art/2024/3/{d}/art_101_{900 + d}.html", f"{p.jurisdiction}召开工作会议（{d}）", date(2024, 3, d))
                   for d in range(1, 20))
    p.add("/col/col101/index.html", _page("新闻动态", f"<ul>{news}</ul>"))
    for d in range(1, 20):
        p.add(f"/art/2024/3/{d}/art_101_{900 + d}.html", _page("新闻", "<div id='zoom'><p>会议内容。</p></div>"))
    p.add("/col/col100/index.html", _page("政务公开", '<a href="/col/col200/index.html">政府信息公开</a>'
                                                     '<a href="/col/col101/index.html">新闻动态</a>'))
    p.add("/col/col200/index.html", _page("政府信息公开", '<ul><li><a href="/col/col201/index.html">政府信息公开指南</a></li>'
                                                        '<li><a href="/col/col202/index.html">政府信息公开制度</a></li>'
                                                        '<li><a href="/col/col300/index.html">政府信息公开年报</a></li></ul>'))
    p.add("/col/col201/index.html", _page("政府信息公开指南", "<div id='zoom'><p>指南内容。</p></div>"))
    p.add("/col/col202/index.html", _page("政府信息公开制度", "<div id='zoom'><p>制度内容。</p></div>"))
    items: list[tuple[date, str, str]] = []
    for n, plan in enumerate(plans):
        when = plan.published or date(plan.year + 1, 2, 1)
        path = f"/art/{when.year}/{when.month}/{when.day}/art_300_{4130000 + n}.html"
        href = None
        if plan.source != "html":
            hexname = hashlib.md5(f"{p.key}{n}".encode()).hexdigest()
            href = f"/module/download/downfile.jsp?classid=0&filename={hexname}"
            data, ctype = _attachment(plan)
            ext = "pdf" if plan.source == "pdf" else "docx"
            disposition = f"attachment; filename*=UTF-8''{quote(plan.title)}.{ext}"
            p.add(href, data, ctype, headers={"Content-Disposition": disposition})
        p.add(path, _detail(p, plan.title, plan.unit.name, plan.published,
                            _report_body(plan, href, plan.title + ".pdf"), "hanweb"))
        items.append((when, path, plan.title))
        p.expected.append(Expected(path, plan.unit.name, plan.year, plan.unit.level, plan.published, plan.source,
                                   plan.title))
    for n, template in enumerate(LOOKALIKES):
        title = template.format(j=p.jurisdiction, y=2023, y1=2024)
        path = f"/art/2024/2/{n + 1}/art_300_{5000 + n}.html"
        p.add(path, _detail(p, title, f"{p.jurisdiction}人民政府办公室", date(2024, 2, n + 1), "<p>解读内容。</p>", "hanweb"))
        items.append((date(2024, 2, n + 1), path, title))
        p.lookalikes.append(path)
    items.sort(reverse=True)
    p._records = [_list_item(path, title, when) for when, path, title in items]
    per_page, group = 5, 3  # the first group (15 records) is inline; the rest need dataproxy POSTs
    first = "".join(f"<record><![CDATA[{r}]]></record>" for r in p._records[:per_page * group])
    body = (f'<div id="4130"><script type="text/xml"><datastore><nextgroup><![CDATA[<a href="/module/web/jpage/dataproxy.jsp?'
            f'page=1&webid=39&path=/&columnid=300&unitid=4130&webname=%E9%9D%92&permissiontype=0"></a>]]></nextgroup>'
            f"<recordset>{first}</recordset></datastore></script></div>"
            "<script>var param_4130 = {col:1, appid:1, webid:39, path:'/', columnid:300, sourceContentType:1, "
            f"unitid:'4130', webname:'{p.jurisdiction}人民政府', permissiontype:0}};"
            f"$('#4130').jpage({{dataStore: null, perPage: {per_page}, totalRecord: {len(p._records)}, groupSize: {group}, "
            "proxyUrl: '/module/web/jpage/dataproxy.jsp', ajaxParam: param_4130, showMode:'full'});</script>")
    p.add("/col/col300/index.html", _page("政府信息公开年报", body))


def build_trs(p: Portal, plans: list[_Plan], rng: random.Random) -> None:
    p.home = "/index.shtml"
    p.add("/", "<html><head><meta http-equiv=\"refresh\" content=\"0; url=/index.shtml\"></head><body></body></html>")
    p.add("/index.shtml", _page(f"{p.jurisdiction}人民政府", '<a href="/zwgk/index.shtml">政务公开</a>'
                                                         '<a href="/xwzx/index.shtml">新闻中心</a>', charset="gb2312"))
    p.add("/xwzx/index.shtml", _page("新闻中心", "<ul>" + "".join(
        _list_item(f"./202403/t202403{d:02d}_{d}.shtml", f"新闻{d}", date(2024, 3, d)) for d in range(1, 9)) + "</ul>",
        charset="gb2312"))
    p.add("/zwgk/index.shtml", _page("政务公开", '<a href="/zwgk/xxgk/index.shtml">政府信息公开</a>', charset="gb2312"))
    p.add("/zwgk/xxgk/index.shtml", _page("政府信息公开", '<a href="./zfxxgknb/index.shtml">政府信息公开年报</a>'
                                                       '<a href="./zcwj/index.shtml">政策文件</a>', charset="gb2312"))
    p.add("/zwgk/xxgk/zcwj/index.shtml", _page("政策文件", "<p>文件列表</p>", charset="gb2312"))
    subs = {"government": ("qzfnb", "区政府年报"), "department": ("bmnb", "部门年报"), "township": ("xzjdnb", "乡镇（街道）年报")}
    p.add("/zwgk/xxgk/zfxxgknb/index.shtml", _page("政府信息公开年报", "".join(
        f'<a href="./{slug}/index.shtml">{name}</a>' for slug, name in subs.values()), charset="gb2312"))
    by_sub: dict[str, list[tuple[date, str, str]]] = {slug: [] for slug, _ in subs.values()}
    for n, plan in enumerate(plans):
        slug = subs[plan.unit.level][0]
        when = plan.published or date(plan.year + 1, 2, 1)
        rel = f"./{when:%Y%m}/t{when:%Y%m%d}_{23490 + n}.shtml"
        base = f"/zwgk/xxgk/zfxxgknb/{slug}/"
        href = None
        if plan.source != "html":
            ext = "pdf" if plan.source == "pdf" else "docx"
            href = f"./P0{when:%Y%m%d}{600000 + n}.{ext}"
            data, ctype = _attachment(plan)
            p.add(base + f"{when:%Y%m}/" + href[2:], data, ctype)
        body = _report_body(plan, href, plan.title + (".pdf" if plan.source == "pdf" else ".docx"))
        if plan.unit.level == "department" and n % 3 == 0:
            body += "<p>（彭镕整理）</p>"  # 镕 exists in GBK, not in GB2312
        path = base + rel[2:]
        p.add(path, _detail(p, plan.title, plan.unit.name, plan.published, body, "trs"))
        by_sub[slug].append((when, rel, plan.title))
        p.expected.append(Expected(path, plan.unit.name, plan.year, plan.unit.level, plan.published, plan.source,
                                   plan.title))
    noise = [(date(2024, 2, 3), "./202402/t20240203_1.shtml", f"关于{p.jurisdiction}2023年政府信息公开工作年度报告的解读")]
    p.add("/zwgk/xxgk/zfxxgknb/qzfnb/202402/t20240203_1.shtml", _detail(p, noise[0][2], "区政府办", date(2024, 2, 3),
                                                                          "<p>解读。</p>", "trs"))
    p.lookalikes.append("/zwgk/xxgk/zfxxgknb/qzfnb/202402/t20240203_1.shtml")
    by_sub["qzfnb"] += noise
    for slug, name in subs.values():
        items = sorted(by_sub[slug], reverse=True)
        pages = [items[i:i + 6] for i in range(0, len(items), 6)] or [[]]
        for k, chunk in enumerate(pages):
            html = ("<ul class=\"list\">" + "".join(_list_item(r, t, w) for w, r, t in chunk) + "</ul>"
                    f'<div class="page"><script>createPageHTML({len(pages)}, {k}, "index", "shtml");</script></div>')
            p.add(f"/zwgk/xxgk/zfxxgknb/{slug}/index{'' if k == 0 else f'_{k}'}.shtml", _page(name, html, charset="gb2312"))


def build_static(p: Portal, plans: list[_Plan], rng: random.Random) -> None:
    p.home = "/portal/index.html"
    p.add("/", '<html><head><script>window.location.href="/portal/index.html";</script></head><body>正在跳转</body></html>')
    p.add("/robots.txt", "User-agent: *\nDisallow: /xxgk/ndbg/private/\n", "text/plain")
    p.forbidden.append("/xxgk/ndbg/private/")
    p.traps += ["/calendar/", "/search", "/xxgk/ndbg/list.html?date="]
    p.add("/portal/index.html", _page(f"{p.jurisdiction}人民政府", '<a href="/xxgk/index.html">信息公开</a>'
                                      '<a href="/calendar/2024-01-01.html">工作日历（含年报发布安排）</a>'
                                      '<a href="/search?q=%E5%B9%B4%E6%8A%A5&amp;page=1">搜索年报</a>', charset=None))
    p.add("/xxgk/index.html", _page("信息公开", '<a href="/xxgk/ndbg/list.html">政府信息公开工作年度报告</a>'
                                             '<a href="/xxgk/zcjd/list.html">政策解读</a>'
                                             '<a href="/calendar/2024-02-01.html">日历</a>', charset=None))
    p.add("/xxgk/zcjd/list.html", _page("政策解读", "<ul>" + _list_item("/xxgk/zcjd/1.html", "2023年政府信息公开工作年度报告解读",
                                                                       date(2024, 2, 2)) + "</ul>", charset=None))
    p.add("/xxgk/zcjd/1.html",
          _detail(p, "2023年政府信息公开工作年度报告解读", "县政府办", date(2024, 2, 2), "<p>解读。</p>", "static"))
    entries: list[tuple[date, str, str]] = []
    for n, plan in enumerate(plans):
        path = f"/xxgk/ndbg/{7000 + n}.html"
        href = None
        if plan.source != "html":
            href = f"/xxgk/ndbg/files/{7000 + n}.{'pdf' if plan.source == 'pdf' else 'docx'}"
            data, ctype = _attachment(plan)
            p.add(href, data, ctype)
        p.add(path, _detail(p, plan.title, plan.unit.name, plan.published, _report_body(plan, href, "附件"),
                            "static" if plan.published else "nometa"))
        entries.append((plan.published or date(1970, 1, 1), path, plan.title))
        p.expected.append(Expected(path, plan.unit.name, plan.year, plan.unit.level, plan.published, plan.source,
                                   plan.title))
    for n, template in enumerate(LOOKALIKES):
        title = template.format(j=p.jurisdiction, y=2023, y1=2024)
        path = f"/xxgk/ndbg/{8000 + n}.html"
        p.add(path, _detail(p, title, "县政府办", date(2024, 1, 5 + n), "<p>内容。</p>", "static"))
        entries.append((date(2024, 1, 5 + n), path, title))
        p.lookalikes.append(path)
    # a genuine report that robots.txt forbids: it must never be fetched
    entries.append((date(2024, 1, 9), "/xxgk/ndbg/private/1.html", f"{p.jurisdiction}档案馆2023年政府信息公开工作年度报告"))
    p.add("/xxgk/ndbg/private/1.html", _page("x", "<p>不应被抓取</p>", charset=None))
    entries.sort(reverse=True)
    pages = [entries[i:i + 8] for i in range(0, len(entries), 8)]
    calendar = "".join(f'<a href="?date=2024-01-{d:02d}">{d}</a>' for d in range(1, 8))
    for k, chunk in enumerate(pages):
        name = "list.html" if k == 0 else f"list_{k + 1}.html"
        nav = (f'<a href="list_{k + 2}.html">下一页</a>' if k + 1 < len(pages) else "") + \
              (f'<a href="{"list.html" if k == 1 else f"list_{k}.html"}">上一页</a>' if k else "")
        html = ("<ul>" + "".join(_list_item(h, t, w if w.year > 1970 else None) for w, h, t in chunk) + "</ul>"
                f'<div class="pager">{nav}</div><div class="calendar">{calendar}</div>')
        p.add(f"/xxgk/ndbg/{name}", _page("政府信息公开工作年度报告", html, charset=None), "text/html",
              fail_first=1 if k == 1 else 0)


def _standard_details(p: Portal, plans: list[_Plan], prefix: str, start: int) -> list[dict[str, str]]:
    items = []
    for n, plan in enumerate(plans):
        path = f"{prefix}{start + n}.html"
        href = None
        if plan.source != "html":
            href = f"{prefix}files/{start + n}.{'pdf' if plan.source == 'pdf' else 'docx'}"
            data, ctype = _attachment(plan)
            p.add(href, data, ctype)
        p.add(path, _detail(p, plan.title, plan.unit.name, plan.published, _report_body(plan, href, "附件"), "hanweb"))
        p.expected.append(Expected(path, plan.unit.name, plan.year, plan.unit.level, plan.published, plan.source,
                                   plan.title))
        items.append({"title": plan.title, "url": path,
                      "date": plan.published.isoformat() if plan.published else "", "source": plan.unit.name})
    return items


def build_jsapi(p: Portal, plans: list[_Plan], rng: random.Random) -> None:
    p.add("/", _page(f"{p.jurisdiction}人民政府", '<a href="/xxgk/">政府信息公开</a><a href="/news/">要闻</a>'))
    p.add("/news/", _page("要闻", "<p>要闻</p>"))
    p.add("/xxgk/", _page("政府信息公开", '<a href="/xxgk/nb/">政府信息公开年报</a><a href="/xxgk/zn/">公开指南</a>'))
    p.add("/xxgk/zn/", _page("公开指南", "<p>指南</p>"))
    items = _standard_details(p, plans, "/xxgk/nb/", 3000)
    noise = {"title": "关于2023年政府信息公开工作年度报告的解读", "url": "/xxgk/nb/9001.html", "date": "2024-02-02",
             "source": "区政府办"}
    p.add(noise["url"], _detail(p, noise["title"], "区政府办", date(2024, 2, 2), "<p>解读</p>", "hanweb"))
    p.lookalikes.append(noise["url"])
    p._api_items = sorted([*items, noise], key=lambda i: i["date"], reverse=True)
    script = ('var API = "/api/xxgk/nb";\nfunction load(p) { fetch(API + "?page=" + p + "&size=10")'
              '.then(function (r) { return r.json(); }).then(render); }\nload(1);')
    p.add("/xxgk/nb/", _page("政府信息公开年报", f'<ul id="list"></ul><div id="pager"></div><script>{script}</script>'))


def build_jsrender(p: Portal, plans: list[_Plan], rng: random.Random) -> None:
    p.add("/", _page(f"{p.jurisdiction}人民政府", '<a href="/xxgk/">政府信息公开</a>'))
    p.add("/xxgk/", _page("政府信息公开", '<a href="/xxgk/nb/">政府信息公开年报</a>'))
    items = _standard_details(p, plans, "/xxgk/nb/", 4000)
    blob = base64.b64encode(json.dumps([[i["url"], i["title"], i["date"]] for i in items]).encode()).decode()
    script = ("var d = JSON.parse(decodeURIComponent(escape(atob('" + blob + "'))));"
              "var ul = document.getElementById('app'); ul.innerHTML = '';"
              "d.forEach(function (x) { var li = document.createElement('li'); var a = document.createElement('a');"
              "a.href = x[0]; a.textContent = x[1]; li.appendChild(a); ul.appendChild(li); });")
    p.add("/static/app.js", script.encode(), "application/javascript")
    p.add("/xxgk/nb/", _page("政府信息公开年报", '<ul id="app"><li>加载中……</li></ul><script src="/static/app.js"></script>'))


def build_dept(p: Portal, plans: list[_Plan], rng: random.Random) -> None:
    p.add("/", _page(f"{p.jurisdiction}人民政府", '<a href="/xxgk/">信息公开</a>'))
    depts = [u for u in p.units if u.level == "department"]
    p.add("/xxgk/", _page("信息公开", '<a href="/xxgk/bm/">部门信息公开</a><a href="/xxgk/qzf/nb/">区政府年报</a>'))
    p.add("/xxgk/bm/", _page("部门信息公开", "".join(f'<a href="/xxgk/bm/{u.slug}/">{escape(u.short)}</a>' for u in depts)))
    by_unit: dict[str, list[_Plan]] = {}
    for plan in plans:
        by_unit.setdefault(plan.unit.slug, []).append(plan)
    start = 5000
    for unit in p.units:
        base = "/xxgk/qzf/nb/" if unit.level == "government" else f"/xxgk/bm/{unit.slug}/nb/"
        if unit.level == "township":
            continue
        if unit.level == "department":
            p.add(f"/xxgk/bm/{unit.slug}/", _page(unit.short, '<a href="nb/">政府信息公开年报</a><a href="zn/">公开指南</a>'
                                                          '<a href="jg/">机构职能</a>'))
        entries = []
        for plan in by_unit.get(unit.slug, []):
            path = f"{base}{start}.html"
            start += 1
            title = f"{plan.year}年政府信息公开工作年度报告"  # the agency is only in the column
            p.add(path, _detail(p, title, "本网", plan.published, plan.body_html, "hanweb"))
            entries.append(_list_item(path, title, plan.published, truncate=False))
            p.expected.append(Expected(path, plan.unit.name, plan.year, plan.unit.level, plan.published, "html", title))
        p.add(base, _page(f"{unit.short}政府信息公开年报", "<ul>" + "".join(entries) + "</ul>"))


def add_noise(p: Portal, pages: int) -> None:
    """The bulk of a real portal: news and policy pages a mirror crawler wades through."""
    per_page = 20
    lists = max(1, pages // (per_page + 1))
    for k in range(lists):
        items = "".join(_list_item(f"/news/{k}_{i}.html", f"{p.jurisdiction}召开专题会议部署第{k * per_page + i}项工作",
                                   date(2024, 1 + (i % 12), 1 + (k % 28))) for i in range(per_page))
        nav = (f'<a href="/news/list_{k + 1}.html">下一页</a>' if k + 1 < lists else "")
        p.add(f"/news/list_{k}.html", _page("新闻动态", f"<ul>{items}</ul>{nav}"))
        for i in range(per_page):
            p.add(f"/news/{k}_{i}.html", _page("新闻", f"<div id='zoom'><p>会议内容{k}-{i}。</p>"
                                                       f'<a href="/news/list_0.html">返回新闻列表</a></div>'))
    home = p.resources[p.home]
    home.body = home.body.replace(b"<body>", '<body><a href="/news/list_0.html">新闻动态</a>'.encode(p.encoding), 1)


BUILDERS = {"hanweb": build_hanweb, "trs": build_trs, "static": build_static, "jsapi": build_jsapi,
            "jsrender": build_jsrender, "dept": build_dept}


def make_portal(key: str, style: str, jurisdiction: str, years: list[int], seed: int, departments: int = 3,
                townships: int = 1, odd: Anomalies | None = None,
                sources: tuple[str, ...] = ("html", "html", "pdf", "docx"), seeds: bool = False) -> Portal:
    rng = random.Random(seed)
    odd = odd or Anomalies()
    portal = Portal(key, style, jurisdiction, encoding="gbk" if style == "trs" else "utf-8")
    portal.units = make_units(jurisdiction, departments, townships if style != "dept" else 0)
    portal.missing = list(odd.missing)
    portal.anomalies = odd
    if style in ("dept", "jsrender"):
        sources = ("html",)
    plans = _plans(rng, jurisdiction, portal.units, years, odd, sources)
    if seeds:
        seeded = _seed_plans(key, rng, jurisdiction)
        portal.units += [p.unit for p in seeded]
        plans += seeded
    BUILDERS[style](portal, plans, rng)
    return portal


def fixture_world() -> World:
    """The six-portal world of the tests and the demo, with known late, missing and undated reports."""
    years = [2021, 2022, 2023, 2024, 2025]
    return World([
        make_portal("qingchuan", "hanweb", "青川县", years, 1, departments=3, odd=Anomalies(
            late={("青川县民政局", 2025)}, missing=[("青川县财政局", 2025)], carry_mismatch={("青川县教育局", 2024)})),
        make_portal("wenfeng", "trs", "文峰区", years, 2, departments=2, seeds=True, odd=Anomalies(
            late={("文峰区人民政府", 2024)}, copies_other={("文峰区民政局", 2025): "文峰区教育局"})),
        make_portal("wenxian", "static", "温县", years, 3, departments=2, seeds=True, odd=Anomalies(
            undated={("温县教育局", 2024)}, missing=[("温县民政局", 2025)], copies_previous={("温县民政局", 2024)})),
        make_portal("xuecheng", "jsapi", "薛城区", years, 4, departments=2, seeds=True),
        make_portal("hongqi", "jsrender", "红旗区", [2023, 2024, 2025], 5, departments=2, townships=0, seeds=True),
        make_portal("dongcheng", "dept", "东城区", years, 6, departments=2),
    ])


_SYLLABLES = "安平宁江山河阳城丰华兴远德清明永福泰和新东西南北中金石云龙"


def county_name(i: int) -> str:
    """A unique, plausible county name for the i-th generated portal (安平区, 安宁县 …)."""
    n = len(_SYLLABLES)
    a, b, c = i % n, (i // n) % n, i // (n * n)
    name = _SYLLABLES[a] + _SYLLABLES[(a + b + 1) % n] + (_SYLLABLES[c % n] if c else "")
    return name + ("区" if i % 3 else "县")


def generated_world(n_portals: int, departments: int = 4, townships: int = 2, years: int = 3, seed: int = 0,
                    styles: tuple[str, ...] = ("hanweb", "trs", "static", "jsapi", "dept"),
                    noise_pages: int = 200) -> World:
    """A large world for benchmarks: N portals × M units × Y years, styles cycled, with news noise."""
    first = 2024 - years
    portals = []
    for i in range(n_portals):
        style = styles[i % len(styles)]
        portal = make_portal(f"p{i:04d}", style, county_name(i), list(range(first, 2024)), seed + i,
                             departments=departments, townships=townships)
        add_noise(portal, noise_pages)
        portals.append(portal)
    return World(portals)


def demo_registry(world: World):
    """Oversight offices for the demo: one per jurisdiction, and a city office watching them all."""
    from monitor.judge.registry import JurisdictionConfig, Office, Registry

    registry = Registry()
    for p in world.portals:
        registry.jurisdictions[p.jurisdiction] = JurisdictionConfig(p.jurisdiction, parent="演示市", portal=p.url)
        registry.offices.append(Office(f"{p.jurisdiction}政务公开办", [p.jurisdiction], [f"gongkai@{p.key}.example.gov.cn"]))
    registry.jurisdictions["演示市"] = JurisdictionConfig("演示市", level="city")
    registry.offices.append(Office("演示市政务公开办", ["演示市"], ["gongkai@city.example.gov.cn", "jiandu@city.example.gov.cn"]))
    return registry
