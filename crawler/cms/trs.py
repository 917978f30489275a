"""拓尔思 TRS WCM lists (portals.md §2.2–2.3).

The first page is server-rendered; a script writes the pager from ``createPageHTML(…)`` with 4,
5 or 6 arguments — ``(count, current, prefix, ext)``, ``('div', count, current, prefix, ext)``,
``(count, current, prefix, ext, total)``, ``('div', count, current, prefix, ext, total)`` — or
from ``var countPage = N``. Pages are 0-based: ``index.html``, ``index_1.html`` … (``.shtml``,
other prefixes such as ``fg``). A page past the end is a 404 or a repeat of page 1; both end the
walk. Lists written by script (``var url/title``, ``document.writeln``) or kept in a hidden
template are read from the page itself.
"""

from __future__ import annotations

import re
from urllib.parse import urljoin

from crawler.cms.base import Adapter, Fetch, ListPage, Walk, canonical, entry_links, script_links
from crawler.discovery import Link, extract_links

_CALL = re.compile(r"createPageHTML\s*\((.*?)\)\s*;?", re.S)
_ARG = re.compile(r"""\s*(?:'([^']*)'|"([^"]*)"|(-?\d+)|([A-Za-z_$][\w$]*))\s*(?:,|$)""")
_VAR_INT = r"var\s+{name}\s*=\s*['\"]?(\d+)"
MAX_PAGES = 500


def _args(raw: str, html: str) -> list[str | int]:
    out: list[str | int] = []
    for m in _ARG.finditer(raw.strip()):
        single, double, number, name = m.groups()
        if number is not None:
            out.append(int(number))
        elif name is not None:
            value = re.search(_VAR_INT.format(name=re.escape(name)), html)
            out.append(int(value.group(1)) if value else name)
        else:
            out.append(single if single is not None else double or "")
    return out


def pager(html: str) -> tuple[int, str, str, int | None] | None:
    """(page count, prefix, extension, stated records) from the page's pager script."""
    for m in _CALL.finditer(html):  # the first call that parses (not the function's definition)
        args = _args(m.group(1), html)
        if args and isinstance(args[0], str) and len(args) >= 5:
            args = args[1:]  # a container id first
        ints = [a for a in args[:2] if isinstance(a, int)]
        strs = [a for a in args[2:4] if isinstance(a, str)]
        if len(ints) == 2 and len(strs) == 2:
            total = args[4] if len(args) > 4 and isinstance(args[4], int) else None
            return ints[0], strs[0] or "index", strs[1] or "html", total
        continue
    count = re.search(_VAR_INT.format(name="countPage"), html)
    if count:
        ext = re.search(r"""var\s+(?:ext|suffix)\s*=\s*['"](\w+)['"]""", html)
        prefix = re.search(r"""var\s+(?:prefix|pageName)\s*=\s*['"](\w+)['"]""", html)
        return int(count.group(1)), prefix.group(1) if prefix else "index", ext.group(1) if ext else "html", None
    return None


def page_urls(count: int, prefix: str, ext: str, page_url: str) -> list[str]:
    return [canonical(urljoin(page_url, f"{prefix}.{ext}" if k == 0 else f"{prefix}_{k}.{ext}"))
            for k in range(min(count, MAX_PAGES))]


class Trs(Adapter):
    name = "trs"

    def open(self, html: str, url: str, links: list[Link]) -> ListPage | None:
        found = pager(html)
        written = script_links(html, url)
        if found is None and not written:
            return None
        entries = entry_links(links + written)
        if found is None:
            return ListPage(entries)
        count, prefix, ext, total = found
        follow = [Fetch(u, page=k + 1) for k, u in enumerate(page_urls(count, prefix, ext, url)) if u != url and k]
        return ListPage(entries, follow, stated_records=total, stated_pages=count)

    def reply(self, body: str, fetch: Fetch, walk: Walk) -> ListPage:
        links = extract_links(body, fetch.url) + script_links(body, fetch.url)
        entries = entry_links(links)
        if entries and all(e.url in walk.first_page for e in entries):
            return ListPage([], end=True)  # a repeat of page 1: past the last page
        return ListPage(entries)
