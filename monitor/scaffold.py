"""Configurations that start from data: a skeleton with every county-level division of a province
(from the GB/T 2260 gazetteer, ``monitor.report.divisions``), and a check of a configuration
against the gazetteer (misspelt names, divisions with no portal yet)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from monitor.config import ConfigError, load_config
from monitor.report.divisions import counties, lookup, nearest
from monitor.report.identity import canonical_agency


class ScaffoldError(ValueError):
    """A province or city the gazetteer does not know; the message names the nearest ones."""


def _quoted(text: str) -> str:
    return json.dumps(text, ensure_ascii=False)  # a JSON string is a YAML double-quoted scalar


def skeleton(province: str, city: str | None = None) -> str:
    """A configuration (YAML) listing every county-level division of ``province`` (or of ``city``):
    name, code, parent, the government as an expected unit, and placeholders to fill in."""
    if not any(d.level == "province" for d in lookup(province)):
        raise ScaffoldError(f"行政区划数据中没有省级行政区“{province}”" + _suggest(province))
    if city is not None and not any(d.level == "prefecture" and d.province == province for d in lookup(city)):
        raise ScaffoldError(f"{province}没有地级行政区“{city}”" + _suggest(city))
    divisions = counties(province, city)
    lines = [f"# Nianbao 配置：{city or province}的 {len(divisions)} 个县级行政区（行政区划代码 GB/T 2260）。",
             "# 请为每个行政区填写门户网站（portal），为政务公开办填写收件人；`nianbao config check` 检查本文件。",
             "jurisdictions:"]
    uppers: list[tuple[str, str, str | None]] = [(province, "province", None)]
    if city:
        uppers.append((city, "city", province))
    for d in divisions:
        parent = d.prefecture or province
        lines += [f"  - name: {_quoted(d.name)}", f"    code: \"{d.code}\"", f"    parent: {_quoted(parent)}",
                  "    # portal: https://（门户网站首页）",
                  "    units:", f"      - name: {_quoted(canonical_agency(d.name) or d.name + '人民政府')}"]
    prefectures = sorted({d.prefecture for d in divisions if d.prefecture})
    for name in prefectures:
        if name != city:
            uppers.append((name, "city", province))
    for name, level, parent in uppers:
        lines += [f"  - name: {_quoted(name)}", f"    level: {level}"] + ([f"    parent: {_quoted(parent)}"] if parent else [])
    office = city or province
    lines += ["offices:", f"  - name: {_quoted(office + '政务公开办')}", f"    jurisdictions: [{_quoted(office)}]",
              "    recipients: [gongkai@example.gov.cn]   # 请改为实际收件人", "site:",
              "  base_url: https://nianbao.example.org/   # 请改为网站的公开地址", ""]
    return "\n".join(lines)


def _suggest(name: str) -> str:
    close = nearest(name)
    return f"；是否为：{'、'.join(close)}？" if close else ""


@dataclass
class CheckResult:
    errors: list[str] = field(default_factory=list)
    without_portal: list[str] = field(default_factory=list)  # divisions of the configured provinces
    unknown: list[str] = field(default_factory=list)  # names the gazetteer does not know, none close


def check(path: str | Path) -> CheckResult:
    """Validate a configuration, then check its jurisdictions against the gazetteer."""
    doc = load_config(path)
    result = CheckResult()
    configured = doc.data.get("jurisdictions") or []
    with_portal = {j["name"] for j in configured if j.get("portal")}
    scopes: set[tuple[str, str | None]] = set()  # (province, prefecture): the configuration's area
    for i, j in enumerate(configured):
        name = j["name"]
        found = lookup(name)
        if found:
            for d in found:
                if d.level == "prefecture":
                    scopes.add((d.province, d.name))
                elif d.level == "province" and j.get("level") == "province":
                    scopes.add((d.province, None))
            continue
        close = nearest(name)
        if close:
            line = doc.lines.get(("jurisdictions", i, "name"))
            result.errors.append(str(ConfigError(doc.file, line, f"jurisdictions[{i}].name",
                                                 f"行政区划数据中没有“{name}”；是否为：{'、'.join(close)}？")))
        else:
            result.unknown.append(name)
    cities = {(province, city) for province, city in scopes if city}
    for province, city in sorted(scopes, key=lambda s: (s[0], s[1] or "")):
        if city is None and any(p == province for p, _ in cities):
            continue  # the province is named as the parent of configured prefectures: their counties count
        result.without_portal += [d.name for d in counties(province, city) if d.name not in with_portal]
    return result
