"""Broken portals: each fault recorded as what it is, the crawl completes, the next run retries;
crawler-health alerts reach the operator and nobody else."""

from __future__ import annotations

import email
import json
import sqlite3
from email import policy

import pytest
import yaml

from demo.server import serve
from demo.world import FAULTS, World, fault_portal, make_portal
from tests.conftest import FAST, nianbao

pytestmark = pytest.mark.e2e  # crawls, served portals, browsers or subprocesses

TIMEOUTS = ["-s", "DOWNLOAD_TIMEOUT=2", "-s", "RETRY_TIMES=1"]
EXPECTED_KIND = {"error500": "5xx", "hang": "timeout", "reset": "connection", "truncated": "truncated",
                 "redirect_loop": "redirect_loop", "waf412": "waf", "soft404": "soft404", "gone404": "4xx"}


def kinds_by_portal(db, portal_url: str) -> set[str]:
    conn = sqlite3.connect(db)
    return {k for (k,) in conn.execute(
        "select f.error_kind from fetches f join portals p on p.id = f.portal_id where p.url = ? and f.error_kind "
        "is not null", [portal_url])}


def test_each_fault_recorded_as_what_it_is_and_retried(tmp_path) -> None:
    world = World([fault_portal(kind, n) for n, kind in enumerate(FAULTS)])
    healthy = make_portal("ok", "static", "温县", [2024], 7, departments=1, townships=0)
    world.portals.append(healthy)
    db = tmp_path / "n.db"
    with serve(world):
        args = ["crawl", "--db", str(db), *FAST, *TIMEOUTS] + [a for p in world.portals for a in ("--portal", p.url)]
        first = nianbao(*args, timeout=600)
        after_first = {p.key: sum(p.hits.values()) for p in world.portals}
        nianbao(*args, timeout=600)
        after_second = {p.key: sum(p.hits.values()) for p in world.portals}
    for portal in world.portals[:-1]:
        kind = EXPECTED_KIND[portal.faults]
        assert kind in kinds_by_portal(db, portal.url), (portal.faults, kinds_by_portal(db, portal.url))
        assert after_second[portal.key] > after_first[portal.key], portal.faults  # tried again next run
    # the healthy portal next to them was crawled in full, without errors
    conn = sqlite3.connect(db)
    found = conn.execute("select count(*) from reports r join portals p on p.id = r.portal_id where p.url = ?",
                         [healthy.url]).fetchone()[0]
    # (its own planted quirks only: a flaky page retried, a robots.txt rule obeyed)
    assert found == len(healthy.expected) and kinds_by_portal(db, healthy.url) <= {"5xx", "robots"}
    assert "timeout" in first.stdout and "waf" in first.stdout  # the summary names the kinds
    health = json.loads(nianbao("health", "--db", str(db), "--format", "json").stdout)
    by_url = {h["url"]: h for h in health}
    assert by_url[world.portals[0].url]["error_kinds"] == {"5xx": 1}  # its home page: retries count once
    assert by_url[healthy.url]["reports_found"] == len(healthy.expected)


def test_health_alerts_reach_only_the_operator(tmp_path) -> None:
    portal = make_portal("redesign", "static", "温县", [2023, 2024], 8, departments=2, townships=0)
    broken = fault_portal("error500", 9)
    world = World([portal, broken])
    db = tmp_path / "n.db"
    config = tmp_path / "nianbao.yaml"
    config.write_text(yaml.safe_dump({
        "jurisdictions": [{"name": "温县", "portal": portal.url if portal.port else "http://127.0.0.1:1/"}],
        "offices": [{"name": "温县政务公开办", "jurisdictions": ["温县"], "recipients": ["office@example.gov.cn"]}],
        "operator": ["ops@example.org"],
    }, allow_unicode=True), encoding="utf-8")
    with serve(world):
        args = ["crawl", "--db", str(db), *FAST, *TIMEOUTS, "--portal", portal.url, "--portal", broken.url]
        nianbao(*args, timeout=300)
        nianbao(*args, timeout=300)
        portal.faults, portal.fault_paths = "gone404", {"/xxgk/ndbg/list.html"}  # the portal is redesigned
        nianbao(*args, timeout=300)
    health = {h["url"]: h for h in json.loads(nianbao("health", "--db", str(db), "--format", "json").stdout)}
    kinds = {a["kind"] for a in health[portal.url]["alerts"]}
    assert {"zero_result", "column_gone"} <= kinds
    assert {a["kind"] for a in health[broken.url]["alerts"]} == {"failing"}
    text = nianbao("health", "--db", str(db)).stdout
    assert "已连续 3 次抓取失败" in text and "此前可以访问" in text

    outbox = tmp_path / "outbox"
    nianbao("digest", "--db", str(db), "--config", str(config), "--outbox", str(outbox))
    mails = [email.message_from_bytes(p.read_bytes(), policy=policy.default) for p in outbox.glob("*.eml")]
    ops = [m for m in mails if m["To"] == "ops@example.org"]
    office = [m for m in mails if m["To"] == "office@example.gov.cn"]
    assert len(ops) == 1 and "抓取健康告警" in ops[0]["Subject"]
    body = ops[0].get_body(("plain",)).get_content()
    assert "年报栏目消失" in body and "连续抓取失败" in body
    for m in office:  # the office hears about reports, never about the crawler
        assert "抓取健康" not in m["Subject"] and "年报栏目消失" not in m.get_body(("plain",)).get_content()
    again = nianbao("digest", "--db", str(db), "--config", str(config), "--outbox", str(outbox)).stdout
    assert len(list(outbox.glob("*.eml"))) == len(mails) and "运维" in again
