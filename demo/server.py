"""Serve a :class:`demo.world.World` on 127.0.0.1, one port per portal, with conditional GETs."""

from __future__ import annotations

import contextlib
import hashlib
import selectors
import socket
import struct
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from demo.world import HANG_SECONDS, Portal, World

LAST_MODIFIED = "Mon, 01 Apr 2024 08:00:00 GMT"


class _Handler(BaseHTTPRequestHandler):
    portal: Portal
    protocol_version = "HTTP/1.1"

    def handle(self) -> None:
        with contextlib.suppress(ConnectionResetError, BrokenPipeError):  # the client gave up (a timeout test)
            super().handle()

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _serve(self, method: str) -> None:
        with self.portal.in_flight():
            if self.portal.latency:
                time.sleep(self.portal.latency)
            self._answer(method)

    def _answer(self, method: str) -> None:
        parts = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        resource = self.portal.handle(method, parts.path, parts.query, body)
        if resource.fault and self._misbehave(resource):
            return
        etag = '"' + hashlib.sha1(resource.body).hexdigest()[:16] + '"'
        if (resource.status == 200 and resource.conditional and method == "GET"
                and self.headers.get("If-None-Match") == etag):
            self.send_response(304)
            self.send_header("ETag", etag)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        self.send_response(resource.status)
        self.send_header("Content-Type", resource.content_type)
        self.send_header("Content-Length", str(len(resource.body)))
        if resource.status == 200 and resource.conditional:
            self.send_header("ETag", etag)
            self.send_header("Last-Modified", LAST_MODIFIED)
        for key, value in resource.headers.items():
            self.send_header(key, value)
        self.end_headers()
        if method != "HEAD":
            self.wfile.write(resource.body)

    def _misbehave(self, resource) -> bool:
        """Act out a transport fault; True when the request is done with."""
        if resource.fault == "hang":  # answer only after the client has given up
            time.sleep(HANG_SECONDS)
            return False
        if resource.fault == "reset":  # a TCP reset instead of an answer
            self.request.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.close_connection = True
            return True
        if resource.fault == "truncated":  # promise more bytes than are sent, then hang up
            self.send_response(200)
            self.send_header("Content-Type", resource.content_type)
            self.send_header("Content-Length", str(len(resource.body) * 2))
            self.end_headers()
            self.wfile.write(resource.body)
            self.wfile.flush()
            self.close_connection = True
            return True
        return False

    def do_GET(self) -> None:
        self._serve("GET")

    def do_POST(self) -> None:
        self._serve("POST")

    def do_HEAD(self) -> None:
        self._serve("HEAD")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _bind(handler: type, port: int) -> ThreadingHTTPServer:
    try:
        return ThreadingHTTPServer(("127.0.0.1", port), handler)
    except OSError:
        if not port:
            raise
        return ThreadingHTTPServer(("127.0.0.1", 0), handler)  # the wished-for port is taken


@contextmanager
def serve(world: World, base_port: int | None = None) -> Iterator[World]:
    """Start every portal on its own loopback port; stop them all on exit.

    ``base_port`` asks for stable ports (base, base + 1, …) so URLs survive between runs, as
    the demo's do; a port already in use falls back to a free one. One thread accepts for every
    portal and each request is answered in a thread of its own: a thread per portal, each waking
    twice a second to poll, starved a world of 2,800 portals of its own interpreter.
    """
    servers: list[ThreadingHTTPServer] = []
    acceptor: _Acceptor | None = None
    try:
        for n, portal in enumerate(world.portals):
            handler = type(f"Handler_{portal.key}", (_Handler,), {"portal": portal})
            server = _bind(handler, portal.port or (base_port + n if base_port else 0))
            server.daemon_threads = True
            portal.port = server.server_address[1]
            servers.append(server)
        acceptor = _Acceptor(servers)
        yield world
    finally:
        if acceptor is not None:
            acceptor.stop()
        for server in servers:
            server.server_close()


class _Acceptor:
    """Accept connections for many servers in one thread (each request still gets its own)."""

    def __init__(self, servers: list[ThreadingHTTPServer]) -> None:
        self.selector = selectors.DefaultSelector()
        for server in servers:
            self.selector.register(server, selectors.EVENT_READ, server)
        self._wake, self._waker = socket.socketpair()
        self.selector.register(self._wake, selectors.EVENT_READ, None)
        self.thread = threading.Thread(target=self._run, name="portals", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            for key, _ in self.selector.select():
                if key.data is None:
                    return
                key.data._handle_request_noblock()  # accept, then answer in a thread (ThreadingMixIn)

    def stop(self) -> None:
        self._waker.send(b"x")
        self.thread.join()
        self.selector.close()
        self._wake.close()
        self._waker.close()
