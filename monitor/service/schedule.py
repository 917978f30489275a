"""A job's schedule in words, as `nianbao jobs` and `nianbao serve` print it (每天 01:00（1–4 月）…)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class JobSpec:
    name: str
    kind: str
    cron: str | None = None  # 5 fields (minute hour day month weekday), or 6 with seconds first
    every: float | None = None  # seconds, instead of cron
    jurisdictions: list[str] = field(default_factory=list)  # crawl only these (default: all)
    jitter: int = 0
    settings: dict[str, str] = field(default_factory=dict)  # Scrapy settings for crawl jobs
    seasonal: bool = False  # the built-in default: daily from January to April, weekly otherwise

WEEKDAYS = {"mon": "一", "tue": "二", "wed": "三", "thu": "四", "fri": "五", "sat": "六", "sun": "日",
            "0": "日", "1": "一", "2": "二", "3": "三", "4": "四", "5": "五", "6": "六", "7": "日"}


def _duration(seconds: float) -> str:
    for unit, name in ((86400, "天"), (3600, "小时"), (60, "分钟")):
        if seconds >= unit and seconds % unit == 0:
            return f"{int(seconds // unit)} {name}"
    return f"{seconds:g} 秒"


def _months(month: str) -> str:
    if month == "*":
        return ""
    return "（" + month.replace("-", "–").replace(",", "、") + " 月）"


def _clock(minute: str, hour: str) -> str | None:
    if minute.isdigit() and hour.isdigit():
        return f"{int(hour):02d}:{int(minute):02d}"
    return None


def _weekdays(weekday: str) -> str | None:
    parts = weekday.lower().split(",")
    if all(p in WEEKDAYS for p in parts):
        return "、".join("周" + WEEKDAYS[p] for p in parts)
    if "-" in weekday and all(p in WEEKDAYS for p in weekday.lower().split("-")):
        a, b = weekday.lower().split("-")
        return f"周{WEEKDAYS[a]}至周{WEEKDAYS[b]}"
    return None


def describe(spec: JobSpec) -> str:
    """The schedule of a job in words; a cron expression beyond the common shapes is shown as written."""
    jitter = f"（随机延后至多 {_duration(spec.jitter)}）" if spec.jitter else ""
    if spec.every:
        return f"每 {_duration(spec.every)}{jitter}"
    fields = (spec.cron or "0 2 * * *").split()
    if len(fields) == 6:
        fields = fields[1:]
    minute, hour, day, month, weekday = fields
    clock = _clock(minute, hour)
    if clock is None:
        return f"cron “{spec.cron}”{jitter}"
    if spec.seasonal:
        return f"每天 {clock}（1–4 月），其余月份每周一 {clock}{jitter}"
    if day == "*" and weekday == "*":
        return f"每天 {clock}{_months(month)}{jitter}"
    if day == "*" and (days := _weekdays(weekday)):
        return f"每{days} {clock}{_months(month)}{jitter}"
    if weekday == "*" and day.isdigit():
        return f"每月 {int(day)} 日 {clock}{_months(month)}{jitter}"
    return f"cron “{spec.cron}”{jitter}"
