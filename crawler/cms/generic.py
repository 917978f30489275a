"""Lists of no particular CMS (portals.md §8 "Generic"), and JSON list APIs.

Pages are reached by 下一页/尾页 links, numbered links, or a page parameter in the URL
(``?page=``, ``pageNo=``, ``pageIndex=``, ``pageNum=``, ``PAGENUM=``, ``currpage=``, ``index_N``,
``list_N``, ``/N.htm``); when the page states how many pages there are (共N页, ``totalpage=N``, a
尾页 link) every page is asked for from the pattern of one page link, else the walk follows the
pager page by page. A pager kept base64-encoded for ``window.atob`` is decoded. A next-page
control that only a script can follow (``onclick``, ``javascript:`` calls) is reported as such,
so the spider can hand the list to the browser.
"""

from __future__ import annotations

import base64
import binascii
import re
from urllib.parse import parse_qsl, unquote, urlencode, urlsplit, urlunsplit

import lxml.html

from crawler.cms.base import Adapter, Fetch, ListPage, Walk, absolute, entry_links, script_links, script_urls, text_totals
from crawler.discovery import NEXT_PAGE, Link, api_guesses, extract_links, json_links, pagination
from monitor.report.textutil import collapse_spaces, compact

# a page number in a URL: the query parameter, or the file name's numeric tail
_PAGE_IN_URL = re.compile(
    r"(?P<pre>[?&](?:page|pageNo|pageNum|pageIndex|currpage|currentPage|PAGENUM|p|pn|curPage)=)(?P<n>\d+)|"
    r"(?P<pre2>(?:index|list|default|[a-z]+)[_-])(?P<n2>\d+)(?=\.s?html?$)|(?P<pre3>/)(?P<n3>\d{1,4})(?=\.s?html?$)",
    re.I)
_TOTAL_PAGE_PARAM = re.compile(r"[?&](?:totalpage|totalPage|pagecount|pageCount)=(\d+)", re.I)
_B64 = re.compile(r"""atob\(\s*["']([A-Za-z0-9+/=]{16,})["']\s*\)|["']([A-Za-z0-9+/]{40,}={0,2})["']""")
_LAST = ("尾页", "末页", "最后一页", "last")
MAX_GENERATED = 300


def _template(url: str) -> tuple[str, int] | None:
    """``(URL with {n} in place of its page number, that number)`` for a page link."""
    path_query = url
    matches = list(_PAGE_IN_URL.finditer(path_query))
    if not matches:
        return None
    m = matches[-1]
    n = int(m.group("n") or m.group("n2") or m.group("n3"))
    start, end = (m.start("n"), m.end("n")) if m.group("n") else \
        (m.start("n2"), m.end("n2")) if m.group("n2") else (m.start("n3"), m.end("n3"))
    return path_query[:start] + "{n}" + path_query[end:], n


def decoded_pager_links(html: str, base_url: str) -> list[Link]:
    """Links of a pager kept base64-encoded (URL-quoted HTML) for ``window.atob``."""
    out: list[Link] = []
    for m in _B64.finditer(html):
        raw = m.group(1) or m.group(2)
        try:
            text = unquote(base64.b64decode(raw + "=" * (-len(raw) % 4)).decode("utf-8"))
        except (binascii.Error, UnicodeDecodeError, ValueError):
            continue
        if "href" in text:
            out += extract_links(f"<html><body>{text}</body></html>", base_url)
    return out


def blocked_next(html: str) -> bool:
    """Whether the page shows a next-page control that only a script can follow."""
    if not re.search(r"下一页|下页|next|›|&gt;", html, re.I):
        return False
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return False
    for el in root.iter("a", "button", "span", "li", "input", "div"):
        text = compact(el.text_content() if el.tag != "input" else (el.get("value") or ""))
        if not NEXT_PAGE.match(text) and not (el.tag in ("a", "button") and "next" in (el.get("class") or "").lower()
                                               and len(text) <= 4):
            continue
        if re.search(r"disabled|disable|\bno\b|unable", el.get("class") or "", re.I) or el.get("disabled") is not None:
            continue
        href = (el.get("href") or "").strip().lower()
        script = el.get("onclick") or (href[len("javascript:"):] if href.startswith("javascript:") else "")
        if script and re.search(r"\w\s*\(", re.sub(r"void\s*\(\s*0?\s*\)", "", script)):
            return True
    return False


