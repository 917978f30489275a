"""Process locks beside the database: one service per database, one writer job at a time.

``flock`` locks are released by the kernel when their holder dies (even by ``kill -9``), so a
crashed service never leaves a stale lock behind. The lock file records who holds it, for the
message a refused process prints.
"""

from __future__ import annotations

import fcntl
import os
import socket
import time
from contextlib import contextmanager
from pathlib import Path

# Set for a child process whose parent already holds the writer lock on its behalf.
LOCK_HELD_ENV = "NIANBAO_WRITER_LOCK_HELD"


class LockHeld(Exception):
    """Another process holds the lock; the message names it."""


class LockUnavailable(Exception):
    """The lock file cannot be made (a read-only folder, no permission); the message says where."""


class FileLock:
    def __init__(self, path: str | Path, purpose: str) -> None:
        self.path = Path(path)
        self.purpose = purpose
        self.fd: int | None = None

    def acquire(self, timeout: float | None = 0) -> FileLock:
        """Take the lock; wait up to ``timeout`` seconds (None: forever, 0: not at all)."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as exc:
            raise LockUnavailable(f"无法创建锁文件 {self.path}（{exc.strerror or exc}）：{self.purpose}需要对数据库所在的目录"
                                  "有写权限") from None
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if deadline is not None and time.monotonic() >= deadline:
                    holder = self.holder()
                    os.close(fd)
                    raise LockHeld(f"{self.purpose}已在运行（{holder or '另一个进程'}），锁文件：{self.path}") from None
                time.sleep(0.2)
        os.ftruncate(fd, 0)
        os.write(fd, f"pid {os.getpid()} on {socket.gethostname()} since {time.strftime('%Y-%m-%d %H:%M:%S')}".encode())
        self.fd = fd
        return self

    def holder(self) -> str | None:
        try:
            return self.path.read_text(encoding="utf-8").strip() or None
        except OSError:
            return None

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> FileLock:
        return self if self.fd is not None else self.acquire(None)

    def __exit__(self, *exc: object) -> None:
        self.release()


def service_lock(db: str | Path) -> FileLock:
    """Held for the life of ``nianbao serve``: a second service on the same database is refused."""
    p = Path(db)
    return FileLock(p.with_name(p.name + ".serve.lock"), "Nianbao 服务")


def writer_lock(db: str | Path) -> FileLock:
    """Held by each job that writes the database (crawl, judge, digest), so they never interleave."""
    p = Path(db)
    return FileLock(p.with_name(p.name + ".write.lock"), "写入任务")


@contextmanager
def writing(db: str | Path):
    """The writer lock for a command run by hand; a no-op in a child of a job that holds it."""
    if os.environ.get(LOCK_HELD_ENV):
        yield
        return
    with writer_lock(db):
        yield
