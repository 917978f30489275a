"""A rebuild planned from the judge's change feed draws the site a full build draws, byte for byte.

Each test builds a site from a judgement, changes the store (or the day, or the registry), judges
again and rebuilds: the rebuild must have looked only at what moved (``incremental``) and leave
exactly the files the same rebuild leaves when it digests every page's inputs — and those of a
build from nothing, but for the day in the footer of pages whose inputs did not move. The
invalidations are the ones a plan could miss: a deadline passing at a later date, a report
appearing, another report's findings moving (copies), a registry edit, a portal's crawl no longer
seeing a report, new evidence, several judgements between two builds, the next day.
"""

from __future__ import annotations

import dataclasses
import re
import shutil
from datetime import date
from pathlib import Path

import pytest

from monitor.judge import evaluate, judge
from monitor.judge.feed import key_parts, row_key
from monitor.judge.registry import load_registry
from monitor.publish.buildstate import STATE, BuildState
from monitor.publish.site import build_site
from monitor.store import Store, open_store
from monitor.store.feed import KEEP_CYCLES
from tests.stores import Published, build_store

AS_OF = date(2025, 6, 1)  # 2024's reports are all due; 2025's are not


@pytest.fixture(autouse=True)
def _fixed_build_time(monkeypatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1795000000")


def _store(tmp_path: Path) -> Store:
    # 财政局's reports say nothing of fees: each has a finding of its own
    reports = [Published("青川县", f"青川县{unit}", year, date(year + 1, 1, 20 + k), seed=k + 3 * n,
                         fee_statement=unit != "财政局")
               for n, unit in enumerate(["教育局", "财政局", "民政局"]) for k, year in enumerate((2023, 2024))]
    reports.append(Published("利州区", "利州区人民政府", 2024, date(2025, 3, 10), seed=7, level="government"))
    store = build_store(tmp_path / "n.db", reports)
    # every report on a crawled portal, seen by its latest crawl
    with store.transaction() as tx:
        for j in ("青川县", "利州区"):
            portal = tx["portals"].insert({"url": f"http://127.0.0.1/{j}/", "jurisdiction": j}).last_pk
            tx.execute("insert into crawl_runs (portal_id, started_at, finished_at, status) "
                       "values (?, '2025-05-01T00:00:00+00:00', '2025-05-01T00:30:00+00:00', 'finished')", [portal])
            tx.execute("update reports set portal_id = ?, last_seen = '2025-05-01T00:10:00+00:00' "
                       "where jurisdiction = ?", [portal, j])
    return store


def _registry(tmp_path: Path, extra_unit: bool = False, local_deadline: bool = False):
    units = "    units:\n      - {name: 青川县审计局, level: department}\n" if extra_unit else ""
    # 利州区's government earlier (its report turns late), 青川县's departments later (nothing but
    # the deadline their reports' pages show moves)
    deadlines = ("deadlines:\n  - scope: 利州区\n    level: government\n    date: \"03-05\"\n"
                 "    source: 地方规定（测试）\n  - scope: 青川县\n    level: department\n    date: \"02-15\"\n"
                 "    source: 地方规定（测试）\n") if local_deadline else ""
    path = tmp_path / "nianbao.yaml"
    path.write_text("jurisdictions:\n  - name: 青川县\n" + units + "  - name: 利州区\n" + deadlines, encoding="utf-8")
    return load_registry(path)


def _files(root: Path) -> set[Path]:
    return {p.relative_to(root) for p in root.rglob("*") if p.is_file()}


AS_OF_SAID = re.compile("数据截至 [0-9-]{10}".encode())


def _differ(a: Path, b: Path, normalise: bool = False) -> list[str]:
    """The files that differ between two sites (``normalise``: in what the footer says the data
    is as of — a page whose inputs did not move keeps the day it was drawn on, by design)."""
    assert _files(a) == _files(b)
    out = []
    for f in sorted(_files(a)):
        if f.name == STATE:
            continue
        x, y = (a / f).read_bytes(), (b / f).read_bytes()
        if normalise:
            x, y = (AS_OF_SAID.sub(b"", v) for v in (x, y))
        if x != y:
            out.append(str(f))
    return out


def _rebuild_is_fresh(store: Store, registry, out: Path, tmp_path: Path, as_of: date = AS_OF, planned: bool = True):
    """Judge and rebuild ``out``: it must be the site the same rebuild makes by digesting every
    page's inputs, and (but for the day unchanged pages were drawn on) the site a build from
    nothing makes."""
    evaluation, _ = judge(store, registry, as_of)
    digested_out = tmp_path / f"digested-{evaluation.feed.cycle}"
    shutil.copytree(out, digested_out)
    again = build_site(store, registry, out, evaluation=evaluation)
    digested = build_site(store, registry, digested_out, evaluation=dataclasses.replace(evaluation, feed=None))
    fresh_out = tmp_path / f"fresh-{evaluation.feed.cycle}"
    fresh = build_site(store, registry, fresh_out, evaluation=evaluation)
    assert again.incremental is planned and not digested.incremental and not fresh.incremental
    assert _differ(out, digested_out) == []
    assert again.pages == digested.pages == fresh.pages and again.reused == digested.reused
    assert again.reports == fresh.reports
    assert _differ(out, fresh_out, normalise=True) == []
    return again


def _first_build(store: Store, registry, out: Path, as_of: date = AS_OF):
    evaluation, _ = judge(store, registry, as_of)
    built = build_site(store, registry, out, evaluation=evaluation)
    assert not built.incremental and (out / STATE).exists()
    return built


def _page(out: Path, rid: int) -> str:
    return (out / f"reports/{rid}.html").read_text(encoding="utf-8")


def _id(store: Store, agency: str, year: int) -> int:
    return store.db.execute("select id from reports where agency = ? and year = ?", [agency, year]).fetchone()[0]


def test_a_day_with_nothing_new_draws_no_report_page(tmp_path) -> None:
    store, registry, out = _store(tmp_path), _registry(tmp_path), tmp_path / "site"
    first = _first_build(store, registry, out)
    again = _rebuild_is_fresh(store, registry, out, tmp_path)
    assert again.reused >= first.reports and again.pages == first.pages


def test_a_corrected_report_and_a_moved_finding(tmp_path) -> None:
    store, registry, out = _store(tmp_path), _registry(tmp_path), tmp_path / "site"
    _first_build(store, registry, out)
    titled, found = _id(store, "青川县教育局", 2024), _id(store, "青川县财政局", 2023)
    with store.transaction() as tx:
        tx.execute("update reports set title = title || '（更正）' where id = ?", [titled])
        tx.execute("update findings set message = message || '（复核）' where id = "
                   "(select min(id) from findings where report_id = ?)", [found])
    again = _rebuild_is_fresh(store, registry, out, tmp_path)
    assert "（更正）" in _page(out, titled) and "（复核）" in _page(out, found)
    assert again.pages - again.reused <= 12  # two report pages and the summaries that show them


def test_a_deadline_passing_and_missing_days_counted_at_a_later_date(tmp_path) -> None:
    store, registry, out = _store(tmp_path), _registry(tmp_path), tmp_path / "site"
    # 2025's reports fall due on 2026-01-31 (departments) and 2026-03-31 (governments)
    _first_build(store, registry, out, as_of=date(2026, 1, 15))
    _rebuild_is_fresh(store, registry, out, tmp_path, as_of=date(2026, 2, 10))  # departments' now missing
    lists = (out / "lists/missing.html").read_text(encoding="utf-8")
    assert "青川县教育局" in lists
    _rebuild_is_fresh(store, registry, out, tmp_path, as_of=date(2026, 2, 11))  # a day later: one more day
    _rebuild_is_fresh(store, registry, out, tmp_path, as_of=date(2026, 4, 2))  # the government's too


def test_the_next_day_draws_what_shows_the_day(tmp_path) -> None:
    """A day later with nothing new: the overviews (they say "as of") and what counts days —
    a missing report's days overdue, in its jurisdiction's grid and the list of missing reports —
    are drawn again; a jurisdiction and lists whose rows did not move are not."""
    store, registry, out = _store(tmp_path), _registry(tmp_path), tmp_path / "site"
    _first_build(store, registry, out)
    inode = {page: (out / page).stat().st_ino for page in ("index.html", "lists/missing.html", "lists/errors.html",
                                                             "jurisdictions/利州区.html", "jurisdictions/青川县.html")}
    again = _rebuild_is_fresh(store, registry, out, tmp_path, as_of=date(2025, 6, 2))
    drawn = {page for page, ino in inode.items() if (out / page).stat().st_ino != ino}
    assert drawn == {"index.html", "lists/missing.html", "jurisdictions/青川县.html"}  # 青川县人民政府 is missing
    assert again.pages - again.reused <= 10


def test_a_report_appearing_and_copying_another_moves_that_ones_page(tmp_path) -> None:
    store, registry, out = _store(tmp_path), _registry(tmp_path), tmp_path / "site"
    _first_build(store, registry, out)
    original = _id(store, "青川县民政局", 2024)
    before = _page(out, original)
    # a new unit's report whose prose is 青川县民政局's (seed 7 = 3 × 2 + 1)
    from demo.synth import render_text, sample_report
    from monitor.report.analysis import analyze_text

    copy = sample_report(7, year=2024, agency="青川县住建局", published=date(2025, 1, 25))
    copy.jurisdiction = "青川县"
    copy.prose_seed = copy.prose_key("青川县民政局", 2024)
    store.record_report(analyze_text(render_text(copy)), url="http://127.0.0.1:9/art/new.html",
                        seen_at="2025-05-20T00:00:00+00:00", jurisdiction="青川县", agency="青川县住建局",
                        year=2024, level="department", published="2025-01-25")
    _rebuild_is_fresh(store, registry, out, tmp_path)
    assert _page(out, original) != before and "几乎相同" in _page(out, original)


def test_a_registry_edit_and_a_report_not_seen_again(tmp_path) -> None:
    store, out = _store(tmp_path), tmp_path / "site"
    _first_build(store, _registry(tmp_path), out)
    _rebuild_is_fresh(store, _registry(tmp_path, extra_unit=True), out, tmp_path)  # a unit owed, missing
    assert "青川县审计局" in (out / "lists/missing.html").read_text(encoding="utf-8")
    # a local deadline: the government's report (published 2025-03-10, unchanged) is late now
    gone = _id(store, "利州区人民政府", 2024)
    _rebuild_is_fresh(store, _registry(tmp_path, extra_unit=True, local_deadline=True), out, tmp_path)
    assert "地方规定（测试）" in _page(out, gone) and "2025-02-15" in _page(out, _id(store, "青川县教育局", 2024))
    with store.transaction() as tx:  # the portal crawled again; one report not found there any more
        portal = tx.execute("select portal_id from reports where id = ?", [gone]).fetchone()[0]
        tx.execute("insert into crawl_runs (portal_id, started_at, finished_at, status) "
                   "values (?, '2025-05-30T00:00:00+00:00', '2025-05-30T00:30:00+00:00', 'finished')", [portal])
    _rebuild_is_fresh(store, _registry(tmp_path, extra_unit=True), out, tmp_path)
    assert "抓取该网站时未再找到" in _page(out, gone) and "地方规定（测试）" not in _page(out, gone)
    with store.transaction() as tx:  # found again by the next one
        tx.execute("update reports set last_seen = '2025-05-30T00:10:00+00:00' where id = ?", [gone])
    _rebuild_is_fresh(store, _registry(tmp_path, extra_unit=True), out, tmp_path)
    assert "抓取该网站时未再找到" not in _page(out, gone)


def test_a_new_version_with_other_evidence(tmp_path) -> None:
    """A report's page as the portal served it is archived beside its page; a new version with
    other evidence replaces the file, and the old one leaves the site (as a full build leaves it)."""
    from demo.synth import render_text, sample_report
    from monitor.report.analysis import analyze_text
    from monitor.store.blobs import BlobStore, blob_dir

    store, registry, out = _store(tmp_path), _registry(tmp_path), tmp_path / "site"
    blobs = BlobStore(blob_dir(store.path))

    def record(seed: int, page: bytes, seen_at: str) -> str:
        synth = sample_report(seed, year=2024, agency="利州区人民政府", published=date(2025, 3, 10))
        synth.jurisdiction = "利州区"
        blob = blobs.put(page)
        store.record_report(analyze_text(render_text(synth)), url="http://127.0.0.1:9/art/6.html", seen_at=seen_at,
                            jurisdiction="利州区", agency="利州区人民政府", year=2024, level="government",
                            published="2025-03-10", evidence={"page_blob": blob})
        return blob

    first = record(9, b"<html>first</html>", "2025-05-01T00:10:00+00:00")  # a new version (7 was the first)
    _first_build(store, registry, out)
    assert (out / f"archive/{first[:2]}/{first}.html.txt").exists()
    second = record(8, b"<html>second</html>", "2025-05-20T00:10:00+00:00")
    _rebuild_is_fresh(store, registry, out, tmp_path)
    assert (out / f"archive/{second[:2]}/{second}.html.txt").exists()
    assert not (out / f"archive/{first[:2]}/{first}.html.txt").exists()


def test_judgements_between_two_builds_and_an_undated_report(tmp_path) -> None:
    store, registry, out = _store(tmp_path), _registry(tmp_path), tmp_path / "site"
    _first_build(store, registry, out)
    rid = _id(store, "青川县财政局", 2024)
    store.db.execute("update reports set published = null where id = ?", [rid])
    store.db.conn.commit()
    judge(store, registry, AS_OF)  # judged, not published
    store.db.execute("update reports set published = '2025-01-22' where id = ?", [rid])
    store.db.conn.commit()
    judge(store, registry, date(2025, 6, 2))
    _rebuild_is_fresh(store, registry, out, tmp_path)


def test_without_a_recorded_judgement_or_a_state_every_input_is_digested(tmp_path) -> None:
    store, registry, out = _store(tmp_path), _registry(tmp_path), tmp_path / "site"
    _first_build(store, registry, out)
    # an evaluation no judgement recorded (``nianbao site`` evaluates on its own)
    plain = build_site(store, registry, out, evaluation=evaluate(store, registry, AS_OF))
    assert not plain.incremental and plain.reused > 0
    # the live site's state from other drawing code, or none at all: digested, then planned again
    state = BuildState.read(out)
    state.key = "0" * 64
    state.write(out)
    _rebuild_is_fresh(store, registry, out, tmp_path, planned=False)
    _rebuild_is_fresh(store, registry, out, tmp_path)
    (out / STATE).unlink()
    _rebuild_is_fresh(store, registry, out, tmp_path, planned=False)
    (out / STATE).write_text("{not json", encoding="utf-8")
    _rebuild_is_fresh(store, registry, out, tmp_path, planned=False)
    # a report gone from the store: its page goes, found by digesting every report
    gone = _id(store, "利州区人民政府", 2024)
    with store.transaction() as tx:
        tx.execute("delete from findings where report_id = ?", [gone])
        tx.execute("update reports set current_version_id = null where id = ?", [gone])
        tx.execute("delete from report_versions where report_id = ?", [gone])
        tx.execute("delete from reports where id = ?", [gone])
    _rebuild_is_fresh(store, registry, out, tmp_path, planned=False)
    assert not (out / f"reports/{gone}.html").exists()


def test_the_feed_logs_what_moved_and_only_that(tmp_path) -> None:
    store, registry = _store(tmp_path), _registry(tmp_path)
    first, _ = judge(store, registry, AS_OF)
    assert store.judge_cycle() == (first.feed.cycle, first.feed.token)
    # a finding about a report is logged under the report's own key (the site looks its page up by it)
    own = {rid: (j, a, y) for rid, j, a, y in store.db.execute("select id, jurisdiction, agency, year from reports")}
    assert all(own[t.report_id] == (t.jurisdiction, t.agency, t.year) for t in first.findings.values() if t.report_id)
    assert store.judge_changes_since(first.feed.cycle, first.feed.token) == []
    assert store.judge_changes_since(first.feed.cycle - 1, "") is None  # before the first: nothing to compare with
    again, _ = judge(store, registry, AS_OF)
    assert again.feed.cycle == first.feed.cycle + 1 and again.feed.token != first.feed.token
    assert store.judge_changes_since(first.feed.cycle, first.feed.token) == []  # nothing moved
    assert store.judge_changes_since(first.feed.cycle, again.feed.token) is None  # not that cycle's token
    rid = _id(store, "青川县教育局", 2024)
    store.db.execute("update reports set published = '2025-02-20' where id = ?", [rid])  # now late
    store.db.conn.commit()
    moved, _ = judge(store, registry, AS_OF)
    changes = store.judge_changes_since(again.feed.cycle, again.feed.token)
    assert {c[:3] for c in changes} == {("青川县", "青川县教育局", 2024)}
    assert {c[3] for c in changes} == {None, rid}  # the status row, and the finding (LATE) on its report
    assert key_parts(row_key("青川县", "青川县教育局", 2024)) == ("青川县", "青川县教育局", 2024)
    # cycles older than those kept are dropped with their changes: a site built on one starts over
    store.db.execute("insert into judge_cycles (cycle, token, logged) values (?, 'many later', 1)",
                     [moved.feed.cycle + KEEP_CYCLES])
    store.db.conn.commit()
    latest, _ = judge(store, registry, AS_OF)
    assert store.judge_changes_since(moved.feed.cycle, moved.feed.token) is None
    assert store.db.execute("select count(*) from judge_changes where cycle <= ?", [moved.feed.cycle]).fetchone() == (0,)
    assert store.judge_changes_since(latest.feed.cycle, latest.feed.token) == []


def test_a_store_restored_from_a_copy_is_not_the_sites(tmp_path) -> None:
    """A site built from a judgement the store no longer has (restored from a copy made before,
    then judged again up to the same cycle number) is digested in full, not planned."""
    store, registry, out = _store(tmp_path), _registry(tmp_path), tmp_path / "site"
    judge(store, registry, AS_OF)
    store.db.conn.commit()
    backup = tmp_path / "backup.db"
    store.db.execute(f"vacuum into '{backup}'")
    _first_build(store, registry, out)  # from cycle 2
    restored = open_store(backup)
    evaluation, _ = judge(restored, registry, date(2025, 6, 2))  # cycle 2 again, another judgement
    assert evaluation.feed.cycle == 2
    assert not build_site(restored, registry, out, evaluation=evaluation).incremental
