"""The single-process frontier hands requests out portal by portal (crawler.queues)."""

from __future__ import annotations

from scrapy import Request
from scrapy.spiders import Spider
from scrapy.squeues import FifoMemoryQueue
from scrapy.utils.test import get_crawler

from crawler import settings as project_settings
from crawler.queues import PortalQueue


def test_portals_on_one_host_get_their_own_turns() -> None:
    """Portals on one server (here one address, several ports) are separate portals: each is
    its own queue and the next request comes from the least busy one, not one portal's in a row
    (they would wait out its delay together, holding the process's places)."""
    assert project_settings.SCHEDULER_PRIORITY_QUEUE == "crawler.queues.PortalQueue"
    crawler = get_crawler(Spider)
    crawler.spider = crawler._create_spider("portal")
    crawler.engine = crawler._create_engine()
    queue = PortalQueue.from_crawler(crawler, FifoMemoryQueue, "")
    for n in range(3):
        queue.push(Request(f"http://127.0.0.1:8001/{n}.html"))
    queue.push(Request("http://127.0.0.1:8002/0.html"))
    queue.push(Request("http://www.example.gov.cn/0.html"))
    assert set(queue.pqueues) == {"127.0.0.1:8001", "127.0.0.1:8002", "example.gov.cn"}
    hosts = [queue.pop().url.split("/")[2] for _ in range(5)]
    assert sorted(hosts[:3]) == ["127.0.0.1:8001", "127.0.0.1:8002", "www.example.gov.cn"]
    assert hosts[3:] == ["127.0.0.1:8001", "127.0.0.1:8001"]


def test_a_pop_asks_one_portal_not_all_of_them() -> None:
    """Handing out a request at national size (thousands of portals queued) looks at the portal
    in turn, not at every portal's downloads in flight (818 questions a report at 400 portals)."""
    crawler = get_crawler(Spider)
    crawler.spider = crawler._create_spider("portal")
    crawler.engine = crawler._create_engine()
    queue = PortalQueue.from_crawler(crawler, FifoMemoryQueue, "")
    portals = 2000
    for n in range(2 * portals):
        queue.push(Request(f"http://127.0.0.1:{10000 + n % portals}/{n}.html"))
    asked = []
    real = queue._downloader_interface._active_downloads
    queue._downloader_interface._active_downloads = lambda slot: asked.append(slot) or real(slot)
    first = [queue.pop().url for _ in range(portals)]
    assert len(asked) == portals  # one question a request
    assert len({url.split("/")[2] for url in first}) == portals  # every portal once before any twice
    assert len(queue) == portals and queue.pop() is not None
