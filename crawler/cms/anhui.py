"""Anhui provincial intensive platform lists (portals.md §3.5).

A column page ``/public/column/{organId}?…&catId=…`` states ``pageCount:N`` and loads its list
from the "label" endpoint ``/site/label/8888?…labelName=publicInfoList…&pageIndex=n``, an HTML
fragment. The label request is read from the page's script — as a URL literal or as the
``data`` object beside it — and asked for once per page.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit

from crawler.cms.base import Adapter, Fetch, ListPage, Walk, absolute, entry_links, fragment_links, script_urls
from crawler.discovery import Link

_LABEL = re.compile(r"""(/site/label/\d+[^"'\s<>)]*)""")
_PAGE_COUNT = re.compile(r"""pageCount\s*[:=]\s*['"]?(\d+)""")
_OBJ = re.compile(r"""data\s*:\s*\{(.*?)\}""", re.S)
_KV = re.compile(r"""['"]?(\w+)['"]?\s*:\s*(?:'([^']*)'|"([^"]*)"|(-?\d+|true|false))""")


def label_request(html: str, url: str) -> tuple[str, dict[str, str]] | None:
    for built, _param in script_urls(html, url):
        if "/site/label/" in built:
            parts = urlsplit(built)
            return absolute(parts.path, url), dict(parse_qsl(parts.query, keep_blank_values=True))
    m = _LABEL.search(html)
    if not m:
        return None
    parts = urlsplit(m.group(1))
    params = dict(parse_qsl(parts.query.replace("&amp;", "&"), keep_blank_values=True))
    obj = _OBJ.search(html, m.end(), m.end() + 3000)
    if obj:
        for kv in _KV.finditer(obj.group(1)):
            params.setdefault(kv.group(1), next(v for v in kv.groups()[1:] if v is not None))
    query = dict(parse_qsl(urlsplit(url).query))
    for key in ("organId", "catId", "type", "action"):
        if key in query:
            params.setdefault(key, query[key])
    params.setdefault("labelName", "publicInfoList")
    params.setdefault("IsAjax", "1")
    params.setdefault("dataType", "html")
    return absolute(parts.path, url), params


class Anhui(Adapter):
    name = "anhui"

    def open(self, html: str, url: str, links: list[Link]) -> ListPage | None:
        found = label_request(html, url)
        if found is None:
            return None
        endpoint, params = found
        count = _PAGE_COUNT.search(html)
        pages = int(count.group(1)) if count else None
        follow = [self._fetch(endpoint, params, n, url) for n in range(1, (pages or 1) + 1)]
        return ListPage(entry_links(links), follow, stated_pages=pages)

    def _fetch(self, endpoint: str, params: dict[str, str], n: int, referer: str) -> Fetch:
        return Fetch(f"{endpoint}?{urlencode({**params, 'pageIndex': n})}", headers=(("Referer", referer),), page=n)

    def reply(self, body: str, fetch: Fetch, walk: Walk) -> ListPage:
        entries = entry_links(fragment_links(body, fetch.url))
        count = _PAGE_COUNT.search(body)
        page = ListPage(entries, stated_pages=int(count.group(1)) if count else None)
        if walk.stated_pages is None and entries and not any(e.url in walk.entries for e in entries):
            page.follow = [Fetch(re.sub(r"pageIndex=\d+", f"pageIndex={fetch.page + 1}", fetch.url),
                                 headers=fetch.headers, page=fetch.page + 1)]
        return page
