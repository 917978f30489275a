"""Run the portal spider from Python (the ``nianbao crawl`` command and the demo use this).

Scrapy's reactor starts once per process: call :func:`crawl` once, with every portal.
"""

from __future__ import annotations

import logging
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from crawler import settings as default_settings
from crawler.spiders.portal import PortalConfig, PortalSpider


def crawl_settings(db: str, overrides: dict[str, Any] | None = None) -> Settings:
    settings = Settings()
    settings.setmodule(default_settings, priority="project")
    settings.set("NIANBAO_DB", db, priority="cmdline")
    settings.set("LOG_FORMAT", "%(message)s", priority="cmdline")
    for key, value in (overrides or {}).items():
        settings.set(key, value, priority="cmdline")
    return settings


def crawl(portals: list[PortalConfig], db: str, overrides: dict[str, Any] | None = None) -> tuple[list[dict], str]:
    """Crawl the portals into the database; returns one summary per portal and why the crawl ended
    (``finished``, ``shutdown`` on SIGTERM, ``disk_full``)."""
    process = CrawlerProcess(crawl_settings(db, overrides))
    for name in ("scrapy", "scrapy_playwright", "asyncio", "twisted", "py.warnings", "charset_normalizer"):
        logging.getLogger(name).setLevel(logging.WARNING)
    crawler = process.create_crawler(PortalSpider)
    process.crawl(crawler, portals=portals)
    process.start()
    ext = getattr(crawler, "nianbao_summary", None)
    return (ext.summaries, ext.reason) if ext else ([], "shutdown")
