"""Item pipeline: hand each report to the crawl state, which keeps the evidence, judges and stores it
(or, on a distributed worker, sends it to the coordinator through Redis)."""

from __future__ import annotations

from scrapy.exceptions import DropItem

from crawler.items import ReportItem
from crawler.state import DiskFull, crawl_state


class ReportPipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: ReportItem, spider=None) -> ReportItem:
        try:
            crawl_state(self.crawler).store_item(item)
        except DiskFull as exc:
            raise DropItem("disk full") from exc
        return item
