"""Transport: download slots per portal, retries with backoff, encodings, conditional requests, fetch log."""

from __future__ import annotations

import asyncio
import ipaddress
import logging
import re
import time
from datetime import UTC, datetime, timedelta
from urllib.parse import urljoin, urlsplit

from scrapy import Request
from scrapy.downloadermiddlewares.retry import RetryMiddleware
from scrapy.downloadermiddlewares.robotstxt import RobotsTxtMiddleware as ScrapyRobotsTxtMiddleware
from scrapy.exceptions import IgnoreRequest
from scrapy.http import HtmlResponse, Response
from scrapy.utils.httpobj import urlparse_cached
from twisted.internet.defer import Deferred
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

from crawler.discovery import portal_key
from crawler.runs import CrawlState, DiskFull, Evidence
from crawler.state import crawl_state
from monitor.report.readers.text import decode_evidence
from monitor.store import now_iso
from monitor.store.blobs import sha256

logger = logging.getLogger(__name__)


def is_robots(request: Request) -> bool:
    return urlsplit(request.url).path == "/robots.txt"


class SlotPerPortalMiddleware:
    """One download slot per host:port, so politeness limits apply per portal, not per IP."""

    def process_request(self, request: Request) -> None:
        request.meta.setdefault("download_slot", portal_key(request.url))


LOOPBACK_NAMES = ("localhost", "localhost.localdomain", "ip6-localhost")


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    name = host.rsplit(":", 1)[0].strip("[]") if host.count(":") <= 1 or host.startswith("[") else host
    if name.lower() in LOOPBACK_NAMES:
        return ipaddress.ip_address("127.0.0.1")
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def is_internal(host: str) -> bool:
    """A loopback, link-local, private or otherwise non-public address (by literal or by name)."""
    address = _address(host)
    return bool(address and (address.is_loopback or address.is_private or address.is_link_local
                             or address.is_reserved or address.is_multicast or address.is_unspecified))


def _port(netloc: str) -> str:
    return netloc.rsplit(":", 1)[1] if ":" in netloc and not netloc.endswith("]") else ""


