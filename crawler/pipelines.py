"""Item pipeline: keep the evidence, judge the report, store it as new, changed or seen again."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from scrapy.exceptions import DropItem

from crawler.items import ReportItem
from crawler.state import DiskFull, crawl_state
from monitor.blobs import sha256
from monitor.intake import Source, judge_fetched

logger = logging.getLogger("nianbao")

STATUS_NAMES = {"new": "新增", "changed": "有更新", "unchanged": "无变化"}


class ReportPipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_item(self, item: ReportItem, spider=None) -> ReportItem:
        try:
            with crawl_state(self.crawler).writes():
                return self._store(item)
        except DiskFull as exc:
            raise DropItem("disk full") from exc

    def _store(self, item: ReportItem) -> ReportItem:
        state = crawl_state(self.crawler)
        run = state.portal_for(item.portal_url)
        page_blob = state.blobs.put(item.page_body)
        files = [a for a in item.attachments if a.body]
        blobs = [state.blobs.put(a.body) for a in files]
        source_hash = sha256("|".join([page_blob, *blobs]).encode())
        recorded = state.store.touch_unchanged(item.url, source_hash)
        label = item.title
        if recorded is None:
            judged = judge_fetched(
                Source(item.url, item.page_body, item.page_content_type),
                [Source(a.url, a.body, a.content_type, a.filename) for a in files],
                title=item.title, portal_jurisdiction=item.jurisdiction, page_agency=item.agency, column=item.column,
                published=item.published, published_source=item.published_source,
                portal_key=urlsplit(item.portal_url).netloc)
            attachment = next((k for k, a in enumerate(files) if a.url == judged.source.url), None)
            recorded = state.store.record_report(
                judged.report, url=item.url, seen_at=item.fetched_at, jurisdiction=judged.jurisdiction,
                agency=judged.agency, level=judged.level, year=judged.year, published=judged.published,
                published_source=judged.published_source, portal_id=run.portal_id if run else None,
                index_no=item.index_no,
                evidence={"source_hash": source_hash, "page_blob": page_blob,
                          "attachment_url": files[attachment].url if attachment is not None else None,
                          "attachment_blob": blobs[attachment] if attachment is not None else None})
            label = f"{judged.agency} {judged.year}年度"
        if run:
            run.reports_found += 1
            setattr(run, recorded.status, getattr(run, recorded.status) + 1)
        logger.info("[%s] 年报：%s（%s）", (run.jurisdiction or run.url) if run else "", label,
                    STATUS_NAMES[recorded.status])
        return item
