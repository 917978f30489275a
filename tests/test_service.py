"""The service: scheduled jobs, one full cycle, locks, and surviving kills, full disks and bad paths."""

from __future__ import annotations

import itertools
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from demo.server import serve
from demo.world import World, fixture_world, make_portal
from tests.conftest import FAST, ROOT, SEEDS, nianbao

pytestmark = pytest.mark.e2e  # crawls, served portals, browsers or subprocesses


def config_for(tmp_path: Path, world: World, jobs: list[dict] | None = None, **schedule) -> Path:
    data = {
        "jurisdictions": [{"name": p.jurisdiction, "portal": p.url} for p in world.portals],
        "offices": [{"name": "演示办", "jurisdictions": [p.jurisdiction for p in world.portals],
                     "recipients": ["office@example.gov.cn"]}],
        "schedule": {"outbox": str(tmp_path / "outbox"), "site_out": str(tmp_path / "site"), **schedule},
    }
    if jobs is not None:
        data["schedule"]["jobs"] = jobs
    path = tmp_path / "nianbao.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def rows(db: Path, sql: str, *params) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return conn.execute(sql, params).fetchall()


def start_service(config: Path, db: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "monitor.cli", "serve", "--config", str(config), "--db", str(db)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def stop(proc: subprocess.Popen, timeout: float = 60) -> str:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=timeout)
    assert proc.returncode == 0, out[-3000:]
    return out


def wait_for(predicate, timeout: float, step: float = 0.2) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(step)
    return False


def job_runs(db: Path, job: str | None = None) -> list[sqlite3.Row]:
    if not db.exists():
        return []
    try:
        sql = "select * from job_runs" + (" where job = ?" if job else "") + " order by id"
        return rows(db, sql, *([job] if job else []))
    except sqlite3.OperationalError:
        return []


def test_run_one_full_cycle(tmp_path) -> None:
    world = World([fixture_world().portal("xuecheng")])
    db = tmp_path / "n.db"
    with serve(world):
        config = config_for(tmp_path, world)
        result = nianbao("run", "--config", str(config), "--db", str(db), *FAST)
    assert "完成：ok" in result.stdout and (tmp_path / "site/index.html").exists()
    assert len(rows(db, "select id from reports")) == len(world.portals[0].expected)
    assert list((tmp_path / "outbox").glob("*.eml"))
    [run] = job_runs(db)
    assert (run["job"], run["kind"], run["outcome"]) == ("run", "cycle", "ok")
    jobs = nianbao("jobs", "--config", str(config), "--db", str(db)).stdout
    assert "run" in jobs and "ok" in jobs


def test_second_service_refused_and_sigterm_exits_cleanly(tmp_path) -> None:
    world = World([make_portal("one", "static", "温县", [2024], 1, departments=1, townships=0)])
    config = config_for(tmp_path, world, jobs=[{"name": "judge", "kind": "judge", "every": 1}])
    db = tmp_path / "n.db"
    first = start_service(config, db)
    try:
        assert wait_for(lambda: len(job_runs(db, "judge")) >= 1, 30)
        second = nianbao("serve", "--config", str(config), "--db", str(db), check=False, timeout=60)
        assert second.returncode != 0 and "已在运行" in second.stderr and "同一个数据库只能运行一个服务" in second.stderr
        assert "服务启动" not in second.stdout  # refused before it said anything
    finally:
        out = stop(first)
    assert "服务已停止" in out
    assert rows(db, "pragma integrity_check")[0][0] == "ok"
    listing = nianbao("jobs", "--config", str(config), "--db", str(db)).stdout
    assert "judge" in listing and "下次运行" in listing


def test_missed_runs_are_coalesced_after_downtime(tmp_path) -> None:
    world = World([make_portal("one", "static", "温县", [2024], 1, departments=1, townships=0)])
    config = config_for(tmp_path, world, jobs=[{"name": "tick", "kind": "judge", "every": 2}], misfire_grace=120)
    db = tmp_path / "n.db"
    service = start_service(config, db)
    assert wait_for(lambda: len(job_runs(db, "tick")) >= 2, 40)
    stop(service)
    before = len(job_runs(db, "tick"))
    time.sleep(7)  # three runs missed
    service = start_service(config, db)
    try:
        assert wait_for(lambda: len(job_runs(db, "tick")) > before, 30)
        time.sleep(1.0)
        assert len(job_runs(db, "tick")) == before + 1  # the missed runs ran once, not three times
    finally:
        stop(service)


