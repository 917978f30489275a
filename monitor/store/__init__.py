"""The store: one SQLite file, written through sqlite-utils, readable as-is in Datasette.

A report is keyed by (jurisdiction, agency, report year). Every distinct text a report was seen
with is kept as a version (content hash, first and last seen), so a report corrected after
publication keeps its history. The schema is created and changed by :mod:`monitor.store.migrations`;
the file runs in WAL mode so a reader (the site builder, Datasette) never blocks the crawler, and a
killed writer never leaves a half-applied change.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

from monitor.report.record import version_facts
from monitor.report.textutil import iso
from monitor.store.digests import DigestQueries
from monitor.store.feed import FeedQueries
from monitor.store.judging import JudgingQueries
from monitor.store.migrations import VERSION_FACTS_INDEX, adopt_legacy_record, migrations
from monitor.store.packing import pack, pack_json, unpack

if TYPE_CHECKING:
    from monitor.report.model import Report

DEFAULT_DB = "data/nianbao.db"
# An optional cap on the database size in MB (a disk quota): writes beyond it fail as on a full disk.
MAX_MB_ENV = "NIANBAO_DB_MAX_MB"


def is_disk_full(exc: BaseException) -> bool:
    return (isinstance(exc, sqlite3.OperationalError) and "full" in str(exc).lower()) or \
        (isinstance(exc, OSError) and getattr(exc, "errno", None) == 28)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def text_hash(text: str) -> str:
    """Hash of the report text with whitespace normalised (re-wrapping is not a new version)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


class StoreError(Exception):
    """The database cannot be opened or written; the message says why, in plain words."""


@dataclass
class Recorded:
    report_id: int
    version_id: int
    status: str  # new | changed | unchanged


