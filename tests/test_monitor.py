"""The monitor end to end: crawl the fixture world, then status in each season, the findings'
lifecycle, and digests to an outbox and to a real SMTP server (aiosmtpd) on 127.0.0.1."""

from __future__ import annotations

import email
import json
import sqlite3
from datetime import date
from email import policy
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from demo.server import free_port
from demo.world import fixture_world
from tests.conftest import TODAY, nianbao

pytestmark = pytest.mark.e2e  # crawls, served portals, browsers or subprocesses


@pytest.fixture
def db(world_db, tmp_path) -> Path:
    """A private copy: these tests write lifecycle and ledger rows."""
    copy = tmp_path / "nianbao.db"
    src = sqlite3.connect(world_db)
    dst = sqlite3.connect(copy)
    src.backup(dst)
    dst.close()
    return copy


def status(db: Path, as_of: str, *extra: str) -> dict[tuple[str, int], dict]:
    rows = json.loads(nianbao("status", "--db", str(db), "--as-of", as_of, "--format", "json", *extra).stdout)
    return {(r["agency"], r["year"]): r for r in rows}


def test_status_in_each_season(world_db) -> None:
    winter = status(world_db, "2026-01-15")
    assert winter[("青川县财政局", 2025)]["status"] == "not_due"  # due 31 January
    assert winter[("青川县教育局", 2025)]["status"] == "on_time"  # published 14 January
    assert winter[("青川县人民政府", 2025)]["status"] == "not_due"  # due 31 March
    assert winter[("温县商务局", 2022)]["status"] == "missing"  # published for 2021, never since

    february = status(world_db, "2026-02-15")
    assert (february[("青川县财政局", 2025)]["status"], february[("青川县财政局", 2025)]["days_late"]) == ("missing", 15)
    assert february[("青川县民政局", 2025)]["status"] == "missing"  # it will come, on 12 March
    assert february[("温县教育局", 2024)]["status"] == "missing"  # undated: exists from when Nianbao saw it
    assert february[("青川县人民政府", 2025)]["status"] == "not_due"

    april = status(world_db, "2026-04-15")
    row = april[("青川县民政局", 2025)]
    assert (row["status"], row["published"], row["days_late"], row["deadline"]) == ("late", "2026-03-12", 40, "2026-01-31")
    assert april[("青川县人民政府", 2025)]["status"] == "on_time"  # 16 March
    assert april[("文峰区人民政府", 2024)]["status"] == "late" and april[("文峰区人民政府", 2024)]["days_late"] == 5
    assert april[("温县商务局", 2025)]["status"] == "missing"

    now = status(world_db, TODAY)
    assert now[("温县教育局", 2024)]["status"] == "undated" and now[("温县教育局", 2024)]["published_basis"] == "first_seen"
    assert "UNDATED" in now[("温县教育局", 2024)]["findings"]
    # every expected row has one of the five statuses, and the units' government is always expected
    assert {r["status"] for r in now.values()} <= {"on_time", "late", "missing", "not_due", "undated"}
    assert ("东城区人民政府", 2025) in now


def test_status_against_world_truth(world_db) -> None:
    """Every published report's status follows from its true date and level, in every season."""
    world = fixture_world()
    truth = {(p.jurisdiction, e.agency, e.year): e for p, e in world.expected}
    for as_of in ("2026-01-15", "2026-02-15", "2026-04-15"):
        rows = json.loads(nianbao("status", "--db", str(world_db), "--as-of", as_of, "--format", "json",
                                  "--year", "2025").stdout)
        day = date.fromisoformat(as_of)
        assert len(rows) > 20
        for row in rows:
            agency = row["agency"]
            e = truth.get((row["jurisdiction"], agency, row["year"]))
            deadline = date(2026, 3, 31) if row["level"] == "government" else date(2026, 1, 31)
            if e is None or e.published is None or e.published > day:
                assert row["status"] == ("missing" if day > deadline else "not_due"), (agency, as_of)
            else:
                assert row["status"] == ("late" if e.published > deadline else "on_time"), (agency, as_of)


