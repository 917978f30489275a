"""Judging off the crawl's event loop: worker processes with a memory limit and a time bound per
report, and a memory of the documents that failed.

Reading a hostile document (a decompression bomb, a PDF that makes the parser spin, a page of
50 MB) must not stall every other portal's requests, nor take the crawl down with it. Each report
is judged in a worker process whose address space is capped (``NIANBAO_JUDGE_MEMORY_MB`` above
what the readers map once imported) and
given ``NIANBAO_JUDGE_TIMEOUT`` seconds; a worker that overruns is killed and replaced. Before a
report is judged its documents are marked, by hash, as being judged; a crash of the whole crawl
leaves the mark, so the next run skips that document with the reason instead of dying on it again.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import resource
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from crawler.discovery import portal_key
from crawler.items import FetchedFile, ReportItem
from monitor.report.intake import Judged, Source, judge_fetched
from monitor.store.blobs import sha256

logger = logging.getLogger(__name__)


def judge_item(item) -> Judged:
    """Read a fetched report's documents and judge them: the costly part of storing it, done
    where the report was fetched (so a fleet's workers share it) and stored where the store is."""
    return judge_fetched(
        Source(item.url, item.page_body, item.page_content_type, document=item.page_document),
        [Source(a.url, a.body, a.content_type, a.filename) for a in item.attachments if a.body],
        title=item.title, portal_jurisdiction=item.jurisdiction, page_agency=item.agency, column=item.column,
        published=item.published, published_source=item.published_source,
        portal_key=portal_key(item.portal_url))


def _start_worker(megabytes: int) -> None:
    """A judging process: the readers imported up front (their start-up is not a report's time),
    its address space capped, its priority below the crawl's."""
    import monitor.report.intake
    import monitor.report.readers.pdf  # noqa: F401

    if megabytes > 0:
        # headroom above what the imported readers already map (their libraries reserve address
        # space up front; a cap below that would fail every report)
        try:
            with open("/proc/self/statm", encoding="ascii") as statm:
                mapped = int(statm.read().split()[0]) * resource.getpagesize()
        except OSError:
            mapped = 0
        limit = mapped + megabytes * 1024 * 1024
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
    os.nice(5)


def _ready() -> bool:
    return True


def _judge(item: ReportItem) -> tuple[Judged, float]:
    """Judge in a worker; also says how much CPU it took (crawler.cpu counts it)."""
    import time

    started = time.process_time()
    judged = judge_item(item)
    return judged, time.process_time() - started


class JudgePool:
    """A small process pool for judging; rebuilt when a worker dies or overruns.

    At most one report per worker is submitted at a time, so the time bound counts a report's
    own reading, never its wait in a queue."""

    def __init__(self, workers: int, memory_mb: int, timeout: float) -> None:
        self.workers, self.memory_mb, self.timeout = max(1, workers), memory_mb, timeout
        self.pool: ProcessPoolExecutor | None = None
        self.killed: set[int] = set()  # pools this process killed: their other reports were bystanders
        self._slots: asyncio.Semaphore | None = None
        self._starting: asyncio.Lock | None = None

    async def _executor(self) -> ProcessPoolExecutor:
        if self._starting is None:
            self._starting = asyncio.Lock()
        async with self._starting:  # one pool at a time, however many reports ask at once
            return await self._start()

    async def _start(self) -> ProcessPoolExecutor:
        if self.pool is None:
            pool = ProcessPoolExecutor(self.workers, mp_context=multiprocessing.get_context("forkserver"),
                                       initializer=_start_worker, initargs=(self.memory_mb,))
            loop = asyncio.get_running_loop()
            # start every worker now, untimed: the bound is for reading a report, not for starting up
            await asyncio.gather(*(loop.run_in_executor(pool, _ready) for _ in range(self.workers)))
            self.pool = pool
        return self.pool

    def _reset(self, pool: ProcessPoolExecutor) -> None:
        """Kill a pool's workers (one may be spinning on a document); the next use starts afresh."""
        if self.pool is pool:
            self.pool = None
        if id(pool) in self.killed:
            return
        self.killed.add(id(pool))
        for process in list((getattr(pool, "_processes", None) or {}).values()):
            if process.is_alive():
                process.kill()
        pool.shutdown(wait=False, cancel_futures=True)

    async def judge(self, item: ReportItem) -> tuple[Judged, float]:
        """Judge in a worker: the judgement and the worker's CPU for it. Raises JudgeFailed with the
        reason when the worker cannot."""
        if self._slots is None:
            self._slots = asyncio.Semaphore(self.workers)
        loop = asyncio.get_running_loop()
        async with self._slots:
            for _ in range(3):
                pool = await self._executor()
                try:
                    return await asyncio.wait_for(loop.run_in_executor(pool, _judge, item), self.timeout)
                except TimeoutError:
                    self._reset(pool)
                    raise JudgeFailed(f"读取超时（超过 {self.timeout:g} 秒）") from None
                except BrokenProcessPool:
                    if id(pool) in self.killed:
                        continue  # a bystander of another report's overrun: try again on the new pool
                    self._reset(pool)
                    raise JudgeFailed(f"读取进程异常退出（可能超过内存上限 {self.memory_mb} MB）") from None
                except MemoryError:
                    raise JudgeFailed(f"读取时超过内存上限 {self.memory_mb} MB") from None
            raise JudgeFailed("读取进程反复被终止")

    def close(self) -> None:
        if self.pool is not None:
            self._reset(self.pool)


class JudgeFailed(Exception):
    """A report's documents could not be judged within the bounds; the message says why."""


def document_hashes(item: ReportItem) -> dict[str, str]:
    """The hash of each fetched document of a report (its page and attachments), by URL."""
    out = {item.url: sha256(item.page_body)}
    out.update({a.url: sha256(a.body) for a in item.attachments if a.body})
    return out


def without(item: ReportItem, urls: set[str], reason: str) -> None:
    """Drop the named attachments' bodies, keeping a record of why (the report goes on without them)."""
    for k, a in enumerate(item.attachments):
        if a.url in urls and a.body:
            item.attachments[k] = FetchedFile(a.url, a.name, b"", a.content_type, a.filename, error=reason[:200])
