"""What decides whether a rebuild draws a report page again: the cheap forms digested must change
whenever what the page is drawn from changes."""

from __future__ import annotations

import dataclasses
from datetime import date

import numpy as np

from monitor.judge import KnownReport, StatusRow
from monitor.judge.deadlines import Deadline


def _report(**changes) -> KnownReport:
    values = dict(id=7, jurisdiction="温县", agency="温县教育局", year=2024, level="department",
                  url="http://127.0.0.1/a.html", title="年报", published=date(2025, 1, 20),
                  first_seen=date(2025, 1, 21), version_id=9, versions=[(9, date(2025, 1, 21))], carry={},
                  signature=np.zeros(4))
    return KnownReport(**{**values, **changes})


def _row(**changes) -> StatusRow:
    values = dict(jurisdiction="温县", agency="温县教育局", year=2024, level="department",
                  deadline=Deadline(date(2025, 1, 31), "D1", "条例"), status="on_time",
                  published=date(2025, 1, 20), days_late=0, report=_report(), findings=["FEE_STATEMENT_MISSING"])
    return StatusRow(**{**values, **changes})


def test_every_change_a_report_page_shows_changes_its_signature() -> None:
    base = _row()
    variants = {
        "jurisdiction": _row(jurisdiction="孟州市"), "agency": _row(agency="温县财政局"), "year": _row(year=2023),
        "level": _row(level="government"), "deadline": _row(deadline=Deadline(date(2025, 3, 31), "D1", "条例")),
        "rule": _row(deadline=Deadline(date(2025, 1, 31), "L", "条例")), "status": _row(status="late"),
        "published": _row(published=date(2025, 1, 19)), "days_late": _row(days_late=3),
        "url": _row(report=_report(url="http://127.0.0.1/b.html")), "report": _row(report=_report(id=8)),
        "undated": _row(report=_report(published=None)), "no report": _row(report=None),
        "findings": _row(findings=[]),
    }
    for what, row in variants.items():
        assert row.to_json() != base.to_json(), what  # the variant shows something else ...
        assert row.signature() != base.signature(), what  # ... so its page is drawn again
    assert _row().signature() == base.signature()


def test_the_signature_covers_every_field_to_json_reads() -> None:
    """A field added to StatusRow and shown by to_json must reach the signature too."""
    shown = set(_row().to_json())
    covered = {"jurisdiction", "agency", "year", "level", "deadline", "deadline_rule", "published",
               "published_basis", "status", "days_late", "url", "report_id", "findings"}
    assert shown == covered, "StatusRow.to_json changed: update StatusRow.signature and this list"
    assert {f.name for f in dataclasses.fields(StatusRow)} == {
        "jurisdiction", "agency", "year", "level", "deadline", "status", "published", "days_late", "report",
        "findings"}, "StatusRow has a new field: does its page show it? then StatusRow.signature must carry it"
