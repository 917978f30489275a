"""Distributed crawling on scrapy-redis: one shared frontier in Redis, many workers, one writer.

Roles. The *coordinator* (``nianbao crawl --redis URL --db PATH …``) seeds the frontier, works
it like any worker, and is the only process that writes the store: it consumes, from Redis, the
items and fetch records the workers produce. A *worker* (``nianbao crawl --worker --redis URL``)
needs no database; it works the queue and pushes what it finds back.

What scrapy-redis gives (a shared priority queue and duplicate filter) is extended here where a
national crawl needs more:

* :class:`ReliableQueue` — a popped request is parked in its worker's ``processing`` hash until
  the spider has handled it (:class:`AckMiddleware`) or its successor, a retry or a redirect, is
  back on the queue (:class:`ReliableScheduler`); a worker that dies (its heartbeat key
  expires) has its parked requests put back on the queue by the coordinator. Nothing is lost.
* :class:`BloomDupeFilter` — the seen-set as a Bloom filter in one Redis bitmap: bounded memory
  whatever the frontier (see BLOOM_BITS below).
* :class:`FleetPoliteness` — per-portal concurrency and delay enforced across the fleet with
  leases in Redis, so no portal gets more than its limit from all workers together.
* Completion — every process keeps its spider open while the frontier, the parked requests or
  the item lists are not empty; the coordinator declares the crawl done and everyone exits.

One distributed crawl per key prefix (``NIANBAO_REDIS_PREFIX``, default ``nianbao``) at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import os
import random
import socket
import time
import uuid
from collections import Counter
from typing import Any

import redis
from scrapy import Request, signals
from scrapy.exceptions import DontCloseSpider, IgnoreRequest, NotConfigured
from scrapy.utils.request import fingerprint
from scrapy_redis.queue import PriorityQueue
from scrapy_redis.scheduler import Scheduler
from twisted.internet import task

from crawler import cpu
from crawler.discovery import portal_key
from crawler.fleet import FleetLink, Keys, redis_client
from crawler.runs import request_handled
from crawler.state import crawl_state

logger = logging.getLogger("nianbao")

# Bloom filter: 2**25 bits (4 MiB of Redis) with 16 hashes keeps false positives (a URL wrongly
# taken as seen, i.e. a page missed) near 1e-5 up to ~1.4 million URLs — a national frontier of
# ~2,800 portals × ~500 URLs; a plain set of fingerprints would hold ~140 MB for the same.
BLOOM_BITS = 1 << 25
BLOOM_HASHES = 16
# Reports fetched by workers and not yet stored by the coordinator (each a page plus its
# attachments, typically 0.1–2 MB): workers stop taking requests above this many.
ITEM_BACKLOG = 200
HEARTBEAT_TTL = 30  # seconds without a heartbeat before a worker counts as dead
LEASE_TTL = 120  # a lease outlives its request by at most this (a worker killed mid-download)


def settings_for(url: str, worker: bool, prefix: str = "nianbao") -> dict[str, Any]:
    """Scrapy settings that put a crawl on the shared frontier."""
    keys = Keys(prefix)
    return {
        "REDIS_URL": url,
        "NIANBAO_REDIS_PREFIX": prefix,
        "NIANBAO_ROLE": "worker" if worker else "coordinator",
        "SCHEDULER": "crawler.distributed.ReliableScheduler",
        "SCHEDULER_QUEUE_CLASS": "crawler.distributed.ReliableQueue",
        "SCHEDULER_QUEUE_KEY": keys.queue,
        "DUPEFILTER_CLASS": "crawler.distributed.BloomDupeFilter",
        "SCHEDULER_DUPEFILTER_KEY": keys.seen,
        "SCHEDULER_PERSIST": True,  # the coordinator clears the keys when the whole crawl is done
        "SPIDER_MIDDLEWARES": {"crawler.distributed.AckMiddleware": 10},
    }


# --------------------------------------------------------------------------- the frontier

# A queued request is its portal's name, a newline, and the request as scrapy-redis encodes it.
# Within a priority, requests are taken in turns by portal: a request's score is its priority, then
# the number of requests its portal has queued before it (a sorted set orders equal scores by their
# bytes, i.e. by URL: one portal's requests came out in a row). A pop takes, among the first
# POP_WINDOW requests, the first whose portal the fleet could send it to now (see FleetPoliteness),
# and otherwise the first: a request popped for a busy portal waits for its lease holding one of
# the process's places, and a process full of them crawled at the pace of a few portals. The window
# is wide because one priority's requests are ordered by turn: at national size the first 32 held
# ~30 portals (the large ones' columns), and a single process crawled ~35 portals at a time.
_PUSH = """
local turn = redis.call('HINCRBY', KEYS[2], ARGV[3], 1)
redis.call('ZADD', KEYS[1], tonumber(ARGV[1]) * 4294967296 + turn, ARGV[3] .. '\\n' .. ARGV[2])
"""
_POP = """
local items = redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[4]) - 1, 'WITHSCORES')
if #items == 0 then return nil end
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
-- portals this process already has requests waiting for a lease on (ARGV[5..]): not free for it
local waiting = {}
for i = 5, #ARGV do waiting[ARGV[i]] = true end
local pick, fallback = nil, nil
local busy = {}  -- portals found busy in this window: asked once
for i = 1, #items, 2 do
  local cut = string.find(items[i], '\\n', 1, true)
  local slot = cut and string.sub(items[i], 1, cut - 1)
  if slot and not waiting[slot] and not busy[slot] then
    fallback = fallback or i
    if redis.call('ZCOUNT', ARGV[3] .. ':lease:' .. slot, now, '+inf') < limit
        and tonumber(redis.call('GET', ARGV[3] .. ':next:' .. slot) or '0') <= now then
      pick = i
      break
    end
    busy[slot] = true
  end
