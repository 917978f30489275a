"""Close each portal's run in the store when the crawl ends, with its summary."""

from __future__ import annotations

from scrapy import signals

from crawler.state import crawl_state


class CrawlSummary:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.summaries: list[dict] = []

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.nianbao_summary = ext
        return ext

    def spider_closed(self, spider, reason: str) -> None:
        state = getattr(self.crawler, "_nianbao_state", None)
        if state is None:
            return
        self.summaries = state.finish("finished" if reason == "finished" else reason)
        state.store.close()


__all__ = ["CrawlSummary", "crawl_state"]