class Store(JudgingQueries, DigestQueries, FeedQueries):
    """The project's SQLite database. Open with :func:`open_store`."""

    def __init__(self, db: sqlite_utils.Database, path: str | None) -> None:
        self.db = db
        self.path = path

    # -- lifecycle ------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply pending migrations (:mod:`monitor.store.migrations`); returns the names applied."""
        with self.transaction() as db:  # taken before reading what is pending: one migrator at a time
            adopt_legacy_record(db)
            pending = [m.name for m in migrations.pending(db)]
            migrations.apply(db)
        return pending

    @contextmanager
    def transaction(self) -> Iterator[sqlite_utils.Database]:
        """All-or-nothing block; nested use joins the outer transaction."""
        conn = self.db.conn
        if conn.in_transaction:
            yield self.db
            return
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield self.db
        except BaseException:
            if conn.in_transaction:  # SQLite has already rolled back after some errors (a full disk)
                conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

    @contextmanager
    def snapshot(self) -> Iterator[None]:
        """Reads that see one state of the database, however many statements they take (a deferred
        transaction: a writer elsewhere goes on). Inside an open transaction, that one's state."""
        conn = self.db.conn
        if conn.in_transaction:
            yield
            return
        conn.execute("BEGIN")
        try:
            yield
        finally:
            if conn.in_transaction:
                conn.execute("COMMIT")  # nothing was written: ends the read

    def close(self) -> None:
        self.db.close()

    # -- reports --------------------------------------------------------------------------

    def record_report(
        self,
        report: Report,
        *,
        url: str | None = None,
        seen_at: str | None = None,
        jurisdiction: str | None = None,
        agency: str | None = None,
        level: str | None = None,
        year: int | None = None,
        published: str | None = None,
        published_source: str | None = None,
        portal_id: int | None = None,
        index_no: str | None = None,
        evidence: dict[str, Any] | None = None,
        identity: dict[str, Any] | None = None,
    ) -> Recorded:
        """Store a judged report: a new report, a new text version, or one more sighting.

        ``evidence`` holds the version's provenance: ``source_hash`` (of the bytes it was read
        from), ``page_blob``, ``attachment_url``, ``attachment_blob``. ``identity`` says where the
        key's fields came from (division_code, province, sources); by default the analysis's own.
        """
        ident = report.identity
        seen_at = seen_at or now_iso()
        key = {
            "jurisdiction": jurisdiction or ident.jurisdiction or "",
            "agency": agency or ident.agency or report.doc.path or url or "",
            "year": year or ident.year or 0,
        }
        digest = text_hash(report.text)
        with self.transaction():
            existing = self._rows("select * from reports where jurisdiction = ? and agency = ? and year = ?",
                                  [key["jurisdiction"], key["agency"], key["year"]])
            fields = {
                "level": level or ident.level,
                "title": ident.title,
                "url": url,
                "published": published or iso(ident.published),
                "published_source": published_source or ident.published_source,
                "portal_id": portal_id,
                "index_no": index_no,
                "format": report.doc.format,
            }
            if existing:
                report_id = existing[0]["id"]
                update = {k: v for k, v in fields.items() if v}
                update["last_seen"] = seen_at
                self._update("reports", report_id, update)
            else:
                report_id = self._insert("reports", {**key, **fields, "first_seen": seen_at, "last_seen": seen_at})
            version = self._rows("select id from report_versions where report_id = ? and text_hash = ?",
                                 [report_id, digest])
            if version:
                version_id = version[0]["id"]
                self._update("report_versions", version_id, {"last_seen": seen_at})
                status = "unchanged"
            else:
                analysis = report.to_json()
                facts = version_facts(report.authored_prose(), analysis["tables"],
                                      [key["agency"], key["jurisdiction"], ident.agency or "", ident.jurisdiction or ""])
                version_id = self._insert("report_versions", {
                    "prose": pack(facts["prose"]), "signature": facts["signature"], "carry": json.dumps(facts["carry"]),
                    "report_id": report_id, "text_hash": digest, "format": report.doc.format, "source_url": url,
                    "text_source": report.doc.source,
                    "title": ident.title, "text": pack(report.text), "text_chars": analysis["text_chars"],
                    "template": report.template, "sections": json.dumps(analysis["sections"]),
                    "tables": pack_json(analysis["tables"]),
                    "identity": json.dumps(identity or {"division_code": ident.division_code,
                                                         "province": ident.province, "sources": ident.sources},
                                           ensure_ascii=False),
                    "first_seen": seen_at, "last_seen": seen_at, **(evidence or {}),
                })
                self.db.conn.executemany(
                    "insert into findings (report_id, version_id, code, severity, message, detail, first_seen, "
                    "last_seen) values (?, ?, ?, ?, ?, ?, ?, ?)",
                    [(report_id, version_id, f.code, f.severity, f.message,
                      json.dumps(f.detail, ensure_ascii=False, default=str), seen_at, seen_at) for f in report.findings])
                status = "changed" if existing else "new"
            self._update("reports", report_id, {"current_version_id": version_id})
        return Recorded(report_id, version_id, status)

    def touch_unchanged(self, url: str, source_hash: str, seen_at: str | None = None) -> Recorded | None:
        """One more sighting of a report read from exactly these bytes before: no re-analysis."""
        seen_at = seen_at or now_iso()
        rows = self._rows("select id, report_id from report_versions where source_url = ? and source_hash = ? "
                          "order by id desc limit 1", [url, source_hash])
        if not rows:
            return None
        version = rows[0]
        with self.transaction():
            self._update("report_versions", version["id"], {"last_seen": seen_at})
            self._update("reports", version["report_id"], {"last_seen": seen_at, "current_version_id": version["id"]})
        return Recorded(version["report_id"], version["id"], "unchanged")

    def has_version(self, url: str, source_hash: str) -> bool:
        """Whether a report was read from exactly these bytes before."""
        return bool(self._rows("select 1 from report_versions where source_url = ? and source_hash = ? limit 1",
                               [url, source_hash]))

    def marked_documents(self, hashes: list[str]) -> dict[str, dict[str, Any]]:
        """The rows of ``failed_documents`` for these hashes (being judged, or failed)."""
        if not hashes:
            return {}
        marks = ",".join("?" * len(hashes))
        return {row["hash"]: dict(row) for row in self.db.query(
            f"select * from failed_documents where hash in ({marks})", hashes)}

    def mark_documents(self, documents: dict[str, str], state: str, reason: str | None = None) -> None:
        """Mark documents (url -> hash) as ``judging`` or ``failed``; ``ok`` removes the mark."""
        now = now_iso()
        with self.transaction() as db:
            for url, digest in documents.items():
                if state == "ok":
                    db.execute("delete from failed_documents where hash = ?", [digest])
                    continue
                db.execute("insert into failed_documents (hash, url, state, reason, first_at, last_at) "
                           "values (?, ?, ?, ?, ?, ?) on conflict(hash) do update set state = excluded.state, "
                           "reason = coalesce(excluded.reason, failed_documents.reason), last_at = excluded.last_at",
                           [digest, url, state, reason, now, now])

    def touch_url(self, url: str, seen_at: str | None = None) -> Recorded | None:
        """One more sighting of the report at ``url`` (its page not fetched again: known and fresh)."""
        rows = list(self.db["reports"].rows_where("url = ?", [url], limit=1))
        if not rows:
            return None
        seen_at = seen_at or now_iso()
        report = rows[0]
        with self.transaction() as db:
            db["reports"].update(report["id"], {"last_seen": seen_at})
            db["report_versions"].update(report["current_version_id"], {"last_seen": seen_at})
        return Recorded(report["id"], report["current_version_id"], "unchanged")

    # -- crawl bookkeeping ----------------------------------------------------------------

    def portal_id(self, url: str, jurisdiction: str | None = None, name: str | None = None) -> int:
        rows = list(self.db["portals"].rows_where("url = ?", [url]))
        if rows:
            if jurisdiction and rows[0]["jurisdiction"] != jurisdiction:
                self.db["portals"].update(rows[0]["id"], {"jurisdiction": jurisdiction})
            return rows[0]["id"]
        return self.db["portals"].insert({"url": url, "jurisdiction": jurisdiction, "name": name,
                                          "first_seen": now_iso()}).last_pk

    # Pages, fetches and reports are written for every request or report a crawl makes: plain
    # statements here, since sqlite-utils' table methods look the schema up again on each call
    # (10-15 statements a page, 39 a report).

    def _rows(self, sql: str, params: list[Any]) -> list[dict[str, Any]]:
        cursor = self.db.execute(sql, params)
        names = [c[0] for c in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]

    def _insert(self, table: str, values: dict[str, Any]) -> int:
        cursor = self.db.execute(f'insert into "{table}" ({_columns(values)}) values ({_marks(values)})',
                                 list(values.values()))
        return cursor.lastrowid  # type: ignore[return-value]

    def _update(self, table: str, row_id: int, values: dict[str, Any]) -> None:
        if values:
            assignments = ", ".join(f'"{name}" = ?' for name in values)
            self.db.execute(f'update "{table}" set {assignments} where id = ?', [*values.values(), row_id])

    def page(self, url: str) -> dict[str, Any] | None:
        rows = self._rows("select * from pages where url = ?", [url])
        return rows[0] if rows else None

    def save_page(self, url: str, **fields: Any) -> None:
        """Insert or update a page's record (``first_seen`` only when it is new)."""
        values = {"url": url, "first_seen": fields.get("last_fetched") or now_iso(), **fields}
        updates = ", ".join(f'"{c}" = excluded."{c}"' for c in fields) or '"url" = "url"'
        self.db.execute(f"insert into pages ({_columns(values)}) values ({_marks(values)}) "
                        f"on conflict(url) do update set {updates}", list(values.values()))

    def log_fetch(self, **fields: Any) -> None:
        self.db.execute(f"insert into fetches ({_columns(fields)}) values ({_marks(fields)})", list(fields.values()))

    def failed_fetches(self, run_ids: list[int], per_run: int = 20) -> dict[int, list[dict[str, Any]]]:
        """Each run's failed URLs (the last attempt of each), at most ``per_run`` of them, in one query."""
        if not run_ids:
            return {}
        marks = ",".join("?" * len(run_ids))
        out: dict[int, list[dict[str, Any]]] = {}
        for row in self.db.query(
                f"select run_id, url, error_kind, coalesce(error, status) as reason, max(id) as last from fetches "
                f"where run_id in ({marks}) and error_kind is not null group by run_id, url order by run_id, last",
                run_ids):
            rows = out.setdefault(row["run_id"], [])
            if len(rows) < per_run:
                rows.append({"url": row["url"], "kind": row["error_kind"], "reason": row["reason"]})
        return out

    def record_list(self, run_id: int | None, portal_id: int | None, result: dict[str, Any]) -> None:
        """One list walk's outcome (see :class:`crawler.cms.base.Walk`); the latest per column and run."""
        complete = result.get("complete")
        row = {"run_id": run_id, "portal_id": portal_id, "column_url": result["column"], "adapter": result["adapter"],
               "stated": result.get("stated"), "stated_pages": result.get("stated_pages"), "found": result["found"],
               "pages": result.get("pages"), "complete": None if complete is None else int(bool(complete)),
               "reason": result.get("reason"), "stop": result.get("stop"), "browser": int(bool(result.get("browser"))),
               "checked_at": now_iso()}
        with self.transaction() as db:
            db.execute("delete from list_checks where run_id is ? and column_url = ?", [run_id, result["column"]])
            db["list_checks"].insert(row)

    # -- crawler health -------------------------------------------------------------------

    def recent_runs(self, per_portal: int) -> dict[int, list[dict[str, Any]]]:
        """Each portal's latest crawl runs, newest first."""
        runs: dict[int, list[dict[str, Any]]] = {}
        for run in self.db.query("select * from crawl_runs order by id desc"):
            mine = runs.setdefault(run["portal_id"], [])
            if len(mine) < per_portal:
                mine.append(dict(run))
        return runs

    def portals(self) -> list[dict[str, Any]]:
        return [dict(row) for row in self.db.query("select * from portals order by url")]

    def reports_per_portal(self) -> dict[int, int]:
        """How many stored reports each portal was the last to find."""
        return {row[0]: row[1] for row in self.db.execute(
            "select portal_id, count(*) from reports where portal_id is not null group by portal_id")}

    def columns_gone(self, run_id: int) -> list[dict[str, Any]]:
        """年报 columns that failed (404, 410, soft 404) in this run and answered in an earlier one."""
        return [dict(row) for row in self.db.query(
            "select f.url, f.status, f.error_kind from fetches f where f.run_id = ? and f.kind = 'column' "
            "and (f.status in (404, 410) or f.error_kind = 'soft404') and exists (select 1 from fetches e "
            "where e.url = f.url and e.run_id < f.run_id and e.status = 200 "
            "and (e.error_kind is null or e.error_kind != 'soft404'))", [run_id])]

    def sync_health_alerts(self, current: dict[str, dict[str, Any]], stamp: str) -> tuple[int, int]:
        """Open, update, reopen and resolve ``health_alerts`` against the alerts now standing
        (key -> fields); returns (new, resolved)."""
        new = resolved = 0
        with self.transaction() as db:
            known = {row["key"]: row for row in db["health_alerts"].rows}
            for key, fields in current.items():
                row = known.get(key)
                if row is None:
                    db["health_alerts"].insert({"key": key, "state": "open", "first_seen": stamp, **fields})
                    new += 1
                else:
                    reopened = {"state": "open", "resolved_at": None, "digest_id": None} \
                        if row["state"] == "resolved" else {}
                    db["health_alerts"].update(row["id"], {**fields, **reopened})
            for key, row in known.items():
                if row["state"] == "open" and key not in current:
                    db["health_alerts"].update(row["id"], {"state": "resolved", "resolved_at": stamp})
                    resolved += 1
        return new, resolved

    # -- scheduled jobs ---------------------------------------------------------------------

    def start_job(self, job: str, kind: str, started_at: str) -> int:
        return self.db["job_runs"].insert({"job": job, "kind": kind, "started_at": started_at,
                                           "outcome": "running", "pid": os.getpid()}).last_pk

    def finish_job(self, run_id: int, finished_at: str, outcome: dict[str, Any]) -> None:
        self.db["job_runs"].update(run_id, {"finished_at": finished_at, **outcome})

    def last_job_runs(self) -> dict[str, dict[str, Any]]:
        """Each job's latest run, by job name."""
        return {row["job"]: dict(row) for row in self.db.query(
            "select * from job_runs where id in (select max(id) from job_runs group by job)")}

    def latest_job_run(self) -> dict[str, Any] | None:
        return next((dict(r) for r in self.db.query("select * from job_runs order by id desc limit 1")), None)

    # -- reports for publishing ---------------------------------------------------------------

    def report_rows(self) -> Iterator[dict[str, Any]]:
        """Every report, by id, as the query reads them (a national corpus is not held in memory)."""
        return self.db.query("select * from reports order by id")

    def report_stamps(self, ids: list[int] | None = None) -> Iterator[tuple[Any, ...]]:
        """Every report (or these), by id, as (id, revision stamp, jurisdiction, agency, year, last
        seen, portal, and its current version's page blob, attachment blob and format): enough to
        know which site pages changed and which evidence files the site keeps, without reading the
        reports."""
        where = "" if ids is None else "where r.id in (select value from json_each(?)) "
        return self.db.execute(
            "select r.id, r.rev, r.jurisdiction, r.agency, r.year, r.last_seen, r.portal_id, v.page_blob, "
            "v.attachment_blob, v.format "
            f"from reports r left join report_versions v indexed by {VERSION_FACTS_INDEX} "
            f"on v.id = {self._IN_FORCE} {where}order by r.id", [] if ids is None else [json.dumps(ids)])

    _IN_FORCE = "coalesce(r.current_version_id, (select max(id) from report_versions where report_id = r.id))"

    def evidence_blobs(self) -> Iterator[tuple[str | None, str | None, str | None]]:
        """(page blob, attachment blob, format) of every report's version in force that has
        either: the evidence files a site keeps."""
        return self.db.execute(
            f"select v.page_blob, v.attachment_blob, v.format from reports r join report_versions v indexed by "
            f"{VERSION_FACTS_INDEX} on v.id = {self._IN_FORCE} "
            "where v.page_blob is not null or v.attachment_blob is not null")

    def latest_crawls(self) -> dict[int, str]:
        """When each portal's latest crawl that went through (finished, or incomplete) started."""
        return {row[0]: row[1] for row in self.db.execute(
            "select portal_id, max(started_at) from crawl_runs where status in ('finished', 'incomplete') "
            "and portal_id is not null group by portal_id")}

    def reports_with_versions(self, ids: list[int]) -> list[tuple[dict[str, Any], list[dict[str, Any]]]]:
        """These reports (in the order given) with their versions (without their text), oldest
        first: two queries for a batch of pages to draw."""
        marks = ",".join("?" * len(ids))
        rows = {r["id"]: r for r in self.db.query(f"select * from reports where id in ({marks})", ids)}
        versions: dict[int, list[dict[str, Any]]] = {}
        for v in self.db.query(
                "select id, report_id, first_seen, last_seen, format, text_source, text_chars, text_hash, page_blob, "
                f"attachment_blob, attachment_url, identity from report_versions where report_id in ({marks}) "
                "order by report_id, id", ids):
            v = dict(v)
            versions.setdefault(v.pop("report_id"), []).append(v)
        return [(rows[i], versions.get(i, [])) for i in ids if i in rows]

    def version_content(self, version_id: int) -> tuple[str, str | None, str | None, str | None]:
        """A version's text, tables, sections and template (read when its page is rebuilt)."""
        row = self.db.execute("select text, tables, sections, template from report_versions where id = ?",
                              [version_id]).fetchone()
        if not row:
            return ("", None, None, None)
        return (unpack(row[0]) or "", unpack(row[1]), row[2], row[3])

    def open_finding_counts(self) -> dict[str, int]:
        return {row["code"]: row["n"] for row in self.db.query(
            "select code, count(*) n from tracked_findings where state = 'open' group by code order by n desc")}

    def report_count(self) -> int:
        return self.db["reports"].count

    def fresh_detail_urls(self, since: str) -> list[str]:
        """Report pages verified since ``since``: still fresh, no need to fetch them again."""
        return [r["url"] for r in self.db.query(
            "select url from pages where kind = 'detail' and status = 200 and last_verified > ?", [since])]

    def setting(self, key: str) -> str | None:
        row = self.db.execute("select value from settings where key = ?", [key]).fetchone()
        return row[0] if row else None

    def set_setting(self, key: str, value: str) -> None:
        with self.transaction() as db:
            db["settings"].upsert({"key": key, "value": value, "updated_at": now_iso()}, pk="key")

    def has_table(self, name: str) -> bool:
        return name in self.db.table_names()

    def list_checks(self, run_id: int) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.query("select * from list_checks where run_id = ? order by column_url",
                                               [run_id])]

    def start_run(self, portal_id: int) -> int:
        return self.db["crawl_runs"].insert({"portal_id": portal_id, "started_at": now_iso(),
                                             "status": "running"}).last_pk

    def mark_interrupted(self) -> int:
        """Runs still marked running when no crawl can be running (the writer lock is held): they
        were killed. Their fetches and reports stay; only the run's bookkeeping is closed."""
        stale = [row["id"] for row in self.db.query("select id from crawl_runs where status = 'running'")]
        for run_id in stale:
            self.db["crawl_runs"].update(run_id, {"status": "interrupted", "finished_at": now_iso()})
        return len(stale)

    def finish_run(self, run_id: int, **fields: Any) -> None:
        self.db["crawl_runs"].update(run_id, {"finished_at": now_iso(), **fields})
        run = self.db["crawl_runs"].get(run_id)
        self.db["portals"].update(run["portal_id"], {"last_crawled": run["finished_at"]})

    EXPORT_FIELDS = ("url", "title", "agency", "jurisdiction", "year", "level", "published", "first_seen", "format",
                     "text_source", "text_chars")

    # reports with a version in force, in the order the export lists them
    _EXPORTED = """from reports r join report_versions v {index} on v.id = r.current_version_id {where}
                   order by r.jurisdiction, r.year desc, r.agency"""

    def export_report_rows(self, with_text: bool = False, ids: list[int] | None = None) -> Iterator[tuple[Any, ...]]:
        """Each report's version in force as a plain tuple (EXPORT_FIELDS, then the version's
        finding codes as a JSON array, then its packed text when asked): cheap to compare, made
        into the export's shape by :meth:`export_row` only where needed. With ``ids``: only those
        reports' rows, in the order given."""
        columns = """r.url, r.title, r.agency, r.jurisdiction, r.year, r.level, r.published, r.first_seen,
                   v.format, v.text_source, v.text_chars,
                   (select json_group_array(code) from (select code from findings f
                        where f.version_id = v.id order by f.severity, f.code)) as codes"""
        # the version's small facts from their index, unless its text is asked for too
        index = "" if with_text else f"indexed by {VERSION_FACTS_INDEX}"
        if ids is None:
            return self.db.execute(f"select {columns}{', v.text' if with_text else ''} "
                                   + self._EXPORTED.format(index=index, where=""))
        return self._export_rows_of(ids, columns + (", v.text" if with_text else ""), index)

    def _export_rows_of(self, ids: list[int], columns: str, index: str) -> Iterator[tuple[Any, ...]]:
        for start in range(0, len(ids), 500):  # SQLite's limit on bound parameters
            chunk = ids[start:start + 500]
            found = {row[0]: row[1:] for row in self.db.execute(
                f"select r.id, {columns} " + self._EXPORTED.format(
                    index=index, where=f"where r.id in ({','.join('?' * len(chunk))})"), chunk)}
            yield from (found[i] for i in chunk if i in found)

    def export_report_stamps(self) -> Iterator[tuple[int, int]]:
        """(id, revision stamp) of the reports :meth:`export_report_rows` lists, in its order: the
        stamp moves with everything a row is made from (migration 018), so the site's downloads
        read a row only where it moved."""
        return self.db.execute("select r.id, r.rev " + self._EXPORTED.format(
            index=f"indexed by {VERSION_FACTS_INDEX}", where=""))

    @classmethod
    def export_row(cls, raw: tuple[Any, ...]) -> dict[str, Any]:
        """A row of :meth:`export_report_rows` in the shape of ``nianbao export reports``."""
        fields = len(cls.EXPORT_FIELDS)
        row = dict(zip(cls.EXPORT_FIELDS, raw[:fields], strict=True))
        row["findings"] = json.loads(raw[fields] or "[]")
        if len(raw) > fields + 1:
            row["text"] = unpack(raw[fields + 1])
        return row

    def export_reports(self, with_text: bool = False) -> Iterator[dict[str, Any]]:
        """Each report's version in force, in the shape of ``nianbao export reports``."""
        return (self.export_row(raw) for raw in self.export_report_rows(with_text))

    def reports(self) -> list[dict[str, Any]]:
        """Every report with its version in force and that version's finding codes."""
        sql = """
            select r.*, v.format, v.text_chars, v.template, v.source_url,
                   (select group_concat(code, ',') from findings f where f.version_id = v.id) as codes
            from reports r left join report_versions v on v.id = r.current_version_id
            order by r.jurisdiction, r.year desc, r.agency
        """
        return [dict(row) for row in self.db.query(sql)]