end
pick = pick or fallback
if not pick then return nil end  -- every portal in the window already has a request of ours waiting
redis.call('ZREM', KEYS[1], items[pick])
redis.call('HSET', KEYS[2], redis.sha1hex(items[pick]), items[pick + 1] .. '|' .. items[pick])
return items[pick]
"""
POP_WINDOW = 512  # requests looked at per pop: the first 32 held only ~30 portals at national size


def worker_id(spider) -> str:
    if not getattr(spider, "worker_id", None):
        spider.worker_id = f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    return spider.worker_id


class ReliableQueue(PriorityQueue):
    """scrapy-redis's priority queue, with popped requests parked until acknowledged."""

    def __init__(self, server, spider, key, serializer=None) -> None:
        super().__init__(server, spider, key, serializer)
        self.keys = Keys(spider.settings.get("NIANBAO_REDIS_PREFIX", "nianbao"))
        self.worker = worker_id(spider)
        self.parking = self.keys.processing(self.worker)
        self._pop = server.register_script(_POP)
        self._push = server.register_script(_PUSH)
        self.limit = spider.settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2)
        self.waits_for_store = spider.settings.get("NIANBAO_ROLE") == "worker"
        self.backlog = spider.settings.getint("NIANBAO_ITEM_BACKLOG", ITEM_BACKLOG)
        self.politeness: FleetPoliteness | None = None  # found in the downloader at the first pop
        crawler = getattr(spider, "crawler", None)
        try:
            fleet = crawler.get_extension(Fleet) if crawler is not None else None
        except RuntimeError:  # a crawler that was never started (a queue built on its own)
            fleet = None
        if fleet is not None:
            fleet.frontier = self  # the coordinator puts dead workers' parked requests back through it

    def push(self, request: Request) -> None:
        self._push(keys=[self.key, self.keys.turns],
                   args=[-request.priority, self._encode_request(request), portal_key(request.url)])

    def pop(self, timeout: int = 0):
        try:
            if self.waits_for_store and self.server.llen(self.keys.items) >= self.backlog:
                return None  # the coordinator is behind storing: wait rather than fill Redis with documents
            data = self._pop(keys=[self.key, self.parking],
                             args=[time.time(), self.limit, self.keys.prefix, POP_WINDOW, *self._waiting()])
        except redis.RedisError:
            return None  # Redis is away: the fleet's watchdog (Fleet.tick) decides when to give up
        if not data:
            return None
        request = self._decode_request(data.partition(b"\n")[2])
        request.meta["frontier_ids"] = [hashlib.sha1(data).hexdigest()]
        return request

    def _waiting(self) -> list[str]:
        """Portals this process's requests are waiting for a lease on (FleetPoliteness)."""
        if self.politeness is None:
            crawler = getattr(self.spider, "crawler", None)
            downloader = getattr(getattr(crawler, "engine", None), "downloader", None)
            found = [m for m in getattr(getattr(downloader, "middleware", None), "middlewares", ())
                     if isinstance(m, FleetPoliteness)]
            if not found:
                return []
            self.politeness = found[0]
        return list(self.politeness.waiting)

    def ack(self, request: Request) -> None:
        """The request is handled: release it from its parking."""
        self.release(request.meta.pop("frontier_ids", None))

    def release(self, parked: list[str] | None) -> None:
        if parked:
            with contextlib.suppress(redis.RedisError):
                self.server.hdel(self.parking, *parked)

    def requeue_dead_workers(self) -> int:
        """Put back the parked requests of workers whose heartbeat has expired."""
        moved = 0
        for member in self.server.smembers(self.keys.workers):
            worker = member.decode()
            if self.server.exists(self.keys.alive(worker)):
                continue
            parking = self.keys.processing(worker)
            for _, value in self.server.hscan_iter(parking):
                score, _, data = value.partition(b"|")
                self.server.zadd(self.key, {data: float(score)})
                moved += 1
            self.server.delete(parking)
            self.server.srem(self.keys.workers, worker)
        if moved:
            logger.warning("重新排队 %d 个请求（执行它们的工作进程已停止）", moved)
        return moved