class PortalBoundaryMiddleware:
    """No request leaves the portal: every request, and every redirect hop (a redirect comes back
    through here as a new request), goes to a host of the portal that asked for it.

    Allowed besides: hosts listed in ``NIANBAO_ALLOWED_HOSTS``, and for a portal's home page a
    redirect to another name of the same server (bare ↔ ``www.``, ``localhost`` ↔ ``127.0.0.1`` on
    the same port), which the spider then adds to the portal. Loopback, link-local and private
    addresses are fetched only when the portal itself lives there. A refusal is recorded as a
    fetch error of its own kind (``off_portal``) and the request is dropped."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        self.allowed = {h.lower() for h in crawler.settings.getlist("NIANBAO_ALLOWED_HOSTS")}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        state = crawl_state(self.crawler)
        hint = request.meta.get("portal")
        run = state.portals.get(hint) if hint else None
        if run is None:
            return  # not a portal's request (the state has no portal to hold it to)
        if state.portal_for(request.url, hint) is run:
            return
        target = urlsplit(request.url).netloc.lower()
        home = urlsplit(run.url).netloc.lower()
        if portal_key(request.url) in self.allowed or target in self.allowed:
            return
        if request.meta.get("kind") == "home" and (
                is_internal(target) and is_internal(home) and _port(target) == _port(home)):
            return  # the home page moved to another name of the same loopback server
        why = "内网地址" if is_internal(target) and not is_internal(home) else "其他网站"
        state.record_fetch(url=request.url, method=request.method, kind=request.meta.get("kind"), status=None,
                           error=f"拒绝访问门户网站以外的地址（{why}）：{target}", error_kind="off_portal",
                           fetched_at=now_iso(), network=False, portal=hint)
        raise IgnoreRequest(f"off_portal: {request.url}")


class RobotsTxtMiddleware(ScrapyRobotsTxtMiddleware):
    """Scrapy's robots.txt middleware, with every request that waited for the download obeying it.

    Scrapy 2.19 has all requests that arrive while a portal's robots.txt is downloading await one
    Deferred (scrapy/scrapy#6802); converting it to a future passes ``None`` on, so only the first
    of them gets the rules and the others go through unchecked — a forbidden page fetched whenever
    a process meets a portal with several requests at once, as a distributed worker does. Once the
    download is done the rules are in ``_parsers``: read them from there."""

    async def robot_parser(self, request: Request):
        parser = await super().robot_parser(request)
        known = self._parsers.get(urlparse_cached(request).netloc, parser)
        return parser if isinstance(known, Deferred) else known


class BackoffRetryMiddleware(RetryMiddleware):
    """Scrapy's retries, each one waiting twice as long as the last (see BackoffDelayMiddleware)."""

    def __init__(self, settings) -> None:
        super().__init__(settings)
        self.base = settings.getfloat("NIANBAO_RETRY_BACKOFF_BASE", 2.0)
        self.cap = settings.getfloat("NIANBAO_RETRY_BACKOFF_MAX", 60.0)

    def _retry(self, request, reason):  # type: ignore[override]
        retry = super()._retry(request, reason)
        if retry is not None:
            attempt = retry.meta.get("retry_times", 1)
            retry.meta["backoff_delay"] = min(self.cap, self.base * 2 ** (attempt - 1))
        return retry


class BackoffDelayMiddleware:
    """Waits out a retry's backoff before the request is queued for download."""

    async def process_request(self, request: Request) -> None:
        delay = request.meta.pop("backoff_delay", 0)
        if delay:
            await asyncio.sleep(delay)


class EncodingMiddleware:
    """A page's charset by evidence, not by its word: the header and ``<meta>`` are claims checked
    against the bytes (``monitor.report.readers.text.decode_evidence``). Portals serve GBK pages as
    ``charset=utf-8``; Scrapy would then read them with replacement characters. Undeclared pages
    are GBK as often as UTF-8; Scrapy's cp1252 fallback would turn them into mojibake."""

    def process_response(self, request: Request, response: Response) -> Response:
        if not isinstance(response, HtmlResponse):
            return response
        header = response.headers.get(b"Content-Type", b"").decode("latin-1")
        _, encoding, _why = decode_evidence(response.body, http_content_type_encoding(header),
                                            html_body_declared_encoding(response.body[:4096]))
        if encoding in ("mixed", response.encoding, "utf-8-sig", "utf-16", "utf-32"):
            return response  # one encoding cannot say it (mixed), or a BOM does and Scrapy reads it
        return response.replace(encoding=encoding)


def _http_date(value: bytes | None) -> str | None:
    return value.decode("latin-1") if value else None


class IncrementalMiddleware:
    """A rerun does not download what it already has.

    * A known report page or attachment checked within ``NIANBAO_REVALIDATE_DAYS``, and a known
      navigation page or later page of a 年报 list checked within ``NIANBAO_NAV_REVALIDATE_DAYS``,
      is served from the evidence store without touching the network. A list's first page is
      always asked for: lists run newest first, so that is where a new report appears (it pushes
      the oldest entry onto page two, which is known already).
    * Anything else known is requested conditionally (If-None-Match / If-Modified-Since); a 304
      is answered with the stored body so the spider can parse it as usual.
    * A portal's robots.txt, or its absence (404), is reused for ``NIANBAO_ROBOTS_CACHE_HOURS``
      (RFC 9309 §2.4 allows up to 24 hours), so a second run the same day does not ask again.
    * Every body received is stored content-addressed; the page row keeps its validators.
    """

    NAV_KINDS = ("home", "nav", "area", "deptindex", "dept")

    def __init__(self, crawler) -> None:
        self.crawler = crawler
        documents = timedelta(days=crawler.settings.getfloat("NIANBAO_REVALIDATE_DAYS", 7.0))
        navigation = timedelta(days=crawler.settings.getfloat("NIANBAO_NAV_REVALIDATE_DAYS", 7.0))
        # how long a stored copy stands in for the page, by kind; a 年报 list's first page: never
        self.fresh_for = {"detail": documents, "attachment": documents, **dict.fromkeys(self.NAV_KINDS, navigation),
                          "later_page": navigation,
                          "robots": timedelta(hours=crawler.settings.getfloat("NIANBAO_ROBOTS_CACHE_HOURS", 24.0))}

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request) -> Response | None:
        if request.method != "GET" or request.meta.get("playwright"):
            return None
        state = crawl_state(self.crawler)
        evidence = state.evidence
        if evidence is None:  # a distributed worker: no evidence store, only the fleet's list of fresh pages
            if request.meta.get("kind") == "detail" and state.is_known(request.url):
                state.sighting(request.url)
                raise IgnoreRequest("known report page, still fresh")
            return None
        page = evidence.store.page(request.url)
        if not page:
            return None
        kind = "robots" if is_robots(request) else "later_page" if request.meta.get("later_page") else \
            request.meta.get("kind")
        fresh = self._fresh(page, kind)
        if fresh and kind == "robots" and page.get("status") == 404:
            self._served_from_store(state, request)
            return Response(url=request.url, status=404, body=b"", request=request, flags=["cached"])
        if not page.get("blob") or page.get("status") != 200:
            return None
        body = evidence.blobs.get(page["blob"])
        if body is None:
            return None
        if fresh:
            self._served_from_store(state, request)
            return self._stored(request, page, body, "cached")
        if page.get("etag"):
            request.headers.setdefault("If-None-Match", page["etag"])
        if page.get("last_modified"):
            request.headers.setdefault("If-Modified-Since", page["last_modified"])
        request.meta["stored_page"] = page
        return None

    @staticmethod
    def _served_from_store(state: CrawlState, request: Request) -> None:
        """A page still fresh in the store stands in for the portal: it answered, recently."""
        run = state.portal_for(request.url, request.meta.get("portal"))
        if run is not None:
            run.cached += 1

    def _fresh(self, page: dict, kind: str | None) -> bool:
        """Whether the stored copy was verified recently enough to stand in for the page."""
        fresh_for, verified = self.fresh_for.get(kind), page.get("last_verified")
        return bool(fresh_for and verified and datetime.fromisoformat(verified) > datetime.now(UTC) - fresh_for)

    @staticmethod
    def _stored(request: Request, page: dict, body: bytes, flag: str) -> Response:
        headers = {"Content-Type": page.get("content_type") or "application/octet-stream"}
        cls = HtmlResponse if "html" in headers["Content-Type"] else Response
        return cls(url=request.url, status=200, headers=headers, body=body, request=request, flags=[flag])

    def process_response(self, request: Request, response: Response) -> Response:
        state = crawl_state(self.crawler)
        evidence = state.evidence
        if "cached" in response.flags or evidence is None:
            return response
        now = now_iso()
        if response.status == 304 and request.meta.get("stored_page"):
            page = request.meta["stored_page"]
            body = evidence.blobs.get(page["blob"])
            if body is not None:
                with state.writes():
                    evidence.store.save_page(request.url, last_fetched=now, last_verified=now)
                return self._stored(request, page, body, "revalidated")
        if response.status == 200 and request.method == "GET" and not request.meta.get("playwright"):
            stored = request.meta.get("stored_page")
            if stored and stored.get("hash") == sha256(response.body):
                response.flags.append("unchanged")  # no validators, but the same bytes as last time
            with state.writes():
                self._keep(state, evidence, request, response, now)
        elif response.status == 404 and is_robots(request):  # no rules: remember that too
            with state.writes():
                evidence.store.save_page(request.url, portal_id=state.portal_id_for(request.url), kind="robots",
                                      status=404, blob=None, hash=None, size=0, last_fetched=now, last_verified=now)
        return response

    @staticmethod
    def _keep(state: CrawlState, evidence: Evidence, request: Request, response: Response, now: str) -> None:
        """Store the body and remember the page's validators for the next run."""
        digest = evidence.blobs.put(response.body)
        evidence.store.save_page(
            request.url, portal_id=state.portal_id_for(request.url), kind=request.meta.get("kind"), status=200,
            content_type=response.headers.get(b"Content-Type", b"").decode("latin-1") or None,
            etag=_http_date(response.headers.get(b"ETag")),
            last_modified=_http_date(response.headers.get(b"Last-Modified")),
            hash=digest, blob=digest, size=len(response.body), last_fetched=now, last_verified=now)


