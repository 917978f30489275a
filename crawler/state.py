"""The crawl state as a Scrapy extension: one per crawl, reached by every component through
``crawler.get_extension(CrawlStateExtension).state``.

The backend depends on the process's role (``NIANBAO_ROLE``): :class:`StoreState` for a single
crawl and for a distributed crawl's coordinator (the store, ``NIANBAO_DB``), :class:`WorkerState`
for a distributed worker (Redis only). Both implement :class:`crawler.runs.CrawlState`. When the
spider closes the extension closes each portal's run in the store and keeps their summaries.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from contextlib import contextmanager

from scrapy import signals

from crawler.discovery import portal_identity, portal_key
from crawler.fleet import FleetLink, WorkerState
from crawler.judging import judge_item
from crawler.runs import RECORD_STATUS_NAMES, CrawlState, DiskFull, Evidence, PortalIndex, PortalRun, match_portal
from monitor.store import DEFAULT_DB, Store, is_disk_full, open_store
from monitor.store.blobs import BlobStore, blob_dir, sha256

logger = logging.getLogger("nianbao")


class StoreState(CrawlState):
    """A single crawl's state, or a distributed crawl's coordinator's: portals' runs, the fetch
    log and the reports go to the store, the pages and documents to the blob folder beside it.
    On a coordinator ``fleet`` shares portals, aliases and budgets with the workers."""

    def __init__(self, db_path: str, crawler=None, fleet: FleetLink | None = None) -> None:
        self.store: Store = open_store(db_path)
        self.blobs = BlobStore(blob_dir(db_path))
        self.evidence: Evidence | None = Evidence(self.store, self.blobs)
        self.portals: dict[str, PortalRun] = {}  # portal_identity -> run
        self.index = PortalIndex()
        self.aliases: dict[str, set[str]] = {}  # portal key -> other host names it answers on (redirects)
        self.crawler = crawler
        self.disk_full = False
        self.variants: dict[str, set[str]] = {}
        self.fleet = fleet

    @contextmanager
    def writes(self):
        """Around every write of the crawl: a full disk (or the size cap) stops the whole crawl at once.

        Each write is a transaction or an atomic rename, so nothing partial is left behind; the
        crawl must not go on dropping what it fetches."""
        try:
            yield
        except (sqlite3.OperationalError, OSError) as exc:
            if not is_disk_full(exc):
                raise
            if not self.disk_full:
                self.disk_full = True
                logger.error("磁盘已满（或数据库达到大小上限），停止抓取：%s", str(exc)[:200])
                if self.crawler is not None and self.crawler.engine is not None:
                    self.crawler.engine.close_spider(self.crawler.spider, "disk_full")
            raise DiskFull(str(exc)[:200]) from exc

    def add_portal(self, url: str, jurisdiction: str | None) -> PortalRun:
        key = portal_identity(url)
        if key not in self.portals:
            portal_id = self.store.portal_id(url, jurisdiction)
            self.portals[key] = PortalRun(url, portal_id, self.store.start_run(portal_id), jurisdiction)
            if self.fleet is not None:
                self.fleet.share_portal(self.portals[key])
        return self.portals[key]

    # -- budgets (shared by the whole fleet when distributed) ------------------------------

    def take_budget(self, run: PortalRun, limit: int) -> bool:
        """Count one more request for this portal; False once its page budget is spent."""
        count = self.fleet.incr_budget(run) if self.fleet is not None else run.scheduled + 1
        run.scheduled = count
        return count <= limit

    def budget_cut(self, run: PortalRun, which: str, url: str) -> None:
        run.cut(which, url)

    def charge(self, url: str, portal: str | None, seconds: float) -> None:
        """A request of this portal spent ``seconds`` on the network (its time budget)."""
        run = self.portal_for(url, portal)
        if run is not None:
            run.fetch_seconds = (self.fleet.charge(run, seconds) if self.fleet is not None
                                 else run.fetch_seconds + seconds)

    def new_variant(self, path: str, query: str, limit: int) -> bool:
        """Whether one more query string for this path is allowed (calendars, endless searches)."""
        if self.fleet is not None:
            return self.fleet.new_variant(path, query, limit)
        variants = self.variants.setdefault(path, set())
        if query not in variants and len(variants) >= limit:
            return False
        variants.add(query)
        return True

    def set_jurisdiction(self, run: PortalRun, name: str | None) -> None:
        run.jurisdiction = name
        if self.fleet is not None:
            self.fleet.share_portal(run)

    # -- reports ---------------------------------------------------------------------------

    def store_item(self, item) -> None:
        """Keep the evidence, judge the report, store it as new, changed or seen again."""
        with self.writes():
            self._store_item(item)

    def _store_item(self, item) -> None:
        run = self.portal_for(item.portal_url)
        page_blob = self.blobs.put(item.page_body)
        files = [a for a in item.attachments if a.body]
        blobs = [self.blobs.put(a.body) for a in files]
        source_hash = sha256("|".join([page_blob, *blobs]).encode())
        recorded = self.store.touch_unchanged(item.url, source_hash)
        label = item.title
        if recorded is None:
            judged = item.judged or judge_item(item)
            attachment = next((k for k, a in enumerate(files) if a.url == judged.source.url), None)
            recorded = self.store.record_report(
                judged.report, url=item.url, seen_at=item.fetched_at, jurisdiction=judged.jurisdiction,
                agency=judged.agency, level=judged.level, year=judged.year, published=judged.published,
                published_source=judged.published_source, portal_id=run.portal_id if run else None,
                index_no=item.index_no, identity=judged.identity,
                evidence={"source_hash": source_hash, "page_blob": page_blob,
                          "attachment_url": files[attachment].url if attachment is not None else None,
                          "attachment_blob": blobs[attachment] if attachment is not None else None})
            label = f"{judged.agency} {judged.year}年度"
        self._count(run, recorded.status, label)

    # -- documents that failed to be judged (crawler.judging) ---------------------------------

    def begin_judging(self, token: str, lease: float) -> None:
        pass  # one process: the crawl does not end while the pipeline holds an item

    def end_judging(self, token: str) -> None:
        pass

    def is_unchanged(self, item) -> bool:
        """Whether this report was read from exactly these bytes before (no judging needed)."""
        parts = [sha256(item.page_body), *(sha256(a.body) for a in item.attachments if a.body)]
        return self.store.has_version(item.url, sha256("|".join(parts).encode()))

    def poisoned(self, documents: dict[str, str]) -> dict[str, str]:
        """Documents (url -> hash) that failed before, or were being judged when a run died: url -> why."""
        marked = self.store.marked_documents(list(documents.values()))
        out = {}
        for url, digest in documents.items():
            row = marked.get(digest)
            if row:
                out[url] = row["reason"] if row["state"] == "failed" else "上次读取该文件时抓取进程异常终止"
        return out

    def mark_documents(self, documents: dict[str, str], state: str, reason: str | None = None) -> None:
        with self.writes():
            self.store.mark_documents(documents, state, reason)

    def sighting(self, url: str) -> None:
        """A known report page still listed (a worker skipped fetching it): one more sighting."""
        with self.writes():
            recorded = self.store.touch_url(url)
        if recorded is not None:
            self._count(self.portal_for(url), "unchanged", url)

    def _count(self, run: PortalRun | None, status: str, label: str) -> None:
        if run:
            run.reports_found += 1
            setattr(run, status, getattr(run, status) + 1)
        logger.info("[%s] 年报：%s（%s）", (run.jurisdiction or run.url) if run else "", label, RECORD_STATUS_NAMES[status])

    def seeded(self) -> None:
        """Every portal is on the frontier: a distributed crawl may be declared complete when quiet."""
        if self.fleet is not None:
            self.fleet.seeding_done()

    def is_known(self, url: str) -> bool:
        return False  # this process revalidates stored pages itself (the HTTP cache middleware)

    def record_list(self, portal: str, result: dict) -> None:
        """A 年报 list walk ended: keep what it stated and found (LIST_INCOMPLETE when short)."""
        run = self.portals.get(portal)
        if run is None:
            return
        run.lists.append(result)
        if result.get("complete") is False:
            logger.warning("[%s] 年报列表不完整：%s（声明 %s 条/%s 页，找到 %s 条，适配器 %s，原因 %s）",
                           run.jurisdiction or run.url, result["column"], result.get("stated"),
                           result.get("stated_pages"), result["found"], result["adapter"], result.get("reason"))
        with self.writes():
            self.store.record_list(run.run_id, run.portal_id, result)

    def portal_for(self, url: str, hint: str | None = None) -> PortalRun | None:
        run = match_portal(self.portals, self.aliases, url, hint, self.index)
        if run is not None and run.jurisdiction is None and self.fleet is not None:
            run.jurisdiction = self.fleet.jurisdiction(run)  # a worker may have read the home page
        return run

    def alias(self, run: PortalRun, url: str) -> None:
        """The portal answers on another host name too (its home page redirected there)."""
        host = portal_key(url)
        if host != portal_key(run.url):
            self.aliases.setdefault(run.key, set()).add(host)
            logger.info("[%s] 门户网站重定向到 %s，按同一网站处理", run.jurisdiction or run.url, host)
            if self.fleet is not None:
                self.fleet.share_alias(run.key, host)

    def portal_id_for(self, url: str) -> int | None:
        run = self.portal_for(url)
        return run.portal_id if run else None

    def record_fetch(self, network: bool = True, **fields) -> None:
        with self.writes():
            self._record_fetch(network, **fields)

    def _record_fetch(self, network: bool, **fields) -> None:
        run = self.portal_for(fields["url"], fields.pop("portal", None))
        if run:
            run.requests += int(network)
            if fields.get("status") in (200, 304) and not fields.get("error_kind"):
                run.pages += 1
            if fields.get("error_kind") and fields["url"] not in run.failed_urls:
                run.failed_urls.add(fields["url"])
                run.errors[fields["error_kind"]] += 1
        self.store.log_fetch(run_id=run.run_id if run else None, portal_id=run.portal_id if run else None, **fields)

    def finish(self, status: str = "finished") -> list[dict]:
        out = []
        for run in self.portals.values():
            if run.jurisdiction:  # learnt from the home page when not configured
                self.store.portal_id(run.url, run.jurisdiction)
            summary = run.summary()
            # a run that could not see a whole list is not a clean success
            run_status = "incomplete" if status == "finished" and summary["lists_incomplete"] else status
            summary["status"] = run_status
            self.store.finish_run(run.run_id, status=run_status, pages=run.pages, requests=run.requests,
                                  reports_found=run.reports_found, new=run.new, changed=run.changed,
                                  errors=summary["errors"], error_kinds=json.dumps(summary["error_kinds"]),
                                  budget_cuts=json.dumps({k: {"count": n, "where": run.budget_where.get(k, [])}
                                                          for k, n in run.budget_cuts.items()}, ensure_ascii=False),
                                  duration_s=summary["duration_s"])
            out.append(summary)
        return out

    def close(self) -> None:
        self.store.close()


class CrawlStateExtension:
    """Creates the crawl state for this process's role and closes it when the spider closes."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        role = settings.get("NIANBAO_ROLE", "single")
        if role == "worker":
            self.state: CrawlState = WorkerState(crawler)
        else:
            fleet = FleetLink(settings) if role == "coordinator" else None
            self.state = StoreState(settings.get("NIANBAO_DB", DEFAULT_DB), crawler, fleet)
        self.summaries: list[dict] = []
        self.reason = "shutdown"  # until the spider closes: a crawl stopped before it opened was interrupted

    @classmethod
    def from_crawler(cls, crawler) -> CrawlStateExtension:
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        return ext

    def spider_closed(self, spider, reason: str) -> None:
        self.reason = reason
        try:
            self.summaries = self.state.finish(reason)
        except sqlite3.OperationalError as exc:  # a full disk: the runs stay "running" until the next start
            self.summaries = [run.summary() for run in self.state.portals.values()]
            self.reason = "disk_full" if is_disk_full(exc) else reason
        self.state.close()


def crawl_state(crawler) -> CrawlState:
    """The crawl state of a running crawler (its extension must be enabled, as in crawler.settings)."""
    ext = crawler.get_extension(CrawlStateExtension)
    if ext is None:
        raise RuntimeError("CrawlStateExtension is not enabled in EXTENSIONS")
    return ext.state


__all__ = ["CrawlStateExtension", "DiskFull", "PortalRun", "StoreState", "crawl_state", "match_portal"]
