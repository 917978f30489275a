"""The schema, created and changed by sqlite-utils' migrations, in order.

Each migration's name is recorded in ``_sqlite_migrations`` (set ``nianbao``); all pending ones
run in one write transaction taken up front, so two processes opening a new file never both
migrate it and a killed migration leaves nothing half-applied. Databases made before the switch
to sqlite-utils' migrations kept their record in ``_migrations``; it is carried over once.
"""

from __future__ import annotations

import json

import sqlite_utils
from sqlite_utils.migrations import Migrations

from monitor.report.record import carry_rows, prose_signature

migrations = Migrations("nianbao")
LEGACY_TABLE = "_migrations"


@migrations(name="001_reports")
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


@migrations(name="002_crawl")
def _m002_crawl(db: sqlite_utils.Database) -> None:
    db["portals"].create(
        {"id": int, "url": str, "jurisdiction": str, "name": str, "first_seen": str, "last_crawled": str},
        pk="id", not_null={"url"},
    )
    db["portals"].create_index(["url"], unique=True)
    # What Nianbao knows about each URL it fetched: validators for conditional requests, the
    # hash and blob of the last body, and when it was last confirmed current.
    db["pages"].create(
        {"url": str, "portal_id": int, "kind": str, "status": int, "content_type": str, "etag": str,
         "last_modified": str, "hash": str, "blob": str, "size": int, "first_seen": str, "last_fetched": str,
         "last_verified": str},
        pk="url", foreign_keys=[("portal_id", "portals", "id")],
    )
    # Every request that reached the network (or failed to), as evidence and for crawler health.
    db["fetches"].create(
        {"id": int, "run_id": int, "portal_id": int, "url": str, "method": str, "kind": str, "status": int,
         "error": str, "error_kind": str, "content_type": str, "size": int, "hash": str, "fetched_at": str,
         "duration_ms": int},
        pk="id", foreign_keys=[("portal_id", "portals", "id")],
    )
    db["fetches"].create_index(["run_id"])
    db["fetches"].create_index(["url"])
    db["crawl_runs"].create(
        {"id": int, "portal_id": int, "started_at": str, "finished_at": str, "status": str, "pages": int,
         "requests": int, "reports_found": int, "new": int, "changed": int, "errors": int, "error_kinds": str,
         "duration_s": float},
        pk="id", foreign_keys=[("portal_id", "portals", "id")],
    )
    versions = db["report_versions"]
    versions.add_column("source_hash", str)  # hash of the page and attachment bytes it was read from
    versions.add_column("page_blob", str)
    versions.add_column("attachment_url", str)
    versions.add_column("attachment_blob", str)
    versions.create_index(["source_url", "source_hash"])
    reports = db["reports"]
    reports.add_column("portal_id", int)
    reports.add_column("index_no", str)
    reports.add_column("format", str)


@migrations(name="003_monitor")
def _m003_monitor(db: sqlite_utils.Database) -> None:
    # normalised authored prose of each version, for the near-duplicate checks (monitor.report.similarity)
    db["report_versions"].add_column("prose", str)
    # Every finding Nianbao has raised, per-report and cross-report, with its lifecycle: first seen,
    # still open or resolved, and whether a user acknowledged or muted it.
    db["tracked_findings"].create(
        {"id": int, "key": str, "jurisdiction": str, "agency": str, "year": int, "report_id": int, "code": str,
         "severity": str, "message": str, "detail": str, "state": str, "first_seen": str, "last_seen": str,
         "resolved_at": str, "ack": str, "ack_note": str, "ack_at": str},
        pk="id", not_null={"key", "code", "severity", "state", "first_seen", "last_seen"},
    )
    db["tracked_findings"].create_index(["key"], unique=True)
    db["tracked_findings"].create_index(["jurisdiction", "state"])
    db["digests"].create(
        {"id": int, "office": str, "created_at": str, "as_of": str, "subject": str, "new_items": int,
         "standing_items": int, "message": bytes},
        pk="id", not_null={"office", "created_at"},
    )
    # which findings a digest carried to an office: "new since the last digest" is what is not here yet
    db["digest_items"].create({"digest_id": int, "finding_id": int, "office": str, "kind": str},
                              pk=("digest_id", "finding_id"),
                              foreign_keys=[("digest_id", "digests", "id"), ("finding_id", "tracked_findings", "id")])
    db["digest_items"].create_index(["office", "finding_id"])
    db["deliveries"].create(
        {"id": int, "digest_id": int, "recipient": str, "status": str, "attempts": int, "last_error": str,
         "sent_at": str, "path": str},
        pk="id", foreign_keys=[("digest_id", "digests", "id")], not_null={"digest_id", "recipient", "status"},
        defaults={"attempts": 0},
    )
    db["deliveries"].create_index(["digest_id", "recipient"], unique=True)
    db["deliveries"].create_index(["status"])


