"""Per-crawl state shared by the spider, middlewares, pipeline and extension: the store and the portals."""

from __future__ import annotations

import hashlib
import json
import logging
import sqlite3
import time
from collections import Counter
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from scrapy.exceptions import IgnoreRequest

from crawler.discovery import portal_identity, portal_key, portal_prefix
from monitor.report.intake import Judged, Source, judge_fetched
from monitor.store import DEFAULT_DB, Store, is_disk_full, open_store
from monitor.store.blobs import BlobStore, blob_dir, sha256

logger = logging.getLogger("nianbao")
STATUS_NAMES = {"new": "新增", "changed": "有更新", "unchanged": "无变化"}


def judge_item(item) -> Judged:
    """Read a fetched report's documents and judge them: the costly part of storing it, done
    where the report was fetched (so a fleet's workers share it) and stored where the store is."""
    return judge_fetched(
        Source(item.url, item.page_body, item.page_content_type),
        [Source(a.url, a.body, a.content_type, a.filename) for a in item.attachments if a.body],
        title=item.title, portal_jurisdiction=item.jurisdiction, page_agency=item.agency, column=item.column,
        published=item.published, published_source=item.published_source,
        portal_key=portal_key(item.portal_url))


@dataclass
class PortalRun:
    """One portal in this run: its identity in the store and what happened to it."""

    url: str
    portal_id: int | None
    run_id: int | None
    jurisdiction: str | None = None
    started: float = field(default_factory=time.monotonic)
    requests: int = 0  # network requests issued
    pages: int = 0  # successful responses (network or revalidated)
    reports_found: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    lookalikes: int = 0
    errors: Counter[str] = field(default_factory=Counter)
    budget_cuts: Counter[str] = field(default_factory=Counter)
    budget_where: dict[str, list[str]] = field(default_factory=dict)  # which budget -> first URLs it refused
    scheduled: int = 0  # requests the spider scheduled for this portal (budget)
    lists: list[dict] = field(default_factory=list)  # each 年报 list walked: stated, found, adapter, complete

    @property
    def key(self) -> str:
        return portal_identity(self.url)

    def summary(self) -> dict:
        return {"url": self.url, "jurisdiction": self.jurisdiction, "requests": self.requests, "pages": self.pages,
                "reports_found": self.reports_found, "new": self.new, "changed": self.changed,
                "unchanged": self.unchanged, "lookalikes": self.lookalikes, "errors": sum(self.errors.values()),
                "error_kinds": dict(self.errors), "budget_cuts": dict(self.budget_cuts),
                "lists": len(self.lists), "lists_incomplete": sum(1 for x in self.lists if x["complete"] is False),
                "duration_s": round(time.monotonic() - self.started, 2)}


