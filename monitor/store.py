"""The store: one SQLite file, written through sqlite-utils, readable as-is in Datasette.

A report is keyed by (jurisdiction, agency, report year). Every distinct text a report was seen
with is kept as a version (content hash, first and last seen), so a report corrected after
publication keeps its history. The schema is created and migrated by :data:`MIGRATIONS`, in
order, each in its own transaction; the file runs in WAL mode so a reader (the site builder,
Datasette) never blocks the crawler, and a killed writer never leaves a half-applied change.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import sqlite_utils

if TYPE_CHECKING:
    from monitor.analysis import Report

DEFAULT_DB = "data/nianbao.db"


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def text_hash(text: str) -> str:
    """Hash of the report text with whitespace normalised (re-wrapping is not a new version)."""
    return hashlib.sha256(" ".join(text.split()).encode("utf-8")).hexdigest()


# --------------------------------------------------------------------------- schema


def _m001_reports(db: sqlite_utils.Database) -> None:
    db["reports"].create(
        {
            "id": int, "jurisdiction": str, "agency": str, "year": int, "level": str, "title": str,
            "url": str, "published": str, "published_source": str, "first_seen": str, "last_seen": str,
            "current_version_id": int,
        },
        pk="id",
        not_null={"jurisdiction", "agency", "year", "first_seen", "last_seen"},
        defaults={"jurisdiction": ""},
    )
    db["reports"].create_index(["jurisdiction", "agency", "year"], unique=True)
    db["report_versions"].create(
        {
            "id": int, "report_id": int, "text_hash": str, "format": str, "source_url": str, "title": str,
            "text": str, "text_chars": int, "template": str, "sections": str, "tables": str,
            "first_seen": str, "last_seen": str,
        },
        pk="id",
        foreign_keys=[("report_id", "reports", "id")],
        not_null={"report_id", "text_hash", "first_seen", "last_seen"},
    )
    db["report_versions"].create_index(["report_id", "text_hash"], unique=True)
    db["findings"].create(
        {
            "id": int, "report_id": int, "version_id": int, "code": str, "severity": str, "message": str,
            "detail": str, "first_seen": str, "last_seen": str,
        },
        pk="id",
        foreign_keys=[("report_id", "reports", "id"), ("version_id", "report_versions", "id")],
        not_null={"report_id", "code", "severity", "message", "first_seen", "last_seen"},
    )
    db["findings"].create_index(["report_id"])
    db["findings"].create_index(["code"])


MIGRATIONS: list[tuple[str, Callable[[sqlite_utils.Database], None]]] = [
    ("001_reports", _m001_reports),
]


class StoreError(Exception):
    """The database cannot be opened or written; the message says why, in plain words."""


@dataclass
class Recorded:
    report_id: int
    version_id: int
    status: str  # new | changed | unchanged


class Store:
    """The project's SQLite database. Open with :func:`open_store`."""

    def __init__(self, db: sqlite_utils.Database, path: str | None) -> None:
        self.db = db
        self.path = path

    # -- lifecycle ------------------------------------------------------------------------

    def migrate(self) -> list[str]:
        """Apply pending migrations; returns the names applied."""
        db = self.db
        if "_migrations" not in db.table_names():
            db["_migrations"].create({"name": str, "applied_at": str}, pk="name")
        done = {row["name"] for row in db["_migrations"].rows}
        applied = []
        for name, migration in MIGRATIONS:
            if name in done:
                continue
            with self.transaction():
                migration(db)
                db["_migrations"].insert({"name": name, "applied_at": now_iso()})
            applied.append(name)
        return applied

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
            conn.execute("ROLLBACK")
            raise
        else:
            conn.execute("COMMIT")

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
    ) -> Recorded:
        """Store a judged report: a new report, a new text version, or one more sighting."""
        from monitor.textutil import iso

        ident = report.identity
        seen_at = seen_at or now_iso()
        key = {
            "jurisdiction": jurisdiction or ident.jurisdiction or "",
            "agency": agency or ident.agency or report.doc.path or url or "",
            "year": year or ident.year or 0,
        }
        digest = text_hash(report.text)
        with self.transaction() as db:
            existing = list(db["reports"].rows_where(
                "jurisdiction = ? and agency = ? and year = ?", [key["jurisdiction"], key["agency"], key["year"]]))
            fields = {
                "level": level or ident.level,
                "title": ident.title,
                "url": url,
                "published": published or iso(ident.published),
                "published_source": published_source or ident.published_source,
            }
            if existing:
                report_id = existing[0]["id"]
                update = {k: v for k, v in fields.items() if v}
                update["last_seen"] = seen_at
                db["reports"].update(report_id, update)
            else:
                report_id = db["reports"].insert({**key, **fields, "first_seen": seen_at, "last_seen": seen_at}).last_pk
            version = list(db["report_versions"].rows_where("report_id = ? and text_hash = ?", [report_id, digest]))
            if version:
                version_id = version[0]["id"]
                db["report_versions"].update(version_id, {"last_seen": seen_at})
                status = "unchanged"
            else:
                analysis = report.to_json()
                version_id = db["report_versions"].insert({
                    "report_id": report_id, "text_hash": digest, "format": report.doc.format, "source_url": url,
                    "title": ident.title, "text": report.text, "text_chars": analysis["text_chars"],
                    "template": report.template, "sections": json.dumps(analysis["sections"]),
                    "tables": json.dumps(analysis["tables"], ensure_ascii=False),
                    "first_seen": seen_at, "last_seen": seen_at,
                }).last_pk
                db["findings"].insert_all(
                    {"report_id": report_id, "version_id": version_id, "code": f.code, "severity": f.severity,
                     "message": f.message, "detail": json.dumps(f.detail, ensure_ascii=False, default=str),
                     "first_seen": seen_at, "last_seen": seen_at}
                    for f in report.findings
                )
                status = "changed" if existing else "new"
            db["reports"].update(report_id, {"current_version_id": version_id})
        return Recorded(report_id, version_id, status)

    def reports(self) -> list[dict[str, Any]]:
        """Every report with its version in force and that version's finding codes."""
        sql = """
            select r.*, v.format, v.text_chars, v.template, v.source_url,
                   (select group_concat(code, ',') from findings f where f.version_id = v.id) as codes
            from reports r left join report_versions v on v.id = r.current_version_id
            order by r.jurisdiction, r.year desc, r.agency
        """
        return [dict(row) for row in self.db.query(sql)]


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
        store = Store(db, str(p))
        store.migrate()
        return store
    except sqlite3.OperationalError as exc:
        raise StoreError(f"无法打开数据库 {p}：{exc}") from exc
    except OSError as exc:
        raise StoreError(f"无法创建数据库目录 {p.parent}：{exc.strerror or exc}") from exc