@migrations(name="004_compact_judging")
def _m004_compact_judging(db: sqlite_utils.Database) -> None:
    """Small per-version columns, so judging a national corpus never loads texts or tables."""
    versions = db["report_versions"]
    versions.add_column("carry", str)
    versions.add_column("signature", bytes)
    for row in list(db.query("select id, tables, prose from report_versions")):
        versions.update(row["id"], {"carry": json.dumps(carry_rows(json.loads(row["tables"] or "{}"))),
                                    "signature": prose_signature(row["prose"] or "")})


@migrations(name="005_service")
def _m005_service(db: sqlite_utils.Database) -> None:
    # operator alerts about the crawler itself (monitor.judge.health), with their own lifecycle
    db["health_alerts"].create(
        {"id": int, "key": str, "portal_id": int, "url": str, "kind": str, "target": str, "message": str,
         "detail": str, "state": str, "first_seen": str, "last_seen": str, "resolved_at": str, "digest_id": int},
        pk="id", not_null={"key", "kind", "state", "first_seen", "last_seen"},
    )
    db["health_alerts"].create_index(["key"], unique=True)
    # one row per scheduled (or `nianbao run`) job execution: what `nianbao jobs` shows
    db["job_runs"].create(
        {"id": int, "job": str, "kind": str, "started_at": str, "finished_at": str, "outcome": str, "message": str,
         "pid": int},
        pk="id", not_null={"job", "started_at"},
    )
    db["job_runs"].create_index(["job", "id"])


def _merge_report(db: sqlite_utils.Database, keep: int, drop: int) -> None:
    """Move one report's versions and findings to another report of the same unit and year."""
    for version in list(db.query("select id, text_hash, first_seen, last_seen from report_versions where report_id = ?",
                                 [drop])):
        twin = list(db.query("select id from report_versions where report_id = ? and text_hash = ?",
                             [keep, version["text_hash"]]))
        if twin:  # the same text seen under both names: one version, seen over both spans
            db.execute("update report_versions set first_seen = min(first_seen, ?), last_seen = max(last_seen, ?) "
                       "where id = ?", [version["first_seen"], version["last_seen"], twin[0]["id"]])
            db.execute("delete from findings where version_id = ?", [version["id"]])
            db.execute("delete from report_versions where id = ?", [version["id"]])
    db.execute("update report_versions set report_id = ? where report_id = ?", [keep, drop])
    db.execute("update findings set report_id = ? where report_id = ?", [keep, drop])
    db.execute("update tracked_findings set report_id = ? where report_id = ?", [keep, drop])
    db.execute("update reports set current_version_id = (select id from report_versions where report_id = ? "
               "order by last_seen desc, id desc limit 1) where id = ?", [keep, keep])
    db.execute("update reports set first_seen = min(first_seen, (select first_seen from reports where id = ?)), "
               "last_seen = max(last_seen, (select last_seen from reports where id = ?)) where id = ?", [drop, drop, keep])
    db.execute("delete from reports where id = ?", [drop])


@migrations(name="006_canonical_units")
def _m006_canonical_units(db: sqlite_utils.Database) -> None:
    """One key per unit: reports stored as X县 or X县政府 become X县人民政府's (merged when both exist),
    and their tracked findings follow, so no finding is resolved and opened again under a new name."""
    from monitor.report.identity import canonical_agency

    for row in list(db.query("select id, jurisdiction, agency, year from reports")):
        name = canonical_agency(row["agency"]) or row["agency"]
        if name == row["agency"]:
            continue
        same = list(db.query("select id from reports where jurisdiction = ? and agency = ? and year = ?",
                             [row["jurisdiction"], name, row["year"]]))
        if same:
            _merge_report(db, keep=same[0]["id"], drop=row["id"])
        else:
            db.execute("update reports set agency = ? where id = ?", [name, row["id"]])
    for row in list(db.query("select id, key, agency from tracked_findings")):
        name = canonical_agency(row["agency"]) or row["agency"]
        if name == row["agency"]:
            continue
        parts = row["key"].split("|")
        parts[1] = name
        key = "|".join(parts)
        if list(db.query("select 1 from tracked_findings where key = ?", [key])):
            continue  # the canonical unit's finding is already tracked
        db.execute("update tracked_findings set agency = ?, key = ? where id = ?", [name, key, row["id"]])


