"""大汉 Hanweb JCMS lists (portals.md §1.2–1.4, §1.7).

Records sit as CDATA fragments in a ``<datastore>`` (inline in ``<script type="text/xml">``, and
in every ``dataproxy.jsp`` reply). Later records come one of two ways, both handled:

(a) POST ``dataproxy.jsp?startrecord=&endrecord=&perpage=`` with the ``param_…`` object as form
    (what the jpage plugin does);
(b) GET the ``<nextgroup>`` href with ``page=N`` (every parameter copied as it stands, double
    encoding and all).

The proxy path is whatever the page names (``/module/web/jpage/``, ``/module/jpage/``,
``/module/jslib/jquery/jpage/``, ``morecolumndataproxy.jsp``). The total comes from
``totalRecord:``/``var totalRecord =`` in the page or ``<totalrecord>`` in a reply; without one,
groups are asked for until a reply brings no new record. A POST that brings nothing while the
total says more falls back to (b). Jpaas shells (``queryData`` + ``build/unit``) page through a
JSON reply whose ``html`` holds the list and whose ``count`` attribute states the total.
"""

from __future__ import annotations

import html as htmllib
import json
import re
from urllib.parse import quote, urlencode, urlsplit

from crawler.cms.base import Adapter, Fetch, ListPage, Walk, absolute, entry_links, fragment_links, same_origin, text_totals
from crawler.discovery import Link, extract_links

_RECORD = re.compile(r"<record>\s*<!\[CDATA\[(.*?)\]\]>\s*</record>", re.S | re.I)
_DATASTORE = re.compile(r"<datastore>", re.I)
_NEXTGROUP = re.compile(r"<nextgroup>\s*<!\[CDATA\[(.*?)\]\]>\s*</nextgroup>", re.S | re.I)
_HREF = re.compile(r"""href\s*=\s*(["'])(.*?)\1""", re.I | re.S)
_TOTAL = re.compile(r"""totalRecord\s*(?::|=)\s*['"]?(\d+)|<totalrecord>\s*(\d+)\s*</totalrecord>""", re.I)
_PER_PAGE = re.compile(r"""perPage\s*(?::|=)\s*['"]?(\d+)""", re.I)
_GROUP_SIZE = re.compile(r"""groupSize\s*(?::|=)\s*['"]?(\d+)""", re.I)
_PROXY = re.compile(r"""proxyUrl\s*:\s*['"]([^'"]+)['"]""", re.I)
_PARAM_OBJ = re.compile(r"var\s+param_\w+\s*=\s*\{(.*?)\}", re.S)
_PARAM_KV = re.compile(r"""(\w+)\s*:\s*(?:'([^']*)'|"([^"]*)"|(-?\d+))""")
_PAGE_PARAM = re.compile(r"([?&])page=\d+")
_PAGE_NUM = re.compile(r"([?&]pageNum=)(\d+)", re.I)
PROXY_DEFAULT = "/module/web/jpage/dataproxy.jsp"
XHR = (("X-Requested-With", "XMLHttpRequest"),)
GROUP_CAP = 5000  # records asked for in one POST when the page states no group size


def records(text: str) -> list[str]:
    """The HTML fragments of a datastore's records."""
    return _RECORD.findall(text)


def record_links(text: str, base_url: str) -> list[Link]:
    """One entry per record: the record's link (its title attribute when the text is cut)."""
    out = []
    for fragment in records(text):
        links = fragment_links(fragment, base_url)
        if links:
            out.append(max(links, key=lambda link: len(link.text)))
    return out


def _total(text: str) -> int | None:
    m = _TOTAL.search(text)
    return int(m.group(1) or m.group(2)) if m else None


def _nextgroup_href(text: str, page_url: str) -> str | None:
    m = _NEXTGROUP.search(text)
    if not m:
        return None
    href = _HREF.search(m.group(1))
    if not href:
        return None
    raw = htmllib.unescape(href.group(2)).strip()
    return absolute(raw, page_url) if raw else None


def _form(text: str) -> dict[str, str]:
    m = _PARAM_OBJ.search(text)
    if not m:
        return {}
    return {kv.group(1): next(g for g in kv.groups()[1:] if g is not None) for kv in _PARAM_KV.finditer(m.group(1))}


def _page_url(href: str, n: int) -> str:
    if _PAGE_PARAM.search(href):
        return _PAGE_PARAM.sub(lambda m: f"{m.group(1)}page={n}", href, count=1)
    return href + ("&" if "?" in href else "?") + f"page={n}"


