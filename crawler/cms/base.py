"""The interface every CMS family's list adapter implements, and the walk that proves a list complete.

A 年报 column is a *list*: a first page, and further pages or replies that a CMS reaches in its
own way (a POST range, ``page=N`` from a ``<nextgroup>`` href, ``index_k.html``, a JSON API …).
An adapter reads one page or reply and answers four things: the list's entries on it, the
follow-up requests that fetch more, the total the list states (records or pages), and whether
it ends here. The spider walks a list one request at a time, carrying a :class:`Walk` in the
request's meta, so the last reply knows everything that was found and can compare it with what
the list said it holds: a shortfall is recorded (``LIST_INCOMPLETE``), never silent.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from crawler.discovery import Link, canonical, extract_links, portal_key

MAX_LIST_PAGES = 300  # pages or replies per list walk: a bound on a list that never ends


@dataclass(frozen=True)
class Fetch:
    """One follow-up request of a list walk."""

    url: str
    method: str = "GET"
    form: tuple[tuple[str, str], ...] = ()
    headers: tuple[tuple[str, str], ...] = ()
    page: int = 0  # which page or group of the list this asks for (1-based); 0 when unknown
    reply: str = "html"  # how the adapter reads the answer: html | datastore | json

    @property
    def key(self) -> str:
        return f"{self.method} {self.url} {self.form}"


@dataclass
class ListPage:
    """What an adapter read from one page or reply of a list."""

    entries: list[Link]
    follow: list[Fetch] = field(default_factory=list)
    stated_records: int | None = None  # 共N条, totalRecord, <totalrecord>, a JSON total
    stated_pages: int | None = None  # 共N页, countPage, pageCount, totalpage
    gated: bool = False  # an empty recordset under a positive total: a permission-gated column
    blocked_next: bool = False  # a next-page control that no adapter could follow
    end: bool = False  # the reply says the list ends here (no record, a repeat of page 1)
    context: dict[str, str] = field(default_factory=dict)  # kept in the walk for the adapter's replies


class Adapter:
    """A CMS family's list reader. ``open`` recognises a column's first page (None: not ours);
    ``reply`` reads a follow-up answer. Both are pure functions of text."""

    name = "generic"

    def open(self, html: str, url: str, links: list[Link]) -> ListPage | None:
        raise NotImplementedError

    def reply(self, body: str, fetch: Fetch, walk: Walk) -> ListPage:
        raise NotImplementedError


@dataclass
class Walk:
    """A list walk in progress: travels in request meta, so any process may take the next step."""

    column: str  # the list's first page
    adapter: str
    portal: str = ""
    stated_records: int | None = None
    stated_pages: int | None = None
    entries: dict[str, None] = field(default_factory=dict)  # entry URLs in list order (dedupe)
    records: int = 0  # entries as listed, duplicates included
    pages: int = 1  # pages or replies read, the first page included
    pages_with_entries: int = 0
    pending: list[Fetch] = field(default_factory=list)
    asked: set[str] = field(default_factory=set)
    asked_urls: set[str] = field(default_factory=set)  # every URL the walk asked for (not entries)
    first_page: tuple[str, ...] = ()  # the first page's entries: a later page repeating them is no page
    stop: str = "end"  # end | empty | repeat | error | bound
    gated: bool = False
    blocked_next: bool = False
    browser: bool = False  # the browser fallback has paged this list
    errors: int = 0
    context: dict[str, str] = field(default_factory=dict)  # what an adapter keeps between replies

    def take(self, page: ListPage) -> list[str]:
        """Add one page's answer; returns the entry URLs new to this walk."""
        new = [link.url for link in page.entries if link.url not in self.entries]
        self.records += len(page.entries)
        if new:  # a page that only repeats what was seen (page 1 again) is not a page of the list
            self.pages_with_entries += 1
        for url in new:
            self.entries[url] = None
        if page.stated_records is not None and page.stated_records >= 0:
            self.stated_records = max(self.stated_records or 0, page.stated_records)
        if page.stated_pages is not None and page.stated_pages > 0:
            self.stated_pages = max(self.stated_pages or 0, page.stated_pages)
        self.gated = self.gated or page.gated
        self.blocked_next = self.blocked_next or page.blocked_next
        self.context.update(page.context)
        for fetch in page.follow:
            if fetch.key not in self.asked:
                self.asked.add(fetch.key)
                self.asked_urls.add(fetch.url)
                self.pending.append(fetch)
        return new

    def next_fetch(self) -> Fetch | None:
        if self.pages >= MAX_LIST_PAGES:
            if self.pending:
                self.stop = "bound"
            self.pending.clear()
            return None
        return self.pending.pop(0) if self.pending else None

    @property
    def found(self) -> int:
        return len(self.entries)

    @property
    def complete(self) -> bool | None:
        """True when what was found covers what the list states; None when it states nothing."""
        if self.stated_records is not None:
            if self.stated_records == 0:
                return True
            return self.found >= self.stated_records or (
                self.records >= self.stated_records and self.stop == "end")
        if self.stated_pages is not None:
            return self.pages_with_entries >= self.stated_pages
        if self.blocked_next or self.stop == "bound":
            return False
        return None

    @property
    def reason(self) -> str | None:
        """Why the list is incomplete, in words the operator reads."""
        if self.complete is not False:
            return None
        if self.gated and not self.entries:
            return "permission"  # the column answers with no record though it states a total
        if self.blocked_next and self.stated_records is None and self.stated_pages is None:
            return "unfollowable_pager"
        if self.stop == "bound":
            return "page_bound"
        return "shortfall"

    def result(self) -> dict:
        return {"column": self.column, "adapter": self.adapter, "stated": self.stated_records,
                "stated_pages": self.stated_pages, "found": self.found, "pages": self.pages,
                "complete": self.complete, "reason": self.reason, "stop": self.stop, "browser": self.browser}