class ReliableScheduler(Scheduler):
    """scrapy-redis's scheduler, releasing a parked request once its successor is queued.

    A retry or a redirect is a new request carrying its parent's meta. Once the successor is in
    the shared queue (or dropped as already seen) the parent is done with — and any worker may
    take the successor, so the parent cannot wait for it to be handled in this process."""

    def close(self, reason: str) -> None:
        try:
            super().close(reason)
        except redis.RedisError as exc:  # Redis is gone: the spider must still close, and say why
            logger.error("关闭时无法访问 Redis：%s", exc)

    def has_pending_requests(self) -> bool:
        try:
            return super().has_pending_requests()
        except redis.RedisError:
            return False

    def enqueue_request(self, request: Request) -> bool:
        parked = request.meta.pop("frontier_ids", None)
        try:
            return super().enqueue_request(request)
        except redis.RedisError as exc:
            logger.error("无法写入分布式任务队列（Redis 不可用）：%s", exc)
            return False  # the run will end as redis_down; a rerun resumes from the store
        finally:  # after the push: a crash in between fetches the page twice, never loses it
            self.queue.release(parked)


class BloomDupeFilter:
    """A request fingerprint filter in one Redis bitmap (atomic check-and-set in Lua)."""

    _CHECK_AND_SET = """
    local seen = 1
    for i, bit in ipairs(ARGV) do
        if redis.call('SETBIT', KEYS[1], bit, 1) == 0 then seen = 0 end
    end
    return seen
    """

    def __init__(self, server: redis.Redis, key: str, bits: int = BLOOM_BITS, hashes: int = BLOOM_HASHES) -> None:
        self.server, self.key, self.bits, self.hashes = server, key, bits, hashes
        self._script = server.register_script(self._CHECK_AND_SET)
        self.logdupes = True

    @classmethod
    def from_spider(cls, spider) -> BloomDupeFilter:
        settings = spider.settings
        return cls(redis_client(settings["REDIS_URL"]), Keys(settings.get("NIANBAO_REDIS_PREFIX", "nianbao")).seen,
                   settings.getint("NIANBAO_BLOOM_BITS", BLOOM_BITS), settings.getint("NIANBAO_BLOOM_HASHES", BLOOM_HASHES))

    def positions(self, fp: bytes) -> list[int]:
        digest = hashlib.blake2b(fp, digest_size=16).digest()
        a, b = int.from_bytes(digest[:8], "little"), int.from_bytes(digest[8:], "little") | 1
        return [(a + i * b) % self.bits for i in range(self.hashes)]  # double hashing

    def request_seen(self, request: Request) -> bool:
        return bool(self._script(keys=[self.key], args=self.positions(fingerprint(request))))

    def open(self) -> None:
        pass

    def close(self, reason: str = "") -> None:
        pass

    def clear(self) -> None:
        self.server.delete(self.key)

    def log(self, request: Request, spider) -> None:
        pass