class Hanweb(Adapter):
    name = "hanweb"

    def open(self, html: str, url: str, links: list[Link]) -> ListPage | None:
        if not _DATASTORE.search(html) and "jpage(" not in html:
            return None
        entries = record_links(html, url)
        total = _total(html)
        per_page = int(m.group(1)) if (m := _PER_PAGE.search(html)) else None
        group = int(m.group(1)) if (m := _GROUP_SIZE.search(html)) else 3
        form = _form(html)
        nextgroup = _nextgroup_href(html, url)
        proxy_path = (m.group(1) if (m := _PROXY.search(html)) else
                      urlsplit(nextgroup).path if nextgroup else PROXY_DEFAULT)
        proxy = absolute(proxy_path, url)
        context = {"proxy": proxy, "nextgroup": nextgroup or "", "form": json.dumps(form, ensure_ascii=False),
                   "step": str((per_page or 15) * group if per_page else max(len(entries), 1)),
                   "per_page": str(per_page or max(len(entries), 1)),
                   "pagenum_url": next((link.url for link in links if _PAGE_NUM.search(link.url)
                                        and same_origin(link.url, url)), "")}
        follow = self._first_follow(context, len(entries), total, url)
        gated = bool(total) and not entries  # confirmed only if the follow-ups bring nothing either
        return ListPage(entries, follow, stated_records=total, gated=gated, context=context)

    def _first_follow(self, ctx: dict[str, str], inline: int, total: int | None, url: str) -> list[Fetch]:
        if total is not None and inline >= total:
            return []
        form = json.loads(ctx["form"])
        if form and same_origin(ctx["proxy"], url):
            return [self._post(ctx, inline + 1, total)]
        if ctx["nextgroup"] and same_origin(ctx["nextgroup"], url):
            return [Fetch(_page_url(ctx["nextgroup"], 2), headers=XHR, page=2, reply="datastore")]
        if ctx.get("pagenum_url"):  # no proxy at all: the pager's ?pageNum= links, checked as read
            return [Fetch(_PAGE_NUM.sub(lambda m: f"{m.group(1)}2", ctx["pagenum_url"], count=1), page=2,
                          reply="pagenum")]
        return []

    def _post(self, ctx: dict[str, str], start: int, total: int | None) -> Fetch:
        step = int(ctx["step"]) if ctx["step"] != "0" else GROUP_CAP
        end = start + step - 1
        if total is not None:
            end = min(end, total)
        query = urlencode({"startrecord": start, "endrecord": end, "perpage": ctx["per_page"]})
        form = tuple((k, str(v)) for k, v in json.loads(ctx["form"]).items())
        return Fetch(f"{ctx['proxy']}?{query}", "POST", form, XHR, page=start, reply="datastore")

    def reply(self, body: str, fetch: Fetch, walk: Walk) -> ListPage:
        entries = record_links(body, fetch.url)
        total = _total(body)
        page = ListPage(entries, stated_records=total)
        known = total if total is not None else walk.stated_records
        new = [e for e in entries if e.url not in walk.entries]
        ctx = walk.context
        if fetch.method == "POST":
            end = int(re.search(r"endrecord=(\d+)", fetch.url).group(1))  # type: ignore[union-attr]
            if new and (known is None or end < known):
                page.follow = [self._post(ctx, end + 1, known)]
            elif not entries and ctx.get("nextgroup") and (known is None or walk.found < known):
                # the POST form was refused or incomplete: page the nextgroup href instead (b)
                page.follow = [Fetch(_page_url(ctx["nextgroup"], 2), headers=XHR, page=2, reply="datastore")]
            else:
                page.end = True
        elif fetch.reply == "pagenum":
            # ?uid=…&pageNum=N: many servers render page 1 whatever N says; believe page N only
            # when its first record is not page 1's
            if entries and walk.first_page and entries[0].url == walk.first_page[0]:
                page.entries, page.end = [], True
                page.context = {"pagenum": "ignored"}
            elif new and not (known is not None and walk.found + len(new) >= known):
                target = _PAGE_NUM.sub(lambda m: f"{m.group(1)}{fetch.page + 1}", fetch.url, count=1)
                page.follow = [Fetch(target, page=fetch.page + 1, reply="pagenum")]
        else:
            # GET page=N: a reply may repeat records (page 2 can be the inline group again), so
            # the walk stops at an empty reply, the total, or two replies with nothing new
            stale = 0 if new else int(ctx.get("stale", "0")) + 1
            page.context = {"stale": str(stale)}
            done = known is not None and walk.found + len(new) >= known
            if entries and stale < 2 and not done:
                reply_next = _nextgroup_href(body, fetch.url)
                target = reply_next if reply_next and same_origin(reply_next, fetch.url) and \
                    _PAGE_PARAM.search(reply_next) and f"page={fetch.page + 1}" in reply_next \
                    else _page_url(fetch.url, fetch.page + 1)
                page.follow = [Fetch(target, headers=XHR, page=fetch.page + 1, reply="datastore")]
            else:
                page.end = True
        return page


# --------------------------------------------------------------------------- jpaas

_QUERY_DATA = re.compile(r"""queryData\s*=\s*(["'])(\{.*?\})\1""", re.S | re.I)
_BUILD_URL = re.compile(r"""\burl\s*=\s*["']([^"']*jpaas-publish-server[^"']*)["']""", re.I)
_COUNT_ATTR = re.compile(r"""\bcount\s*=\s*["']?(\d+)""", re.I)
_ROWS_ATTR = re.compile(r"""\brows\s*=\s*["']?(\d+)""", re.I)
JPAAS_PAGE_SIZE = 50


