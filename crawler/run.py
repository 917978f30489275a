"""Run the portal spider from Python (the ``nianbao crawl`` command and the demo use this).

Scrapy's reactor starts once per process: call :func:`crawl` once, with every portal.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler import settings as default_settings
from crawler.spiders.portal import PortalConfig, PortalSpider
from crawler.state import CrawlStateExtension
from monitor.gcpolicy import few_collections


def crawl_settings(db: str, overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.set("NIANBAO_DB", db, priority="cmdline")
    settings.set("LOG_FORMAT", "%(message)s", priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def distribute(settings: Settings, redis_url: str, worker: bool, db: str | None) -> None:
    """Put this process on a distributed crawl's shared frontier (see crawler.distributed)."""
    from scrapy.core.engine import ExecutionEngine

    from crawler import distributed, fleet

    for key, value in distributed.settings_for(redis_url, worker).items():
        if key == "SPIDER_MIDDLEWARES":
            value = {**settings.getdict("SPIDER_MIDDLEWARES"), **value}
        settings.set(key, value, priority="cmdline")
    settings.set("DOWNLOADER_MIDDLEWARES", {**settings.getdict("DOWNLOADER_MIDDLEWARES"),
                                            "crawler.distributed.FleetPoliteness": 960}, priority="cmdline")
    settings.set("EXTENSIONS", {**settings.getdict("EXTENSIONS"), "crawler.distributed.Fleet": 400}, priority="cmdline")
    # the fleet's lease spaces a portal's requests; a process's own delay on top would let two
    # processes' requests start closer together than the delay (each waited on its own clock)
    settings.set("NIANBAO_FLEET_DELAY", settings.getfloat("DOWNLOAD_DELAY"), priority="cmdline")
    settings.set("DOWNLOAD_DELAY", 0, priority="cmdline")
    settings.set("AUTOTHROTTLE_ENABLED", False, priority="cmdline")  # leases are held until the answer comes
    # poll the shared frontier twice a second when idle, not every 5 s
    ExecutionEngine._SLOT_HEARTBEAT_INTERVAL = 0.5
    if not worker:
        distributed.reset(redis_url)
        client = fleet.redis_client(redis_url)
        keys = fleet.Keys()
        client.set(keys.seeding, "1", ex=3600)
        client.set(keys.epoch, uuid.uuid4().hex)  # this crawl's frontier: gone means Redis lost it
        if db:  # report pages still fresh in the store: workers need not fetch them
            from datetime import UTC, datetime, timedelta

            from monitor.store import open_store

            store = open_store(db)
            days = settings.getfloat("NIANBAO_REVALIDATE_DAYS")
            since = (datetime.now(UTC) - timedelta(days=days)).isoformat()
            urls = store.fresh_detail_urls(since)
            if urls:
                client.sadd(keys.known, *urls)
            store.close()


# What the libraries say — their banner, settings and per-request errors, which the fetch log and
# the crawl's summary already record in Chinese — is for ``-v``; an exception in our callbacks shows.
LIBRARY_LOGGERS = ("scrapy", "scrapy_playwright", "scrapy_redis", "asyncio", "twisted", "py.warnings",
                   "charset_normalizer", "playwright", "filelock", "hpack", "nianbao.requests")


class LibraryFilter(logging.Filter):
    def __init__(self, verbose: int) -> None:
        super().__init__()
        self.verbose = verbose

    def filter(self, record: logging.LogRecord) -> bool:
        if not record.name.startswith(LIBRARY_LOGGERS):
            return True
        if self.verbose:
            return record.levelno >= (logging.DEBUG if self.verbose > 1 else logging.INFO)
        return record.name.startswith("scrapy.core.scraper") and record.levelno >= logging.ERROR


def console_logging(verbose: int = 0) -> None:
    """One console handler on the root logger, ours (Scrapy is told not to install its own)."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, "nianbao_console", False)), None)
    if handler is None:
        handler = logging.StreamHandler()
        handler.nianbao_console = True  # type: ignore[attr-defined]
        handler.setFormatter(logging.Formatter("%(message)s"))
        root.addHandler(handler)
    handler.filters = [LibraryFilter(verbose)]
    root.setLevel(logging.DEBUG if verbose > 1 else logging.INFO)


def crawl(portals: list[PortalConfig], db: str, overrides: dict[str, Any] | None = None,
          redis_url: str | None = None, worker: bool = False, verbose: int = 0) -> tuple[list[dict], str]:
    """Crawl the portals into the database; returns one summary per portal and why the crawl ended
    (``finished``, ``shutdown`` on SIGTERM, ``disk_full``). With ``redis_url`` the crawl shares its
    frontier with workers; ``worker`` joins such a crawl (no portals, no database)."""
    settings = crawl_settings(db, overrides)
    if redis_url:
        distribute(settings, redis_url, worker, None if worker else db)
    settings.set("LOG_INSTALL_ROOT_HANDLER", False, priority="cmdline")
    console_logging(verbose)
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(PortalSpider)
    process.crawl(crawler, portals=portals)
    with few_collections():  # a crawl allocates a few objects for every request and page (monitor.gcpolicy)
        process.start()
    try:
        ext = crawler.get_extension(CrawlStateExtension)
    except RuntimeError:  # stopped before the crawl started (a signal during start-up)
        ext = None
    return (ext.summaries, ext.reason) if ext else ([], "shutdown")
