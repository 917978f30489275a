"""Judging and digests on stores the tests build directly: the fast loop for cross-report rules.

No crawl, no served portal: reports go into the store as a crawl would put them, then the judge
and the digests run as the service runs them. Mail goes to a real SMTP server on 127.0.0.1.
"""

from __future__ import annotations

import email
import email.policy
from datetime import date

import pytest
from aiosmtpd.controller import Controller

from demo.server import free_port
from monitor.judge import acknowledge, judge
from monitor.judge.assess import assess
from monitor.judge.registry import load_registry
from monitor.publish.notify import run_digests
from tests.stores import Published, build_store, write_config

EDUCATION, HEALTH, ARCHIVES = "青川县教育局", "青川县卫生健康局", "青川县档案馆"
GOVERNMENT = "青川县人民政府"  # configured jurisdictions owe their own report (D2: 31 March)


@pytest.fixture
def store(tmp_path):
    store = build_store(tmp_path / "n.db", [
        Published("青川县", EDUCATION, 2022, date(2023, 1, 10), seed=1),
        Published("青川县", EDUCATION, 2023, date(2024, 1, 15), seed=2),  # on time (D1: 31 January)
        Published("青川县", HEALTH, 2022, date(2023, 1, 12), seed=3),
        Published("青川县", HEALTH, 2023, date(2024, 3, 2), seed=4, fee_statement=False),  # late, no fee line
        Published("青川县", ARCHIVES, 2022, date(2023, 1, 20), seed=5),  # published 2022, not 2023: missing
    ])
    yield store
    store.close()


@pytest.fixture
def registry(tmp_path):
    return load_registry(write_config(tmp_path / "nianbao.yaml"))


def _status(evaluation, year: int) -> dict[str, str]:
    return {r.agency: r.status for r in evaluation.rows if r.year == year and r.jurisdiction == "青川县"}


def test_status_of_each_unit_from_a_store_built_without_a_crawl(store, registry) -> None:
    evaluation, result = judge(store, registry, date(2024, 6, 1))
    assert _status(evaluation, 2023) == {EDUCATION: "on_time", HEALTH: "late", ARCHIVES: "missing",
                                        GOVERNMENT: "missing"}
    late = next(r for r in evaluation.rows if r.agency == HEALTH and r.year == 2023)
    assert late.days_late == 31 and late.deadline.rule == "D1"
    codes = {t.finding.code for t in evaluation.findings.values()}
    assert {"LATE", "MISSING", "FEE_STATEMENT_MISSING"} <= codes
    assert result.new == len(evaluation.findings)


def test_the_lifecycle_resolves_what_is_gone_and_keeps_what_stays(store, registry, tmp_path) -> None:
    judge(store, registry, date(2024, 6, 1))
    missing = next(r for r in store.open_tracked_findings() if (r["agency"], r["code"]) == (ARCHIVES, "MISSING"))
    acknowledge(store, missing["id"], "已督促")
    build_store(tmp_path / "n.db", [Published("青川县", ARCHIVES, 2023, date(2024, 6, 20), seed=6)],
                seen_at="2024-06-20T00:00:00+00:00").close()
    _, result = judge(store, registry, date(2024, 7, 1))
    open_codes = {(r["agency"], r["code"]) for r in store.open_tracked_findings()}
    assert (ARCHIVES, "MISSING") not in open_codes  # it came, late
    assert (ARCHIVES, "LATE") in open_codes
    assert (HEALTH, "LATE") in open_codes  # nothing changed: still open, not new
    assert result.resolved >= 1 and result.still_open >= 2


def test_a_digest_per_office_once_with_the_finding_ids(store, registry, tmp_path) -> None:
    assessed = assess(store, registry, date(2024, 6, 1))
    outbox = tmp_path / "outbox"
    first = {o.office: o for o in run_digests(store, registry, date(2024, 6, 1), outbox=outbox,
                                              evaluation=assessed.evaluation)}
    assert first["青川县政务公开办"].new == first["广元市政务公开办"].new == len(assessed.evaluation.findings)
    mails = sorted(outbox.glob("*.eml"))
    assert len(mails) == 2
    text = email.message_from_bytes(mails[0].read_bytes(), policy=email.policy.default).get_body(("plain",))
    body = text.get_content()
    assert "https://nianbao.example.org/" in body
    again = run_digests(store, registry, date(2024, 6, 1), outbox=outbox)
    assert sum(o.new for o in again) == 0 and len(list(outbox.glob("*.eml"))) == 2


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 OK"


def test_digests_reach_a_real_smtp_server_exactly_once(store, tmp_path) -> None:
    port = free_port()
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        registry = load_registry(write_config(tmp_path / "nianbao.yaml", smtp_port=port))
        outcomes = run_digests(store, registry, date(2024, 6, 1))
        assert sorted(r for o in outcomes for r in o.sent) == ["gy@127.0.0.1", "qc@127.0.0.1"]
        run_digests(store, registry, date(2024, 6, 1))
    finally:
        controller.stop()
    assert sorted(to[0] for to, _ in inbox.messages) == ["gy@127.0.0.1", "qc@127.0.0.1"]


def test_a_digest_says_which_reports_were_read_by_ocr(store, registry, tmp_path) -> None:
    """A finding on a scanned report says, beside it, that its text was read by OCR."""
    rid = store.db.execute("select id from reports where agency = ? and year = 2023", [HEALTH]).fetchone()[0]
    store.db.execute("update report_versions set text_source = 'ocr' where id = "
                     "(select current_version_id from reports where id = ?)", [rid])
    assessed = assess(store, registry, date(2024, 6, 1))
    outbox = tmp_path / "outbox"
    run_digests(store, registry, date(2024, 6, 1), outbox=outbox, evaluation=assessed.evaluation)
    mail = email.message_from_bytes(sorted(outbox.glob("*.eml"))[0].read_bytes(), policy=email.policy.default)
    plain = mail.get_body(("plain",)).get_content()
    scanned = [line for line in plain.splitlines() if "（扫描件，文字由 OCR 识别）" in line]
    assert scanned and all(HEALTH in line and "2023年度" in line for line in scanned)
    assert "（扫描件，文字由 OCR 识别）" in mail.get_body(("html",)).get_content()
