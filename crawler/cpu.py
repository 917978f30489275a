"""Where a crawl's CPU goes, by stage: parsing pages (the spider's callbacks), judging reports (in
the judging processes), storing them (on a fleet's worker: sending them to the writer; on the
coordinator: writing its own and the workers'), and the rest (Scrapy, Twisted, the network stack).

Each stage adds the process CPU it used to the crawl's stats (``nianbao/cpu/<stage>``, seconds);
at the end the extension adds this process's whole CPU (``nianbao/cpu/process``) and, when
``NIANBAO_CPU_REPORT`` names a file, writes the account there as JSON (``{pid}`` in the name is
replaced, so the processes of a fleet each write their own). ``bench/scale.py`` reads them.
"""

from __future__ import annotations

import functools
import json
import os
import resource
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from scrapy import signals

STAGES = ("parse", "judge", "store")


def _own_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def add(crawler, stage: str, seconds: float) -> None:
    crawler.stats.inc_value(f"nianbao/cpu/{stage}", seconds)


@contextmanager
def stage(crawler, name: str) -> Iterator[None]:
    """Count the CPU this block uses to ``name``."""
    started = time.process_time()
    try:
        yield
    finally:
        add(crawler, name, time.process_time() - started)


def timed(crawler, name: str, steps: Iterator[Any]) -> Iterator[Any]:
    """A callback's output, with the CPU of producing each item counted to ``name`` (the time
    Scrapy spends on the items between steps is not)."""
    while True:
        started = time.process_time()
        try:
            item = next(steps)
        except StopIteration:
            add(crawler, name, time.process_time() - started)
            return
        add(crawler, name, time.process_time() - started)
        yield item


def counted(name: str):
    """A spider callback (a generator) whose CPU is counted to ``name``."""
    def wrap(method):
        @functools.wraps(method)
        def inner(self, *args, **kwargs):
            return timed(self.crawler, name, iter(method(self, *args, **kwargs)))
        return inner
    return wrap


class CpuAccount:
    """Adds the process's own CPU to the stats at the end, and writes the account if asked."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.path = crawler.settings.get("NIANBAO_CPU_REPORT")
        self.started = _own_cpu()
        crawler.signals.connect(self.closed, signal=signals.spider_closed)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def closed(self, spider=None, reason: str | None = None) -> None:
        stats = self.crawler.stats
        stats.set_value("nianbao/cpu/process", _own_cpu() - self.started)
        if not self.path:
            return
        from crawler.state import crawl_state

        account: dict[str, Any] = {k.rsplit("/", 1)[-1]: v for k, v in stats.get_stats().items()
                                   if k.startswith("nianbao/cpu/")}
        # the process that writes the store (a single crawl, a fleet's coordinator), or a worker
        account["role"] = "writer" if crawl_state(self.crawler).evidence is not None else "worker"
        account["reports"] = stats.get_value("item_scraped_count", 0)
        account["requests"] = stats.get_value("downloader/request_count", 0)
        with open(self.path.replace("{pid}", str(os.getpid())), "w", encoding="utf-8") as out:
            json.dump(account, out)