class CrawlState:
    def __init__(self, db_path: str, crawler=None) -> None:
        self.store: Store = open_store(db_path)
        self.blobs = BlobStore(blob_dir(db_path))
        self.portals: dict[str, PortalRun] = {}  # portal_identity -> run
        self.aliases: dict[str, set[str]] = {}  # portal key -> other host names it answers on (redirects)
        self.crawler = crawler
        self.disk_full = False
        self.variants: dict[str, set[str]] = {}
        self.fleet: FleetLink | None = None  # set on a distributed crawl's coordinator

    @contextmanager
    def writes(self):
        """Around every write of the crawl: a full disk (or the size cap) stops the whole crawl at once.

        Each write is a transaction or an atomic rename, so nothing partial is left behind; the
        crawl must not go on dropping what it fetches."""
        try:
            yield
        except (sqlite3.OperationalError, OSError) as exc:
            if not is_disk_full(exc):
                raise
            if not self.disk_full:
                self.disk_full = True
                logger.error("磁盘已满（或数据库达到大小上限），停止抓取：%s", str(exc)[:200])
                if self.crawler is not None and self.crawler.engine is not None:
                    self.crawler.engine.close_spider(self.crawler.spider, "disk_full")
            raise DiskFull(str(exc)[:200]) from exc

    def add_portal(self, url: str, jurisdiction: str | None) -> PortalRun:
        key = portal_identity(url)
        if key not in self.portals:
            portal_id = self.store.portal_id(url, jurisdiction)
            self.portals[key] = PortalRun(url, portal_id, self.store.start_run(portal_id), jurisdiction)
            if self.fleet is not None:
                self.fleet.share_portal(self.portals[key])
        return self.portals[key]

    # -- budgets (shared by the whole fleet when distributed) ------------------------------

    def take_budget(self, run: PortalRun, limit: int) -> bool:
        """Count one more request for this portal; False once its page budget is spent."""
        count = self.fleet.incr_budget(run) if self.fleet is not None else run.scheduled + 1
        run.scheduled = count
        return count <= limit

    def new_variant(self, path: str, query: str, limit: int) -> bool:
        """Whether one more query string for this path is allowed (calendars, endless searches)."""
        if self.fleet is not None:
            return self.fleet.new_variant(path, query, limit)
        variants = self.variants.setdefault(path, set())
        if query not in variants and len(variants) >= limit:
            return False
        variants.add(query)
        return True

    def set_jurisdiction(self, run: PortalRun, name: str | None) -> None:
        run.jurisdiction = name
        if self.fleet is not None:
            self.fleet.share_portal(run)

    # -- reports ---------------------------------------------------------------------------

    def store_item(self, item) -> None:
        """Keep the evidence, judge the report, store it as new, changed or seen again."""
        with self.writes():
            self._store_item(item)

    def _store_item(self, item) -> None:
        run = self.portal_for(item.portal_url)
        page_blob = self.blobs.put(item.page_body)
        files = [a for a in item.attachments if a.body]
        blobs = [self.blobs.put(a.body) for a in files]
        source_hash = sha256("|".join([page_blob, *blobs]).encode())
        recorded = self.store.touch_unchanged(item.url, source_hash)
        label = item.title
        if recorded is None:
            judged = item.judged or judge_item(item)
            attachment = next((k for k, a in enumerate(files) if a.url == judged.source.url), None)
            recorded = self.store.record_report(
                judged.report, url=item.url, seen_at=item.fetched_at, jurisdiction=judged.jurisdiction,
                agency=judged.agency, level=judged.level, year=judged.year, published=judged.published,
                published_source=judged.published_source, portal_id=run.portal_id if run else None,
                index_no=item.index_no, identity=judged.identity,
                evidence={"source_hash": source_hash, "page_blob": page_blob,
                          "attachment_url": files[attachment].url if attachment is not None else None,
                          "attachment_blob": blobs[attachment] if attachment is not None else None})
            label = f"{judged.agency} {judged.year}年度"
        self._count(run, recorded.status, label)

    # -- documents that failed to be judged (crawler.judging) ---------------------------------

    def begin_judging(self, token: str, lease: float) -> None:
        pass  # one process: the crawl does not end while the pipeline holds an item

    def end_judging(self, token: str) -> None:
        pass

    def is_unchanged(self, item) -> bool:
        """Whether this report was read from exactly these bytes before (no judging needed)."""
        parts = [sha256(item.page_body), *(sha256(a.body) for a in item.attachments if a.body)]
        return self.store.has_version(item.url, sha256("|".join(parts).encode()))

    def poisoned(self, documents: dict[str, str]) -> dict[str, str]:
        """Documents (url -> hash) that failed before, or were being judged when a run died: url -> why."""
        marked = self.store.marked_documents(list(documents.values()))
        out = {}
        for url, digest in documents.items():
            row = marked.get(digest)
            if row:
                out[url] = row["reason"] if row["state"] == "failed" else "上次读取该文件时抓取进程异常终止"
        return out

    def mark_documents(self, documents: dict[str, str], state: str, reason: str | None = None) -> None:
        with self.writes():
            self.store.mark_documents(documents, state, reason)

    def sighting(self, url: str) -> None:
        """A known report page still listed (a worker skipped fetching it): one more sighting."""
        with self.writes():
            recorded = self.store.touch_url(url)
        if recorded is not None:
            self._count(self.portal_for(url), "unchanged", url)

    def _count(self, run: PortalRun | None, status: str, label: str) -> None:
        if run:
            run.reports_found += 1
            setattr(run, status, getattr(run, status) + 1)
        logger.info("[%s] 年报：%s（%s）", (run.jurisdiction or run.url) if run else "", label, STATUS_NAMES[status])

    def consume_remote(self) -> None:
        """The coordinator's side of distribution: store what the workers sent."""
        if self.fleet is not None:
            self.fleet.consume(self)

    def record_list(self, portal: str, result: dict) -> None:
        """A 年报 list walk ended: keep what it stated and found (LIST_INCOMPLETE when short)."""
        run = self.portals.get(portal)
        if run is None:
            return
        run.lists.append(result)
        if result.get("complete") is False:
            logger.warning("[%s] 年报列表不完整：%s（声明 %s 条/%s 页，找到 %s 条，适配器 %s，原因 %s）",
                           run.jurisdiction or run.url, result["column"], result.get("stated"),
                           result.get("stated_pages"), result["found"], result["adapter"], result.get("reason"))
        with self.writes():
            self.store.record_list(run.run_id, run.portal_id, result)

    def portal_for(self, url: str, hint: str | None = None) -> PortalRun | None:
        run = match_portal(self.portals, self.aliases, url, hint)
        if run is not None and run.jurisdiction is None and self.fleet is not None:
            run.jurisdiction = self.fleet.jurisdiction(run)  # a worker may have read the home page
        return run

    def alias(self, run: PortalRun, url: str) -> None:
        """The portal answers on another host name too (its home page redirected there)."""
        host = portal_key(url)
        if host != portal_key(run.url):
            self.aliases.setdefault(run.key, set()).add(host)
            logger.info("[%s] 门户网站重定向到 %s，按同一网站处理", run.jurisdiction or run.url, host)
            if self.fleet is not None:
                self.fleet.share_alias(run.key, host)

    def portal_id_for(self, url: str) -> int | None:
        run = self.portal_for(url)
        return run.portal_id if run else None

    def record_fetch(self, network: bool = True, **fields) -> None:
        with self.writes():
            self._record_fetch(network, **fields)

    def _record_fetch(self, network: bool, **fields) -> None:
        run = self.portal_for(fields["url"], fields.pop("portal", None))
        if run:
            run.requests += int(network)
            if fields.get("status") in (200, 304) and not fields.get("error_kind"):
                run.pages += 1
            if fields.get("error_kind"):
                run.errors[fields["error_kind"]] += 1
        self.store.log_fetch(run_id=run.run_id if run else None, portal_id=run.portal_id if run else None, **fields)

    def finish(self, status: str = "finished") -> list[dict]:
        out = []
        for run in self.portals.values():
            if run.jurisdiction:  # learnt from the home page when not configured
                self.store.portal_id(run.url, run.jurisdiction)
            summary = run.summary()
            # a run that could not see a whole list is not a clean success
            run_status = "incomplete" if status == "finished" and summary["lists_incomplete"] else status
            summary["status"] = run_status
            self.store.finish_run(run.run_id, status=run_status, pages=run.pages, requests=run.requests,
                                  reports_found=run.reports_found, new=run.new, changed=run.changed,
                                  errors=summary["errors"], error_kinds=json.dumps(summary["error_kinds"]),
                                  budget_cuts=json.dumps({k: {"count": n, "where": run.budget_where.get(k, [])}
                                                          for k, n in run.budget_cuts.items()}, ensure_ascii=False),
                                  duration_s=summary["duration_s"])
            out.append(summary)
        return out


