"""The site's downloads: every row as JSON (one array) and CSV, rewritten each build from the rows
that changed.

A national site's downloads hold ~100k reports, their status rows and their findings; a day's
crawl changes about one in a hundred. Encoding every row again each build (JSON, CSV with each
cell neutralised) cost more than drawing the pages that changed, so each file keeps beside it an
index (``.{name}.rows``: a digest of every row with where its bytes are in both files). A row
whose digest the previous build's index holds is copied from the previous files as bytes (rows
that followed each other there, as one slice); only new and changed rows are made and encoded.
A row may be given by its source (a database row, a tuple of plain values) and the function that
makes it: the source is digested, and most rows are never made. The files are the same bytes
either way: a row's encoding depends on its source alone (and on the columns, this module's
code and the row maker's, which salt the digest).

A row may also have a key, its identity from build to build (a status row's unit and year, a
finding's key, a report's id); the keys are kept beside the index (``.{name}.keys``). A caller that
knows a row did not change since the previous build (the judge's change feed says so) passes
:data:`UNCHANGED` for its source: the row is copied by its key, without its source being made or
digested — a day's rebuild then passes over keys only.
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
UNCHANGED: Any = object()  # a row's source when the caller knows it is the previous build's row of that key


class Stale(LookupError):
    """A row was passed as unchanged, but the previous build has no row of its key."""


class _Previous:
    """The previous build's files of one download and its index: row digest -> bytes."""

    def __init__(self, folder: Path, name: str, key: bytes = b"") -> None:
        self.rows: dict[bytes, int] = {}  # digest -> its row in the index
        self.index = np.empty(0, INDEX)
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
        self.index = index
        self._keys_file, self._key = folder / f".{name}.keys", key.hex()
        self._keys: dict[Any, int] | None = None
        self._spans = (index["json_at"].tolist(), index["json_len"].tolist(), index["csv_at"].tolist(),
                       index["csv_len"].tolist())

    def at(self, key: Any) -> int | None:
        """Where the previous build's row of this key is (None: no such row, or no keys kept)."""
        if self._keys is None:
            self._keys = {}
            try:
                kept = json.loads(self._keys_file.read_bytes())
            except (OSError, ValueError):
                kept = None
            # only rows written by the same code for the same columns are copied by their key
            keys = kept.get("rows") if isinstance(kept, dict) and kept.get("key") == self._key else None
            if isinstance(keys, list) and len(keys) == len(self.index):
                # keys are strings or numbers (JSON keeps both as they were)
                self._keys = dict(zip(keys, range(len(keys)), strict=True))
        return self._keys.get(key)

    def _map(self, path: Path) -> mmap.mmap | bytes:
        f = open(path, "rb")  # noqa: SIM115 -- kept open while mapped, closed in close()
        self._files.append(f)
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) if os.fstat(f.fileno()).st_size else b""

    def run(self, first: int, last: int) -> tuple[bytes, bytes, np.ndarray]:
        """Rows ``first``..``last`` (consecutive in the previous files) as one slice of each file,
        the separators between them included, and their index entries counted from the slices'
        starts."""
        json_at, json_len, csv_at, csv_len = self._spans
        j0, j1 = json_at[first], json_at[last] + json_len[last]
        c0, c1 = csv_at[first], csv_at[last] + csv_len[last]
        entries = self.index[first:last + 1].copy()
        entries["json_at"] -= np.uint64(j0)
        entries["csv_at"] -= np.uint64(c0)
        return self.json[j0:j1], self.csv[c0:c1], entries

    def close(self) -> None:
        for mapped in (self.json, self.csv):
            if isinstance(mapped, mmap.mmap):
                mapped.close()
        for f in self._files:
            f.close()
        self.rows, self._files, self.json, self.csv, self.index = {}, [], b"", b"", np.empty(0, INDEX)
        self._keys = {}


Row = dict[str, Any]
# (the row's key or None, what the row is made from or UNCHANGED, the row or how to make it)
Keyed = tuple[str | int | None, Any, Row | Callable[[], Row] | None]


def write_data(folder: Path, name: str, rows: Iterable[Row], columns: list[str],
               previous: Path | None = None) -> tuple[int, int]:
    """Write rows to ``folder/{name}.json`` (an array) and ``.csv``, and their index; rows found in
    ``previous`` (the live site's data folder) are copied, not encoded. Returns (rows, copied)."""
    return write_keyed(folder, name, ((None, row, row) for row in rows), columns, previous)