def _columns(values: dict[str, Any]) -> str:
    return ", ".join(f'"{name}"' for name in values)  # names from our code, never from a portal


def _marks(values: dict[str, Any]) -> str:
    return ", ".join("?" * len(values))


class ReadOnlyStore(StoreError):
    """The database (or its folder) cannot be written."""


def open_for_reading(path: str | Path = DEFAULT_DB) -> Store:
    """Open an existing database to read: writable when it can be (then migrated as usual), else
    read-only — a copy on read-only media, a folder without write permission — if its schema is
    current. Nothing is written through a read-only store."""
    try:
        return open_store(path)
    except StoreError as exc:
        writable_error = exc  # read-only media says "unable to open" (no -wal/-shm can be made), not "readonly"
    p = Path(path)
    if not p.is_file():
        raise writable_error
    try:
        return open_read_only(p)
    except StoreError as exc:
        raise StoreError(f"{writable_error}；以只读方式也无法打开：{exc}") from exc


def open_read_only(path: str | Path) -> Store:
    """A connection that cannot write, to a database at the current schema (a second reader beside
    a writer: the site's rendering processes, a copy on read-only media)."""
    p = Path(path)
    uri = p.resolve().as_uri()
    last: Exception | None = None
    for query in ("?mode=ro", "?mode=ro&immutable=1"):  # immutable: no -shm/-wal can be made beside it
        try:
            conn = sqlite3.connect(uri + query, uri=True, timeout=30, isolation_level=None)
            db = sqlite_utils.Database(conn)
            if migrations.pending(db):
                raise StoreError(f"数据库 {p} 是只读的，且需要升级到当前版本：请在可写的位置运行一次 nianbao judge")
            return Store(db, str(p))
        except sqlite3.OperationalError as exc:
            last = exc
    raise StoreError(str(last))


