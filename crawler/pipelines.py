"""Item pipeline: judge each report off the event loop (:mod:`crawler.judging`), then hand it to
the crawl state, which keeps the evidence and stores it (or, on a distributed worker, sends it to
the coordinator through Redis)."""

from __future__ import annotations

import logging
import uuid

from scrapy.exceptions import DropItem

from crawler import cpu
from crawler.discovery import portal_identity
from crawler.items import ReportItem
from crawler.judging import JudgeFailed, JudgePool, document_hashes, judge_item, without
from crawler.runs import DiskFull
from crawler.state import crawl_state
from monitor.store import now_iso

logger = logging.getLogger(__name__)


class ReportPipeline:
    def __init__(self, crawler) -> None:
        self.crawler = crawler
        settings = crawler.settings
        self.pool = JudgePool(settings.getint("NIANBAO_JUDGE_WORKERS"), settings.getint("NIANBAO_JUDGE_MEMORY_MB"),
                              settings.getfloat("NIANBAO_JUDGE_TIMEOUT"))

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def close_spider(self, spider=None) -> None:
        self.pool.close()

    async def process_item(self, item: ReportItem, spider=None) -> ReportItem:
        state = crawl_state(self.crawler)
        token = uuid.uuid4().hex
        state.begin_judging(token, self.pool.timeout * 3 + 60)
        try:
            if item.judged is None and not state.is_unchanged(item):
                await self._judge(state, item)
            item.page_document = None  # read and judged: not carried further (a fleet sends items through Redis)
            with cpu.stage(self.crawler, "store"):
                state.store_item(item)
        except DiskFull as exc:
            raise DropItem("disk full") from exc
        finally:
            state.end_judging(token)
        return item

    async def _judged(self, item: ReportItem):
        judged, seconds = await self.pool.judge(item)
        cpu.add(self.crawler, "judge", seconds)
        return judged

    async def _judge(self, state, item: ReportItem) -> None:
        documents = document_hashes(item)
        for url, reason in state.poisoned(documents).items():
            self._failed(state, item, url, f"已跳过：{reason}")
            if url == item.url:
                item.page_body = b""  # the page itself: judged as empty, the report still recorded
            without(item, {url}, reason)
            documents.pop(url)
        state.mark_documents(documents, "judging")
        try:
            item.judged = await self._judged(item)
            state.mark_documents(documents, "ok")
            return
        except JudgeFailed as exc:
            reason = str(exc)
        attachments = {u: h for u, h in documents.items() if u != item.url}
        if attachments:  # most likely an attachment: the page alone, without them
            state.mark_documents(attachments, "failed", reason)
            for url in attachments:
                self._failed(state, item, url, reason)
            without(item, set(attachments), reason)
            try:
                item.judged = await self._judged(item)
                state.mark_documents({item.url: documents[item.url]}, "ok")
                return
            except JudgeFailed as exc:
                reason = str(exc)
        state.mark_documents({item.url: documents[item.url]}, "failed", reason)
        self._failed(state, item, item.url, reason)
        item.page_body = b""
        item.judged = judge_item(item)  # an empty page, judged here in no time: recorded with NO_TEXT

    def _failed(self, state, item: ReportItem, url: str, reason: str) -> None:
        logger.warning("文件读取失败 %s：%s", url, reason)
        state.record_fetch(url=url, method="GET", kind="attachment" if url != item.url else "detail", status=None,
                           error=reason[:300], error_kind="document_failed", fetched_at=now_iso(), network=False,
                           portal=portal_identity(item.portal_url))
