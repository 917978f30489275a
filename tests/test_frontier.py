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
