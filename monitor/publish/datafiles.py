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
finding's key, a report's id); the keys are kept beside the index (``.{name}.keys``: a header
line with a digest of their sequence, then the keys). A caller that knows which rows moved since
the previous build (the judge's change feed says so) gives the keys and the moved rows' positions
(:func:`write_planned`): the other rows are copied by their keys, in runs, without their sources
being made or digested — a day's rebuild then passes over keys only, and over nothing at all when
the sequence of keys is the previous one's and no moved row says anything new.
"""

from __future__ import annotations

import contextlib
import csv
import hashlib
import io
import itertools
import json
import mmap
import os
import pickle
import shutil
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


class Stale(LookupError):
    """The previous build's files cannot be copied by key: none kept, other code, or a row missing."""


class _Previous:
    """The previous build's files of one download and its index: row digest (or key) -> bytes."""

    def __init__(self, folder: Path, name: str, key: bytes = b"") -> None:
        self.index = np.empty(0, INDEX)
        self._spans: tuple[list[int], ...] = ([], [], [], [])  # json at, length, csv at, length
        self._files: list[Any] = []
        self._rows: dict[bytes, int] | None = None
        self.folder, self.name, self.valid = folder, name, False
        self.keys_file, self._key = folder / f".{name}.keys", key.hex()
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
        self.index, self.valid = index, True
        self._spans = (index["json_at"].tolist(), index["json_len"].tolist(), index["csv_at"].tolist(),
                       index["csv_len"].tolist())

    @property
    def rows(self) -> dict[bytes, int]:
        """Digest -> its row in the index (made when first asked for)."""
        if self._rows is None:
            # V16 keeps NULs (and tolist gives bytes)
            self._rows = dict(zip(self.index["digest"].tolist(), range(len(self.index)), strict=True))
        return self._rows

    def sequence(self) -> str | None:
        """The digest of the previous build's keys in order (:func:`_sequence`), when it kept them
        with this code and these columns; None otherwise. Reads the keys file's first line only."""
        if not self.valid:
            return None
        try:
            with open(self.keys_file, "rb") as f:
                header = json.loads(f.readline())
        except (OSError, ValueError):
            return None
        if not isinstance(header, dict) or header.get("key") != self._key or header.get("count") != len(self.index):
            return None
        return str(header.get("sequence"))

    def keys(self) -> list[Any] | None:
        """Every row's key, in the files' order, when the previous build kept them with this code
        and these columns (a key kept as a JSON array comes back a tuple)."""
        if self.sequence() is None:
            return None
        try:
            with open(self.keys_file, "rb") as f:
                f.readline()
                keys = json.loads(f.read())
        except (OSError, ValueError):
            return None
        if not isinstance(keys, list) or len(keys) != len(self.index):
            return None
        return [tuple(k) if isinstance(k, list) else k for k in keys]

    def link_into(self, folder: Path) -> None:
        """The previous build's files, as they are, into ``folder`` (linked where possible)."""
        folder.mkdir(parents=True, exist_ok=True)
        for file in (f"{self.name}.json", f"{self.name}.csv", f".{self.name}.rows", f".{self.name}.keys"):
            target = folder / file
            with contextlib.suppress(FileNotFoundError):
                target.unlink()
            try:
                os.link(self.folder / file, target)
            except OSError:
                shutil.copyfile(self.folder / file, target)

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
        self._rows, self._files, self.json, self.csv, self.index = {}, [], b"", b"", np.empty(0, INDEX)


class _Output:
    """One download being written: rows made and encoded, or runs of the previous build's rows
    copied as slices, in order; and the index of where each row's bytes are."""

    def __init__(self, folder: Path, name: str, columns: list[str]) -> None:
        self.folder, self.name, self.count, self.copied = folder, name, 0, 0
        folder.mkdir(parents=True, exist_ok=True)
        self.js = open(folder / f"{name}.json", "wb")  # noqa: SIM115 -- closed in close()
        self.cs = open(folder / f"{name}.csv", "wb")  # noqa: SIM115
        header = io.StringIO()
        csv.writer(header).writerow(columns)
        self.cs.write(BOM + header.getvalue().encode())
        self.js.write(b"[")
        self.json_at, self.csv_at = 1, self.cs.tell()
        self.entries: list[np.ndarray] = []  # the index, in pieces: runs copied, rows made (as tuples until a run)
        self.made_rows: list[tuple[bytes, int, int, int, int]] = []
        self.json_out: list[bytes] = []
        self.csv_out: list[bytes] = []

    def _separate(self) -> None:
        sep = b",\n" if self.count else b"\n"
        self.json_out.append(sep)
        self.json_at += len(sep)

    def made(self, digest: bytes, part_json: bytes, part_csv: bytes) -> None:
        """A row made and encoded here."""
        self._separate()
        self.made_rows.append((digest, self.json_at, len(part_json), self.csv_at, len(part_csv)))
        self._append(part_json, part_csv, 1)

    def copy(self, old: _Previous, first: int, last: int) -> None:
        """The previous build's rows ``first``..``last``, which followed each other there."""
        self._separate()
        part_json, part_csv, run = old.run(first, last)
        run["json_at"] += np.uint64(self.json_at)
        run["csv_at"] += np.uint64(self.csv_at)
        if self.made_rows:
            self.entries.append(np.array(self.made_rows, INDEX))
            self.made_rows = []
        self.entries.append(run)
        self.copied += last - first + 1
        self._append(part_json, part_csv, last - first + 1)

    def _append(self, part_json: bytes, part_csv: bytes, rows: int) -> None:
        self.json_out.append(part_json)
        self.csv_out.append(part_csv)
        self.json_at += len(part_json)
        self.csv_at += len(part_csv)
        self.count += rows
        if len(self.json_out) > 2 * BATCH:
            self.flush()

    def flush(self) -> None:
        self.js.write(b"".join(self.json_out))
        self.cs.write(b"".join(self.csv_out))
        self.json_out, self.csv_out = [], []

    def finish(self, digest_key: bytes, keys: list[Any] | None, sequence: str | None = None,
               same_keys_as: Path | None = None) -> tuple[int, int]:
        """Close the files, write the index and the keys (when every row has one; copied from
        ``same_keys_as`` when the caller knows they are those): a header line (the code's key,
        the rows, the keys' :func:`_sequence`), then the keys."""
        self.flush()
        self.js.write(b"\n]\n")
        self.close()
        self.entries.append(np.array(self.made_rows, INDEX))
        np.concatenate(self.entries).tofile(self.folder / f".{self.name}.rows")
        target = self.folder / f".{self.name}.keys"
        if same_keys_as is not None:
            shutil.copyfile(same_keys_as, target)
        elif keys is not None:
            header = {"key": digest_key.hex(), "count": len(keys), "sequence": sequence or _sequence(keys)}
            target.write_bytes(json.dumps(header).encode() + b"\n" + json.dumps(keys, ensure_ascii=False).encode())
        return self.count, self.copied

    def close(self) -> None:
        self.js.close()
        self.cs.close()


Row = dict[str, Any]
# (the row's key or None, what the row is made from, the row or how to make it)
Keyed = tuple[Any, Any, Row | Callable[[], Row] | None]


def _digest_key(salt: bytes, columns: list[str]) -> bytes:
    """What a row's bytes depend on besides its source: this module's code, the code that makes
    rows from sources (``salt``) and the columns."""
    return hashlib.blake2b(_CODE + salt + repr(columns).encode(), digest_size=32).digest()


def _sequence(keys: list[Any]) -> str:
    """A digest of the keys in their order: equal, the rows are where they were."""
    return hashlib.blake2b(pickle.dumps(keys, 5), digest_size=16).hexdigest()


def _digest(source: Any, key: bytes) -> bytes:
    # pickled, not repr'd (twice as fast): lossless, so different sources never share a digest
    return hashlib.blake2b(pickle.dumps(source, 5), key=key, digest_size=16).digest()


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
    time (one query for the batch's new rows) and the items' third parts are not used. The keys
    are kept for :func:`write_planned` when every row has one. Items are taken a thousand at a
    time: memory stays flat."""
    key = _digest_key(salt, columns)
    old = _Previous(previous, name, key) if previous is not None else None
    encode = json.JSONEncoder(ensure_ascii=False, default=str).encode  # one encoder, not one per row
    keys: list[Any] | None = []  # every row's key, while every row has one
    items = iter(items)
    out = _Output(folder, name, columns)
    try:
        while batch := list(itertools.islice(items, BATCH)):
            if keys is not None:
                keys.extend(k for k, _, _ in batch)
                if None in keys[-len(batch):]:
                    keys = None
            digests = [_digest(source, key) for _, source, _ in batch]
            found = [old.rows.get(d) for d in digests] if old else [None] * len(batch)
            if make_many is not None:
                wanted = [source for (_, source, _), at in zip(batch, found, strict=True) if at is None]
                fresh = make_many(wanted) if wanted else []
                if len(fresh) != len(wanted):
                    raise RuntimeError(f"{name}: {len(wanted)} rows asked for, {len(fresh)} made")
            else:
                fresh = [made() if callable(made) else made
                         for (_, _, made), at in zip(batch, found, strict=True) if at is None]
            encoded = iter(_encode(fresh, columns, encode))
            pos = 0
            while pos < len(batch):
                first = found[pos]
                end = pos + 1
                if first is None:  # a new or changed row: made and encoded
                    out.made(digests[pos], *next(encoded))
                else:  # unchanged rows that follow each other in the previous files: one slice
                    while end < len(batch) and found[end] == found[end - 1] + 1:
                        end += 1
                    assert old is not None
                    out.copy(old, first, first + end - pos - 1)
                pos = end
        return out.finish(key, keys)
    finally:
        out.close()
        if old is not None:
            old.close()


def write_planned(folder: Path, name: str, keys: list[Any], moved: Iterable[int],
                  redo: Callable[[list[int]], list[tuple[Any, Row]]], columns: list[str], previous: Path,
                  salt: bytes = b"") -> tuple[int, int]:
    """:func:`write_keyed` when the caller knows which rows moved since the previous build (the
    judge's change feed): ``keys`` are every row's, in order; the rows at the ``moved`` positions,
    and those whose key the previous build lacks, are made by ``redo(positions)`` as (source, row)
    pairs; every other row is copied by its key — nothing else about it is made, digested or even
    looked at one by one. The same bytes as :func:`write_keyed` writes from every row's source,
    provided the moved positions are right. :class:`Stale` when the previous build kept no keys
    (or kept them with other code or columns)."""
    key = _digest_key(salt, columns)
    old = _Previous(previous, name, key)
    try:
        sequence, old_sequence = _sequence(keys), old.sequence()
        if old_sequence is None:
            raise Stale(f"{name}: the previous build kept no keys for this code and these columns")
        n = len(keys)
        if sequence == old_sequence:  # the same rows in the same order: each where it was
            at, old_keys = np.arange(n, dtype=np.int64), None
        else:
            old_keys = old.keys()
            if old_keys is None:
                raise Stale(f"{name}: the previous build's keys cannot be read")
            where = dict(zip(old_keys, range(len(old_keys)), strict=True))
            if len(where) != len(old_keys):
                raise Stale(f"{name}: the previous build's keys are not one a row")
            at = np.fromiter(map(where.get, keys, itertools.repeat(-1, n)), np.int64, n)
        remade = np.zeros(n, dtype=bool)
        remade[np.fromiter(moved, np.int64)] = True
        remade |= at < 0
        made_at = np.flatnonzero(remade).tolist()
        made = redo(made_at)
        if len(made) != len(made_at):
            raise RuntimeError(f"{name}: {len(made_at)} rows asked for, {len(made)} made")
        digests = [_digest(source, key) for source, _ in made]
        if old_keys is None and digests == old.index["digest"][made_at].tolist():
            old.link_into(folder)  # every row as it was, where it was: the previous files are these
            return n, n
        encoded = _encode([row for _, row in made], columns, json.JSONEncoder(ensure_ascii=False, default=str).encode)
        # runs of kept rows whose previous rows followed each other: where each starts and ends
        gap = at[1:] != at[:-1] + 1  # between row i and i + 1
        starts = np.flatnonzero(~remade & np.concatenate(([True], remade[:-1] | gap))).tolist() if n else []
        ends = iter(np.flatnonzero(~remade & np.concatenate((remade[1:] | gap, [True]))).tolist() if n else [])
        out = _Output(folder, name, columns)
        try:
            made_digests = iter(digests)
            for i, kind in sorted([(i, 0) for i in made_at] + [(i, 1) for i in starts]):
                if kind == 0:
                    out.made(next(made_digests), *next(encoded))
                else:
                    out.copy(old, int(at[i]), int(at[next(ends)]))
            return out.finish(key, keys, sequence, old.keys_file if sequence == old_sequence else None)
        finally:
            out.close()
    finally:
        old.close()


def _encode(rows: list[dict[str, Any]], columns: list[str], encode) -> Iterator[tuple[bytes, bytes]]:
    """Each row's JSON and CSV bytes (CSV cells neutralised, as ``csvsafe.safe_rows`` does)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row, cells in zip(rows, safe_rows(rows, columns), strict=True):
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(cells)
        yield encode(row).encode(), buffer.getvalue().encode()