@migrations(name="007_identity")
def _m007_identity(db: sqlite_utils.Database) -> None:
    """Each version keeps where its identity came from: division code, province, sources (JSON)."""
    db["report_versions"].add_column("identity", str)


@migrations(name="008_list_checks")
def _m008_list_checks(db: sqlite_utils.Database) -> None:
    """Each 年报 list a run walked: what it stated, what was found, which adapter read it. A list
    that found less than it states is LIST_INCOMPLETE (crawler health)."""
    db["list_checks"].create(
        {"id": int, "run_id": int, "portal_id": int, "column_url": str, "adapter": str, "stated": int,
         "stated_pages": int, "found": int, "pages": int, "complete": int, "reason": str, "stop": str,
         "browser": int, "checked_at": str},
        pk="id", foreign_keys=[("portal_id", "portals", "id")],
    )
    db["list_checks"].create_index(["run_id"])


@migrations(name="009_delivery_claims")
def _m009_delivery_claims(db: sqlite_utils.Database) -> None:
    """A delivery is claimed before it is sent (``sending``), and marked ``committing`` just before
    the message's final dot: after a crash the phase says whether the server can have it."""
    deliveries = db["deliveries"]
    deliveries.add_column("claimed_by", str)
    deliveries.add_column("claimed_at", str)


@migrations(name="010_failed_documents")
def _m010_failed_documents(db: sqlite_utils.Database) -> None:
    """Documents (by hash) being judged or that failed to be judged: a poison pill is skipped on
    the next run instead of taking the crawl down again."""
    db["failed_documents"].create(
        {"hash": str, "url": str, "state": str, "reason": str, "first_at": str, "last_at": str}, pk="hash")


@migrations(name="011_budget_cuts")
def _m011_budget_cuts(db: sqlite_utils.Database) -> None:
    """Which budget cut a run short, how often, and where (JSON), for crawler health."""
    db["crawl_runs"].add_column("budget_cuts", str)




@migrations(name="012_settings")
def _m012_settings(db: sqlite_utils.Database) -> None:
    """Facts about the judgement itself (which configuration it uses), so every command judges alike."""
    db["settings"].create({"key": str, "value": str, "updated_at": str}, pk="key")


@migrations(name="013_packed_text")
def _m013_packed_text(db: sqlite_utils.Database) -> None:
    """Compress the large text columns of versions stored before (see ``packing``)."""
    from monitor.store.packing import PACKED_COLUMNS, pack

    while True:
        rows = list(db.query("select id, text, tables, prose from report_versions where typeof(text) = 'text' "
                             "or typeof(tables) = 'text' or typeof(prose) = 'text' limit 500"))
        if not rows:
            return
        for row in rows:
            db.execute("update report_versions set text = ?, tables = ?, prose = ? where id = ?",
                       [*(pack(row[c]) if isinstance(row[c], str) else row[c] for c in PACKED_COLUMNS), row["id"]])


@migrations(name="014_read_indexes")
def _m014_read_indexes(db: sqlite_utils.Database) -> None:
    """Indexes for what the site, the judge and the digests read: a version's findings, open findings."""
    db["findings"].create_index(["version_id"], if_not_exists=True)
    db["tracked_findings"].create_index(["state"], if_not_exists=True)


@migrations(name="015_text_source")
def _m015_text_source(db: sqlite_utils.Database) -> None:
    """Where a version's text came from: the file's own text, OCR of scanned pages, or both."""
    if "text_source" not in db["report_versions"].columns_dict:
        db["report_versions"].add_column("text_source", str, not_null_default="text")



@migrations(name="016_report_rev")
def _m016_report_rev(db: sqlite_utils.Database) -> None:
    """A report's revision stamp: a new random number whenever the report or any of its versions
    changes (or, since 018, its stored findings), so a rebuild of the site finds the pages to draw
    again without reading every report.
    Random, not counted: a store restored from a backup, or a new store, never repeats a stamp a
    page was drawn from. Seeing a report again (``last_seen`` alone) is not a change: a daily crawl
    sees every report, and the pages do not show that moment (see ``site``)."""
    if "rev" not in db["reports"].columns_dict:
        db["reports"].add_column("rev", int, not_null_default=0)
    db.execute("update reports set rev = random()")
    rev_triggers(db)


# A report's columns that are not part of what it says: updating only these leaves its stamp alone.
UNSTAMPED = {"reports": {"rev", "last_seen"}, "report_versions": {"last_seen"}}


