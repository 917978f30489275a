"""The overview chart: a report published on its deadline is drawn on time, the day after late."""

from __future__ import annotations

import re
from datetime import date, timedelta

from monitor.judge import StatusRow
from monitor.judge.deadlines import Deadline
from monitor.publish.site import _chart

DEADLINE = date(2025, 1, 31)


def _row(days: int) -> StatusRow:
    published = DEADLINE + timedelta(days=days)
    return StatusRow("温县", "温县教育局", 2024, "department", Deadline(DEADLINE, "D1", "条例"),
                     "on_time" if days <= 0 else "late", published)


def _bar_of(svg: str, days: int) -> tuple[str, str]:
    for lo, hi, on_time, count in re.findall(
            r'data-days="(-?\d+)\.\.(-?\d+)" data-on-time="(\w+)"><title>[^<]*：(\d+) 份', svg):
        if int(lo) <= days <= int(hi):
            return on_time, count
    raise AssertionError(days)


def test_day_zero_is_on_time_and_day_one_is_late() -> None:
    svg = _chart([_row(0), _row(1), _row(-3)])
    assert _bar_of(svg, 0) == ("true", "2")  # the deadline itself and three days before: one on-time bar
    assert _bar_of(svg, 1) == ("false", "1")


def test_times_are_shown_in_beijing_time() -> None:
    from monitor.publish.site import local_time

    assert local_time("2026-01-31T16:30:00+00:00") == "2026-02-01 00:30"
    assert local_time("2026-01-31") == "2026-01-31"
