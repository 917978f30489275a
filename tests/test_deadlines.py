"""Deadlines at their edges: 31 January, 1 February, 31 March, leap years, overrides, pre-2019."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.judge.deadlines import Override, days_late, deadline_for, latest_due_year


@pytest.mark.parametrize("level,year,expected,rule", [
    ("department", 2023, date(2024, 1, 31), "D1"),
    ("government", 2023, date(2024, 3, 31), "D2"),
    ("township", 2023, date(2024, 1, 31), "D3"),
    ("department", 2019, date(2020, 1, 31), "D1"),  # the 2019 regulation's first report year
    ("department", 2018, date(2019, 3, 31), "D0"),  # before it: 31 March for everyone
    ("government", 2018, date(2019, 3, 31), "D0"),
    ("township", 2010, date(2011, 3, 31), "D0"),
])
def test_national_rules(level: str, year: int, expected: date, rule: str) -> None:
    d = deadline_for(level, year)
    assert (d.date, d.rule) == (expected, rule)


@pytest.mark.parametrize("published,late", [
    (date(2024, 1, 30), 0), (date(2024, 1, 31), 0), (date(2024, 2, 1), 1), (date(2024, 3, 1), 30),
])
def test_inclusive_deadline_across_leap_february(published: date, late: int) -> None:
    assert days_late(published, deadline_for("department", 2023).date) == late  # 2024 is a leap year


def test_government_31_march_edge() -> None:
    deadline = deadline_for("government", 2024).date
    assert days_late(date(2025, 3, 31), deadline) == 0 and days_late(date(2025, 4, 1), deadline) == 1


def test_overrides_most_specific_wins() -> None:
    overrides = [
        Override("四川省", 2, 20, level="township"),
        Override("广元市", 2, 10, level="township"),
        Override("青川县", 2, 15, level="township", years=(2023,)),
        Override("四川省", 1, 15, level="department", source="省通知"),
    ]
    scopes = ["青川县", "510822", "广元市", "四川省"]
    assert deadline_for("township", 2023, scopes, overrides).date == date(2024, 2, 15)  # county, that year
    assert deadline_for("township", 2022, scopes, overrides).date == date(2023, 2, 10)  # city
    assert deadline_for("township", 2022, ["剑阁县", "广元市", "四川省"], overrides).date == date(2023, 2, 10)
    assert deadline_for("township", 2022, ["成华区", "成都市", "四川省"], overrides).date == date(2023, 2, 20)
    d = deadline_for("department", 2022, scopes, overrides)
    assert (d.date, d.rule) == (date(2023, 1, 15), "L") and "省通知" in d.source
    assert deadline_for("government", 2022, scopes, overrides).date == date(2023, 3, 31)  # no override for it
    assert deadline_for("township", 2017, scopes, overrides).date == date(2018, 3, 31)  # D0 predates local rules


def test_override_by_code_and_29_february() -> None:
    overrides = [Override("510822", 2, 29)]
    assert deadline_for("department", 2023, ["青川县", "510822"], overrides).date == date(2024, 2, 29)
    assert deadline_for("department", 2024, ["青川县", "510822"], overrides).date == date(2025, 2, 28)


@pytest.mark.parametrize("as_of,year", [(date(2026, 1, 31), 2024), (date(2026, 2, 1), 2025), (date(2026, 12, 31), 2025)])
def test_latest_due_year(as_of: date, year: int) -> None:
    assert latest_due_year(as_of) == year