SOFT_404 = re.compile(r"页面不存在|页面未找到|找不到(该|您要访问的)?页面|已被删除|已删除或不存在|404\s*(not found|错误)|"
                      r"page not found", re.I)


_TAG = re.compile(r"<[^>]*>")


def is_soft_404(response: Response) -> bool:
    """A "not found" page served with status 200: small, and saying so in its title or text."""
    if response.status != 200 or not isinstance(response, HtmlResponse) or len(response.body) > 20000:
        return False
    flat = _TAG.sub(" ", response.text)  # every text of the page and more, tags as spaces
    if not SOFT_404.search(flat) and "&#" not in flat:
        return False  # the words are nowhere in the page (nor hidden in character references)
    title = response.css("title::text").get() or ""
    text = " ".join(response.css("body *::text").getall())[:2000]
    return bool(SOFT_404.search(title) or (len(text) < 600 and SOFT_404.search(text)))


def is_redirect_loop(request: Request, response: Response) -> bool:
    """A redirect back to a URL this chain of redirects already visited."""
    location = response.headers.get(b"Location")
    if response.status not in (301, 302, 303, 307, 308) or not location:
        return False
    target = urljoin(request.url, location.decode("latin-1"))
    return target == request.url or target in (request.meta.get("redirect_urls") or [])


