"""One judgement per cycle: the findings brought up to date and the crawler's health assessed, once,
then handed to every publisher (digests, operator alerts, the site) so none of them judges again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from monitor.judge import Evaluation, JudgeResult, judge
from monitor.judge.health import PortalHealth, portal_health, sync_alerts
from monitor.judge.registry import Registry, load_registry
from monitor.store import Store

CONFIG_SETTING = "judged_with_config"  # the configuration the store's findings were judged with


class ConfigGone(LookupError):
    """The configuration the findings were judged with is no longer where it was."""


def judging_registry(store: Store, path: str | Path | None) -> tuple[Registry, str | None]:
    """The registry to judge with, and the path it came from. A command given no ``--config``
    judges with the configuration the store was last judged with — judging without it would
    resolve every finding it opened (offices, units, local deadlines) though nothing changed."""
    if path is None:
        remembered = store.setting(CONFIG_SETTING)
        if remembered is None:
            return load_registry(None), None
        if not Path(remembered).is_file():
            raise ConfigGone(remembered)
        path = remembered
    return load_registry(path), str(Path(path).resolve())


def remember_config(store: Store, registry: Registry) -> None:
    """A configured judgement makes its configuration the store's (later commands use it too)."""
    if registry.path and store.setting(CONFIG_SETTING) != str(Path(registry.path).resolve()):
        store.set_setting(CONFIG_SETTING, str(Path(registry.path).resolve()))


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
    remember_config(store, registry)
    health = portal_health(store)
    new, resolved = sync_alerts(store, health)
    return Assessment(evaluation, result, health, new, resolved)
