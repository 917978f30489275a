"""What every crawl component shares, whatever the process's role: the portals of the crawl and
the declared interface of the crawl state.

:class:`CrawlState` is the protocol; two backends implement it — :class:`crawler.state.StoreState`
(a single crawl, or a distributed crawl's coordinator: the store and the evidence on disk) and
:class:`crawler.fleet.WorkerState` (a distributed worker: everything goes through Redis). Scrapy
components reach the one in use through :class:`crawler.state.CrawlStateExtension`.
"""

from __future__ import annotations

import time
from collections import Counter
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

from crawler.discovery import portal_identity, portal_key, portal_prefix

if TYPE_CHECKING:
    from crawler.items import ReportItem
    from monitor.store import Store
    from monitor.store.blobs import BlobStore

# Signal: a request's errback has run (its callback's end is seen by spider middlewares)
request_handled = object()

# What storing a report did, as the crawl log says it
RECORD_STATUS_NAMES = {"new": "新增", "changed": "有更新", "unchanged": "无变化"}


@dataclass
class PortalRun:
    """One portal in this run: its identity in the store and what happened to it."""

    url: str
    portal_id: int | None
    run_id: int | None
    jurisdiction: str | None = None
    started: float = field(default_factory=time.monotonic)
    # the portal's own time: seconds its requests spent on the network (the fleet's total when
    # distributed). Its time budget counts this, not the wall clock: with 2,800 portals taking
    # turns, a portal's wall time is the whole crawl's, however little of it was its own.
    fetch_seconds: float = 0.0
    requests: int = 0  # network requests issued
    pages: int = 0  # successful responses (network or revalidated)
    cached: int = 0  # pages still fresh in the store, used without asking the portal
    reports_found: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    lookalikes: int = 0
    errors: Counter[str] = field(default_factory=Counter)  # failed URLs by kind: a URL's retries count once
    failed_urls: set[str] = field(default_factory=set)
    budget_cuts: Counter[str] = field(default_factory=Counter)
    budget_where: dict[str, list[str]] = field(default_factory=dict)  # which budget -> first URLs it refused
    scheduled: int = 0  # requests the spider scheduled for this portal (budget)
    lists: list[dict] = field(default_factory=list)  # each 年报 list walked: stated, found, adapter, complete

    @property
    def key(self) -> str:
        return portal_identity(self.url)

    def cut(self, which: str, url: str, count: int = 1) -> None:
        """A budget refused ``url``: counted with the first places it struck (shown in health)."""
        self.budget_cuts[which] += count
        where = self.budget_where.setdefault(which, [])
        if len(where) < 5 and url not in where:
            where.append(url)

    def summary(self) -> dict:
        return {"url": self.url, "jurisdiction": self.jurisdiction, "requests": self.requests, "pages": self.pages,
                "reports_found": self.reports_found, "new": self.new, "changed": self.changed,
                "unchanged": self.unchanged, "lookalikes": self.lookalikes, "cached": self.cached,
                "errors": sum(self.errors.values()),
                "error_kinds": dict(self.errors), "budget_cuts": dict(self.budget_cuts),
                "lists": len(self.lists), "lists_incomplete": sum(1 for x in self.lists if x["complete"] is False),
                "duration_s": round(time.monotonic() - self.started, 2), "fetch_s": round(self.fetch_seconds, 2)}


class PortalIndex:
    """Portals by the host they answer on, so that finding a URL's portal costs the same with 2,800
    portals as with one (it is asked a dozen times for every report). Portals and aliases are only
    ever added: the index takes in what is new when their counts change."""

    def __init__(self) -> None:
        self.by_host: dict[str, list[tuple[str, PortalRun]]] = {}
        self.indexed: set[str] = set()
        self.alias_count = -1

    def candidates(self, portals: dict[str, PortalRun], aliases: dict[str, set[str]],
                   host: str) -> list[tuple[str, PortalRun]]:
        if len(self.indexed) != len(portals):
            for key, run in portals.items():
                if key not in self.indexed:
                    self.indexed.add(key)
                    self.by_host.setdefault(portal_key(run.url), []).append((key, run))
        count = sum(len(hosts) for hosts in aliases.values())
        if count != self.alias_count:
            self.alias_count = count
            for key, hosts in aliases.items():
                for alias in hosts:
                    entries = self.by_host.setdefault(alias, [])
                    if key in portals and all(k != key for k, _ in entries):
                        entries.append((key, portals[key]))
        return self.by_host.get(host, [])


