"""Per-crawl state shared by the spider, middlewares, pipeline and extension: the store and the portals."""

from __future__ import annotations

import json
import logging
import sqlite3
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

from monitor.blobs import BlobStore, blob_dir
from monitor.store import Store, is_disk_full, open_store

logger = logging.getLogger("nianbao")


@dataclass
class PortalRun:
    """One portal in this run: its identity in the store and what happened to it."""

    url: str
    portal_id: int
    run_id: int
    jurisdiction: str | None = None
    started: float = field(default_factory=time.monotonic)
    requests: int = 0  # network requests issued
    pages: int = 0  # successful responses (network or revalidated)
    reports_found: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    lookalikes: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    budget_cuts: Counter[str] = field(default_factory=Counter)
    scheduled: int = 0  # requests the spider scheduled for this portal (budget)

    def summary(self) -> dict:
        return {"url": self.url, "jurisdiction": self.jurisdiction, "requests": self.requests, "pages": self.pages,
                "reports_found": self.reports_found, "new": self.new, "changed": self.changed,
                "unchanged": self.unchanged, "lookalikes": self.lookalikes, "errors": sum(self.errors.values()),
                "error_kinds": dict(self.errors), "budget_cuts": dict(self.budget_cuts),
                "duration_s": round(time.monotonic() - self.started, 2)}


class CrawlState:
    def __init__(self, db_path: str, crawler=None) -> None:
        self.store: Store = open_store(db_path)
        self.blobs = BlobStore(blob_dir(db_path))
        self.portals: dict[str, PortalRun] = {}  # netloc -> run
        self.crawler = crawler
        self.disk_full = False

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
        key = urlsplit(url).netloc.lower()
        if key not in self.portals:
            portal_id = self.store.portal_id(url, jurisdiction)
            self.portals[key] = PortalRun(url, portal_id, self.store.start_run(portal_id), jurisdiction)
        return self.portals[key]

    def portal_for(self, url: str) -> PortalRun | None:
        return self.portals.get(urlsplit(url).netloc.lower())

    def portal_id_for(self, url: str) -> int | None:
        run = self.portal_for(url)
        return run.portal_id if run else None

    def record_fetch(self, network: bool = True, **fields) -> None:
        with self.writes():
            self._record_fetch(network, **fields)

    def _record_fetch(self, network: bool, **fields) -> None:
        run = self.portal_for(fields["url"])
        if run:
            run.requests += int(network)
            if fields.get("status") in (200, 304) and not fields.get("error_kind"):
                run.pages += 1
            if fields.get("error_kind"):
                run.errors[fields["error_kind"]] += 1
        self.store.log_fetch(run_id=run.run_id if run else None, portal_id=run.portal_id if run else None, **fields)

    def finish(self, status: str = "finished") -> list[dict]:
        out = []
        for run in self.portals.values():
            if run.jurisdiction:  # learnt from the home page when not configured
                self.store.portal_id(run.url, run.jurisdiction)
            summary = run.summary()
            self.store.finish_run(run.run_id, status=status, pages=run.pages, requests=run.requests,
                                  reports_found=run.reports_found, new=run.new, changed=run.changed,
                                  errors=summary["errors"], error_kinds=json.dumps(summary["error_kinds"]),
                                  duration_s=summary["duration_s"])
            out.append(summary)
        return out


def crawl_state(crawler) -> CrawlState:
    """The crawl's state, created on first use from the ``NIANBAO_DB`` setting."""
    state = getattr(crawler, "_nianbao_state", None)
    if state is None:
        state = CrawlState(crawler.settings.get("NIANBAO_DB", "data/nianbao.db"), crawler)
        crawler._nianbao_state = state
    return state


class DiskFull(IgnoreRequest):
    """A write failed for lack of space; the crawl is being closed (an IgnoreRequest, so Scrapy
    drops the request quietly instead of logging it as a spider error)."""
