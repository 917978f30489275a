"""Content-addressed evidence files beside the database: ``blobs/ab/abcdef…`` by SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
import threading
from collections import OrderedDict
from pathlib import Path


def blob_dir(db_path: str | Path) -> Path:
    """Evidence files live beside the database: data/nianbao.db -> data/nianbao-blobs/."""
    p = Path(db_path)
    return p.with_name(p.stem + "-blobs")


class _RecentDigests:
    """The digests of the last bodies hashed, by object identity: a crawled page is hashed where it
    is logged, kept, judged and stored, and its bytes object is the same each time. An entry holds
    its bytes, so an identity cannot be reused while it is remembered; at most ``LIMIT_BYTES`` are
    held."""

    LIMIT_BYTES = 32 * 1024 * 1024
    SMALL = 4096  # hashing a small body costs less than remembering it

    def __init__(self) -> None:
        self.entries: OrderedDict[int, tuple[bytes, str]] = OrderedDict()
        self.held = 0
        self.lock = threading.Lock()

    def __call__(self, data: bytes) -> str:
        if type(data) is not bytes or len(data) < self.SMALL or len(data) > self.LIMIT_BYTES // 4:
            return hashlib.sha256(data).hexdigest()  # mutable, cheap, or too large to hold
        with self.lock:
            hit = self.entries.get(id(data))
            if hit is not None and hit[0] is data:
                self.entries.move_to_end(id(data))
                return hit[1]
        digest = hashlib.sha256(data).hexdigest()
        with self.lock:
            old = self.entries.pop(id(data), None)
            if old is not None:
                self.held -= len(old[0])
            self.entries[id(data)] = (data, digest)
            self.held += len(data)
            while self.held > self.LIMIT_BYTES:
                _, (dropped, _) = self.entries.popitem(last=False)
                self.held -= len(dropped)
        return digest


sha256 = _RecentDigests()


class BlobStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)

    def path(self, digest: str) -> Path:
        return self.root / digest[:2] / digest

    def put(self, data: bytes) -> str:
        """Store bytes once; written to a temp file and renamed, so a kill never leaves half a blob."""
        digest = sha256(data)
        target = self.path(digest)
        if not target.exists():
            target.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".tmp-")
            try:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(data)
                os.replace(tmp, target)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        return digest

    def get(self, digest: str) -> bytes | None:
        try:
            return self.path(digest).read_bytes()
        except FileNotFoundError:
            return None
