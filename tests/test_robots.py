"""robots.txt holds for every request, including those that meet a portal all at once.

A distributed worker's first contact with a portal is often several requests together (what it
popped from the shared queue); Scrapy 2.19's own middleware lets all but the first of them through
unchecked (see ``crawler.middlewares.RobotsTxtMiddleware``). Real Scrapy, a real server on 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

pytestmark = pytest.mark.e2e  # crawls, served portals, browsers or subprocesses

CRAWL = r"""
import json, sys, threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import scrapy
from scrapy.crawler import CrawlerProcess

hits = []

class Portal(BaseHTTPRequestHandler):
    def do_GET(self):
        hits.append(self.path)
        body = b"User-agent: *\nDisallow: /private/\n" if self.path == "/robots.txt" else b"<html>ok</html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain" if self.path == "/robots.txt" else "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass

server = ThreadingHTTPServer(("127.0.0.1", 0), Portal)
threading.Thread(target=server.serve_forever, daemon=True).start()
base = f"http://127.0.0.1:{server.server_address[1]}"

class AllAtOnce(scrapy.Spider):
    name = "all_at_once"
    start_urls = [f"{base}/public/1.html", *[f"{base}/private/{k}.html" for k in range(5)]]

    def parse(self, response):
        pass

middleware = sys.argv[1]
process = CrawlerProcess({
    "ROBOTSTXT_OBEY": True, "LOG_LEVEL": "ERROR", "TELEMETRY_ENABLED": False,
    "DOWNLOADER_MIDDLEWARES": {"scrapy.downloadermiddlewares.robotstxt.RobotsTxtMiddleware": None, middleware: 100},
})
process.crawl(AllAtOnce)
process.start()
print(json.dumps(hits))
"""


def paths_fetched(middleware: str) -> list[str]:
    done = subprocess.run([sys.executable, "-c", CRAWL, middleware], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_requests_waiting_for_robots_txt_all_obey_it() -> None:
    fetched = paths_fetched("crawler.middlewares.RobotsTxtMiddleware")
    assert "/public/1.html" in fetched
    assert [p for p in fetched if p.startswith("/private/")] == []
    assert fetched.count("/robots.txt") == 1

