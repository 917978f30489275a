"""Where the 年报 are: pure functions that read a page and say which links lead there.

A guided crawl, not a mirror: from the home page we follow only links toward the 信息公开 area,
its 年报 column(s), their per-year and per-unit sub-columns, their pagination, and the report
entries themselves. CMS quirks (Hanweb datastores, TRS ``createPageHTML``, JSON list APIs,
JavaScript redirects) are decoded here and, for lists, in :mod:`crawler.cms` (one module per CMS
family), so the spider stays a thin loop over these answers.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import lxml.html

from monitor.report.classify import looks_like_report_link
from monitor.report.identity import AGENCY_SUFFIX
from monitor.report.textutil import collapse_spaces, compact

PageKind = Literal["home", "nav", "area", "deptindex", "dept", "column", "detail", "attachment"]

AREA_WORDS = ("政府信息公开", "信息公开", "政务公开", "公开目录", "法定主动公开", "政府公开")
DEPT_INDEX_WORDS = ("部门信息公开", "部门公开", "部门目录", "部门", "乡镇信息公开", "乡镇（街道）", "乡镇(街道)",
                    "街道信息公开", "机构目录", "单位目录")
COLUMN_WORDS = ("年报", "年度报告", "工作年度报告")
COLUMN_URL = re.compile(r"(zfxxgknb|xxgknb|zfxxgkndbg|ndbg|gknb|ndxxgkbg|annual_?report|xxgkannualreport|/nb/|/nb\d*/|"
                        r"\d{4}nb/|\d{4}n/)", re.I)
AREA_URL = re.compile(r"(xxgk|zwgk|gkml|zfxxgk|openness|/public/|fdzdgknr)", re.I)
# a department's column is named as its unit is: the agency suffixes the judge knows (局, 馆, 社, 会 …)
UNIT_NAME = AGENCY_SUFFIX
YEAR_COLUMN = re.compile(r"^(19|20)\d{2}\s*(年|年度)?\s*(年报|年度报告)?$")
SUBCOLUMN_WORDS = ("部门", "乡镇", "街道", "区政府", "县政府", "本级", "政府办", "单位")
# Search boxes, calendars and feedback forms mention 年报 too; they never list reports.
NOT_COLUMN_WORDS = ("搜索", "检索", "查询", "日历", "留言", "订阅", "登录", "解读")
NOT_COLUMN_URL = re.compile(r"(search|query|calendar|login|rss)", re.I)
NEXT_PAGE = re.compile(r"^(下一页|下页|后页|后一页|next|›|»|>)$", re.I)
PAGE_URL = re.compile(r"(index|list|default|[a-z]+)[_-]\d+\.\w+$|[?&](page|pageNum|pageNo|pageIndex|currpage|PAGENUM|"
                      r"currentPage|curPage|pn|p)=\d+|"
                      r"/\d{1,3}\.s?html?$", re.I)
DATE_IN_URL = re.compile(r"\d{4}-\d{1,2}-\d{1,2}|date=")
SKIP_SCHEMES = ("javascript:", "mailto:", "tel:", "#", "data:")
DOCUMENT_EXT = re.compile(r"\.(pdf|docx?|wps|ofd|xlsx?|zip|rar|jpe?g|png|gif)$", re.I)


@dataclass(frozen=True)
class Link:
    url: str
    text: str  # the fullest text: title attribute when the visible text is truncated
    date: str | None = None


def _link_text(a: lxml.html.HtmlElement) -> str:
    visible = collapse_spaces(a.text_content())
    title = collapse_spaces(a.get("title") or "")
    if title and (len(title) >= len(visible) or visible.endswith(("...", "…"))):
        return title
    return visible or title


def _nearby_date(a: lxml.html.HtmlElement) -> str | None:
    parent = a.getparent()
    if parent is None:
        return None
    text = collapse_spaces(parent.text_content())
    m = re.search(r"(19|20)\d{2}[-/.年]\d{1,2}[-/.月]\d{1,2}", text)
    return m.group(0) if m else None


def canonical(url: str) -> str:
    """URL identity: fragment dropped, host lower-cased; the query string is kept (it selects units).

    A gkmlpt address keeps its numeric fragment: ``annualreport#2629`` names the category."""
    parts = urlsplit(url)
    keep = parts.fragment if parts.fragment.isdigit() and "/gkmlpt/" in parts.path else ""
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path or "/", parts.query, keep))


