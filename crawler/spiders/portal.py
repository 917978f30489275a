"""The portal spider: from a county portal's home page to every annual report it publishes.

    scrapy crawl portal -a url=http://www.example.gov.cn/ [-a jurisdiction=青川县] [-a columns=URL,URL]

The spider only discovers: which links to follow is decided by :mod:`crawler.discovery`,
whether a page is a report by :mod:`monitor.report.classify`, what a detail page states by
:mod:`monitor.report.pagemeta`. Reading and judging the report happens in the item pipeline.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import FormRequest, Request, Response, TextResponse

from crawler import cms, discovery
from crawler.browser import browser_pages, confine_to_origin
from crawler.cms import Fetch, Walk
from crawler.cms.base import is_pager_link
from crawler.cpu import counted
from crawler.discovery import Link, PageKind
from crawler.items import FetchedFile, ReportItem
from crawler.middlewares import is_soft_404
from crawler.runs import PortalRun, request_handled
from crawler.state import crawl_state
from monitor.report.classify import classify_title
from monitor.report.document import sniff_format
from monitor.report.identity import jurisdiction_of
from monitor.report.pagemeta import page_facts
from monitor.report.textutil import collapse_spaces
from monitor.store import now_iso

logger = logging.getLogger(__name__)
request_log = logging.getLogger("nianbao.requests")  # one line per failed request: shown with -v

# A page title that names no document (the site's name, a column name): the list's words decide.
GENERIC_TITLE_REASONS = ("不是年度报告", "无标题", "栏目名称（无年度）")
# Home pages first: a portal crawls at its own polite pace, so the crawl is quickest when every
# portal has started (2,800 home pages behind everyone's detail pages left half the portals idle).
PRIORITY = {"home": 50, "attachment": 40, "detail": 30, "column": 20, "dept": 15, "deptindex": 10, "area": 5,
            "nav": 0}


@dataclass
class PortalConfig:
    url: str
    jurisdiction: str | None = None
    columns: tuple[str, ...] = ()


class PortalSpider(scrapy.Spider):
    name = "portal"

    def __init__(self, url: str | None = None, jurisdiction: str | None = None, columns: str | None = None,
                 portals: list[PortalConfig] | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.portal_configs: list[PortalConfig] = list(portals or [])
        if url:
            for one in url.split(","):
                cols = tuple(c for c in (columns or "").split(",") if c)
                self.portal_configs.append(PortalConfig(one.strip(), jurisdiction, cols))
        self.lookalike_reasons: Counter[str] = Counter()

    # ------------------------------------------------------------------ scheduling

    async def start(self) -> AsyncIterator[Request]:
        state = crawl_state(self.crawler)
        for config in self.portal_configs:
            run = state.add_portal(config.url, config.jurisdiction)
            request = self._request(run, config.url, "home", depth=0)
            if request:
                yield request
            for column in config.columns:
                request = self._request(run, column, "column", depth=0)
                if request:
                    yield request
        state.seeded()  # a distributed crawl may now be declared complete when quiet

    def _request(self, run: PortalRun, url: str, kind: PageKind, depth: int, callback=None,
                 fetch: Fetch | None = None, **meta: Any) -> Request | None:
        """A request within the portal's budgets, or None when a budget says stop. A list walk's
        follow-up (``fetch``) is bounded by the walk itself, not by the query-variant cap."""
        settings = self.crawler.settings
        url = discovery.canonical(url)
        state = crawl_state(self.crawler)
        if state.portal_for(url, run.key) is not run:
            return None  # another host, or a sibling portal's subsite on this host
        if run.fetch_seconds > settings.getfloat("NIANBAO_PORTAL_TIME_BUDGET"):
            self._budget(run, "time", url)
            return None
        if kind in ("nav", "area", "deptindex", "dept") and depth > settings.getint("NIANBAO_MAX_NAV_DEPTH"):
            return None
        if kind == "column" and fetch is None and depth > settings.getint("NIANBAO_MAX_COLUMN_DEPTH"):
            self._budget(run, "column_depth", url)
            return None
        parts = urlsplit(url)
        if fetch is None and parts.query and not state.new_variant(
                parts.netloc + parts.path, parts.query, settings.getint("NIANBAO_MAX_QUERY_VARIANTS")):
            self._budget(run, "query", url)
            return None
        if not state.take_budget(run, settings.getint("NIANBAO_MAX_PAGES_PER_PORTAL")):
            self._budget(run, "pages", url)
            return None
        callback = callback or (self.parse_detail if kind == "detail" else self.parse_page)
        meta = {"kind": kind, "depth_nav": depth, "portal": run.key, **meta}
        if fetch is None:
            return Request(url, callback=callback, errback=self.errback, priority=PRIORITY.get(kind, 0), meta=meta)
        headers = dict(fetch.headers)
        if fetch.method == "POST":
            return FormRequest(url, formdata=dict(fetch.form), headers=headers, callback=callback,
                               errback=self.list_errback, priority=PRIORITY.get(kind, 0), meta=meta, dont_filter=True)
        return Request(url, headers=headers, callback=callback, errback=self.list_errback,
                       priority=PRIORITY.get(kind, 0), meta=meta, dont_filter=True)

    def _budget(self, run: PortalRun, which: str, url: str) -> None:
        """A budget cut the crawl short: counted with where it struck (shown in health), not an
        error of the portal."""
        self.crawler.stats.inc_value(f"nianbao/budget/{which}")
        crawl_state(self.crawler).budget_cut(run, which, url)

    def errback(self, failure) -> Iterator[Any]:
        request = failure.request
        if failure.check(IgnoreRequest) and "DOWNLOAD_MAXSIZE" in str(failure.value):
            # a compressed body that inflates past the cap: the page is gone from this run, say so
            crawl_state(self.crawler).record_fetch(url=request.url, method=request.method, kind=request.meta.get("kind"),
                                                   status=None, error="解压后超过下载大小上限，已丢弃",
                                                   error_kind="too_large", fetched_at=now_iso(), network=False,
                                                   portal=request.meta.get("portal"))
        if failure.check(IgnoreRequest) and "redirect" in str(failure.value).lower():
            crawl_state(self.crawler).record_fetch(url=request.url, method=request.method, kind=request.meta.get("kind"),
                                                   status=None, error=str(failure.value)[:300],
                                                   error_kind="redirect_loop", fetched_at=now_iso(), network=False,
                                                   portal=request.meta.get("portal"))
        if not failure.check(IgnoreRequest):  # the fetch log already has the details
            request_log.info("抓取失败 %s：%s", request.url, failure.value)
        pending: ReportItem | None = request.meta.get("pending_item")
        if pending is not None:  # an attachment failed: the report goes on without it
            pending.attachments.append(FetchedFile(request.url, request.meta.get("attachment_name", ""),
                                                   error=str(failure.value)[:200]))
            yield from self._next_attachment(pending, request.meta.get("remaining", []))
        # errback output bypasses spider middlewares: say the request is handled (a distributed
        # crawl releases it from its parking)
        self.crawler.signals.send_catch_log(signal=request_handled, request=request)

    # ------------------------------------------------------------------ pages

    @counted("parse")
    def parse_page(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        state = crawl_state(self.crawler)
        kind: PageKind = response.meta["kind"]
        run = state.portal_for(response.url, response.meta.get("portal"))
        if run is None and kind == "home" and response.meta.get("portal") in state.portals:
            run = state.portals[response.meta["portal"]]  # the home page redirected to another host name
            state.alias(run, response.url)
        if run is None:
            return
        depth = response.meta.get("depth_nav", 0)
        if is_soft_404(response):
            return  # recorded by the fetch log; nothing to follow on a "page not found" page
        column = response.meta.get("column")
        html = response.text
        if kind == "home" and not run.jurisdiction:
            site = response.css('meta[name="SiteName"]::attr(content)').get() or response.css("title::text").get()
            state.set_jurisdiction(run, jurisdiction_of(collapse_spaces(site or "")))
        target = discovery.js_redirect(html)
        if target:
            request = self._request(run, response.urljoin(target), kind, depth)
            if request:
                yield request
            return
        links = discovery.extract_links(html, response.url)
        if kind != "column":
            for link in links:
                yield from self._follow(run, link, kind, depth, column)
            return
        # a 年报 list's first page: the adapter of its CMS family reads it and plans the walk
        adapter, page = cms.open_list(html, response.url, links)
        walk = Walk(response.url, adapter.name)
        walk.first_page = tuple(e.url for e in page.entries)
        if {"revalidated", "unchanged", "cached"} & set(response.flags):
            # the list is as it was: its later pages may come from the store. A list whose first
            # page changed has shifted; its later pages are asked for again, or the walk would
            # miss the entry pushed from page 1 to page 2
            walk.context["unchanged"] = "1"
        if discovery.looks_js_only(html):
            walk.context["js_only"] = "1"
        walk.take(page)
        for link in self._unique(links + page.entries):
            if link.url not in walk.asked_urls and not is_pager_link(link):
                yield from self._follow(run, link, kind, depth, column)
        yield from self._advance(run, walk, depth, column)

    @staticmethod
    def _unique(links: list[Link]) -> list[Link]:
        seen: dict[str, Link] = {}
        for link in links:
            if link.url not in seen or len(link.text) > len(seen[link.url].text):
                seen[link.url] = link
        return list(seen.values())

    # ------------------------------------------------------------------ list walks

    def _advance(self, run: PortalRun, walk: Walk, depth: int, column: str | None) -> Iterator[Any]:
        """The walk's next request, or its end: the browser fallback or the list's record."""
        while (fetch := walk.next_fetch()) is not None:
            request = self._request(run, fetch.url, "column", depth, callback=self.parse_list, fetch=fetch,
                                    walk=walk, list_fetch=fetch, column=column,
                                    later_page=bool(walk.context.get("unchanged")))
            if request is not None:
                yield request
                return
            walk.stop = "budget"
            walk.pending.clear()
        yield from self._finish_walk(run, walk, depth, column)

    def _finish_walk(self, run: PortalRun, walk: Walk, depth: int, column: str | None) -> Iterator[Any]:
        needs_browser = (walk.complete is False and walk.reason not in ("permission", "page_bound")) or \
            (not walk.entries and walk.context.get("js_only"))
        if needs_browser and not walk.browser:
            if self.crawler.settings.getbool("NIANBAO_PLAYWRIGHT"):
                stated = (f"声明 {walk.stated_records} 条" if walk.stated_records else
                          f"声明 {walk.stated_pages} 页" if walk.stated_pages else "未声明总数")
                logger.info("列表 %s 由 %s 读取不完整（%s，找到 %s 条）：改用浏览器翻页", walk.column, walk.adapter,
                            stated, walk.found)
                walk.browser = True
                yield Request(walk.column, callback=self.parse_browser_list, errback=self.list_errback,
                              dont_filter=True, priority=PRIORITY["column"],
                              meta={"kind": "column", "depth_nav": depth, "column": column, "walk": walk,
                                    "portal": run.key,
                                    "playwright": True, "playwright_include_page": True,
                                    "playwright_page_init_callback": confine_to_origin,
                                    "playwright_page_goto_kwargs": {"wait_until": "networkidle"}})
                return
            if not walk.entries and walk.context.get("js_only"):
                logger.warning("栏目 %s 需要浏览器渲染，但已关闭 Playwright", walk.column)
                if walk.complete is None:
                    walk.blocked_next = True  # nothing could be seen: say so
        if walk.found or walk.complete is not None or walk.browser or walk.stated_records is not None:
            crawl_state(self.crawler).record_list(run.key, walk.result())
        # else: a navigation page that only looked like a list (no entry, nothing stated)

    @counted("parse")
    def parse_list(self, response: Response) -> Iterator[Any]:
        """A list walk's follow-up reply: the adapter reads it, the walk goes on."""
        run = crawl_state(self.crawler).portal_for(response.url, response.meta.get("portal"))
        walk: Walk = response.meta["walk"]
        fetch: Fetch = response.meta["list_fetch"]
        depth, column = response.meta.get("depth_nav", 0), response.meta.get("column")
        if run is None:
            return
        body = response.text if isinstance(response, TextResponse) else response.body.decode("utf-8", "replace")
        page = cms.ADAPTERS[walk.adapter].reply(body, fetch, walk)
        walk.pages += 1
        walk.take(page)
        links = page.entries
        if fetch.reply == "html" and isinstance(response, TextResponse) and not is_soft_404(response):
            links = self._unique(discovery.extract_links(body, response.url) + page.entries)
        for link in links:
            if link.url not in walk.asked_urls and link.url != walk.column and not is_pager_link(link):
                yield from self._follow(run, link, "column", depth, column)
        yield from self._advance(run, walk, depth, column)

    def list_errback(self, failure) -> Iterator[Any]:
        """A list follow-up failed (404 past the end, a timeout, robots): the walk goes on without it."""
        yield from self.errback(failure)
        request = failure.request
        walk: Walk | None = request.meta.get("walk")
        if walk is None:
            return
        run = crawl_state(self.crawler).portal_for(walk.column, request.meta.get("portal"))
        if run is None:
            return
        walk.errors += 1
        if request.meta.get("playwright"):  # the browser could not page it: record what was found
            crawl_state(self.crawler).record_list(run.key, walk.result())
            return
        if walk.stop == "end":
            walk.stop = "error"
        yield from self._advance(run, walk, request.meta.get("depth_nav", 0), request.meta.get("column"))

    async def parse_browser_list(self, response: Response) -> AsyncIterator[Any]:
        """The browser fallback: page a list by clicking its next-page control until it stops changing."""
        page = response.meta["playwright_page"]
        walk: Walk = response.meta["walk"]
        depth, column = response.meta.get("depth_nav", 0), response.meta.get("column")
        run = crawl_state(self.crawler).portal_for(walk.column, response.meta.get("portal"))
        try:
            snapshots = await browser_pages(page, self.crawler.settings.getint("NIANBAO_BROWSER_MAX_CLICKS"))
        finally:
            await page.close()
        if run is None:
            return
        before = walk.found
        for html in snapshots:
            links = discovery.extract_links(html, walk.column)
            adapter_page = cms.ADAPTERS["generic"].open(html, walk.column, links)
            for link in self._unique(links + adapter_page.entries):
                if link.url not in walk.entries and not is_pager_link(link):
                    for request in self._follow(run, link, "column", depth, column):
                        yield request
            walk.take(cms.ListPage(adapter_page.entries))
        walk.adapter = f"{walk.adapter}+browser"
        if walk.found > before:
            logger.warning("列表 %s：适配器漏读 %s 条，浏览器补齐", walk.column, walk.found - before)
        crawl_state(self.crawler).record_list(run.key, walk.result())

    def _follow(self, run: PortalRun, link: Link, kind: PageKind, depth: int, column: str | None) -> Iterator[Request]:
        target = discovery.classify_link(link, kind)
        if target is None:
            return
        if target == "detail":
            request = self._request(run, link.url, "detail", depth, list_title=link.text, list_date=link.date,
                                    column=column)
        elif target == "dept":
            request = self._request(run, link.url, "dept", depth + 1, column=link.text)
        elif target == "column":
            sub = column
            if discovery.UNIT_NAME.search(link.text) and len(link.text) <= 20 and "年报" not in link.text:
                sub = link.text  # a per-unit sub-column names the unit
            request = self._request(run, link.url, "column", depth + 1, column=sub)
        else:
            request = self._request(run, link.url, target, depth + 1, column=column)
        if request:
            yield request

    # ------------------------------------------------------------------ reports

    @counted("parse")
    def parse_detail(self, response: Response) -> Iterator[Any]:
        state = crawl_state(self.crawler)
        run = state.portal_for(response.url, response.meta.get("portal"))
        if run is None or not isinstance(response, TextResponse):
            return
        content_type = response.headers.get(b"Content-Type", b"").decode("latin-1") or None
        # read as the judge reads a page (the same decoding and reader), once: the judge is given it
        facts = page_facts(response.body, content_type, response.url)
        if sniff_format(response.body, None, content_type) != "html":
            facts.document = None  # the judge would not read these bytes as a page: let it read them
        list_title = response.meta.get("list_title")
        own = classify_title(facts.title) if facts.title else None
        if own is not None and (own.is_report or own.reason not in GENERIC_TITLE_REASONS):
            title = facts.title  # the page's own title wins: a notice stays a notice, whatever the list said
        else:
            title = list_title or facts.title  # the page names no document (a site name): the list's words
        verdict = classify_title(title or "")
        if not verdict.is_report:
            run.lookalikes += 1
            self.lookalike_reasons[verdict.reason] += 1
            return
        item = ReportItem(
            portal_url=run.url, url=response.url, title=title or "", page_body=response.body,
            page_content_type=content_type, page_document=facts.document,
            jurisdiction=run.jurisdiction, column=response.meta.get("column"), agency=facts.agency,
            published=facts.published.isoformat() if facts.published else None,
            published_source=facts.published_source, index_no=facts.index_no, fetched_at=now_iso())
        if not facts.published and response.meta.get("list_date"):
            from monitor.report.textutil import parse_date

            listed = parse_date(response.meta["list_date"])
            if listed:
                item.published, item.published_source = listed.isoformat(), "列表日期"
        remaining = [(a.url, a.name) for a in facts.attachments if state.portal_for(a.url, run.key) is run]
        if remaining:
            # the item rides in the attachments' requests (through Redis, in a fleet): a page that
            # points to its attachments is short, and the judge reads it again cheaply
            item.page_document = None
        yield from self._next_attachment(item, remaining)

    def _next_attachment(self, item: ReportItem, remaining: list[tuple[str, str]]) -> Iterator[Any]:
        run = crawl_state(self.crawler).portal_for(item.portal_url)
        while remaining and run is not None:
            url, name = remaining[0]
            request = self._request(run, url, "attachment", 0, callback=self.parse_attachment, pending_item=item,
                                    remaining=remaining[1:], attachment_name=name)
            if request:
                request.dont_filter = True  # the same file may belong to two pages
                yield request
                return
            remaining = remaining[1:]
        yield item

    @counted("parse")
    def parse_attachment(self, response: Response) -> Iterator[Any]:
        item: ReportItem = response.meta["pending_item"]
        disposition = response.headers.get(b"Content-Disposition", b"").decode("utf-8", "replace")
        filename = None
        if "filename" in disposition:
            from urllib.parse import unquote

            raw = disposition.split("filename*=UTF-8''")[-1] if "filename*=" in disposition else \
                disposition.split("filename=")[-1]
            filename = unquote(raw.strip().strip('"'))
        item.attachments.append(FetchedFile(
            response.url, response.meta.get("attachment_name", ""), response.body,
            response.headers.get(b"Content-Type", b"").decode("latin-1") or None, filename))
        yield from self._next_attachment(item, response.meta.get("remaining", []))