# --------------------------------------------------------------------------- politeness


_ACQUIRE = """
local now = tonumber(ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)
local next_start = tonumber(redis.call('GET', KEYS[2]) or '0')
if now < next_start then return math.ceil((next_start - now) * 1000) end  -- ms until the portal's next start
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return -1 end  -- its places are taken
redis.call('ZADD', KEYS[1], now + tonumber(ARGV[4]), ARGV[5])
redis.call('SET', KEYS[2], tostring(now + tonumber(ARGV[3])), 'EX', 3600)
return 0
"""
# A leased request leaves a little later than its lease was granted (a busy process sends late):
# the portal's next start is then counted from when it left. This covers a sender late by less
# than the delay; one late by more can still be overtaken by another process's request.
_SENT = """
local next_start = tonumber(ARGV[1]) + tonumber(ARGV[2])
if next_start > tonumber(redis.call('GET', KEYS[1]) or '0') then
  redis.call('SET', KEYS[1], tostring(next_start), 'EX', 3600)
end
"""
LEASE_POLL = 0.05  # first wait for a portal whose places are taken by another process; doubled up to LEASE_POLL_MAX
LEASE_POLL_MAX = 0.4


class FleetUnavailable(IgnoreRequest):
    """Redis could not be reached for a request: the fleet's error, never recorded as the portal's."""


class FleetPoliteness:
    """Per-portal concurrency and delay for the whole fleet, by leases in Redis.

    In distributed mode this replaces each process's own download delay and AutoThrottle (see
    ``crawler.run.distribute``): a lease is held until the answer arrives, so a slow portal gets
    fewer requests per second, as AutoThrottle would give it.

    Sits just before the download (after the evidence store has answered what it could), takes a
    lease for the request's portal and gives it back when the request leaves the downloader."""

    def __init__(self, crawler) -> None:
        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured
        self.server = redis_client(settings["REDIS_URL"])
        self.keys = Keys(settings.get("NIANBAO_REDIS_PREFIX", "nianbao"))
        self.limit = settings.getint("CONCURRENT_REQUESTS_PER_DOMAIN", 2)
        self.delay = settings.getfloat("NIANBAO_FLEET_DELAY", settings.getfloat("DOWNLOAD_DELAY", 0.0))
        self.jitter = settings.getfloat("DOWNLOAD_DELAY_JITTER", 0.0)
        self._acquire = self.server.register_script(_ACQUIRE)
        self._sent = self.server.register_script(_SENT)
        self.leases: dict[int, tuple[str, str, float]] = {}  # request -> (portal, lease token, its delay)
        self.waiting: Counter[str] = Counter()  # requests of this process waiting for a lease, by portal
        self.released: dict[str, asyncio.Event] = {}  # set when this process gives back a lease of the portal
        crawler.signals.connect(self._left, signal=signals.request_left_downloader)
        crawler.signals.connect(self._reached, signal=signals.request_reached_downloader)

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    async def process_request(self, request: Request) -> None:
        slot = request.meta.get("download_slot") or "default"
        token = uuid.uuid4().hex
        delay = self.delay * random.uniform(1 - self.jitter, 1 + self.jitter)
        # Not a poll every 50 ms: a request waiting out its portal's delay (0.5 s) asked Redis ten
        # times, and a process's 32 places full of them made most of a fleet's per-report CPU.
        # Wait as long as Redis says the delay has left, or until this process gives back one of
        # the portal's leases (another process's: a doubling poll).
        poll = LEASE_POLL
        self.waiting[slot] += 1
        try:
            while wait := int(self._acquire(keys=[self.keys.lease(slot), self.keys.next_start(slot)],
                                            args=[time.time(), self.limit, delay, LEASE_TTL, token])):
                if wait > 0:
                    await asyncio.sleep(wait / 1000)
                else:
                    event = self.released.setdefault(slot, asyncio.Event())
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(event.wait(), poll)
                    poll = min(2 * poll, LEASE_POLL_MAX)
        except redis.RedisError as exc:  # the fleet's failure, not the portal's: no fetch is recorded
            raise FleetUnavailable(f"Redis 不可用：{exc}") from exc
        finally:
            self.waiting[slot] -= 1
            if not self.waiting[slot]:
                del self.waiting[slot]
        self.leases[id(request)] = (slot, token, delay)

    def _reached(self, request: Request, spider=None) -> None:
        """The request leaves for its portal now: the portal's next start is counted from here."""
        lease = self.leases.get(id(request))
        if lease and lease[2] > 0:
            with contextlib.suppress(redis.RedisError):
                self._sent(keys=[self.keys.next_start(lease[0])], args=[time.time(), lease[2]])

    def _release(self, request: Request) -> None:
        lease = self.leases.pop(id(request), None)
        if lease:
            with contextlib.suppress(redis.RedisError):
                self.server.zrem(self.keys.lease(lease[0]), lease[1])
            event = self.released.pop(lease[0], None)
            if event is not None:
                event.set()  # this process's requests waiting on the portal try again now

    def _left(self, request: Request, spider=None) -> None:
        self._release(request)

    def process_exception(self, request: Request, exception: BaseException) -> None:
        self._release(request)


