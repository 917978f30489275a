"""The SQLite store: keys, versions, migrations, WAL, atomic writes, Datasette."""

from __future__ import annotations

import asyncio
import json
import sqlite3

import pytest

from monitor.report.analysis import analyze_path, analyze_text
from monitor.store import StoreError, open_store
from monitor.store.migrations import migration_names, migrations
from tests.conftest import SEEDS, seed_text


def test_report_versions(tmp_path) -> None:
    store = open_store(tmp_path / "n.db")
    first = store.record_report(analyze_path(SEEDS["000"]), url="http://127.0.0.1/a.html", seen_at="2024-01-01T00:00:00")
    again = store.record_report(analyze_path(SEEDS["000"]), url="http://127.0.0.1/a.html", seen_at="2024-01-02T00:00:00")
    assert (first.status, again.status) == ("new", "unchanged")
    assert first.version_id == again.version_id
    changed_text = seed_text("000").replace("加大政务发布", "加大政务信息发布")
    changed = store.record_report(analyze_text(changed_text), url="http://127.0.0.1/a.html",
                                  seen_at="2024-02-01T00:00:00")
    assert changed.status == "changed" and changed.report_id == first.report_id
    versions = list(store.db["report_versions"].rows_where("report_id = ?", [first.report_id], order_by="id"))
    assert len(versions) == 2
    assert versions[0]["first_seen"] == "2024-01-01T00:00:00" and versions[0]["last_seen"] == "2024-01-02T00:00:00"
    assert versions[0]["text_hash"] != versions[1]["text_hash"]
    report = store.db["reports"].get(first.report_id)
    assert report["current_version_id"] == versions[1]["id"]
    assert (report["jurisdiction"], report["agency"], report["year"]) == ("文峰区", "文峰区商务局", 2023)
    assert report["first_seen"] == "2024-01-01T00:00:00" and report["last_seen"] == "2024-02-01T00:00:00"
    # whitespace-only changes are the same version
    rewrapped = seed_text("000").replace("\n\n", "\n")
    assert store.record_report(analyze_text(rewrapped)).status == "unchanged"


def test_findings_stored_per_version(tmp_path) -> None:
    store = open_store(tmp_path / "n.db")
    recorded = store.record_report(analyze_path(SEEDS["001"]))
    rows = list(store.db["findings"].rows_where("version_id = ?", [recorded.version_id]))
    assert sorted(r["code"] for r in rows).count("TABLE_CELL_COUNT") == 4
    assert {r["severity"] for r in rows} == {"error", "warning", "info"}


def test_wal_and_migrations_idempotent(tmp_path) -> None:
    path = tmp_path / "n.db"
    store = open_store(path)
    assert store.db.journal_mode == "wal"
    assert store.migrate() == []
    store.close()
    store = open_store(path)
    assert [m.name for m in migrations.applied(store.db)] == migration_names()
    assert store.db.execute("pragma integrity_check").fetchone()[0] == "ok"


def test_a_database_migrated_by_the_earlier_runner_is_adopted_not_migrated_again(tmp_path) -> None:
    """Files made before the switch to sqlite-utils' migrations recorded them in ``_migrations``."""
    path = tmp_path / "n.db"
    store = open_store(path)
    store.record_report(analyze_path(SEEDS["000"]), url="http://127.0.0.1/a.html")
    names = migration_names()
    store.db["_migrations"].insert_all({"name": n, "applied_at": "2026-01-01T00:00:00+00:00"} for n in names)
    store.db[migrations.migrations_table].drop()
    store.close()
    store = open_store(path)  # would fail creating tables that exist if it migrated again
    assert [m.name for m in migrations.applied(store.db)] == names
    assert "_migrations" not in store.db.table_names()
    assert store.report_count() == 1


def test_failed_write_leaves_nothing(tmp_path) -> None:
    store = open_store(tmp_path / "n.db")
    report = analyze_path(SEEDS["002"])
    with pytest.raises(RuntimeError), store.transaction():
        store.record_report(report)
        raise RuntimeError("crash between writes")
    assert store.db["reports"].count == 0 and store.db["report_versions"].count == 0


def test_unwritable_path_is_a_clear_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(StoreError, match="无法"):
        open_store(blocker / "sub" / "n.db")


def test_other_connections_see_committed_data(tmp_path) -> None:
    path = tmp_path / "n.db"
    store = open_store(path)
    store.record_report(analyze_path(SEEDS["003"]))
    other = sqlite3.connect(path)
    assert other.execute("select agency, year from reports").fetchall() == [("红旗区商务局", 2023)]


def test_opens_in_datasette(tmp_path) -> None:
    datasette_app = pytest.importorskip("datasette.app")
    path = tmp_path / "nianbao.db"
    store = open_store(path)
    store.record_report(analyze_path(SEEDS["004"]))
    store.close()

    async def fetch():
        ds = datasette_app.Datasette([str(path)])
        return await ds.client.get("/nianbao/reports.json?_shape=array")

    response = asyncio.run(fetch())
    assert response.status_code == 200
    assert response.json()[0]["agency"] == "区商务局"


