"""One judgement per cycle: the findings brought up to date and the crawler's health assessed, once,
then handed to every publisher (digests, operator alerts, the site) so none of them judges again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from monitor.judge import Evaluation, JudgeResult, judge
from monitor.judge.health import PortalHealth, portal_health, sync_alerts
from monitor.judge.registry import Registry
from monitor.store import Store


@dataclass
class Assessment:
    evaluation: Evaluation
    result: JudgeResult
    health: list[PortalHealth]
    alerts_new: int = 0
    alerts_resolved: int = 0


def assess(store: Store, registry: Registry, as_of: date | None = None) -> Assessment:
    """Judge on ``as_of`` (tracked findings move), assess each portal's health (its alerts move too)."""
    evaluation, result = judge(store, registry, as_of)
    health = portal_health(store)
    new, resolved = sync_alerts(store, health)
    return Assessment(evaluation, result, health, new, resolved)