# --------------------------------------------------------------------------- acknowledgement


class AckMiddleware:
    """Release a request from its parking once its callback's output has been consumed.

    Failures are released by the spider's errback (errback output bypasses spider middlewares)."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def _ack(self, request: Request | None) -> None:
        fleet = self.crawler.get_extension(Fleet)
        if fleet is not None and request is not None:
            fleet.ack(request)

    async def process_spider_output_async(self, response, result):
        async for item in result:
            yield item
        self._ack(response.request)

    def process_spider_output(self, response, result):
        yield from result
        self._ack(response.request)

    def process_spider_exception(self, response, exception) -> None:
        self._ack(response.request)


# --------------------------------------------------------------------------- lifecycle


class Fleet:
    """Heartbeats, completion, and — on the coordinator — consuming what the workers send."""

    def __init__(self, crawler) -> None:
        settings = crawler.settings
        if not settings.get("REDIS_URL"):
            raise NotConfigured
        self.crawler = crawler
        self.server = redis_client(settings["REDIS_URL"])
        self.keys = Keys(settings.get("NIANBAO_REDIS_PREFIX", "nianbao"))
        self.coordinator = settings.get("NIANBAO_ROLE") == "coordinator"
        self.link = FleetLink(settings)  # the coordinator stores what the workers send through it
        self.frontier: ReliableQueue | None = None  # this process's queue registers itself here
        self.loop: task.LoopingCall | None = None
        self.idle_since: float | None = None
        self.ttl = settings.getint("NIANBAO_HEARTBEAT_TTL", HEARTBEAT_TTL)
        self.down_after = settings.getfloat("NIANBAO_REDIS_DOWN_SECONDS", 30.0)
        self.down_since: float | None = None
        self.epoch: bytes | None = None
        self.closing = False

    @classmethod
    def from_crawler(cls, crawler):
        ext = cls(crawler)
        crawler.signals.connect(ext.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(ext.spider_idle, signal=signals.spider_idle)
        crawler.signals.connect(ext.spider_closed, signal=signals.spider_closed)
        crawler.signals.connect(ext.ack, signal=request_handled)
        return ext

    def ack(self, request: Request) -> None:
        """The spider has handled this request: release it from this process's parking."""
        if self.frontier is not None:
            self.frontier.ack(request)

    def spider_opened(self, spider) -> None:
        self.spider = spider
        self.worker = worker_id(spider)
        self.server.sadd(self.keys.workers, self.worker)
        self.beat()
        self.loop = task.LoopingCall(self.tick)
        self.loop.start(0.25, now=False)

    def beat(self) -> None:
        self.server.set(self.keys.alive(self.worker), "1", ex=self.ttl)

    def tick(self) -> None:
        """Heartbeat, watchdog and (coordinator) storing. Never raises: a LoopingCall that raises
        stops for good, and with it the fleet's storing and completion."""
        if self.closing:
            return
        try:
            self.beat()
            self._check_epoch()
            if self.coordinator:
                with cpu.stage(self.crawler, "store"):  # the workers' reports: the single writer's work
                    self.link.consume(crawl_state(self.crawler))
                if self.frontier is not None:
                    self.frontier.requeue_dead_workers()
            self.down_since = None
        except redis.RedisError as exc:
            now = time.monotonic()
            if self.down_since is None:
                self.down_since = now
                logger.error("Redis 不可用（%s）：重试中，%g 秒后仍不可用则结束本次抓取", exc, self.down_after)
            elif now - self.down_since >= self.down_after:
                self._close("redis_down", f"Redis 已 {self.down_after:g} 秒不可用，结束本次抓取（重新运行将从数据库继续）")
        except Exception:  # a bad item or a bug: recorded, and the loop goes on
            logger.exception("分布式协调出错（已跳过，继续运行）")

    def _check_epoch(self) -> None:
        """The frontier this process joined is still there: a Redis that restarted empty lost it."""
        if self.server.exists(self.keys.done):
            return  # the crawl ended as it should (the coordinator cleared its keys)
        current = self.server.get(self.keys.epoch)
        if self.epoch is None:
            self.epoch = current
            return
        if current != self.epoch and not self.server.exists(self.keys.done):
            # (done is read again: the coordinator may have finished, and cleared the epoch, in between)
            self._close("frontier_lost", "分布式任务队列已丢失（Redis 重启或被清空）：本次抓取不完整，"
                                         "请重新运行（已抓取的内容已保存，重新运行将从数据库继续）")

    def _close(self, reason: str, message: str) -> None:
        if self.closing:
            return
        self.closing = True
        logger.error(message)
        self.crawler.engine.close_spider(self.spider, reason)

    def outstanding(self) -> int:
        """Work anywhere in the fleet: queued, parked (being handled) or not yet stored."""
        parked = sum(self.server.hlen(self.keys.processing(m.decode()))
                     for m in self.server.smembers(self.keys.workers))
        return (self.server.zcard(self.keys.queue) + parked + self.server.llen(self.keys.items)
                + self.server.llen(self.keys.fetches) + self.server.llen(self.keys.sightings)
                + self.server.llen(self.keys.lists) + self.server.llen(self.keys.cuts)
                + self.server.zcount(self.keys.judging, time.time(), "+inf"))

    def spider_idle(self, spider) -> None:
        if self.closing:
            return
        try:
            self._idle()
        except redis.RedisError:
            raise DontCloseSpider from None  # the watchdog in tick() ends the crawl if Redis stays away

    def _idle(self) -> None:
        self._check_epoch()  # an empty Redis looks idle: make sure it is still this crawl's
        if self.closing:
            return
        if self.server.exists(self.keys.done):
            return  # the coordinator has declared the crawl complete
        if self.coordinator and not self.server.exists(self.keys.seeding) and self.outstanding() == 0:
            # quiet twice in a row, a heartbeat apart: nothing is in flight anywhere
            now = time.monotonic()
            if self.idle_since is not None and now - self.idle_since >= 1.0:
                self.server.set(self.keys.done, "1", ex=3600)
                return
            self.idle_since = self.idle_since or now
        else:
            self.idle_since = None
        raise DontCloseSpider

    def spider_closed(self, spider, reason: str) -> None:
        if self.loop is not None and self.loop.running:
            self.loop.stop()
        try:
            self._closed(reason)
        except redis.RedisError as exc:
            logger.error("结束时无法访问 Redis：%s", exc)

    def _closed(self, reason: str) -> None:
        if self.coordinator:
            with cpu.stage(self.crawler, "store"):
                self.link.consume(crawl_state(self.crawler))
            self.link.settle_fetch_seconds(crawl_state(self.crawler))
        self.server.srem(self.keys.workers, self.worker)
        self.server.delete(self.keys.alive(self.worker), self.keys.processing(self.worker))
        if self.coordinator and reason == "finished":
            # the crawl is complete: free Redis of everything but the "done" mark late workers read
            stale = [k for k in self.keys.all(self.server) if k.decode() not in (self.keys.done, self.keys.dead)]
            if stale:
                self.server.delete(*stale)


def reset(url: str, prefix: str = "nianbao") -> None:
    """Clear a previous crawl's keys (the coordinator does this before seeding)."""
    client = redis_client(url)
    keys = Keys(prefix).all(client)
    if keys:
        client.delete(*keys)


__all__ = ["reset", "settings_for"]
