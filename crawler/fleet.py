"""The fleet's shared state in Redis: its keys, the link a coordinator keeps to its workers, and a
worker's crawl state (portals, budgets and everything it finds go through Redis; the coordinator
stores). The frontier itself (queue, duplicate filter, politeness, completion) is
:mod:`crawler.distributed`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import pickle
import time
from contextlib import contextmanager
from typing import Any

import redis

from crawler.discovery import portal_identity, portal_key
from crawler.judging import judge_item
from crawler.runs import CrawlState, DiskFull, Evidence, PortalIndex, PortalRun, match_portal

logger = logging.getLogger("nianbao")


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=30)


class Keys:
    """The Redis keys of one distributed crawl."""

    def __init__(self, prefix: str = "nianbao") -> None:
        self.prefix = prefix
        self.queue = f"{prefix}:queue"
        self.turns = f"{prefix}:turns"  # requests queued so far per portal (the queue's order within a priority)
        self.seen = f"{prefix}:seen"
        self.items = f"{prefix}:items"
        self.fetches = f"{prefix}:fetches"
        self.lists = f"{prefix}:lists"  # list walks' outcomes (the coordinator records them)
        self.poison = f"{prefix}:poison"  # documents being judged or that failed, by hash
        self.judging = f"{prefix}:judging"  # reports being judged by a worker (zset: token -> lease end)
        self.epoch = f"{prefix}:epoch"  # this crawl's id: gone or changed means the frontier was lost
        self.dead = f"{prefix}:dead"  # items the coordinator could not store (dead letters, for inspection)
        self.known = f"{prefix}:known"  # report pages fresh in the store: workers skip them
        self.sightings = f"{prefix}:sightings"  # known pages still listed (the coordinator records)
        self.portals = f"{prefix}:portals"
        self.aliases = f"{prefix}:aliases"  # host names portals redirected to
        self.budget = f"{prefix}:budget"  # requests scheduled per portal (its page budget)
        self.spent = f"{prefix}:spent"  # seconds on the network per portal (its time budget)
        self.cuts = f"{prefix}:cuts"  # budget cuts met by workers (the coordinator records them)
        self.variants = f"{prefix}:variants"
        self.workers = f"{prefix}:workers"
        self.seeding = f"{prefix}:seeding"
        self.done = f"{prefix}:done"

    def processing(self, worker: str) -> str:
        return f"{self.prefix}:processing:{worker}"

    def alive(self, worker: str) -> str:
        return f"{self.prefix}:alive:{worker}"

    def lease(self, slot: str) -> str:
        return f"{self.prefix}:lease:{slot}"

    def next_start(self, slot: str) -> str:
        return f"{self.prefix}:next:{slot}"

    def all(self, client: redis.Redis) -> list[bytes]:
        return list(client.scan_iter(f"{self.prefix}:*"))


def encode(obj: Any) -> bytes:
    return pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL)


def decode(data: bytes) -> Any:
    return pickle.loads(data)


class FleetLink:
    """What a coordinator shares with and takes from the workers through Redis."""

    BATCH = 50

    def __init__(self, settings) -> None:
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

    def charge(self, run: PortalRun, seconds: float) -> float:
        """Add a request's network time to the portal's; the fleet's total so far."""
        return float(self.server.hincrbyfloat(self.keys.spent, portal_identity(run.url), seconds))

    def settle_fetch_seconds(self, state: CrawlState) -> None:
        """The fleet's network time per portal onto the coordinator's runs (read once, at the end)."""
        for key, value in self.server.hgetall(self.keys.spent).items():
            run = state.portals.get(key.decode())
            if run is not None:
                run.fetch_seconds = float(value)

    def share_cut(self, run: PortalRun, which: str, url: str) -> None:
        self.server.rpush(self.keys.cuts, json.dumps({"portal": run.key, "which": which, "url": url}))

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
        def record_list(data: bytes) -> None:
            info = json.loads(data)
            state.record_list(info["portal"], info["result"])

        def record_cut(data: bytes) -> None:  # a budget cut a worker met: health says where it struck
            cut = json.loads(data)
            if cut["portal"] in state.portals:
                state.portals[cut["portal"]].cut(cut["which"], cut["url"])

        for key, handle in ((self.keys.fetches, lambda d: state.record_fetch(**json.loads(d))),
                            (self.keys.lists, record_list),
                            (self.keys.cuts, record_cut),
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


class WorkerState(CrawlState):
    """A distributed worker's view: portals, budgets and its output all go through Redis."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.server = redis_client(crawler.settings["REDIS_URL"])
        self.keys = Keys(crawler.settings.get("NIANBAO_REDIS_PREFIX", "nianbao"))
        self.fleet = FleetLink(crawler.settings)
        self.portals: dict[str, PortalRun] = {}
        self.aliases: dict[str, set[str]] = {}
        self.index = PortalIndex()
        self.evidence: Evidence | None = None  # the coordinator keeps the pages
        self.disk_full = False

    def portal_for(self, url: str, hint: str | None = None) -> PortalRun | None:
        run = match_portal(self.portals, self.aliases, url, hint, self.index)
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
            run = match_portal(self.portals, self.aliases, url, hint, self.index)
        elif run.jurisdiction is None:  # learnt when another process read the home page
            run.jurisdiction = self.fleet.jurisdiction(run)
        return run

    def alias(self, run: PortalRun, url: str) -> None:
        host = portal_key(url)
        if host != portal_key(run.url):
            self.aliases.setdefault(run.key, set()).add(host)
            self.fleet.share_alias(run.key, host)

    def portal_id_for(self, url: str) -> int | None:
        return None  # portal ids are the store's; the coordinator assigns them

    def seeded(self) -> None:
        pass  # workers do not seed

    def add_portal(self, url: str, jurisdiction: str | None) -> PortalRun:
        run = PortalRun(url, None, None, jurisdiction)
        self.portals[portal_identity(url)] = run
        self.fleet.share_portal(run)
        return run

    def take_budget(self, run: PortalRun, limit: int) -> bool:
        run.scheduled = self.fleet.incr_budget(run)
        return run.scheduled <= limit

    def budget_cut(self, run: PortalRun, which: str, url: str) -> None:
        self.fleet.share_cut(run, which, url)

    def charge(self, url: str, portal: str | None, seconds: float) -> None:
        run = self.portal_for(url, portal)
        if run is not None:
            run.fetch_seconds = self.fleet.charge(run, seconds)

    def new_variant(self, path: str, query: str, limit: int) -> bool:
        return self.fleet.new_variant(path, query, limit)

    def set_jurisdiction(self, run: PortalRun, name: str | None) -> None:
        run.jurisdiction = name
        self.fleet.share_portal(run)

    @contextmanager
    def writes(self):
        yield  # nothing is written here; a full disk is the coordinator's to notice

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
        item.judged = item.judged or judge_item(item)
        self.server.rpush(self.keys.items, encode(item))

    def finish(self, status: str = "finished") -> list[dict]:
        return []  # the coordinator closes the portals' runs

    def close(self) -> None:
        pass
