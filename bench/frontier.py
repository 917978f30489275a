"""CPU the single-process frontier spends handing out a request, by number of portals queued.

    .venv/bin/python bench/frontier.py [--portals 50 400 2800] [--requests 20]

For each size, ``--requests`` requests per portal are queued and all handed out again with a
few requests held "in flight" per portal as the crawl would hold them (a real Scrapy downloader's
slots), through :class:`crawler.queues.PortalQueue` and, as the baseline in the same run,
Scrapy's ``DownloaderAwarePriorityQueue`` (which asks every portal queued how many requests it
has in flight, for every request). Prints microseconds a request and the ratio.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def _cost(queue_cls, portals: int, per_portal: int) -> float:
    from scrapy import Request
    from scrapy.core.downloader import Slot
    from scrapy.spiders import Spider
    from scrapy.squeues import FifoMemoryQueue
    from scrapy.utils.test import get_crawler

    crawler = get_crawler(Spider)
    crawler.spider = crawler._create_spider("portal")
    crawler.engine = crawler._create_engine()
    queue = queue_cls.from_crawler(crawler, FifoMemoryQueue, "")
    for n in range(per_portal * portals):
        port = 10000 + n % portals
        queue.push(Request(f"http://127.0.0.1:{port}/{n}.html", meta={"download_slot": f"127.0.0.1:{port}"}))
    # 32 places: the first 32 portals handed out hold a request in flight in a real downloader slot
    slots = crawler.engine.downloader.slots
    for port in range(10000, 10000 + min(32, portals)):
        slot = Slot(2, 0.5, jitter=0)
        slot.active.add(Request(f"http://127.0.0.1:{port}/busy"))
        slots[f"127.0.0.1:{port}"] = slot
    started = time.process_time()
    popped = 0
    while queue.pop() is not None:
        popped += 1
    return (time.process_time() - started) / popped * 1e6


def main() -> None:
    import logging

    logging.disable(logging.ERROR)  # the engine made without a reactor complains of its download handlers
    from scrapy.pqueues import DownloaderAwarePriorityQueue

    from crawler.queues import PortalQueue

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--portals", type=int, nargs="+", default=[50, 400, 2800])
    parser.add_argument("--requests", type=int, default=20, help="requests queued per portal")
    args = parser.parse_args()
    print(f"{'portals':>8} {'PortalQueue µs/request':>24} {'Scrapy DownloaderAware µs/request':>34} {'ratio':>7}")
    for portals in args.portals:
        ours = _cost(PortalQueue, portals, args.requests)
        theirs = _cost(DownloaderAwarePriorityQueue, portals, args.requests)
        print(f"{portals:>8,} {ours:>24.1f} {theirs:>34.1f} {theirs / ours:>6.1f}x")


if __name__ == "__main__":
    main()