# ----------------------------------------------------------------------------- shared readers

_DATE = re.compile(r"(19|20)\d{2}\s*[-/.年]\s*\d{1,2}\s*[-/.月]\s*\d{1,2}")
_ARTICLE_URL = re.compile(
    r"/art/|/t\d{8}_|post_\d+|/content/|/doc_|/info/\d+/\d+|/show/|/detail|/\d{6,}\.s?html?$|"
    r"art_\d+_\d+|/c0\d_\d+|wbnewsid=|/\d{4}/\d{2}/\d{2}/|/[0-9a-f]{24,32}\.s?html?$", re.I)
PAGER_WORDS = re.compile(r"^(首页|上一页|上页|下一页|下页|尾页|末页|最后一页|后页|前页|next|prev|previous|last|first|[<>«»‹›]+|"
                         r"\d{1,4}|\.\.\.|…)$", re.I)


def is_pager_link(link: Link) -> bool:
    return bool(PAGER_WORDS.match(link.text.strip()))


def entry_links(links: list[Link]) -> list[Link]:
    """The links of a list page that are its entries: dated items or article pages, not navigation."""
    out = []
    for link in links:
        text = link.text.strip()
        if not text or PAGER_WORDS.match(text) or len(text) < 4:
            continue
        if link.date or _ARTICLE_URL.search(urlsplit(link.url).path + "?" + urlsplit(link.url).query):
            out.append(link)
    return out


def fragment_links(fragment: str, base_url: str) -> list[Link]:
    """Links of an HTML fragment (a datastore record, a JSON list's html, a template)."""
    return extract_links(f"<html><body>{fragment}</body></html>", base_url)


def same_origin(url: str, page_url: str) -> bool:
    """A follow-up stays on the list's own host (portals.md: check before following)."""
    return urlsplit(url).scheme in ("http", "https") and portal_key(url) == portal_key(page_url)


def absolute(url: str, page_url: str) -> str:
    from urllib.parse import urljoin

    return canonical(urljoin(page_url, url))


_TOTAL_RECORDS = re.compile(r"共\s*(?:有\s*)?[:：]?\s*(\d{1,6})\s*(?:条|篇|项|个)(?:记录|信息|数据)?")
_TOTAL_PAGES = re.compile(r"共\s*[:：]?\s*(\d{1,5})\s*页|\d+\s*/\s*(\d{1,5})\s*页|页次\s*[:：]?\s*\d+\s*/\s*(\d{1,5})")


def text_totals(text: str) -> tuple[int | None, int | None]:
    """Totals a list states in words: 共N条 (records) and 共N页 / 1/N页 (pages)."""
    records = _TOTAL_RECORDS.search(text)
    pages = _TOTAL_PAGES.search(text)
    n_pages = next((int(g) for g in pages.groups() if g), None) if pages else None
    return (int(records.group(1)) if records else None), n_pages


_VAR_URL = re.compile(r"""var\s+(?:url|href|link|docurl)\s*=\s*["']([^"']+)["']\s*;?(.{0,400}?)"""
                      r"""var\s+(?:title|bt|doctitle|name)\s*=\s*["']([^"']+)["']""", re.S | re.I)
_TEMPLATE = re.compile(r"<script[^>]*type\s*=\s*[\"'](?:text/(?:html|template|x-template|tmpl))[\"'][^>]*>(.*?)</script>|"
                       r"<textarea[^>]*>(.*?)</textarea>|<template[^>]*>(.*?)</template>", re.S | re.I)