def test_large_columns_are_stored_compressed_and_read_back(tmp_path) -> None:
    """A version's text, tables and prose are zlib blobs; the store's queries give them back as
    written, and a database from before (plain text) is packed by its migration."""
    import json

    store = open_store(tmp_path / "n.db")
    report = analyze_path(SEEDS["000"])
    recorded = store.record_report(report, url="http://127.0.0.1/a.html", seen_at="2024-01-01T00:00:00")
    raw = store.db.execute("select typeof(text), typeof(tables), typeof(prose), length(text), length(tables) "
                           "from report_versions where id = ?", [recorded.version_id]).fetchone()
    assert raw[:3] == ("blob", "blob", "blob")
    assert raw[3] < len(report.text.encode()) / 2 and raw[4] < len(json.dumps(report.to_json()["tables"])) / 5
    text, tables, _, _ = store.version_content(recorded.version_id)
    assert text == report.text and json.loads(tables) == json.loads(json.dumps(report.to_json()["tables"]))
    prose = store.version_prose(recorded.version_id)
    assert len(prose) > 100  # the normalised prose copy detection compares

    # as an older release stored it: plain text, the packing migration not yet run
    store.db.execute("update report_versions set text = ?, tables = ?, prose = ? where id = ?",
                     [text, tables, prose, recorded.version_id])
    store.db.execute("delete from _sqlite_migrations where name = '013_packed_text'")
    assert store.version_content(recorded.version_id)[0] == text  # plain rows read as they are
    store.close()
    reopened = open_store(tmp_path / "n.db")
    assert reopened.db.execute("select typeof(text), typeof(tables), typeof(prose) from report_versions").fetchone() \
        == ("blob", "blob", "blob")
    assert reopened.version_content(recorded.version_id)[:2] == (text, tables)
    assert reopened.version_prose(recorded.version_id) == prose


def test_body_digests_are_remembered_by_identity_and_never_stale() -> None:
    """A crawled body is hashed where it is logged, kept, judged and stored: the digest is computed
    once for one bytes object, and a mutable buffer is always hashed afresh."""
    import hashlib

    from monitor.store.blobs import sha256

    body = bytes(range(256)) * 64
    assert sha256(body) == hashlib.sha256(body).hexdigest()
    assert sha256(body) == sha256(bytes(bytearray(body)))  # an equal copy: the same digest, computed
    buffer = bytearray(body)
    first = sha256(buffer)
    buffer[0] ^= 1
    assert sha256(buffer) != first == hashlib.sha256(body).hexdigest()
    many = [bytes([k]) * 5_000_000 for k in range(10)]  # more than it may hold: the oldest go
    assert [sha256(b) for b in many] == [hashlib.sha256(b).hexdigest() for b in many]
    assert sha256.held <= sha256.LIMIT_BYTES


def test_a_reports_revision_stamp_changes_with_it_and_its_versions(tmp_path) -> None:
    """The site redraws a report page when its stamp moves (migration 016): any change of the
    report or of a version moves it; seeing it again does not (a daily crawl sees every report); stamps
    never repeat across stores."""
    report = analyze_path(SEEDS["000"])
    stores = [open_store(tmp_path / "a.db"), open_store(tmp_path / "b.db")]
    for store in stores:
        store.record_report(report, url="http://127.0.0.1/a.html", seen_at="2024-01-01T00:00:00")
    store = stores[0]

    def rev() -> int:
        return store.db.execute("select rev from reports").fetchone()[0]

    first = rev()
    assert first != stores[1].db.execute("select rev from reports").fetchone()[0]
    store.record_report(report, url="http://127.0.0.1/a.html", seen_at="2024-01-02T00:00:00")  # seen again
    store.touch_url("http://127.0.0.1/a.html", "2024-01-03T00:00:00")
    assert rev() == first
    with store.transaction() as tx:
        tx.execute("update reports set title = '更正' where id = (select min(id) from reports)")
    second = rev()
    assert second != first
    changed = analyze_text(seed_text("000").replace("加大政务发布", "加大政务信息发布"))
    store.record_report(changed, url="http://127.0.0.1/a.html", seen_at="2024-02-01T00:00:00")  # a new version
    third = rev()
    assert third != second
    with store.transaction() as tx:
        tx.execute("update report_versions set format = 'pdf' where id = (select min(id) from report_versions)")
    fourth = rev()
    assert fourth != third
    # what the analysis found is part of what the report says (migration 018)
    for change in ("update findings set message = message || '（复核）' where id = (select min(id) from findings)",
                   "delete from findings where id = (select min(id) from findings)",
                   "insert into findings (report_id, version_id, code, severity, message, detail, first_seen, last_seen) "
                   "select report_id, id, 'FEE_STATEMENT_MISSING', 'warning', '未说明收费', '{}', first_seen, "
                   "first_seen from report_versions limit 1"):
        with store.transaction() as tx:
            tx.execute(change)
        assert rev() != fourth, change
        fourth = rev()


