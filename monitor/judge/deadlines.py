"""When a report is due: the national rules D0–D3 of ``monitor.report.spec``, and local overrides.

Deadlines are inclusive ("前" means on or before). A local override names a jurisdiction at any
level (province, city or county) and optionally a unit level and report years; the most
specific override wins: a county's over its city's over its province's, a year-specific one
over a general one.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date

from monitor.report.spec import DEADLINE_RULES, DeadlineRule


@dataclass(frozen=True)
class Override:
    """A local deadline: ``scope`` is a jurisdiction name (or code) at any level."""

    scope: str
    month: int
    day: int
    level: str | None = None  # government | department | township; None = every level
    years: tuple[int, ...] = ()  # report years it applies to; () = every year
    source: str = "地方规定"


@dataclass(frozen=True)
class Deadline:
    date: date
    rule: str  # D0–D3, or L for a local override
    source: str

    @property
    def description(self) -> str:
        return f"{self.date.isoformat()}（{self.rule}：{self.source}）"


def national_rule(level: str, year: int) -> DeadlineRule:
    for rule in DEADLINE_RULES:
        if level in rule.levels and (rule.first_year is None or year >= rule.first_year) \
                and (rule.last_year is None or year <= rule.last_year):
            return rule
    raise ValueError(f"no deadline rule for level {level!r}, year {year}")


def deadline_for(level: str | None, year: int, scopes: list[str] = (), overrides: list[Override] = ()) -> Deadline:
    """The deadline of a report of ``level`` for report ``year``.

    ``scopes`` lists the jurisdiction and its parents, most specific first (温县, 焦作市, 河南省),
    names or codes; an override whose scope is earlier in the list wins.
    """
    level = level or "department"
    rule = national_rule(level, year)
    best: tuple[tuple[int, int], Override] | None = None
    for o in overrides:
        if o.scope not in scopes or (o.level and o.level != level) or (o.years and year not in o.years):
            continue
        if rule.id == "D0":
            continue  # the 2007 regulation set one date for everyone; local rules came with 2019
        rank = (scopes.index(o.scope), 0 if o.years else 1)
        if best is None or rank < best[0]:
            best = (rank, o)
    if best is not None:
        o = best[1]
        return Deadline(_on(year + 1, o.month, o.day), "L", f"{o.scope}{o.source}")
    return Deadline(date(year + 1, rule.month, rule.day), rule.id, rule.source)


def _on(year: int, month: int, day: int) -> date:
    """A month-day in a given year; 29 February falls back to the 28th in common years."""
    if (month, day) == (2, 29) and not calendar.isleap(year):
        day = 28
    return date(year, month, day)


def days_late(published: date, deadline: date) -> int:
    """0 on or before the deadline, else the days after it."""
    return max(0, (published - deadline).days)


def latest_due_year(as_of: date) -> int:
    """The latest report year whose earliest deadline (31 January) has passed by ``as_of``."""
    return as_of.year - 1 if as_of >= date(as_of.year, 2, 1) else as_of.year - 2