def test_jobs_never_overlap_and_sigterm_stops_a_crawl(tmp_path) -> None:
    portal = make_portal("slow", "static", "温县", [2022, 2023, 2024], 2, departments=3, townships=1)
    world = World([portal])
    # slow enough that a stop always lands mid-crawl (a crawl of this portal takes about a minute)
    slow = {"DOWNLOAD_DELAY": "1.0", "AUTOTHROTTLE_ENABLED": "0", "CONCURRENT_REQUESTS_PER_DOMAIN": "1",
            "DOWNLOAD_DELAY_JITTER": "0"}
    jobs = [{"name": "crawl", "kind": "crawl", "every": 1, "settings": slow},
            {"name": "judge", "kind": "judge", "every": 1}]
    db = tmp_path / "n.db"
    with serve(world):
        config = config_for(tmp_path, world, jobs=jobs)
        service = start_service(config, db)
        try:
            def mid_crawl() -> bool:  # a crawl job is running and has fetched a few pages
                running = [r for r in job_runs(db, "crawl") if r["finished_at"] is None]
                return bool(running) and sum(portal.hits.values()) >= 8

            assert wait_for(mid_crawl, 60)
        finally:
            started = time.monotonic()
            stop(service, timeout=90)
            took = time.monotonic() - started
    assert took < 45
    runs = job_runs(db)
    crawl = [r for r in runs if r["job"] == "crawl"]
    assert crawl and crawl[-1]["outcome"] == "interrupted"
    assert rows(db, "select status from crawl_runs order by id desc limit 1")[0]["status"] == "shutdown"
    spans = sorted((datetime.fromisoformat(r["started_at"]), datetime.fromisoformat(r["finished_at"])) for r in runs)
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start >= end  # one writer at a time
    assert rows(db, "pragma integrity_check")[0][0] == "ok"


def test_kill_minus_nine_mid_crawl_loses_nothing(tmp_path) -> None:
    world = fixture_world()
    db = tmp_path / "n.db"
    rng = random.Random(20240131)
    with serve(world):
        config = config_for(tmp_path, world)
        crawl = [sys.executable, "-m", "monitor.cli", "crawl", "--config", str(config), "--db", str(db), *FAST]
        for _ in range(3):  # killed at three random moments
            proc = subprocess.Popen(crawl, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(2.0, 6.0))
            proc.send_signal(signal.SIGKILL)
            proc.wait()
        assert rows(db, "pragma integrity_check")[0][0] == "ok"
        partial = len(rows(db, "select id from reports"))
        hits_before = sum(sum(p.hits.values()) for p in world.portals)
        result = nianbao("run", "--config", str(config), "--db", str(db), *FAST)
        hits_after = sum(sum(p.hits.values()) for p in world.portals)
    assert "完成" in result.stdout
    assert rows(db, "pragma integrity_check")[0][0] == "ok"
    found = {(r["jurisdiction"], r["agency"], r["year"]) for r in rows(db, "select * from reports")}
    expected = {(p.jurisdiction, e.agency, e.year) for p, e in world.expected}
    assert found == expected  # nothing lost
    assert len(rows(db, "select id from reports")) == len(expected)  # nothing twice
    assert rows(db, "select count(*) n from report_versions")[0]["n"] == len(expected)
    assert not rows(db, "select id from crawl_runs where status = 'running'")  # the killed runs were closed
    assert {r["status"] for r in rows(db, "select status from crawl_runs")} <= {"finished", "interrupted"}
    if partial:  # what the killed crawls had stored was not downloaded again
        assert hits_after - hits_before < 160 * 3


def test_disk_full_stops_cleanly_and_a_rerun_completes(tmp_path) -> None:
    world = World([fixture_world().portal("qingchuan")])
    db = tmp_path / "n.db"
    with serve(world):
        args = ["crawl", "--db", str(db), "--portal", world.portals[0].url, *FAST]
        env = {**os.environ, "NIANBAO_DB_MAX_MB": "0.3"}  # an empty store is 0.18 MB, this portal fills 0.42
        full = subprocess.run([sys.executable, "-m", "monitor.cli", *args], cwd=ROOT, capture_output=True, text=True,
                              env=env, timeout=300)
        assert full.returncode == 3 and "磁盘已满" in full.stderr
        assert rows(db, "pragma integrity_check")[0][0] == "ok"
        stored = rows(db, "select r.id, r.current_version_id from reports r")
        assert all(r["current_version_id"] for r in stored)  # no report without its version
        assert len(stored) < len(world.portals[0].expected)
        nianbao(*args)
    assert len(rows(db, "select id from reports")) == len(world.portals[0].expected)