def match_portal(portals: dict[str, PortalRun], aliases: dict[str, set[str]], url: str,
                 hint: str | None = None) -> PortalRun | None:
    """The portal a URL belongs to: same host (``www.`` or not, or a host the portal redirected
    to), the longest configured path prefix that covers it; a URL under no prefix (``/art/…``,
    ``/module/…`` shared by subsites) belongs to the portal that asked for it (``hint``)."""
    host = portal_key(url)
    path = urlsplit(url).path or "/"
    best: PortalRun | None = None
    same_host = []
    for key, run in portals.items():
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


def crawl_state(crawler) -> CrawlState | WorkerState:
    """The crawl's state, created on first use: the store (``NIANBAO_DB``) for a single crawl or a
    distributed crawl's coordinator, Redis only for a worker."""
    state = getattr(crawler, "_nianbao_state", None)
    if state is None:
        role = crawler.settings.get("NIANBAO_ROLE", "single")
        if role == "worker":
            state = WorkerState(crawler)
        else:
            state = CrawlState(crawler.settings.get("NIANBAO_DB", DEFAULT_DB), crawler)
            if role == "coordinator":
                state.fleet = FleetLink(crawler.settings)
        crawler._nianbao_state = state
    return state


class FleetLink:
    """What a coordinator shares with and takes from the workers through Redis."""

    BATCH = 50

    def __init__(self, settings) -> None:
        from crawler.distributed import Keys, redis_client

        self.server = redis_client(settings["REDIS_URL"])
        self.keys = Keys(settings.get("NIANBAO_REDIS_PREFIX", "nianbao"))

    def share_alias(self, portal: str, host: str) -> None:
        known = self.server.hget(self.keys.aliases, portal)
        hosts = set(json.loads(known)) if known else set()
        self.server.hset(self.keys.aliases, portal, json.dumps(sorted(hosts | {host})))

    def share_portal(self, run: PortalRun) -> None:
        key = portal_identity(run.url)
        known = self.server.hget(self.keys.portals, key)
        started = json.loads(known)["started"] if known else time.time()  # the portal's time budget runs on
        self.server.hset(self.keys.portals, key,
                         json.dumps({"url": run.url, "jurisdiction": run.jurisdiction, "started": started}))

    def jurisdiction(self, run: PortalRun) -> str | None:
        """The portal's jurisdiction as the fleet knows it (whoever parsed its home page)."""
        raw = self.server.hget(self.keys.portals, portal_identity(run.url))
        return json.loads(raw).get("jurisdiction") if raw else None

    def incr_budget(self, run: PortalRun) -> int:
        return int(self.server.hincrby(self.keys.budget, portal_identity(run.url), 1))

    def new_variant(self, path: str, query: str, limit: int) -> bool:
        key = f"{self.keys.variants}:{hashlib.sha1(path.encode()).hexdigest()[:16]}"
        if not self.server.sadd(key, query):
            return True  # a variant the fleet already allowed
        if self.server.scard(key) > limit:  # two processes adding at once never both pass the limit
            self.server.srem(key, query)
            return False
        return True

    def seeding_done(self) -> None:
        self.server.delete(self.keys.seeding)

    def consume(self, state: CrawlState) -> None:
        from crawler.distributed import decode

        def record_list(data: bytes) -> None:
            info = json.loads(data)
            state.record_list(info["portal"], info["result"])

        for key, handle in ((self.keys.fetches, lambda d: state.record_fetch(**json.loads(d))),
                            (self.keys.lists, record_list),
                            (self.keys.sightings, lambda d: state.sighting(d.decode())),
                            (self.keys.items, lambda d: state.store_item(decode(d)))):
            for data in self.server.lpop(key, self.BATCH) or []:
                try:
                    handle(data)
                except DiskFull:
                    return
                except Exception:  # one bad item must not stop the storing of the others
                    logger.exception("无法保存工作进程发来的数据（已记入 %s）", self.keys.dead)
                    self.server.rpush(self.keys.dead, data)