def test_the_export_of_some_reports_is_theirs_in_the_order_asked_and_reads_the_facts_index(tmp_path) -> None:
    """The site's downloads read a report's row only where its stamp moved (``ids``); the pass over
    every report reads its version's small facts from their index, not the row that holds its text."""
    from monitor.store.migrations import VERSION_FACTS_INDEX

    store = open_store(tmp_path / "n.db")
    for n, key in enumerate(("000", "001", "002")):
        store.record_report(analyze_path(SEEDS[key]), url=f"http://127.0.0.1/{n}.html", seen_at="2024-01-01T00:00:00")
    every = list(store.export_report_rows())
    stamps = list(store.export_report_stamps())
    assert [len(s) for s in stamps] == [2, 2, 2] and len(every) == 3
    ids = [rid for rid, _ in stamps]
    assert list(store.export_report_rows(ids=ids[::-1])) == every[::-1]
    assert list(store.export_report_rows(ids=[ids[1], 999])) == [every[1]]
    stamps_sql = "select r.id, r.rev " + store._EXPORTED.format(index=f"indexed by {VERSION_FACTS_INDEX}", where="")
    plan = " ".join(str(row) for row in store.db.execute("explain query plan " + stamps_sql))
    assert f"COVERING INDEX {VERSION_FACTS_INDEX}" in plan


def test_a_portal_that_never_yielded_a_report_says_so(tmp_path) -> None:
    """A first crawl that finds nothing, without errors, is a health alert (its 年报 column was not
    recognised), not a quiet "finished"; one that found reports, or failed, is something else."""
    from monitor.judge.health import portal_health

    store = open_store(tmp_path / "n.db")
    for url, found, errors in (("http://127.0.0.1:1/", 0, 0), ("http://127.0.0.1:2/", 3, 0),
                               ("http://127.0.0.1:3/", 0, 2)):
        run = store.start_run(store.portal_id(url, None))
        store.finish_run(run, status="finished", pages=4, requests=4, reports_found=found, new=found, changed=0,
                         errors=errors, error_kinds="{}", budget_cuts="{}", duration_s=1.0)
    kinds = {h.url: {a.kind for a in h.alerts} for h in portal_health(store)}
    assert kinds == {"http://127.0.0.1:1/": {"none_found"}, "http://127.0.0.1:2/": set(), "http://127.0.0.1:3/": set()}


def test_portals_read_as_one_jurisdiction_that_overwrite_each_others_reports_say_so(tmp_path) -> None:
    """Two portals whose home pages were read as the same county (measured at national scale: six
    invented names ending in a real county's, 宁县) file their reports under the same keys; the
    portal whose reports the other now holds raises shared_jurisdiction."""
    from monitor.judge.health import portal_health

    store = open_store(tmp_path / "n.db")
    first, second = (store.portal_id(f"http://127.0.0.1:{port}/", "宁县") for port in (1, 2))
    for portal_id in (first, second):
        run = store.start_run(portal_id)
        store.record_report(analyze_path(SEEDS["000"]), url="http://127.0.0.1/a.html", jurisdiction="宁县",
                            agency="宁县教育局", year=2024, portal_id=portal_id)
        store.finish_run(run, status="finished", pages=4, requests=4, reports_found=1, new=1, changed=0,
                         errors=0, error_kinds="{}", budget_cuts="{}", duration_s=1.0)
    alerts = {h.url: [a for a in h.alerts if a.kind == "shared_jurisdiction"] for h in portal_health(store)}
    assert not alerts["http://127.0.0.1:2/"]
    assert len(alerts["http://127.0.0.1:1/"]) == 1
    assert "同被识别为“宁县”的其他网站（http://127.0.0.1:2/）" in alerts["http://127.0.0.1:1/"][0].message


def test_reads_in_a_snapshot_see_one_state_while_another_connection_writes(tmp_path) -> None:
    """The site's downloads read each report's stamp, then the rows whose stamp moved, in several
    statements: inside ``snapshot`` they all see the store as it was when the first one ran."""
    from monitor.store import open_read_only

    writer = open_store(tmp_path / "n.db")
    writer.record_report(analyze_path(SEEDS["000"]), url="http://127.0.0.1/a.html", seen_at="2024-01-01T00:00:00")
    reader = open_read_only(tmp_path / "n.db")
    with reader.snapshot():
        stamps = list(reader.export_report_stamps())
        with writer.transaction() as tx:
            tx.execute("update reports set title = '更正'")
            tx.execute("delete from findings")
        assert list(reader.export_report_stamps()) == stamps
        assert json.loads(next(iter(reader.export_report_rows(ids=[stamps[0][0]])))[-1])  # its codes, as they were
    assert list(reader.export_report_stamps()) != stamps
    with writer.transaction(), writer.snapshot():  # inside a transaction: that one's state, no second BEGIN
        assert writer.db.conn.in_transaction
