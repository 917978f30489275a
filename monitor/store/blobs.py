"""Content-addressed evidence files beside the database: ``blobs/ab/abcdef…`` by SHA-256."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path


def blob_dir(db_path: str | Path) -> Path:
    """Evidence files live beside the database: data/nianbao.db -> data/nianbao-blobs/."""
    p = Path(db_path)
    return p.with_name(p.stem + "-blobs")


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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