def test_status_formats(world_db) -> None:
    table = nianbao("status", "--db", str(world_db), "--as-of", "2026-04-15", "--year", "2025").stdout
    assert "逾期公布" in table and "未公布" in table and "合计" in table
    csv_text = nianbao("status", "--db", str(world_db), "--as-of", "2026-04-15", "--format", "csv").stdout
    assert csv_text.splitlines()[0] == "jurisdiction,agency,year,level,deadline,published,status,days_late,findings"


def tracked(db: Path) -> list[sqlite3.Row]:
    conn = sqlite3.connect(db)
    conn.row_factory = sqlite3.Row
    return conn.execute("select * from tracked_findings order by id").fetchall()


def test_cross_report_findings(db) -> None:
    nianbao("judge", "--db", str(db))
    found = {(r["code"], r["agency"], r["year"]) for r in tracked(db) if r["state"] == "open"}
    def of(code: str) -> set[tuple[str, int]]:
        return {(a, y) for c, a, y in found if c == code}
    assert of("LATE") == {("文峰区人民政府", 2024), ("青川县民政局", 2025), ("温县商务局", 2021)}
    assert of("UNDATED") == {("温县教育局", 2024)}
    assert of("CARRY_OVER_MISMATCH") == {("青川县教育局", 2024)}
    assert of("COPIED_FROM_PREVIOUS") == {("温县民政局", 2024)}
    assert of("COPIED_FROM_OTHER") == {("文峰区民政局", 2025), ("文峰区教育局", 2025)}
    changed = next(e for e in fixture_world().portal("xuecheng").expected
                   if e.text_source == "html" and e.year == 2024 and e.agency.endswith("局"))
    assert of("CHANGED_AFTER_PUBLICATION") == {(changed.agency, 2024)}
    assert ("温县商务局", 2022) in of("MISSING") and ("青川县财政局", 2025) in of("MISSING")
    # the world's other reports are honest: no other cross-report finding
    assert of("MISSING") == {("文峰区商务局", 2024), ("文峰区商务局", 2025), ("温县商务局", 2022),
                             ("温县商务局", 2023), ("温县商务局", 2024), ("温县商务局", 2025), ("温县民政局", 2025),
                             ("红旗区商务局", 2024), ("红旗区商务局", 2025), ("薛城区商务和投资促进局", 2024),
                             ("薛城区商务和投资促进局", 2025), ("青川县财政局", 2025)}
    carry = next(r for r in tracked(db) if r["code"] == "CARRY_OVER_MISMATCH")
    assert json.loads(carry["detail"])["columns"]


def test_lifecycle_and_acknowledgement(db) -> None:
    nianbao("judge", "--db", str(db), "--as-of", "2026-02-15")
    missing = next(r for r in tracked(db) if r["code"] == "MISSING" and r["agency"] == "青川县民政局")
    assert missing["state"] == "open" and missing["first_seen"].startswith("2026-02-15")
    nianbao("judge", "--db", str(db), "--as-of", "2026-04-15")
    rows = {(r["code"], r["agency"], r["year"]): r for r in tracked(db)}
    assert rows[("MISSING", "青川县民政局", 2025)]["state"] == "resolved"  # it appeared, late
    assert rows[("MISSING", "青川县民政局", 2025)]["resolved_at"].startswith("2026-04-15")
    assert rows[("LATE", "青川县民政局", 2025)]["state"] == "open"
    again = nianbao("judge", "--db", str(db), "--as-of", "2026-04-15").stdout
    assert again.startswith("新发现 0")
    late = rows[("LATE", "青川县民政局", 2025)]
    out = nianbao("ack", str(late["id"]), "--note", "已电话督促", "--db", str(db)).stdout
    assert "已确认" in out
    row = next(r for r in tracked(db) if r["id"] == late["id"])
    assert (row["ack"], row["ack_note"]) == ("acknowledged", "已电话督促")
    assert nianbao("ack", "999999", "--note", "x", "--db", str(db), check=False).returncode != 0


CONFIG = """
jurisdictions:
  - name: 青川县
    parent: 演示市
  - name: 温县
    parent: 演示市
  - name: 文峰区
    parent: 演示市
  - name: 演示市
    level: city
offices:
  - name: 青川县政务公开办
    jurisdictions: [青川县]
    recipients: [qc@example.gov.cn]
  - name: 演示市政务公开办
    jurisdictions: [演示市]
    recipients: [city@example.gov.cn, audit@example.gov.cn]
smtp:
  host: 127.0.0.1
  port: {port}
  sender: "Nianbao 年报监测 <nianbao@example.org>"
  timeout: 5
site:
  base_url: https://nianbao.example.org/
"""


