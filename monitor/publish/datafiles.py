"""The site's downloads: every row as JSON (one array) and CSV, rewritten each build from the rows
that changed.

A national site's downloads hold ~100k reports, their status rows and their findings; a day's
crawl changes about one in a hundred. Encoding every row again each build (JSON, CSV with each
cell neutralised) cost more than drawing the pages that changed, so each file keeps beside it an
index (``.{name}.rows``: a digest of every row with where its bytes are in both files). A row
whose digest the previous build's index holds is copied from the previous files as bytes; only
new and changed rows are made and encoded. A row may be given by its source (a database row, a
tuple of plain values) and the function that makes it: the source is digested, and most rows are
never made. The files are the same bytes either way: a row's encoding depends on its source
alone (and on the columns, this module's code and the row maker's, which salt the digest).
"""

from __future__ import annotations

import csv
import hashlib
import io
import itertools
import json
import mmap
import os
import pickle
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from monitor.publish import csvsafe
from monitor.publish.csvsafe import safe_rows

BOM = "\ufeff".encode()
INDEX = np.dtype([("digest", "V16"), ("json_at", "<u8"), ("json_len", "<u4"), ("csv_at", "<u8"), ("csv_len", "<u4")])
# what a row's bytes depend on besides the row: this module's and the neutralising code
_CODE = hashlib.blake2b(Path(__file__).read_bytes() + Path(csvsafe.__file__).read_bytes(), digest_size=16).digest()
BATCH = 1000


class _Previous:
    """The previous build's files of one download and its index: row digest -> bytes."""

    def __init__(self, folder: Path, name: str) -> None:
        self.rows: dict[bytes, int] = {}  # digest -> its row in the index
        self._spans: tuple[list[int], ...] = ([], [], [], [])  # json at, length, csv at, length
        self._files: list[Any] = []
        self.json: mmap.mmap | bytes = b""
        self.csv: mmap.mmap | bytes = b""
        try:
            index = np.fromfile(folder / f".{name}.rows", INDEX)
            self.json, self.csv = (self._map(folder / f"{name}.{ext}") for ext in ("json", "csv"))
        except (OSError, ValueError):
            self.close()
            return
        ends = int((index["json_at"] + index["json_len"]).max()) if len(index) else 0
        if ends > len(self.json) or (len(index) and int((index["csv_at"] + index["csv_len"]).max()) > len(self.csv)):
            self.close()  # a file that no longer matches its index: encode everything again
            return
        # V16 keeps NULs (and tolist gives bytes); columns as lists, looked up by row number
        self.rows = dict(zip(index["digest"].tolist(), range(len(index)), strict=True))
        self._spans = (index["json_at"].tolist(), index["json_len"].tolist(), index["csv_at"].tolist(),
                       index["csv_len"].tolist())

    def _map(self, path: Path) -> mmap.mmap | bytes:
        f = open(path, "rb")  # noqa: SIM115 -- kept open while mapped, closed in close()
        self._files.append(f)
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(f.fileno()).st_size else b""

    def get(self, digest: bytes) -> tuple[bytes, bytes] | None:
        i = self.rows.get(digest)
        if i is None:
            return None
        json_at, json_len, csv_at, csv_len = self._spans
        j, c = json_at[i], csv_at[i]
        return self.json[j:j + json_len[i]], self.csv[c:c + csv_len[i]]

    def close(self) -> None:
        for mapped in (self.json, self.csv):
            if isinstance(mapped, mmap.mmap):
                mapped.close()
        for f in self._files:
            f.close()
        self.rows, self._files, self.json, self.csv = {}, [], b"", b""


Row = dict[str, Any]
Keyed = tuple[Any, Row | Callable[[], Row]]  # (what the row is made from, the row or how to make it)


def write_data(folder: Path, name: str, rows: Iterable[Row], columns: list[str],
               previous: Path | None = None) -> tuple[int, int]:
    """Write rows to ``folder/{name}.json`` (an array) and ``.csv``, and their index; rows found in
    ``previous`` (the live site's data folder) are copied, not encoded. Returns (rows, copied)."""
    return write_keyed(folder, name, ((row, row) for row in rows), columns, previous)


def write_keyed(folder: Path, name: str, items: Iterable[Keyed], columns: list[str], previous: Path | None = None,
                salt: bytes = b"") -> tuple[int, int]:
    """:func:`write_data` for rows given as (source, row or function making it): the source, plain
    values that determine the row (a database row, a tuple), is what is digested, and a row is made
    only when it must be encoded: most of a day's rows are copied without being made. ``salt``
    names the code that makes rows from sources (a change of it must not copy rows it would make
    differently). Items are taken a thousand at a time: memory stays flat."""
    folder.mkdir(parents=True, exist_ok=True)
    old = _Previous(previous, name) if previous is not None else None
    key = hashlib.blake2b(_CODE + salt + repr(columns).encode(), digest_size=32).digest()
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode  # one encoder, not one per row
    count = copied = 0
    entries: list[tuple[bytes, int, int, int, int]] = []
    items = iter(items)
    try:
        with open(folder / f"{name}.json", "wb") as js, open(folder / f"{name}.csv", "wb") as cs:
            header = io.StringIO()
            csv.writer(header).writerow(columns)
            cs.write(BOM + header.getvalue().encode())
            js.write(b"[")
            json_at, csv_at = 1, cs.tell()
            while batch := list(itertools.islice(items, BATCH)):
                # pickled, not repr'd (twice as fast): lossless, so different sources never share a digest
                digests = [hashlib.blake2b(pickle.dumps(source, 5), key=key, digest_size=16).digest()
                           for source, _ in batch]
                parts: list[tuple[bytes, bytes] | None] = [old.get(d) for d in digests] if old else [None] * len(batch)
                fresh = [made() if callable(made) else made
                         for (_, made), part in zip(batch, parts, strict=True) if part is None]
                encoded = iter(_encode(fresh, columns, encode))
                json_out, csv_out = [], []
                for digest, part in zip(digests, parts, strict=True):
                    if part is None:
                        part = next(encoded)
                    else:
                        copied += 1
                    sep = b",\n" if count else b"\n"
                    json_out += (sep, part[0])
                    csv_out.append(part[1])
                    json_at += len(sep)
                    entries.append((digest, json_at, len(part[0]), csv_at, len(part[1])))
                    json_at += len(part[0])
                    csv_at += len(part[1])
                    count += 1
                js.write(b"".join(json_out))
                cs.write(b"".join(csv_out))
            js.write(b"\n]\n")
    finally:
        if old is not None:
            old.close()
    np.array(entries, INDEX).tofile(folder / f".{name}.rows")
    return count, copied


def _encode(rows: list[dict[str, Any]], columns: list[str], encode) -> Iterator[tuple[bytes, bytes]]:
    """Each row's JSON and CSV bytes (CSV cells neutralised, as ``csvsafe.safe_rows`` does)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row, cells in zip(rows, safe_rows(rows, columns), strict=True):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        yield encode(row).encode(), buffer.getvalue().encode()