def extract_links(html: str, base_url: str) -> list[Link]:
    if not html.strip():
        return []
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return []
    base = root.find(".//base")
    if base is not None and base.get("href"):
        base_url = urljoin(base_url, base.get("href"))
    out: dict[str, Link] = {}
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.lower().startswith(SKIP_SCHEMES):
            continue
        url = canonical(urljoin(base_url, href))
        if not url.startswith(("http://", "https://")):
            continue
        link = Link(url, _link_text(a), _nearby_date(a))
        if url not in out or len(link.text) > len(out[url].text):
            out[url] = link
    return list(out.values())


def portal_key(url: str) -> str:
    """The host a portal answers on: host:port, lower-cased, ``www.`` dropped (``www.x.gov.cn``
    and ``x.gov.cn`` are one server). Download slots and politeness go by it."""
    netloc = urlsplit(url).netloc.lower()
    return netloc[4:] if netloc.startswith("www.") else netloc


def portal_prefix(url: str) -> str:
    """The path a configured portal covers: its URL's directory (``/a/`` for ``http://h/a/``).
    County subsites under one city host are separate portals, told apart by this prefix."""
    path = urlsplit(url).path or "/"
    return path if path.endswith("/") else path.rsplit("/", 1)[0] + "/"


def portal_identity(url: str) -> str:
    """A configured portal's key in the crawl state and the fleet: host key and path prefix."""
    prefix = portal_prefix(url)
    return portal_key(url) + ("" if prefix == "/" else prefix)


def same_site(url: str, portal_url: str) -> bool:
    return portal_key(url) == portal_key(portal_url)


def classify_link(link: Link, page_kind: PageKind) -> PageKind | None:
    """What following this link from a page of ``page_kind`` leads to, or None to leave it."""
    text = compact(link.text)
    path = urlsplit(link.url).path + ("?" + urlsplit(link.url).query if urlsplit(link.url).query else "")
    if DOCUMENT_EXT.search(urlsplit(link.url).path):
        return None  # documents are fetched from report pages only
    if text and (looks_like_report_link(text)):
        return "detail"
    if re.search(r"(19|20)\d{2}", text) and not YEAR_COLUMN.match(text):
        return None  # a dated title that is not a report: a look-alike document, not a column
    if any(w in text for w in NOT_COLUMN_WORDS) or NOT_COLUMN_URL.search(path):
        return None
    is_column = any(w in text for w in COLUMN_WORDS) or (bool(COLUMN_URL.search(path)) and len(text) <= 20)
    if is_column and len(text) <= 30 and not DATE_IN_URL.search(path):
        return "column"
    if page_kind in ("column",):
        if YEAR_COLUMN.match(text) or (len(text) <= 20 and ((len(text) >= 3 and UNIT_NAME.search(text)) or
                                                          any(w in text for w in SUBCOLUMN_WORDS))):
            return "column"
        return None
    if page_kind == "deptindex" and 3 <= len(text) <= 20 and UNIT_NAME.search(text):
        return "dept"
    if page_kind in ("home", "nav", "area"):
        if any(w in text for w in DEPT_INDEX_WORDS) and len(text) <= 12 and page_kind == "area":
            return "deptindex"
        if any(w in text for w in AREA_WORDS) and len(text) <= 12:
            return "area"
        if page_kind != "area" and AREA_URL.search(path) and 2 <= len(text) <= 8 and not DATE_IN_URL.search(path):
            return "nav"
    return None


def pagination(links: list[Link], page_url: str) -> list[Link]:
    """Next-page and numbered-page links of a list page (calendar-like date links excluded)."""
    out = []
    for link in links:
        text = compact(link.text)
        if DATE_IN_URL.search(link.url):
            continue
        numbered = text.isdigit() and len(text) <= 3 and PAGE_URL.search(link.url)
        if NEXT_PAGE.match(text) or text in ("尾页", "末页", "最后一页") or numbered:
            out.append(link)
    return out


# --------------------------------------------------------------------------- CMS quirks

