"""One judgement per cycle, on stores the tests build directly (no crawl)."""

from __future__ import annotations

from monitor.judge.health import FAILING_RUNS
from monitor.service import ServiceOptions, execute
from monitor.store import open_store


def _failing_portal(path) -> None:
    """A portal whose last runs all failed: a 'failing' crawler-health alert is due."""
    store = open_store(path)
    portal_id = store.portal_id("http://127.0.0.1:9/", "温县")
    for _ in range(FAILING_RUNS):
        run_id = store.start_run(portal_id)
        store.finish_run(run_id, status="finished", pages=0, requests=3, reports_found=0, new=0, changed=0,
                         errors=3, error_kinds='{"refused": 3}', duration_s=0.1)
    store.close()


def test_the_judge_job_advances_health_alerts_without_any_digest(tmp_path) -> None:
    """Alerts are part of the cycle's judgement: a deployment with no offices (no digest step)
    still opens them, so the site and `nianbao health` show them."""
    db = str(tmp_path / "n.db")
    _failing_portal(db)
    execute("judge", "judge", ServiceOptions(db=db, config=None).__dict__)
    store = open_store(db)
    alerts = store.open_health_alerts()
    runs = store.last_job_runs()
    store.close()
    assert [a["kind"] for a in alerts] == ["failing"]
    assert runs["judge"]["outcome"] == "ok"


def test_the_site_job_moves_no_finding(tmp_path) -> None:
    """The site alone publishes the store as it stands: no tracked finding, no alert changes."""
    db = str(tmp_path / "n.db")
    _failing_portal(db)
    execute("site", "site", ServiceOptions(db=db, config=None, site_out=str(tmp_path / "site")).__dict__)
    store = open_store(db)
    assert store.open_health_alerts() == []
    assert store.open_tracked_findings() == []
    store.close()
    assert (tmp_path / "site" / "index.html").exists()


def test_a_service_started_without_config_judges_with_the_one_in_use(tmp_path) -> None:
    """The service and the CLI judge with the same configuration: a job run without one keeps what
    a configured judgement opened."""
    from datetime import date

    from monitor.judge.assess import assess
    from monitor.judge.registry import load_registry
    from tests.stores import Published, build_store

    config = tmp_path / "nianbao.yaml"
    config.write_text("jurisdictions:\n  - name: 青川县\n    units:\n      - name: 青川县档案馆\n", encoding="utf-8")
    db = tmp_path / "n.db"
    store = build_store(db, [Published("青川县", "青川县教育局", 2022, date(2023, 1, 10))])
    assess(store, load_registry(config), date(2024, 6, 1))  # 档案馆 is owed only by the configuration
    opened = {r["id"] for r in store.open_tracked_findings()}
    store.close()
    execute("judge", "judge", ServiceOptions(db=str(db), config=None).__dict__)
    store = open_store(db)
    assert any(r["agency"] == "青川县档案馆" for r in store.open_tracked_findings())
    assert opened and {r["id"] for r in store.open_tracked_findings()} >= opened
    store.close()