def write_keyed(folder: Path, name: str, items: Iterable[Keyed], columns: list[str], previous: Path | None = None,
                salt: bytes = b"", make_many: Callable[[list[Any]], list[Row]] | None = None) -> tuple[int, int]:
    """:func:`write_data` for rows given as (key, source, row or function making it): the source,
    plain values that determine the row (a database row, a tuple), is what is digested, and a row
    is made only when it must be encoded: most of a day's rows are copied without being made.
    ``salt`` names the code that makes rows from sources (a change of it must not copy rows it
    would make differently). With ``make_many``, rows are made from their sources a batch at a
    time (one query for the batch's new rows) and the items' third parts are not used. A row
    whose source is :data:`UNCHANGED` is copied by its key (:class:`Stale` when the previous build
    has none; keys are kept when every row has one). Items are taken a thousand at a time: memory
    stays flat."""
    folder.mkdir(parents=True, exist_ok=True)
    key = hashlib.blake2b(_CODE + salt + repr(columns).encode(), digest_size=32).digest()
    old = _Previous(previous, name, key) if previous is not None else None
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode  # one encoder, not one per row
    count = copied = 0
    entries: list[np.ndarray] = []  # the index, in pieces: runs copied, rows made (as tuples until a run)
    made_rows: list[tuple[bytes, int, int, int, int]] = []
    keys: list[str | int] | None = []  # every row's key, while every row has one
    items = iter(items)
    try:
        with open(folder / f"{name}.json", "wb") as js, open(folder / f"{name}.csv", "wb") as cs:
            header = io.StringIO()
            csv.writer(header).writerow(columns)
            cs.write(BOM + header.getvalue().encode())
            js.write(b"[")
            json_at, csv_at = 1, cs.tell()
            while batch := list(itertools.islice(items, BATCH)):
                if keys is not None:
                    keys.extend(k for k, _, _ in batch)
                    if None in keys[-len(batch):]:
                        keys = None
                digests: list[bytes | None] = []
                found: list[int | None] = []
                for row_key, source, _ in batch:
                    if source is UNCHANGED:  # the previous build's row of this key, as it was
                        at = old.at(row_key) if old else None
                        if at is None:
                            raise Stale(f"{name}: no row {row_key!r} in the previous build")
                        digests.append(None)  # the copied run carries its digest
                    else:
                        # pickled, not repr'd (twice as fast): lossless, so different sources never share a digest
                        digest = hashlib.blake2b(pickle.dumps(source, 5), key=key, digest_size=16).digest()
                        at = old.rows.get(digest) if old else None
                        digests.append(digest)
                    found.append(at)
                if make_many is not None:
                    wanted = [source for (_, source, _), at in zip(batch, found, strict=True) if at is None]
                    fresh = make_many(wanted) if wanted else []
                    if len(fresh) != len(wanted):
                        raise RuntimeError(f"{name}: {len(wanted)} rows asked for, {len(fresh)} made")
                else:
                    fresh = [made() if callable(made) else made
                             for (_, _, made), at in zip(batch, found, strict=True) if at is None]
                encoded = iter(_encode(fresh, columns, encode))
                json_out: list[bytes] = []
                csv_out: list[bytes] = []
                pos = 0
                while pos < len(batch):
                    sep = b",\n" if count else b"\n"
                    json_out.append(sep)
                    json_at += len(sep)
                    first = found[pos]
                    if first is None:  # a new or changed row: made and encoded
                        part_json, part_csv = next(encoded)
                        made_rows.append((digests[pos], json_at, len(part_json), csv_at, len(part_csv)))
                        end = pos + 1
                    else:  # unchanged rows that follow each other in the previous files: one slice
                        end = pos + 1
                        while end < len(batch) and found[end] == found[end - 1] + 1:
                            end += 1
                        assert old is not None
                        part_json, part_csv, run = old.run(first, first + end - pos - 1)
                        run["json_at"] += np.uint64(json_at)
                        run["csv_at"] += np.uint64(csv_at)
                        if made_rows:
                            entries.append(np.array(made_rows, INDEX))
                            made_rows = []
                        entries.append(run)
                        copied += end - pos
                    json_out.append(part_json)
                    csv_out.append(part_csv)
                    json_at += len(part_json)
                    csv_at += len(part_csv)
                    count += end - pos
                    pos = end
                js.write(b"".join(json_out))
                cs.write(b"".join(csv_out))
            js.write(b"\n]\n")
    finally:
        if old is not None:
            old.close()
    entries.append(np.array(made_rows, INDEX))
    np.concatenate(entries).tofile(folder / f".{name}.rows")
    if keys is not None:
        (folder / f".{name}.keys").write_bytes(json.dumps({"key": key.hex(), "rows": keys}, ensure_ascii=False).encode())
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