def open_store(path: str | Path = DEFAULT_DB) -> Store:
    """Open (creating and migrating as needed) the database at ``path``."""
    p = Path(path)
    try:
        p.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(str(p), timeout=30, isolation_level=None)
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        db = sqlite_utils.Database(conn)
        db.enable_wal()
        # In WAL mode NORMAL never corrupts the file; a power cut may drop the last commits only.
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("BEGIN IMMEDIATE")  # fail now, with a clear message, if it cannot be written
        conn.execute("ROLLBACK")
        limit = os.environ.get(MAX_MB_ENV)
        if limit:
            page_size = conn.execute("PRAGMA page_size").fetchone()[0]
            conn.execute(f"PRAGMA max_page_count = {int(float(limit) * 1024 * 1024 / page_size)}")
        store = Store(db, str(p))
        store.migrate()
        return store
    except sqlite3.OperationalError as exc:
        unwritable = p.exists() and not (os.access(p, os.W_OK) and os.access(p.parent, os.W_OK))
        if "readonly" in str(exc) or "read-only" in str(exc) or unwritable:
            raise ReadOnlyStore(f"数据库 {p} 是只读的（文件或目录没有写权限），无法写入") from exc
        if is_disk_full(exc):
            raise StoreError(f"磁盘已满（或数据库达到 {MAX_MB_ENV} 上限），无法写入数据库 {p}") from exc
        raise StoreError(f"无法打开数据库 {p}：{exc}") from exc
    except OSError as exc:
        raise StoreError(f"无法创建数据库目录 {p.parent}：{exc.strerror or exc}") from exc