def _loose_json(text: str) -> dict[str, str]:
    """``{'webId':'2945','pageId':'1487002',…}``: single-quoted or HTML-escaped JSON."""
    text = htmllib.unescape(text)
    pairs = re.findall(r"""['"]?(\w+)['"]?\s*:\s*['"]([^'"]*)['"]""", text)
    return dict(pairs)


class Jpaas(Adapter):
    name = "hanweb-jpaas"

    def open(self, html: str, url: str, links: list[Link]) -> ListPage | None:
        qd, build = _QUERY_DATA.search(html), _BUILD_URL.search(html)
        if not (qd and build):
            return None
        params = _loose_json(qd.group(2))
        params.setdefault("parseType", "bulidstatic")
        params.setdefault("pageType", "column")
        endpoint = absolute(build.group(1), url)
        if not same_origin(endpoint, url):
            return ListPage([])
        return ListPage([], follow=[self._fetch(endpoint, params, 1, url)])

    def _fetch(self, endpoint: str, params: dict[str, str], n: int, referer: str) -> Fetch:
        query = {**params, "paramJson": json.dumps({"pageNo": n, "pageSize": JPAAS_PAGE_SIZE}, separators=(",", ":"))}
        return Fetch(endpoint + "?" + urlencode(query, quote_via=quote), headers=(("Referer", referer),), page=n,
                     reply="json")

    def reply(self, body: str, fetch: Fetch, walk: Walk) -> ListPage:
        try:
            data = json.loads(body)
        except ValueError:
            return ListPage([], end=True)
        fragment = ((data or {}).get("data") or {}).get("html", "") if isinstance(data, dict) else ""
        links = entry_links(fragment_links(fragment, fetch.url))
        count = _COUNT_ATTR.search(fragment)
        rows = _ROWS_ATTR.search(fragment)
        total = int(count.group(1)) if count else None
        page = ListPage(links, stated_records=total)
        new = [link for link in links if link.url not in walk.entries]
        size = int(rows.group(1)) if rows else JPAAS_PAGE_SIZE
        more = total is None or fetch.page * size < total
        if new and more:
            parts = urlsplit(fetch.url)
            query = re.sub(r"paramJson=[^&]*", "", parts.query).strip("&")
            params = dict(pair.split("=", 1) for pair in query.split("&") if "=" in pair)
            from urllib.parse import unquote

            params = {k: unquote(v) for k, v in params.items()}
            endpoint = f"{parts.scheme}://{parts.netloc}{parts.path}"
            referer = dict(fetch.headers).get("Referer", walk.column)
            page.follow = [self._fetch(endpoint, params, fetch.page + 1, referer)]
        else:
            page.end = True
        return page


# --------------------------------------------------------------------------- 信息公开目录 module

_XXGK_FORM = re.compile(r"""<form[^>]*action\s*=\s*(["'])([^"']*/module/xxgk/search[^"']*)\1[^>]*>(.*?)</form>""",
                        re.S | re.I)
_INPUT = re.compile(r"""<input[^>]*>""", re.I)
_ATTR = re.compile(r"""(\w+)\s*=\s*(["'])(.*?)\2""", re.S)
_CURRPAGE = re.compile(r"([?&]currpage=)\d+", re.I)


class XxgkSearch(Adapter):
    """Hanweb's 信息公开目录 (``/module/xxgk/search.jsp``): pages by POSTing the page's form with
    ``currpage`` (in the action's query and in the form); the page states 共N页."""

    name = "hanweb-xxgk"

    def open(self, html: str, url: str, links: list[Link]) -> ListPage | None:
        form = _XXGK_FORM.search(html)
        if not form:
            return None
        action = absolute(htmllib.unescape(form.group(2)), url)
        fields = {}
        for tag in _INPUT.findall(form.group(3)):
            attrs = {k.lower(): htmllib.unescape(v) for k, _, v in _ATTR.findall(tag)}
            if attrs.get("name"):
                fields[attrs["name"]] = attrs.get("value", "")
        records, pages = text_totals(re.sub(r"<[^>]+>", " ", html))
        entries = entry_links(links)
        context = {"action": action, "fields": json.dumps(fields, ensure_ascii=False)}
        follow = [self._fetch(context, n) for n in range(2, (pages or 2) + 1)] if same_origin(action, url) else []
        return ListPage(entries, follow, stated_records=records, stated_pages=pages, context=context)

    def _fetch(self, ctx: dict[str, str], n: int) -> Fetch:
        fields = {**json.loads(ctx["fields"]), "currpage": str(n)}
        action = _CURRPAGE.sub(lambda m: f"{m.group(1)}{n}", ctx["action"])
        if not _CURRPAGE.search(action):
            action += ("&" if "?" in action else "?") + f"currpage={n}"
        return Fetch(action, "POST", tuple(fields.items()), page=n)

    def reply(self, body: str, fetch: Fetch, walk: Walk) -> ListPage:
        entries = entry_links(extract_links(body, fetch.url))
        new = [e for e in entries if e.url not in walk.entries]
        page = ListPage(entries if new else [], end=not new)
        if new and walk.stated_pages is None:
            page.follow = [self._fetch(walk.context, fetch.page + 1)]
        return page