def _mount_tmpfs(path: Path, options: str) -> bool:
    path.mkdir(parents=True, exist_ok=True)
    return subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True).returncode == 0


def test_read_only_database_path_is_a_clear_error(tmp_path) -> None:
    ro = tmp_path / "ro"
    if os.geteuid() != 0 or not _mount_tmpfs(ro, "ro,size=1m"):
        pytest.skip("needs root to mount a read-only filesystem")
    try:
        # crawl creates a database (status would refuse a missing one before trying)
        result = nianbao("crawl", "--portal", "http://127.0.0.1:9/", "--db", str(ro / "n.db"), check=False)
        assert result.returncode != 0 and "无法" in result.stderr and str(ro / "n.db") in result.stderr
        assert "Traceback" not in result.stderr
        db = tmp_path / "a.db"  # a database elsewhere; the site's folder is the read-only one
        nianbao("analyze", str(SEEDS["000"]), "--db", str(db))
        result = nianbao("site", "--db", str(db), "--out", str(ro / "site"), check=False)
        assert result.returncode == 1 and "无法写入" in result.stderr and "Traceback" not in result.stderr
    finally:
        subprocess.run(["umount", "--lazy", str(ro)], check=False)  # lazy: an open handle must not keep it


def test_reading_commands_work_on_a_read_only_database(tmp_path) -> None:
    """A copy of the database on read-only media: status, health, export and the site read it;
    a writing command says it cannot write, without a traceback."""
    media = tmp_path / "media"
    if os.geteuid() != 0 or not _mount_tmpfs(media, "size=16m"):
        pytest.skip("needs root to mount a filesystem")
    try:
        db = media / "n.db"
        nianbao("analyze", str(SEEDS["000"]), str(SEEDS["001"]), "--db", str(db))
        assert subprocess.run(["mount", "-o", "remount,ro", str(media)], capture_output=True).returncode == 0
        assert "截至" in nianbao("status", "--db", str(db)).stdout
        nianbao("health", "--db", str(db))
        assert nianbao("export", "reports", "--db", str(db)).stdout.count("\n") == 2
        site = nianbao("site", "--db", str(db), "--out", str(tmp_path / "site"))
        assert (tmp_path / "site" / "index.html").exists() and "Traceback" not in site.stderr
        judged = nianbao("judge", "--db", str(db), check=False)
        assert judged.returncode == 1 and "只读" in judged.stderr and "Traceback" not in judged.stderr
    finally:
        subprocess.run(["umount", "--lazy", str(media)], check=False)


def test_a_really_full_disk(tmp_path) -> None:
    small = tmp_path / "small"
    # smaller than what the crawl writes (~1.2 MB: the database and the evidence files)
    if os.geteuid() != 0 or not _mount_tmpfs(small, "size=640k"):
        pytest.skip("needs root to mount a small filesystem")
    try:
        world = World([fixture_world().portal("wenfeng")])
        with serve(world):
            result = nianbao("crawl", "--db", str(small / "n.db"), "--portal", world.portals[0].url, *FAST,
                             check=False)
        assert result.returncode == 3 and "磁盘已满" in result.stderr and "Traceback" not in result.stderr
        assert rows(small / "n.db", "pragma integrity_check")[0][0] == "ok"
    finally:
        subprocess.run(["umount", "--lazy", str(small)], check=False)  # lazy: an open handle must not keep it


def test_bad_config_refused_at_start(tmp_path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("schedule:\n  jobs:\n    - name: x\n      kind: crawl\n      cron: \"0 2 * *\"\n", encoding="utf-8")
    result = nianbao("serve", "--config", str(bad), "--db", str(tmp_path / "n.db"), check=False)
    assert result.returncode != 0 and f"{bad}:5" in result.stderr and "schedule.jobs[0].cron" in result.stderr
    bad.write_text("schedule:\n  jobz: []\n", encoding="utf-8")
    result = nianbao("serve", "--config", str(bad), "--db", str(tmp_path / "n.db"), check=False)
    assert result.returncode != 0 and "jobz" in result.stderr and "未知字段" in result.stderr