_WRITE = re.compile(r"""document\.write(?:ln)?\(\s*(["'])(.*?)\1\s*\)""", re.S)
_SCRIPT_DATE = re.compile(r"""(19|20)\d{2}[-/.]\d{1,2}[-/.]\d{1,2}""")


def script_links(html: str, base_url: str) -> list[Link]:
    """Entries a page's scripts write (``var url = …; var title = …; document.writeln``) or keep
    in a hidden template (``<script type="text/html">``, ``<textarea>``, ``<template>``)."""
    out: list[Link] = []
    for m in _VAR_URL.finditer(html):
        date = _SCRIPT_DATE.search(html, m.end(), m.end() + 400)
        out.append(Link(absolute(htmllib.unescape(m.group(1)), base_url), htmllib.unescape(m.group(3)).strip(),
                        date.group(0) if date else None))
    for m in _TEMPLATE.finditer(html):
        inner = next(g for g in m.groups() if g is not None)
        if "<a" in inner or "&lt;a" in inner:
            out += fragment_links(htmllib.unescape(inner) if "&lt;a" in inner else inner, base_url)
    for m in _WRITE.finditer(html):
        if "href" in m.group(2):
            out += fragment_links(m.group(2).replace("\\'", "'").replace('\\"', '"'), base_url)
    return [link for link in out if link.url.startswith(("http://", "https://"))]


# --------------------------------------------------------------------------- URLs built by scripts

_JS_VAR = re.compile(r"""(?:var|let|const)\s+([A-Za-z_$][\w$]*)\s*=\s*(?:(["'])(.*?)\2|(-?\d+))\s*[;,\n]""")
_JS_CALL = re.compile(r"""(?:\bfetch|\.load|\.get|\.post|\.getJSON|\.ajax|\.open)\s*\(\s*(?:["'](?:GET|POST)["']\s*,\s*)?|"""
                      r"""\burl\s*:\s*""", re.I)
_JS_TOKEN = re.compile(r"""\s*(?:(["'])(.*?)\1|([A-Za-z_$][\w$.]*)|\(\s*([^()]{0,80})\s*\))""", re.S)
PAGE_PARAMS = re.compile(r"^(page|pageNo|pageNum|pageIndex|pageNumber|currentPage|current|curPage|currpage|p|pn)$", re.I)
HOLE = "\x00"


def _js_vars(script: str) -> dict[str, str]:
    return {m.group(1): m.group(3) if m.group(3) is not None else m.group(4) for m in _JS_VAR.finditer(script)}


def _js_concat(script: str, pos: int, names: dict[str, str]) -> str:
    """The string a ``"…" + name + "…"`` expression at ``pos`` builds; unknown names become holes."""
    out = []
    for _ in range(40):
        m = _JS_TOKEN.match(script, pos)
        if not m:
            break
        if m.group(1):
            out.append(m.group(2))
        elif m.group(3):
            name = m.group(3)
            out.append(names.get(name, HOLE + name + HOLE))
        else:
            out.append(HOLE + "expr" + HOLE)
        pos = m.end()
        plus = re.match(r"\s*\+", script[pos:pos + 10])
        if not plus:
            break
        pos += plus.end()
    return "".join(out)


def script_urls(html: str, base_url: str) -> list[tuple[str, str | None]]:
    """Same-origin URLs that a page's scripts request (``fetch(api + "?page=" + n)``, ``$.load``,
    ``url: …``), each with the query parameter that carries the page number (None if none)."""
    scripts = " ".join(re.findall(r"<script[^>]*>(.*?)</script>", html, re.S | re.I))
    names = _js_vars(scripts)
    out: dict[str, str | None] = {}
    for m in _JS_CALL.finditer(scripts):
        built = _js_concat(scripts, m.end(), names)
        if "/" not in built or (built.startswith(HOLE) and "?" not in built):
            continue
        path, _, query = built.partition("?")
        if HOLE in path or not path.strip():
            continue
        params, page_param = [], None
        for pair in query.split("&"):
            key, _, value = pair.partition("=")
            if not key:
                continue
            if HOLE in value:
                if PAGE_PARAMS.match(key) and page_param is None:
                    page_param = key
                    params.append((key, "1"))
                continue  # an unknown value (a size the script computes): leave it to the server
            params.append((key, value))
        from urllib.parse import urlencode

        url = absolute(path + ("?" + urlencode(params) if params else ""), base_url)
        if same_origin(url, base_url) and not re.search(r"\.(js|css|png|jpe?g|gif)$", path, re.I):
            out.setdefault(url, page_param)
    return list(out.items())
