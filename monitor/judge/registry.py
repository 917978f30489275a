"""Who is watched and who is expected to publish: jurisdictions, units, offices, deadlines, mail.

Built from a validated configuration file, or empty: with no configuration Nianbao works from
what the crawl discovered (every jurisdiction and unit seen in the database).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from monitor.config import ConfigError, load_config
from monitor.judge.deadlines import Override


@dataclass
class UnitConfig:
    name: str
    level: str | None = None
    retired: int | None = None  # not expected from this report year on


@dataclass
class JurisdictionConfig:
    name: str
    code: str | None = None
    level: str = "county"
    parent: str | None = None
    portal: str | None = None
    columns: tuple[str, ...] = ()
    units: list[UnitConfig] = field(default_factory=list)


@dataclass
class Office:
    name: str
    jurisdictions: list[str]
    recipients: list[str]


@dataclass
class SmtpConfig:
    host: str
    sender: str
    port: int = 25
    starttls: bool = False
    ssl: bool = False
    username: str | None = None
    password_env: str | None = None
    timeout: float = 30.0

    @property
    def password(self) -> str | None:
        if not self.password_env:
            return None
        value = os.environ.get(self.password_env)
        if value is None:
            raise ConfigError("smtp", None, "smtp.password_env", f"环境变量 {self.password_env} 未设置")
        return value


@dataclass
class Registry:
    jurisdictions: dict[str, JurisdictionConfig] = field(default_factory=dict)
    overrides: list[Override] = field(default_factory=list)
    offices: list[Office] = field(default_factory=list)
    smtp: SmtpConfig | None = None
    site_url: str | None = None
    operator: list[str] = field(default_factory=list)
    path: str | None = None

    def scopes(self, jurisdiction: str) -> list[str]:
        """The jurisdiction and its parents, most specific first, by name and by code."""
        out: list[str] = []
        name: str | None = jurisdiction
        seen: set[str] = set()
        while name and name not in seen:
            seen.add(name)
            out.append(name)
            config = self.jurisdictions.get(name)
            if config is None:
                break
            if config.code:
                out.append(config.code)
            name = config.parent
        return out

    def office(self, name: str) -> Office | None:
        return next((o for o in self.offices if o.name == name), None)

    def covers(self, office: Office, jurisdiction: str) -> bool:
        """An office watches its jurisdictions and everything below them."""
        return any(s in office.jurisdictions for s in self.scopes(jurisdiction))

    def portals(self) -> list[JurisdictionConfig]:
        return [j for j in self.jurisdictions.values() if j.portal]


def load_registry(path: str | Path | None) -> Registry:
    if path is None:
        return Registry()
    doc = load_config(path)
    data = doc.data
    registry = Registry(path=str(path))
    for j in data.get("jurisdictions") or []:
        units = [UnitConfig(u["name"], u.get("level"), u.get("retired")) for u in j.get("units") or []]
        registry.jurisdictions[j["name"]] = JurisdictionConfig(
            j["name"], str(j["code"]) if j.get("code") is not None else None, j.get("level", "county"),
            j.get("parent"), j.get("portal"), tuple(j.get("columns") or ()), units)
    for d in data.get("deadlines") or []:
        month, day = (int(x) for x in d["date"].split("-"))
        registry.overrides.append(Override(str(d["scope"]), month, day, d.get("level"), tuple(d.get("years") or ()),
                                           d.get("source", "地方规定")))
    for o in data.get("offices") or []:
        registry.offices.append(Office(o["name"], list(o["jurisdictions"]), list(o["recipients"])))
    if data.get("smtp"):
        s = data["smtp"]
        registry.smtp = SmtpConfig(s["host"], s["sender"], s.get("port", 25), s.get("starttls", False),
                                   s.get("ssl", False), s.get("username"), s.get("password_env"), s.get("timeout", 30.0))
    registry.site_url = (data.get("site") or {}).get("base_url")
    registry.operator = list(data.get("operator") or [])
    return registry
