"""The single-process frontier: requests handed out portal by portal.

Scrapy's default priority queue hands out one portal's requests in a row; they then wait out
that portal's politeness delay while holding the process's ``CONCURRENT_REQUESTS`` places, and a
crawl of many portals ran at the pace of a few (7–13 requests a second over 50–200 portals, the
CPU idle four-fifths of the time). Scrapy's ``DownloaderAwarePriorityQueue`` takes the next
request from the download slot with the fewest requests in flight, but it keys requests by
host name at the time they are queued, before :class:`crawler.middlewares.SlotPerPortalMiddleware`
has named their slot: portals on one host (ports, or paths of one server) shared one queue.
:class:`PortalQueue` names the slot first. And it asked every portal with requests queued how
many it had in flight for every request it handed out: at 400 portals that was 818 questions a
report, at the national 2,800 several milliseconds of CPU a report. :class:`PortalQueue` takes
turns instead: the next portal in turn with nothing in flight, found in a step or two when most
portals are idle (they are: a process has 32 places and thousands of portals). (The distributed
frontier takes turns by portal in Redis: :class:`crawler.distributed.ReliableQueue`.)
"""

from __future__ import annotations

from collections import deque
from contextlib import suppress
from pathlib import Path

from scrapy import Request
from scrapy.pqueues import DownloaderAwarePriorityQueue, _path_safe

from crawler.discovery import portal_key


class PortalQueue(DownloaderAwarePriorityQueue):
    """Per-portal queues, taken in turns; a portal with requests in flight waits for its next
    turn, and when every portal has some the one with the fewest goes first."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._turns: deque[str] = deque(sorted(self.pqueues))  # portals with requests queued, next first

    def push(self, request: Request) -> None:
        slot = request.meta.setdefault("download_slot", portal_key(request.url))
        new = slot not in self.pqueues
        super().push(request)
        if new and slot in self.pqueues:
            self._turns.append(slot)

    def pop(self) -> Request | None:
        slot = self._next_turn()
        if slot is None:
            return None
        queue = self.pqueues[slot]
        request = queue.pop()
        if len(queue):
            self._turns.append(slot)  # its next request waits for its next turn
        else:
            del self.pqueues[slot]
            queue.close()
            if self.key:
                with suppress(OSError):  # as Scrapy does: the slot's folder of a persisted crawl
                    Path(self.key, _path_safe(slot)).rmdir()
        return request

    def _next_turn(self) -> str | None:
        """Take the next portal in turn with nothing in flight off the turns; else the least busy."""
        turns, in_flight = self._turns, self._downloader_interface._active_downloads
        for _ in range(len(turns)):
            slot = turns.popleft()
            if not in_flight(slot):
                return slot
            turns.append(slot)
        if not turns:
            return None
        # every portal has requests in flight (more places than portals): the fewest first
        slot = min(turns, key=lambda s: (in_flight(s), s))
        turns.remove(slot)
        return slot