def write_config(tmp_path: Path, port: int) -> Path:
    path = tmp_path / "nianbao.yaml"
    path.write_text(CONFIG.format(port=port), encoding="utf-8")
    return path


def test_digest_preview_to_outbox_records_nothing(db, tmp_path) -> None:
    """--outbox is a preview: it writes what a send would carry and consumes nothing."""
    config = write_config(tmp_path, 1)
    outbox = tmp_path / "outbox"
    first = nianbao("digest", "--db", str(db), "--config", str(config), "--outbox", str(outbox), "--as-of", "2026-04-15")
    files = sorted(outbox.glob("*.eml"))
    assert len(files) == 3 and "青川县政务公开办：新问题" in first.stdout
    msg = email.message_from_bytes(files[0].read_bytes(), policy=policy.default)
    assert msg["Subject"].startswith("【年报核查】")
    second = nianbao("digest", "--db", str(db), "--config", str(config), "--outbox", str(outbox), "--as-of", "2026-04-15")
    assert sorted(outbox.glob("*.eml")) == files and "没有新内容" not in second.stdout
    assert first.stdout.splitlines()[0] == second.stdout.splitlines()[0]  # the same new items, again


def test_digest_requires_one_transport(db, tmp_path) -> None:
    config = write_config(tmp_path, 1)
    result = nianbao("digest", "--db", str(db), "--config", str(config), check=False)
    assert result.returncode != 0 and "--outbox" in result.stderr


class Inbox:
    """An aiosmtpd handler that keeps what it receives and can refuse recipients."""

    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []
        self.refuse: set[str] = set()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted"


@pytest.fixture
def smtp():
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port, controller
    controller.stop()


def parse(raw: bytes) -> email.message.EmailMessage:
    return email.message_from_bytes(raw, policy=policy.default)


def test_digest_over_smtp(db, tmp_path, smtp) -> None:
    inbox, port, _ = smtp
    config = write_config(tmp_path, port)
    out = nianbao("digest", "--db", str(db), "--config", str(config), "--send", "--as-of", "2026-04-15").stdout
    assert "已发送给" in out
    recipients = sorted(r for rcpts, _ in inbox.messages for r in rcpts)
    assert recipients == ["audit@example.gov.cn", "city@example.gov.cn", "qc@example.gov.cn"]
    qc = parse(next(raw for rcpts, raw in inbox.messages if rcpts == ["qc@example.gov.cn"]))
    assert qc["Subject"].startswith("【年报核查】青川县政务公开办：新发现") and qc["To"] == "qc@example.gov.cn"
    assert "nianbao@example.org" in qc["From"]
    text = qc.get_body(("plain",)).get_content()
    html = qc.get_body(("html",)).get_content()
    assert "青川县民政局" in text and "逾期公布" in text and "https://nianbao.example.org/reports/" in text
    assert "<table" in html and "青川县民政局" in html and 'style="' in html
    [attachment] = list(qc.iter_attachments())
    assert attachment.get_filename().endswith(".csv")
    rows = attachment.get_content().lstrip("\ufeff").splitlines()
    assert rows[0].startswith("编号,行政区,单位,年度") and any("青川县民政局" in r for r in rows[1:])
    assert all("温县" not in r for r in rows[1:])  # another office's jurisdiction
    city = parse(next(raw for rcpts, raw in inbox.messages if rcpts == ["city@example.gov.cn"]))
    assert "温县商务局" in city.get_body(("plain",)).get_content()  # the city office watches every county below it
    # a rerun sends nothing
    before = len(inbox.messages)
    out = nianbao("digest", "--db", str(db), "--config", str(config), "--send", "--as-of", "2026-04-15").stdout
    assert len(inbox.messages) == before and "没有新内容" in out