_JS_REDIRECT = re.compile(
    r"""(?:window\.|self\.|top\.|document\.)?location(?:\.href)?\s*=\s*["']([^"']+)["']|location\.replace\(\s*["']([^"']+)["']""")


def js_redirect(html: str) -> str | None:
    """The target of a ``location.href = "…"`` redirect on an otherwise empty page."""
    if len(html) > 4000:
        return None
    m = _JS_REDIRECT.search(html)
    if not m:
        return None
    return m.group(1) or m.group(2)


# --------------------------------------------------------------------------- JSON list APIs

_API_LITERAL = re.compile(r"""["'](/[^"'\s<>]*(?:api|json|list|data|query)[^"'\s<>]*)["']""", re.I)
_PAGE_PARAM = re.compile(r"""[?&](page|pageNo|pageNum|pageIndex|currentPage|current|p)=["']\s*\+""", re.I)
_FIXED_PARAMS = re.compile(r"""[?&](size|pageSize|rows|limit|perPage)=(\d+)""", re.I)


@dataclass(frozen=True)
class ApiGuess:
    url: str
    page_param: str
    fixed: tuple[tuple[str, str], ...]

    def page(self, n: int) -> str:
        parts = urlsplit(self.url)
        query = dict(parse_qsl(parts.query))
        query.update(dict(self.fixed))
        query[self.page_param] = str(n)
        return urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))


def api_guesses(html: str, page_url: str) -> list[ApiGuess]:
    """JSON list endpoints named in a page's inline scripts (the XHR a list page makes)."""
    scripts = " ".join(re.findall(r"<script[^>]*>(.*?)</script>", html, re.S | re.I))
    out = []
    page_param = (_PAGE_PARAM.search(scripts).group(1) if _PAGE_PARAM.search(scripts) else "page")
    fixed = tuple((k, v) for k, v in _FIXED_PARAMS.findall(scripts))
    for literal in dict.fromkeys(_API_LITERAL.findall(scripts)):
        if DOCUMENT_EXT.search(literal) or literal.endswith((".js", ".css")):
            continue
        out.append(ApiGuess(canonical(urljoin(page_url, literal)), page_param, fixed))
    return out


TITLE_KEYS = ("title", "name", "bt", "docTitle", "wzbt", "subject", "DOCTITLE", "articleTitle")
URL_KEYS = ("url", "link", "href", "docUrl", "post_url", "path", "DOCPUBURL", "articleUrl")
DATE_KEYS = ("date", "pubDate", "publishTime", "publish_time", "display_publish_time", "created_at", "time",
             "fbrq", "DOCRELTIME", "releaseTime")


def _find_list(data: Any) -> list[dict] | None:
    if isinstance(data, list) and data and all(isinstance(x, dict) for x in data) \
            and any(any(k in x for k in TITLE_KEYS) for x in data):
        return data
    if isinstance(data, dict):
        for value in data.values():
            found = _find_list(value)
            if found is not None:
                return found
    return None


def json_links(payload: str | bytes, base_url: str) -> tuple[list[Link], int | None]:
    """Items of a JSON list response and the total number of items it reports, if any."""
    try:
        data = json.loads(payload)
    except (ValueError, TypeError):
        return [], None
    items = _find_list(data) or []
    links = []
    for item in items:
        title = next((str(item[k]) for k in TITLE_KEYS if item.get(k)), "")
        url = next((str(item[k]) for k in URL_KEYS if item.get(k)), "")
        when = next((str(item[k]) for k in DATE_KEYS if item.get(k)), None)
        if title and url:
            links.append(Link(canonical(urljoin(base_url, url)), collapse_spaces(title), when))
    total = None
    if isinstance(data, dict):
        for key in ("total", "totalCount", "totalRecord", "count", "totalElements", "recordCount"):
            value = data.get(key) if key in data else (data.get("data") or {}).get(key) \
                if isinstance(data.get("data"), dict) else None
            if isinstance(value, int):
                total = value
                break
    return links, total


def looks_js_only(html: str) -> bool:
    """A list page whose entries only a browser will see: scripts, and an empty or loading list."""
    if "<script" not in html.lower():
        return False
    return bool(re.search(r"加载中|loading|id=[\"'](app|list|root)[\"']", html, re.I))