class WorkerState:
    """A distributed worker's view: portals, budgets and its output all go through Redis."""

    def __init__(self, crawler) -> None:
        from crawler.distributed import Keys, redis_client

        self.crawler = crawler
        self.server = redis_client(crawler.settings["REDIS_URL"])
        self.keys = Keys(crawler.settings.get("NIANBAO_REDIS_PREFIX", "nianbao"))
        self.fleet = FleetLink(crawler.settings)
        self.portals: dict[str, PortalRun] = {}
        self.aliases: dict[str, set[str]] = {}
        self.store = None
        self.blobs = None
        self.disk_full = False

    def portal_for(self, url: str, hint: str | None = None) -> PortalRun | None:
        run = match_portal(self.portals, self.aliases, url, hint)
        if run is None:  # a portal (or an alias) this process has not met yet: read the fleet's
            for raw_key, raw in self.server.hgetall(self.keys.portals).items():
                key = raw_key.decode()
                if key not in self.portals:
                    info = json.loads(raw)
                    known = PortalRun(info["url"], None, None, info.get("jurisdiction"))
                    known.started -= max(0.0, time.time() - info.get("started", time.time()))
                    self.portals[key] = known
            for key, hosts in self.server.hgetall(self.keys.aliases).items():
                self.aliases[key.decode()] = set(json.loads(hosts))
            run = match_portal(self.portals, self.aliases, url, hint)
        elif run.jurisdiction is None:  # learnt when another process read the home page
            run.jurisdiction = self.fleet.jurisdiction(run)
        return run

    def alias(self, run: PortalRun, url: str) -> None:
        host = portal_key(url)
        if host != portal_key(run.url):
            self.aliases.setdefault(run.key, set()).add(host)
            self.fleet.share_alias(run.key, host)

    def portal_id_for(self, url: str) -> None:
        return None

    def add_portal(self, url: str, jurisdiction: str | None) -> PortalRun:
        run = PortalRun(url, None, None, jurisdiction)
        self.portals[portal_identity(url)] = run
        self.fleet.share_portal(run)
        return run

    def take_budget(self, run: PortalRun, limit: int) -> bool:
        run.scheduled = self.fleet.incr_budget(run)
        return run.scheduled <= limit

    def new_variant(self, path: str, query: str, limit: int) -> bool:
        return self.fleet.new_variant(path, query, limit)

    def set_jurisdiction(self, run: PortalRun, name: str | None) -> None:
        run.jurisdiction = name
        self.fleet.share_portal(run)

    @contextmanager
    def writes(self):
        yield

    def record_fetch(self, network: bool = True, **fields) -> None:
        self.server.rpush(self.keys.fetches, json.dumps({"network": network, **fields}, default=str))

    def record_list(self, portal: str, result: dict) -> None:
        self.server.rpush(self.keys.lists, json.dumps({"portal": portal, "result": result}))

    def is_unchanged(self, item) -> bool:
        return False  # a worker keeps no store; the coordinator skips re-analysis

    def begin_judging(self, token: str, lease: float) -> None:
        """A report is being judged here: the fleet is not idle until it is sent (or the lease ends)."""
        self.server.zadd(self.keys.judging, {token: time.time() + lease})

    def end_judging(self, token: str) -> None:
        self.server.zrem(self.keys.judging, token)

    def poisoned(self, documents: dict[str, str]) -> dict[str, str]:
        marks = self.server.hmget(self.keys.poison, list(documents.values())) if documents else []
        out = {}
        for (url, _), raw in zip(documents.items(), marks, strict=True):
            if raw:
                info = json.loads(raw)
                out[url] = info["reason"] if info["state"] == "failed" else "上次读取该文件时抓取进程异常终止"
        return out

    def mark_documents(self, documents: dict[str, str], state: str, reason: str | None = None) -> None:
        for url, digest in documents.items():
            if state == "ok":
                self.server.hdel(self.keys.poison, digest)
            else:
                self.server.hset(self.keys.poison, digest, json.dumps({"url": url, "state": state, "reason": reason}))

    def is_known(self, url: str) -> bool:
        return bool(self.server.sismember(self.keys.known, url))

    def sighting(self, url: str) -> None:
        self.server.rpush(self.keys.sightings, url)

    def store_item(self, item) -> None:
        from crawler.distributed import encode

        item.judged = item.judged or judge_item(item)
        self.server.rpush(self.keys.items, encode(item))

    def consume_remote(self) -> None:
        pass

    def finish(self, status: str = "finished") -> list[dict]:
        return []


class DiskFull(IgnoreRequest):
    """A write failed for lack of space; the crawl is being closed (an IgnoreRequest, so Scrapy
    drops the request quietly instead of logging it as a spider error)."""