def error_kind(status: int | None = None, exception: BaseException | None = None) -> str | None:
    """Name the kind of failure for crawler health: dns, tls, timeout, connection, 4xx, 5xx, waf."""
    if exception is not None:
        name = type(exception).__name__
        text = str(exception)
        if "DNSLookupError" in name or "NoSuchHost" in text:
            return "dns"
        if "SSL" in name or "TLS" in name or "certificate" in text.lower():
            return "tls"
        if "Timeout" in name or "TimedOut" in name:
            return "timeout"
        if "DataLoss" in name or "PartialDownload" in text or "_DataLoss" in text:
            return "truncated"
        return "connection"
    if status is None or status < 400:
        return None
    if status in (412, 521, 512, 555):
        return "waf"
    return "5xx" if status >= 500 else "4xx"


def network_seconds(request: Request, exception: BaseException | None = None) -> float:
    """How long a request held its portal: until the answer's headers (Scrapy's download latency),
    the whole timeout for one that timed out, else since it entered the downloader (an upper bound:
    that includes any wait in its slot)."""
    latency = request.meta.get("download_latency")
    if latency is not None:
        return float(latency)
    if exception is not None and error_kind(exception=exception) == "timeout":
        return float(request.meta.get("download_timeout") or 0)
    started = request.meta.get("fetch_started")
    return time.monotonic() - started if started else 0.0


class FetchLogMiddleware:
    """Every request that reached the network, with its outcome, timing and body hash; its time is
    charged to its portal (the portal's time budget)."""

    def __init__(self, crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler):
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        request.meta["fetch_started"] = time.monotonic()
        request.meta.pop("download_latency", None)  # a retry's copy must not carry its predecessor's

    def _log(self, request: Request, status: int | None, kind: str | None, error: str | None,
             response: Response | None, exception: BaseException | None = None) -> None:
        state = crawl_state(self.crawler)
        seconds = network_seconds(request, exception)
        state.charge(request.url, request.meta.get("portal"), seconds)
        state.record_fetch(
            url=request.url, method=request.method, kind=request.meta.get("kind"), status=status, error=error,
            error_kind=kind, content_type=(response.headers.get(b"Content-Type", b"").decode("latin-1") or None)
            if response is not None else None, size=len(response.body) if response is not None else None,
            hash=sha256(response.body) if response is not None and response.body else None, fetched_at=now_iso(),
            duration_ms=int(seconds * 1000), portal=request.meta.get("portal"))

    def process_response(self, request: Request, response: Response) -> Response:
        if "cached" not in response.flags:  # served from the evidence store: no network, no log
            missing_robots = response.status == 404 and is_robots(request)  # normal: no rules
            kind = None if missing_robots else error_kind(response.status)
            if kind is None and is_soft_404(response):
                kind = "soft404"
            if kind is None and is_redirect_loop(request, response):
                kind = "redirect_loop"
            self._log(request, response.status, kind, None, response)
        return response

    def process_exception(self, request: Request, exception: BaseException) -> None:
        if isinstance(exception, IgnoreRequest):
            if "robots" in str(exception).lower():  # refused before any network traffic
                crawl_state(self.crawler).record_fetch(
                    url=request.url, method=request.method, kind=request.meta.get("kind"), status=None,
                    error=str(exception)[:300], error_kind="robots", fetched_at=now_iso(), network=False,
                    portal=request.meta.get("portal"))
            return
        self._log(request, None, error_kind(exception=exception), f"{type(exception).__name__}: {exception}"[:300],
                  None, exception)


class DiskFullMiddleware:
    """A full disk met while a callback writes (a list walk's record, a portal's name) ends that
    callback quietly: the crawl is already stopping and has said why, once (``CrawlState.writes``);
    a traceback per callback would only bury that line."""

    def process_spider_exception(self, response: Response, exception: BaseException) -> list | None:
        return [] if isinstance(exception, DiskFull) else None
