"""The single-process frontier: requests handed out portal by portal.

Scrapy's default priority queue hands out one portal's requests in a row; they then wait out
that portal's politeness delay while holding the process's ``CONCURRENT_REQUESTS`` places, and a
crawl of many portals ran at the pace of a few (7–13 requests a second over 50–200 portals, the
CPU idle four-fifths of the time). Scrapy's ``DownloaderAwarePriorityQueue`` takes the next
request from the download slot with the fewest requests in flight, but it keys requests by
host name at the time they are queued, before :class:`crawler.middlewares.SlotPerPortalMiddleware`
has named their slot: portals on one host (ports, or paths of one server) shared one queue.
:class:`PortalQueue` names the slot first. (The distributed frontier takes turns by portal in
Redis: :class:`crawler.distributed.ReliableQueue`.)
"""

from __future__ import annotations

from scrapy import Request
from scrapy.pqueues import DownloaderAwarePriorityQueue

from crawler.discovery import portal_key


class PortalQueue(DownloaderAwarePriorityQueue):
    """Per-portal queues; the next request comes from the portal with the fewest in flight."""

    def push(self, request: Request) -> None:
        request.meta.setdefault("download_slot", portal_key(request.url))
        super().push(request)