def test_smtp_down_then_up_sends_exactly_once(db, tmp_path) -> None:
    port = free_port()
    config = write_config(tmp_path, port)
    down = nianbao("digest", "--db", str(db), "--config", str(config), "--send", "--as-of", "2026-04-15", check=False)
    assert down.returncode == 2 and "发送失败" in down.stdout
    conn = sqlite3.connect(db)
    assert {s for (s,) in conn.execute("select status from deliveries")} == {"failed"}
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)  # the server comes back
    controller.start()
    try:
        up = nianbao("digest", "--db", str(db), "--config", str(config), "--send", "--as-of", "2026-04-15")
    finally:
        controller.stop()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        nianbao("digest", "--db", str(db), "--config", str(config), "--send", "--as-of", "2026-04-15")
    finally:
        controller.stop()
    assert "重发" in up.stdout
    recipients = sorted(r for rcpts, _ in inbox.messages for r in rcpts)
    assert recipients == ["audit@example.gov.cn", "city@example.gov.cn", "qc@example.gov.cn"]  # once each
    assert {s for (s,) in conn.execute("select status from deliveries")} == {"sent"}


def test_refused_recipient_is_retried(db, tmp_path, smtp) -> None:
    inbox, port, _ = smtp
    config = write_config(tmp_path, port)
    inbox.refuse.add("audit@example.gov.cn")
    first = nianbao("digest", "--db", str(db), "--config", str(config), "--send", "--as-of", "2026-04-15", check=False)
    assert first.returncode == 2 and "audit@example.gov.cn" in first.stdout
    assert sorted(r for rcpts, _ in inbox.messages for r in rcpts) == ["city@example.gov.cn", "qc@example.gov.cn"]
    inbox.refuse.clear()
    nianbao("digest", "--db", str(db), "--config", str(config), "--send", "--as-of", "2026-04-15")
    recipients = sorted(r for rcpts, _ in inbox.messages for r in rcpts)
    assert recipients == ["audit@example.gov.cn", "city@example.gov.cn", "qc@example.gov.cn"]
    by_rcpt = {rcpts[0]: parse(raw) for rcpts, raw in inbox.messages}
    # the retry is the same digest the other city recipient got, not a new one
    assert by_rcpt["audit@example.gov.cn"]["Subject"] == by_rcpt["city@example.gov.cn"]["Subject"]
    digest_of = lambda m: m["Message-ID"].split(".")[2]  # noqa: E731 - <nianbao.digest.{id}.{token}@…>
    assert digest_of(by_rcpt["audit@example.gov.cn"]) == digest_of(by_rcpt["city@example.gov.cn"])


def test_acknowledged_findings_are_not_sent_as_new(db, tmp_path) -> None:
    nianbao("judge", "--db", str(db), "--as-of", "2026-04-15")
    late = next(r for r in tracked(db) if r["code"] == "LATE" and r["agency"] == "青川县民政局")
    nianbao("ack", str(late["id"]), "--note", "已督促整改", "--db", str(db))
    outbox = tmp_path / "outbox"
    nianbao("digest", "--db", str(db), "--config", str(write_config(tmp_path, 1)), "--outbox", str(outbox),
            "--office", "青川县政务公开办", "--as-of", "2026-04-15")
    [eml] = outbox.glob("*.eml")
    text = parse(eml.read_bytes()).get_body(("plain",)).get_content()
    new_part, _, standing = text.partition("二、此前已报告")
    assert "青川县民政局 2025年度：逾期公布" not in new_part
    assert "已确认：已督促整改" in standing


def test_status_works_without_config_and_with_retired_units(db, tmp_path) -> None:
    config = tmp_path / "units.yaml"
    config.write_text("jurisdictions:\n  - name: 温县\n    units:\n      - name: 温县商务局\n        retired: 2023\n"
                      "      - name: 温县档案馆\n", encoding="utf-8")
    rows = json.loads(nianbao("status", "--db", str(db), "--config", str(config), "--as-of", "2026-04-15",
                              "--format", "json").stdout)
    keys = {(r["agency"], r["year"]) for r in rows}
    assert ("温县商务局", 2022) in keys and ("温县商务局", 2023) not in keys  # merged away from 2023 on
    assert ("温县档案馆", 2025) in keys and next(r for r in rows if r["agency"] == "温县档案馆")["status"] == "missing"
