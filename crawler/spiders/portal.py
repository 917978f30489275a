"""The portal spider: from a county portal's home page to every annual report it publishes.

    scrapy crawl portal -a url=http://www.example.gov.cn/ [-a jurisdiction=青川区] [-a columns=URL,URL]

The spider only discovers: which links to follow is decided by :mod:`crawler.discovery`,
whether a page is a report by :mod:`monitor.classify`, what a detail page states by
:mod:`monitor.pagemeta`. Reading and judging the report happens in the item pipeline.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import scrapy
from scrapy.exceptions import IgnoreRequest
from scrapy.http import FormRequest, Request, Response, TextResponse
from scrapy_playwright.page import PageMethod

from crawler import discovery
from crawler.discovery import Link, PageKind
from crawler.items import FetchedFile, ReportItem
from crawler.middlewares import is_soft_404
from crawler.state import PortalRun, crawl_state
from monitor.classify import classify_title
from monitor.identity import jurisdiction_of
from monitor.pagemeta import detail_facts
from monitor.store import now_iso
from monitor.textutil import collapse_spaces

logger = logging.getLogger(__name__)

PRIORITY = {"detail": 30, "attachment": 40, "column": 20, "deptindex": 10, "dept": 15, "area": 5, "nav": 0,
            "home": 0}


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
        if getattr(state, "fleet", None) is not None:
            state.fleet.seeding_done()  # a distributed crawl may now be declared complete when quiet

    def _request(self, run: PortalRun, url: str, kind: PageKind, depth: int, callback=None,
                 **meta: Any) -> Request | None:
        """A request within the portal's budgets, or None when a budget says stop."""
        settings = self.crawler.settings
        url = discovery.canonical(url)
        if not discovery.same_site(url, run.url):
            return None
        state = crawl_state(self.crawler)
        if time.monotonic() - run.started > settings.getfloat("NIANBAO_PORTAL_TIME_BUDGET"):
            self._budget(run, "time")
            return None
        if kind in ("nav", "area", "deptindex", "dept") and depth > settings.getint("NIANBAO_MAX_NAV_DEPTH"):
            return None
        parts = urlsplit(url)
        if parts.query and not state.new_variant(parts.netloc + parts.path, parts.query,
                                                 settings.getint("NIANBAO_MAX_QUERY_VARIANTS")):
            self._budget(run, "query")
            return None
        if not state.take_budget(run, settings.getint("NIANBAO_MAX_PAGES_PER_PORTAL")):
            self._budget(run, "pages")
            return None
        return Request(url, callback=callback or (self.parse_detail if kind == "detail" else self.parse_page),
                       errback=self.errback, priority=PRIORITY.get(kind, 0),
                       meta={"kind": kind, "depth_nav": depth, **meta})

    def _budget(self, run: PortalRun, which: str) -> None:
        """A budget cut the crawl short: counted, not an error of the portal."""
        self.crawler.stats.inc_value(f"nianbao/budget/{which}")
        run.budget_cuts[which] += 1

    def errback(self, failure) -> Iterator[Any]:
        request = failure.request
        if failure.check(IgnoreRequest) and "redirect" in str(failure.value).lower():
            crawl_state(self.crawler).record_fetch(url=request.url, method=request.method, kind=request.meta.get("kind"),
                                                   status=None, error=str(failure.value)[:300],
                                                   error_kind="redirect_loop", fetched_at=now_iso(), network=False)
        if not failure.check(IgnoreRequest):  # the fetch log already has the details
            logger.warning("抓取失败 %s：%s", request.url, failure.value)
        pending: ReportItem | None = request.meta.get("pending_item")
        if pending is not None:  # an attachment failed: the report goes on without it
            pending.attachments.append(FetchedFile(request.url, request.meta.get("attachment_name", ""),
                                                   error=str(failure.value)[:200]))
            yield from self._next_attachment(pending, request.meta.get("remaining", []))
        frontier = getattr(self, "frontier", None)
        if frontier is not None:  # distributed: the request is handled, release it from its parking
            frontier.ack(request)

    # ------------------------------------------------------------------ pages

    def parse_page(self, response: Response) -> Iterator[Any]:
        if not isinstance(response, TextResponse):
            return
        state = crawl_state(self.crawler)
        run = state.portal_for(response.url)
        if run is None:
            return
        kind: PageKind = response.meta["kind"]
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
        records = discovery.datastore_records(html)
        for fragment in records:
            links += discovery.extract_links(fragment, response.url)
        # a list's later pages, asked for as such: a rerun reads them from the store while fresh
        later_pages = ([link.url for link in discovery.pagination(links, response.url)]
                       + discovery.trs_pages(html, response.url)) if kind == "column" else []
        found_entries = 0
        for link in links:
            if link.url not in later_pages:
                yield from self._follow(run, link, kind, depth, column)
            if discovery.classify_link(link, kind) in ("detail", "column"):
                found_entries += 1
        if kind == "column":
            for url in later_pages:
                request = self._request(run, url, "column", depth, column=column, later_page=True)
                if request:
                    yield request
            spec = discovery.jpage(html) if records else None
            if spec:
                for url, form in spec.requests(response.url):
                    yield FormRequest(url, formdata=form, callback=self.parse_datastore, errback=self.errback,
                                      headers={"X-Requested-With": "XMLHttpRequest", "Referer": response.url},
                                      meta={"kind": "column", "depth_nav": depth, "column": column},
                                      priority=PRIORITY["column"])
            if not found_entries and not records:
                yield from self._hidden_list(run, response, html, depth, column)

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

    def parse_datastore(self, response: Response) -> Iterator[Any]:
        run = crawl_state(self.crawler).portal_for(response.url)
        if run is None:
            return
        for fragment in discovery.datastore_records(response.text):
            for link in discovery.extract_links(fragment, response.url):
                yield from self._follow(run, link, "column", response.meta.get("depth_nav", 0),
                                        response.meta.get("column"))

    def _hidden_list(self, run: PortalRun, response: TextResponse, html: str, depth: int,
                     column: str | None) -> Iterator[Request]:
        """A 年报 column with no entries in its HTML: call its JSON API, else render it."""
        guesses = discovery.api_guesses(html, response.url)
        for guess in guesses[:3]:
            request = self._request(run, guess.page(1), "column", depth, callback=self.parse_api, api=guess,
                                    api_page=1, column=column)
            if request:
                yield request
        if guesses or response.meta.get("playwright") or not discovery.looks_js_only(html):
            return
        if not self.crawler.settings.getbool("NIANBAO_PLAYWRIGHT"):
            logger.warning("栏目 %s 需要浏览器渲染，但已关闭 Playwright", response.url)
            return
        yield Request(response.url, callback=self.parse_page, errback=self.errback, dont_filter=True,
                      priority=PRIORITY["column"],
                      meta={"kind": "column", "depth_nav": depth, "column": column, "playwright": True,
                            "playwright_page_goto_kwargs": {"wait_until": "networkidle"},
                            "playwright_page_methods": [PageMethod("wait_for_timeout", 300)]})

    def parse_api(self, response: Response) -> Iterator[Any]:
        run = crawl_state(self.crawler).portal_for(response.url)
        if run is None:
            return
        links, total = discovery.json_links(response.body, response.url)
        depth, column = response.meta.get("depth_nav", 0), response.meta.get("column")
        for link in links:
            yield from self._follow(run, link, "column", depth, column)
        guess: discovery.ApiGuess = response.meta["api"]
        page = response.meta["api_page"]
        per_page = len(links)
        more = (total is not None and per_page and page * per_page < total) or (total is None and per_page)
        if links and more and page < 200:
            request = self._request(run, guess.page(page + 1), "column", depth, callback=self.parse_api, api=guess,
                                    api_page=page + 1, column=column, later_page=True)
            if request:
                yield request

    # ------------------------------------------------------------------ reports

    def parse_detail(self, response: Response) -> Iterator[Any]:
        state = crawl_state(self.crawler)
        run = state.portal_for(response.url)
        if run is None or not isinstance(response, TextResponse):
            return
        facts = detail_facts(response.text, response.url)
        list_title = response.meta.get("list_title")
        title = facts.title if facts.title and classify_title(facts.title).is_report else (list_title or facts.title)
        verdict = classify_title(title or "")
        if not verdict.is_report:
            run.lookalikes += 1
            self.lookalike_reasons[verdict.reason] += 1
            return
        item = ReportItem(
            portal_url=run.url, url=response.url, title=title or "", page_body=response.body,
            page_content_type=response.headers.get(b"Content-Type", b"").decode("latin-1") or None,
            jurisdiction=run.jurisdiction, list_title=list_title, list_date=response.meta.get("list_date"),
            column=response.meta.get("column"), agency=facts.agency,
            published=facts.published.isoformat() if facts.published else None,
            published_source=facts.published_source, index_no=facts.index_no, fetched_at=now_iso())
        if not facts.published and response.meta.get("list_date"):
            from monitor.textutil import parse_date

            listed = parse_date(response.meta["list_date"])
            if listed:
                item.published, item.published_source = listed.isoformat(), "列表日期"
        remaining = [(a.url, a.name) for a in facts.attachments if discovery.same_site(a.url, run.url)]
        yield from self._next_attachment(item, remaining)

    def _next_attachment(self, item: ReportItem, remaining: list[tuple[str, str]]) -> Iterator[Any]:
        run = crawl_state(self.crawler).portal_for(item.url)
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