def match_portal(portals: dict[str, PortalRun], aliases: dict[str, set[str]], url: str,
                 hint: str | None = None, index: PortalIndex | None = None) -> PortalRun | None:
    """The portal a URL belongs to: same host (``www.`` or not, or a host the portal redirected
    to), the longest configured path prefix that covers it; a URL under no prefix (``/art/…``,
    ``/module/…`` shared by subsites) belongs to the portal that asked for it (``hint``)."""
    host = portal_key(url)
    path = urlsplit(url).path or "/"
    best: PortalRun | None = None
    same_host = []
    candidates = index.candidates(portals, aliases, host) if index is not None else portals.items()
    for key, run in candidates:
        if portal_key(run.url) != host and host not in aliases.get(key, ()):
            continue
        same_host.append(run)
        prefix = portal_prefix(run.url)
        if path.startswith(prefix) and (best is None or len(prefix) > len(portal_prefix(best.url))):
            best = run
    if best is not None and (portal_prefix(best.url) != "/" or hint is None):
        return best
    if hint is not None and hint in portals:
        # the asking portal's own request: its URL under no other prefix, or nothing of its own
        return portals[hint] if portals[hint] in same_host else None
    if best is not None:
        return best
    return same_host[0] if len(same_host) == 1 else None




class DiskFull(IgnoreRequest):
    """A write failed for lack of space; the crawl is being closed (an IgnoreRequest, so Scrapy
    drops the request quietly instead of logging it as a spider error)."""


@dataclass
class Evidence:
    """The pages and documents a crawl keeps on disk (only a process that owns the store has them)."""

    store: Store
    blobs: BlobStore


class CrawlState(Protocol):
    """The crawl's state as the spider, middlewares, pipeline and extensions use it."""

    portals: dict[str, PortalRun]
    evidence: Evidence | None  # None on a distributed worker: it keeps no pages, the coordinator does
    disk_full: bool

    # portals and their budgets (shared by the whole fleet when distributed)
    def add_portal(self, url: str, jurisdiction: str | None) -> PortalRun: ...
    def portal_for(self, url: str, hint: str | None = None) -> PortalRun | None: ...
    def portal_id_for(self, url: str) -> int | None: ...
    def alias(self, run: PortalRun, url: str) -> None: ...
    def set_jurisdiction(self, run: PortalRun, name: str | None) -> None: ...
    def take_budget(self, run: PortalRun, limit: int) -> bool: ...
    def budget_cut(self, run: PortalRun, which: str, url: str) -> None: ...
    def charge(self, url: str, portal: str | None, seconds: float) -> None: ...
    def new_variant(self, path: str, query: str, limit: int) -> bool: ...
    def seeded(self) -> None: ...

    # what the crawl saw
    def writes(self) -> AbstractContextManager[None]: ...
    def record_fetch(self, network: bool = True, **fields: Any) -> None: ...
    def record_list(self, portal: str, result: dict) -> None: ...
    def is_known(self, url: str) -> bool: ...
    def sighting(self, url: str) -> None: ...

    # reports and their documents
    def is_unchanged(self, item: ReportItem) -> bool: ...
    def begin_judging(self, token: str, lease: float) -> None: ...
    def end_judging(self, token: str) -> None: ...
    def poisoned(self, documents: dict[str, str]) -> dict[str, str]: ...
    def mark_documents(self, documents: dict[str, str], state: str, reason: str | None = None) -> None: ...
    def store_item(self, item: ReportItem) -> None: ...

    # the end of the crawl
    def finish(self, status: str = "finished") -> list[dict]: ...
    def close(self) -> None: ...


__all__ = ["RECORD_STATUS_NAMES", "CrawlState", "DiskFull", "Evidence", "PortalIndex", "PortalRun", "match_portal",
           "request_handled"]
