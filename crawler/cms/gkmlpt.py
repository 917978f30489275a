"""Guangdong 政府信息公开目录管理平台 ``gkmlpt`` (portals.md §3.1).

The index page is a Vue shell whose ``window._CONFIG`` names the site (``SID``) and the catalogue
``TREE``; the lists are JSON from ``{base}/gkmlpt/api/all/{catId}?page=N&sid=SID``, each stating
its ``total``. The 年报 categories are the tree's nodes named 年报/年度报告 (their leaves when they
have children); an ``annualreport#catId`` address names the category directly. ``page=0`` equals
``page=1``; a page past the end is a 404 or has no article.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from crawler.cms.base import Adapter, Fetch, ListPage, Walk
from crawler.discovery import Link, json_links

_CONFIG = re.compile(r"_CONFIG\s*=\s*\{", re.S)
_SID = re.compile(r"""['"]?\bSID['"]?\s*:\s*['"]?(\w+)""")
REPORT_WORDS = ("年报", "年度报告")


def _tree(html: str) -> list[dict]:
    """The ``TREE`` array of ``_CONFIG``, read as JSON (JS object syntax made JSON first)."""
    m = re.search(r"""['"]?TREE['"]?\s*:\s*\[""", html)
    if not m:
        return []
    depth, end = 0, None
    for k in range(m.end() - 1, min(len(html), m.end() + 500_000)):
        ch = html[k]
        if ch == "[":
            depth += 1
        elif ch == "]":
            depth -= 1
            if depth == 0:
                end = k + 1
                break
    if end is None:
        return []
    raw = html[m.end() - 1:end]
    for text in (raw, re.sub(r"([{,]\s*)([A-Za-z_]\w*)\s*:", r'\1"\2":', raw.replace("'", '"'))):
        try:
            tree = json.loads(text)
            return tree if isinstance(tree, list) else []
        except ValueError:
            continue
    return []


def _leaves(node: dict) -> list[str]:
    children = [c for c in node.get("children") or [] if isinstance(c, dict)]
    return [x for c in children for x in _leaves(c)] if children else [str(node.get("id"))]


def _report_categories(html: str, root: str | None = None) -> list[str]:
    """Ids of the 年报 categories in the ``TREE`` (or of the category ``root``): the leaves under
    the node, or the node itself."""
    out: list[str] = []
    stack = list(_tree(html))
    while stack:
        node = stack.pop(0)
        if not isinstance(node, dict):
            continue
        name = str(node.get("name") or "")
        if (str(node.get("id")) == root) if root else any(w in name for w in REPORT_WORDS):
            out += _leaves(node)
            continue
        stack += node.get("children") or []
    return list(dict.fromkeys(out))


def _base(url: str) -> str:
    parts = urlsplit(url)
    cut = parts.path.find("/gkmlpt/")
    return f"{parts.scheme}://{parts.netloc}{parts.path[:cut] if cut >= 0 else ''}"


class Gkmlpt(Adapter):
    name = "gkmlpt"

    def open(self, html: str, url: str, links: list[Link]) -> ListPage | None:
        if "/gkmlpt/" not in url and not _CONFIG.search(html):
            return None
        sid = _SID.search(html)
        fragment = urlsplit(url).fragment
        root = fragment if fragment.isdigit() else None
        cats = _report_categories(html, root) or ([root] if root else [])
        if not (sid and cats) and not fragment.isdigit():
            return None if "/gkmlpt/" not in url else ListPage([])
        base = _base(url)
        follow = [Fetch(f"{base}/gkmlpt/api/all/{cat}?page=1" + (f"&sid={sid.group(1)}" if sid else ""),
                        headers=(("X-Requested-With", "XMLHttpRequest"), ("Referer", url)), page=1, reply="json")
                  for cat in cats]
        return ListPage([], follow)

    def reply(self, body: str, fetch: Fetch, walk: Walk) -> ListPage:
        links, total = json_links(body, fetch.url)
        cat = re.search(r"/api/all/(\d+)", fetch.url)
        key = f"total:{cat.group(1) if cat else fetch.url}"
        context = {key: str(total)} if total is not None else {}
        totals = {**{k: v for k, v in walk.context.items() if k.startswith("total:")}, **context}
        stated = sum(int(v) for v in totals.values()) if totals else None
        page = ListPage(links, stated_records=stated, context=context)
        try:
            count = len(json.loads(body).get("articles") or [])
        except (ValueError, AttributeError):
            count = len(links)
        new = [link for link in links if link.url not in walk.entries]
        seen_in_cat = fetch.page * max(count, 1)
        if new and (total is None or seen_in_cat < total):
            page.follow = [Fetch(re.sub(r"page=\d+", f"page={fetch.page + 1}", fetch.url), headers=fetch.headers,
                                 page=fetch.page + 1, reply="json")]
        else:
            page.end = True
        return page
