"""Close each portal's run in the store when the crawl ends, with its summary."""

from __future__ import annotations

import sqlite3

from scrapy import signals

from crawler.state import crawl_state
from monitor.store import is_disk_full


class CrawlSummary:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.summaries: list[dict] = []
        self.reason = "shutdown"  # until the spider closes: a crawl stopped before it opened was interrupted

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.nianbao_summary = ext
        return ext

    def spider_closed(self, spider, reason: str) -> None:
        self.reason = reason
        state = getattr(self.crawler, "_nianbao_state", None)
        if state is None:
            return
        try:
            self.summaries = state.finish(reason)
        except sqlite3.OperationalError as exc:  # a full disk: the runs stay "running" until the next start
            self.summaries = [run.summary() for run in state.portals.values()]
            self.reason = "disk_full" if is_disk_full(exc) else reason
        if state.store is not None:
            state.store.close()


__all__ = ["CrawlSummary", "crawl_state"]