def _visible_text(html: str) -> str:
    text = re.sub(r"<script.*?</script>|<style.*?</style>", " ", html, flags=re.S | re.I)
    return collapse_spaces(re.sub(r"<[^>]+>", " ", text))


def _same_list(url: str, page_url: str) -> bool:
    a, b = urlsplit(url), urlsplit(page_url)
    return a.netloc.lower() == b.netloc.lower()


class Generic(Adapter):
    name = "generic"

    def open(self, html: str, url: str, links: list[Link]) -> ListPage:
        return self._read(html, url, links, first=True, walk=None)

    def reply(self, body: str, fetch: Fetch, walk: Walk) -> ListPage:
        return self._read(body, fetch.url, extract_links(body, fetch.url), first=False, walk=walk)

    def _read(self, html: str, url: str, links: list[Link], first: bool, walk: Walk | None) -> ListPage:
        entries = entry_links(links + script_links(html, url))
        records, pages = text_totals(_visible_text(html))
        pager_links = [link for link in pagination(links + decoded_pager_links(html, url), url)
                       if _same_list(link.url, url) and link.url != url]
        for link in links:
            m = _TOTAL_PAGE_PARAM.search(link.url)
            if m and _template(link.url):
                pages = max(pages or 0, int(m.group(1)))
        page = ListPage(entries, stated_records=records, stated_pages=pages)
        if walk is not None and entries and all(e.url in walk.entries for e in entries):
            page.end = True  # the same entries again: the pager went round (or ?pageNum= is ignored)
            page.entries = []
            return page
        generated = self._generate(pager_links, pages, url)
        follow = generated or [Fetch(link.url) for link in pager_links]
        page.follow = follow
        if first and not follow and blocked_next(html):
            page.blocked_next = True
        return page

    def _generate(self, pager_links: list[Link], stated_pages: int | None, url: str) -> list[Fetch]:
        """Every page up to the last, from the pattern of the page links, when the last is known
        (a 尾页 link, or the pages the list states)."""
        numbered: dict[str, list[tuple[int, Link]]] = {}
        for link in pager_links:
            t = _template(link.url)
            if t is not None:
                numbered.setdefault(t[0], []).append((t[1], link))
        if not numbered:
            return []
        pattern, seen = max(numbered.items(), key=lambda kv: len(kv[1]))
        numbers = [n for n, _ in seen]
        zero_based = min(numbers) == 1 and _template(url) is None  # index_1 is the second page
        last_link = max((n for n, link in seen if compact(link.text).lower() in _LAST), default=None)
        if last_link is not None:
            upper = last_link
        elif stated_pages:
            upper = stated_pages - 1 if zero_based else stated_pages
        else:
            return []
        upper = max(upper, max(numbers))
        lower = min(numbers)
        return [Fetch(pattern.format(n=k), page=k + (1 if zero_based else 0))
                for k in range(lower, min(upper, lower + MAX_GENERATED) + 1) if pattern.format(n=k) != url]


class JsonApi(Adapter):
    """A list filled from a JSON API named in the page's script (the XHR the page makes)."""

    name = "json-api"

    def open(self, html: str, url: str, links: list[Link]) -> ListPage | None:
        if entry_links(links):
            return None
        built = [(u, param) for u, param in script_urls(html, url) if param]
        if built:
            return ListPage([], follow=[Fetch(u, page=1, reply="json") for u, _ in built[:3]],
                            context={"page_param": built[0][1] or "page"})
        guesses = api_guesses(html, url)
        if not guesses:
            return None
        return ListPage([], follow=[Fetch(g.page(1), page=1, reply="json") for g in guesses[:3]],
                        context={"page_param": guesses[0].page_param})

    def reply(self, body: str, fetch: Fetch, walk: Walk) -> ListPage:
        links, total = json_links(body, fetch.url)
        page = ListPage(links, stated_records=total)
        new = [link for link in links if link.url not in walk.entries]
        if new and (total is None or fetch.page * len(links) < total):
            parts = urlsplit(fetch.url)
            query = dict(parse_qsl(parts.query, keep_blank_values=True))
            query[walk.context.get("page_param", "page")] = str(fetch.page + 1)
            nxt = urlunsplit((parts.scheme, parts.netloc, parts.path, urlencode(query), ""))
            if nxt != fetch.url:
                page.follow = [Fetch(absolute(nxt, fetch.url), page=fetch.page + 1, reply="json")]
        else:
            page.end = True
        return page