def rev_triggers(db: sqlite_utils.Database) -> None:
    """(Re)create the triggers that move ``reports.rev``. They name the columns that count, so a
    migration that adds a column to ``reports`` or ``report_versions`` calls this again."""
    bump = "update reports set rev = random() where id = {};"
    changed = {table: " or ".join(f"new.{c} is not old.{c}" for c in db[table].columns_dict
                                  if c not in UNSTAMPED[table]) for table in UNSTAMPED}
    triggers = {
        "reports_rev_insert": f"after insert on reports begin {bump.format('new.id')} end",
        # the stamp's own update changes rev, so it does not fire again (sqlite-utils turns
        # recursive triggers on)
        "reports_rev_update": f"after update on reports when new.rev = old.rev and ({changed['reports']}) "
                              f"begin {bump.format('new.id')} end",
        "versions_rev_insert": f"after insert on report_versions begin {bump.format('new.report_id')} end",
        "versions_rev_update": f"after update on report_versions when {changed['report_versions']} "
                               f"begin {bump.format('new.report_id')} {bump.format('old.report_id')} end",
        "versions_rev_delete": f"after delete on report_versions begin {bump.format('old.report_id')} end",
        # what the analysis found in a version is part of what the report says (the downloads and
        # the report's page show it): stored with the version, but moved on its own it counts too
        "findings_rev_insert": f"after insert on findings begin {bump.format('new.report_id')} end",
        "findings_rev_update": f"after update on findings begin {bump.format('new.report_id')} "
                               f"{bump.format('old.report_id')} end",
        "findings_rev_delete": f"after delete on findings begin {bump.format('old.report_id')} end",
    }
    for name, body in triggers.items():
        db.execute(f"drop trigger if exists {name}")
        db.execute(f"create trigger {name} {body}")


VERSION_FACTS_INDEX = "idx_report_versions_facts"


@migrations(name="017_version_facts_index")
def _m017_version_facts_index(db: sqlite_utils.Database) -> None:
    """A covering index of each version's small facts (format, text source and size, evidence
    blobs). A version's row holds its text, tables and prose, and SQLite reads a column stored after
    them by walking their overflow pages: the site's pass over every report's version in force read
    ~6 KB a report to get ~100 bytes. Queries name the index (``indexed by``): on a join by the
    version's id the planner would otherwise look the row itself up."""
    db.execute(f"create index if not exists {VERSION_FACTS_INDEX} on report_versions "
               "(id, format, text_source, text_chars, page_blob, attachment_blob)")


@migrations(name="018_findings_rev")
def _m018_findings_rev(db: sqlite_utils.Database) -> None:
    """A report's stamp moves with its stored findings too: the stamp then stands for everything
    stored about a report, and the downloads copy a report's row by its stamp alone."""
    rev_triggers(db)


@migrations(name="019_judge_feed")
def _m019_judge_feed(db: sqlite_utils.Database) -> None:
    """What each judgement changed, for publishers that redo only that (``monitor.judge.feed``):
    the digest of every status row as last judged; each judging cycle with a random token (a
    publisher's mark names one: a store copied or restored from before does not have it) and
    whether its changes are logged; and per cycle the (jurisdiction, unit, year) keys and reports
    whose status row or findings moved."""
    db["judged_rows"].create({"key": str, "digest": bytes}, pk="key", not_null={"digest"}, if_not_exists=True)
    db["judge_cycles"].create({"cycle": int, "token": str, "logged": int}, pk="cycle", not_null={"token", "logged"},
                              if_not_exists=True)
    db["judge_changes"].create({"cycle": int, "jurisdiction": str, "agency": str, "year": int, "report_id": int},
                               not_null={"cycle"}, if_not_exists=True)
    db["judge_changes"].create_index(["cycle"], if_not_exists=True)


def adopt_legacy_record(db: sqlite_utils.Database) -> None:
    """Carry the names applied under the earlier hand-rolled runner over to sqlite-utils' table."""
    if LEGACY_TABLE not in db.table_names():
        return
    migrations.ensure_migrations_table(db)
    applied = {m.name for m in migrations.applied(db)}
    table = db[migrations.migrations_table]
    for row in list(db.query(f"select name, applied_at from {LEGACY_TABLE} order by rowid")):
        if row["name"] not in applied:
            table.insert({"migration_set": migrations.name, "name": row["name"], "applied_at": row["applied_at"]})
    db[LEGACY_TABLE].drop()


def migration_names() -> list[str]:
    return [m.name for m in migrations.pending(sqlite_utils.Database(memory=True))]
