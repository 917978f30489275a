"""Who published a report, for which year, and when: title, agency, jurisdiction, level, dates.

Real report pages state their identity in many places, and often not in a title: a preamble
(现公布X县2022年政府信息公开工作年度报告), a compiled-by sentence (本报告由X县人民政府办公室…编制),
a metadata block (标题：… 发布机构：… 发布时间：…, also flattened into ``|发布机构|X|``), a
breadcrumb (首页 > 政务公开 > …), the unit's name alone on the first line, the signature at the
end, or only the portal it was found on. Each source has a rank of trust (:data:`SOURCES`); the
most trusted source that names a field decides it, and :attr:`Identity.sources` says which one did.
For the agency the rank is: the title (the text's, the page's, a 标题 label, a preamble's report
phrase), a compiled-by sentence, the unit's name alone on the first line, a publisher label
(发布机构/来源: often the office that posted the page, hence below the text's own words), the
breadcrumb, the signature, the portal's column.
Labels (标题, 发布机构, 来源 …) are never part of a name.

A unit has one canonical name (:func:`canonical_agency`): X县, X县政府 and X县人民政府 are the
same government, so its reports share one key wherever the store, the status and findings use it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from typing import Literal

from monitor.report import divisions
from monitor.report.spec import Level
from monitor.report.textutil import (
    DATE_PATTERN,
    DATE_RE,
    cn_number,
    collapse_spaces,
    compact,
    match_to_date,
    parse_date,
    strip_markup,
)

Source = Literal["title", "metadata", "preamble", "compiled_by", "breadcrumb", "body", "page"]
# Where an identity field may come from, most trusted first.
SOURCES: tuple[Source, ...] = ("title", "metadata", "preamble", "compiled_by", "breadcrumb", "body", "page")
SOURCE_NAMES: dict[str, str] = {
    "title": "标题", "metadata": "页面信息栏", "preamble": "导语", "compiled_by": "编制说明",
    "breadcrumb": "页面导航", "body": "正文", "page": "所在网站", "period": "统计期限",
}

REPORT_WORDS = re.compile(r"(政府信息公开|政务公开|政务信息公开|信息公开)[^，。]{0,8}(年度报告|年报|工作报告|报告)")
_REPORT_KIND = r"(?:政府信息公开|政务公开|政务信息公开)(?:工作)?(?:年度报告|年报)"
# The report kind after the year in a title; everything before the year is the agency.
_KIND_TAIL = re.compile(r"(关于)?(政府信息公开|政务公开|政务信息公开|信息公开)(工作)?$")
_YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2}|[〇零○一二三四五六七八九]{4})\s*年")
AGENCY_SUFFIX = re.compile(
    r"(人民政府|政府|办公室|办公厅|办事处|街道|委员会|管委会|局|委|办|中心|院|所|站|队|厅|署|会|社|馆|镇|乡|苏木|公司|处|部)$"
)
# Administrative units a name may start with, for names the gazetteer does not know.
_ADMIN_UNIT = re.compile(
    r"([\u4e00-\u9fff]{1,10}?(?:自治区|自治州|自治县|自治旗|特别行政区|省|市|州|盟|地区|县|区|旗|特区|林区))"
)
COUNTY_SUFFIXES = ("自治县", "自治旗", "县", "区", "旗", "特区", "林区", "市")
TOWNSHIP = re.compile(r"(乡|镇|街道|苏木)(人民政府|办事处|政府)?$|街道办事处$|街道办$"
                      r"|(乡|镇|街道|苏木)(党委|党工委)?(和|及)?(人民政府|办事处)$")
# A unit that is the whole jurisdiction's government: its own name, 人民政府/政府, or a zone's 管委会.
_GOVERNMENT_TAILS = ("人民政府", "政府", "管理委员会", "管委会", "")
# Words a name is never made of: labels, the website, the speaker.
LABEL_WORDS = re.compile(
    r"^(标题|题名|名称|文章标题|信息名称|发布机构|发布单位|发布主体|发文机构|发文机关|信息来源|文章来源|来源|公开主体)\s*[:：|｜]?\s*"
)
NOT_AGENCIES = ("本网", "本站", "网站", "本网站", "门户网站", "原创", "本机关", "本单位", "我局", "本局", "我单位")
_GENERIC_CRUMBS = re.compile(
    r"首页|政务公开|信息公开|政府信息|年报|年度报告|目录|专栏|部门|乡镇|街道|机构|公开|当前位置|您的位置|正文")
_OFFICE = re.compile(r"(人民政府|政府)(办公室|办公厅|办)$|政务公开(办公室|办)$|党政(综合)?(办公室|办)$"
                     r"|(人民)?政府信息(与政务)?公开(工作)?(领导小组)?(办公室|办)$|政务服务(和|与)?(大)?数据(资源)?管理局$|政务服务管理局$|政务服务中心$")
# A zone named without its place (高新区 on the 鞍山高新区 portal).
_RELATIVE_ZONE = re.compile(r"^(高新区|开发区|经开区|新区|示范区|试验区|实验区|园区)")
# Who the text speaks for: the whole jurisdiction (全县, 我区, 各乡镇) or one unit (我局, 本街道).
_JURISDICTION_WIDE = re.compile(r"[全我本](县|区|市|旗|州|省)(?![长委])|各(乡镇|镇|乡|街道|部门|县|区|单位)")
_UNIT_SPEAKER = re.compile(r"[我本](局|委|办|中心|镇|乡|街道|苏木|单位|机关|厅|院|所|站|队|部门)")
_SUBJECT = re.compile(
    r"(?:^|[，,。；;：:）)\n]|年度?)(?P<name>[\u4e00-\u9fff]{2,30}?(?:人民政府办公室|政府办公室|政府|街道办事处|街道|苏木|"
    r"管理委员会|管委会|委员会|局|委|办公室|中心|镇|乡))(?=认真|坚持|深入|全面|始终|紧紧|严格|按照|围绕|以|在|持续|积极|高度|"
    r"进一步|不断|切实|扎实|聚焦|立足|紧扣|牢固|通过|共|依法|贯彻|主动|紧密|对照|对标|着力|加强|强化|大力)"
)
_CONTACT = re.compile(
    r"(?:疑问|意见|建议|咨询)[^。]{0,30}?(?:请|可)?(?:与|向)(?P<name>[\u4e00-\u9fff]{2,40}?)(?:联系|反映|咨询|提出)"
)
_INTERNAL_OFFICE = re.compile(r"^(.+?(?:局|委员会|中心|院|街道办事处|管理委员会))[\u4e00-\u9fff]{0,6}(?:办公室|科|股|室|处)$")


def _spaced(labels: tuple[str, ...]) -> str:
    """Alternation of labels that tolerates spaces between characters (索 引 号)."""
    return "|".join(r"\s*".join(map(re.escape, label)) for label in labels)


_SEP = r"\s*(?:[:：]|[|｜]+)\s*"
PUBLISHED_LABELS = ("发布日期", "发布时间", "公开日期", "公开时间", "发文日期", "日期", "时间", "成文日期")
_PUBLISHED_RE = re.compile(
    r"(?<!统计)(?<!统计截止)(?P<label>" + _spaced(PUBLISHED_LABELS) + r")" + _SEP + r"\[?(?P<rest>" + DATE_PATTERN + ")"
)
PUBLISHER_LABELS = ("发布机构", "发布单位", "发布主体", "发文机构", "发文机关", "公开主体", "信息来源", "文章来源", "来源")
_PUBLISHER_RE = re.compile(
    r"(?<![\u4e00-\u9fff])(?P<label>" + _spaced(PUBLISHER_LABELS) + r")" + _SEP + r"(?P<value>[^\s:：|｜\[\]【】]{2,40})"
)
_TITLE_LABEL_RE = re.compile(
    r"(?:标题|题名|名称|文章标题|信息名称)" + _SEP + r"(?P<value>[^|｜\n]{2,80}?(?:年度报告|年报))"
)
# A line that is a sentence (a preamble), not a title.
_SENTENCE = re.compile(r"[，,；;]|。.|^(根据|依据|按照|依照|本|现)")
_BREADCRUMB = re.compile(r"(首页|当前位置|您的位置|您现在的位置|所在位置)")
_CRUMB_SPLIT = re.compile(r"\s*(?:>|＞|»|›|→|&gt;|/)\s*")
_REPORT_PHRASE = re.compile(
    r"(?P<year>(?:19|20)\d{2}|[〇零○一二三四五六七八九]{4})年度?" + _REPORT_KIND
)
# Words a preamble puts before the unit's name: 现公布, 现将, 特发布 …
_PREAMBLE_CUT = re.compile(r".*(公布|发布|印发|现将|予以|编制|：|:|《|“|\"|，|。)")
_COMPILED_BY = re.compile(
    r"由(?P<name>[\u4e00-\u9fff（）]{2,40}?)(?:根据|依据|按照|依照|结合|组织|负责|牵头|统一|汇总|编制|编写|撰写|制作|起草)"
)
_PERIOD_RE = re.compile(
    r"统计(期限|时限|时间|期间|区间|范围)[^。]{0,12}?(?P<y1>(?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日[^。\d]{0,6}?"
    r"(?P<y2>(?:19|20)\d{2})\s*年\s*12\s*月\s*31\s*日"
)
_BODY_YEAR = re.compile(r"(?<![\d〔\[（(])((?:19|20)\d{2})\s*年(?!\s*第)")
_CITATION = re.compile(r"《[^》]{0,80}》|〔\d{4}〕|\[\d{4}\]|（\d{4}）")
# How far into a document its preamble, metadata block and breadcrumb may reach.
HEAD_LINES = 25
HEAD_CHARS = 1200


@dataclass
class Identity:
    title: str | None = None
    title_line: int | None = None
    agency: str | None = None
    jurisdiction: str | None = None
    division_code: str | None = None
    province: str | None = None
    year: int | None = None
    year_source: str | None = None
    level: Level | None = None
    period: tuple[int, int] | None = None  # statistics period years, when stated
    date_line: date | None = None
    date_line_no: int | None = None
    published: date | None = None
    published_source: str | None = None
    body_years: Counter[int] = field(default_factory=Counter)
    sources: dict[str, str] = field(default_factory=dict)  # field -> one of SOURCES


# --------------------------------------------------------------------------- names


@lru_cache(maxsize=1 << 14)
def clean_name(name: str | None) -> str | None:
    """A unit name without labels, brackets or the words around it; None when nothing is left."""
    if not name:
        return None
    flat = compact(name)
    flat = LABEL_WORDS.sub("", flat)
    flat = flat.strip("：:，,。.的 |｜[]【】《》“”")
    flat = re.sub(r"(?<=[局委办会府处室心])（[^（）]{2,20}）$", "", flat)  # an alias in brackets
    if re.search(r"[\dA-Za-z\-/]|我|情况", flat):
        return None  # dates, codes and sentences are not names
    return flat if len(flat) >= 2 and flat not in NOT_AGENCIES else None


@lru_cache(maxsize=1 << 14)
def division_chain(name: str) -> tuple[str, ...]:
    """The divisions a name starts with, outermost first (福建省南平市延平区教育局 -> 福建省, 南平市, 延平区)."""
    flat = compact(name)
    found = divisions.mentions(flat)
    chain, pos = [], 0
    short = divisions.short_prefix(flat)
    if short and found and found[0].start == len(short):
        chain, pos = [short], len(short)  # 重庆两江新区: 重庆 stands for 重庆市
    for m in found:
        if m.start != pos:
            break
        chain.append(m.name)
        pos = m.end
    if chain:
        zone = divisions.zone(flat[pos:])
        return (*chain, zone) if zone else tuple(chain)
    zone = divisions.zone(flat)
    if zone:
        return (zone,)
    return tuple(_regex_chain(flat))


def _regex_chain(flat: str) -> list[str]:
    """Division-like prefixes of a name the gazetteer does not know (a fictional 青川区)."""
    units: list[str] = []
    pos = 0
    while True:
        m = _ADMIN_UNIT.match(flat, pos)
        if not m:
            break
        end = m.end()
        # 红旗区: 旗 is a suffix too, but a name does not end on it when 区/县 follows
        while end < len(flat) and flat[end] in "区县市旗州" and not flat.startswith(("市场", "区域"), end):
            end += 1
        unit = flat[pos:end]
        # "市场监督管理局", "区商务局": a bare suffix character is not a division name; nor is an
        # unknown two-character "…市" or "…区", which is a word (城市管理局, 社区, 园区, 景区): every
        # real two-character city or district (沙市, 城区) is in the gazetteer
        if len(unit) < 2 or unit.endswith(("省市", "市州")) or (len(unit) == 2 and unit[-1] in "市区"):
            break
        units.append(unit)
        pos = end
    return units


@lru_cache(maxsize=1 << 14)
def jurisdiction_of(agency: str | None) -> str | None:
    """The lowest division an agency's name starts with (温县商务局 -> 温县; 南平市人民政府 -> 南平市)."""
    if not agency:
        return None
    chain = division_chain(agency)
    if not chain:
        return None
    known = [name for name in chain if divisions.lookup(name) or divisions.zone(name) == name]
    if known:
        return known[-1]
    county = [u for u in chain if u.endswith(COUNTY_SUFFIXES)]
    return county[-1] if county else None


def _after_divisions(name: str) -> str:
    """A name without the divisions it starts with (淮安市洪泽区人民政府 -> 人民政府)."""
    chain = division_chain(name)
    return name[len("".join(chain)):] if chain and name.startswith("".join(chain)) else name


@lru_cache(maxsize=1 << 14)
def canonical_agency(name: str | None) -> str | None:
    """One name per unit, so that every spelling of a unit gives one key.

    X县, X县政府 and 某市X县人民政府 are X县人民政府 (the lowest division names the unit; the ones
    above it are dropped); 管委会 is 管理委员会; a township is named without its county (X街道,
    X街道办 and Y区X街道办事处 are X街道办事处; X镇 is X镇人民政府).
    """
    name = clean_name(name)
    if not name:
        return None
    name = re.sub(r"管委会$", "管理委员会", name)
    name = re.sub(r"(?<=[区县市旗])政府(?=办公室|办公厅|$)", "人民政府", name)
    name = re.sub(r"(?<=[区县市旗])府办$", "人民政府办公室", name)
    # 区政府国资局 is the district's 国资局: "政府" between a place and a department is not part of its name
    name = re.sub(r"(?<=[区县市旗])(人民)?政府(?=[\u4e00-\u9fff]{1,12}(局|委员会|委|中心)$)", "", name)
    chain = division_chain(name)
    if TOWNSHIP.search(name):
        rest = _after_divisions(name)
        name = rest if len(rest) >= 3 else name
        name = re.sub(r"街道(办)?$", "街道办事处", name)
        name = re.sub(r"(?<=[镇乡])(政府)?$", "人民政府", name)
        name = re.sub(r"(?<=苏木)(政府)?$", "人民政府", name)
        return name
    if len(chain) > 1 and name.startswith("".join(chain)):
        name = name[len("".join(chain[:-1])):]  # 淮安市洪泽区人民政府 -> 洪泽区人民政府
    jurisdiction = jurisdiction_of(name)
    if jurisdiction and name == jurisdiction:
        return name + ("管理委员会" if divisions.zone(name) == name else "人民政府")
    return name


def full_agency_name(name: str | None, jurisdiction: str | None) -> str | None:
    """"区教育局" on 东城区's portal is 东城区教育局; names that carry their own place stay."""
    name = clean_name(name)
    if not name:
        return None
    if not jurisdiction or name.startswith(jurisdiction) or jurisdiction_of(name):
        return canonical_agency(name)
    if TOWNSHIP.search(name):
        return canonical_agency(name)  # townships are named on their own
    if name[:1] in "区县市旗" and len(name) > 2:
        return canonical_agency(jurisdiction + name[1:])
    relative = _RELATIVE_ZONE.match(name)
    if relative and divisions.zone(jurisdiction) == jurisdiction:
        return canonical_agency(jurisdiction + name[relative.end():])
    if name in ("人民政府", "政府"):
        return jurisdiction + "人民政府"
    return canonical_agency(jurisdiction + name)


@lru_cache(maxsize=1 << 14)
def looks_like_unit(name: str | None) -> bool:
    """Whether a short text is a unit's name (a division, a zone, or a name with an agency suffix)."""
    if not name or len(name) > 40 or re.search(r"[。，,；;！？]", name) or REPORT_WORDS.search(name):
        return False
    if AGENCY_SUFFIX.search(name):
        return True
    return jurisdiction_of(name) == name


def level_of(agency: str | None, jurisdiction: str | None) -> Level | None:
    if not agency:
        return "government" if jurisdiction else None
    flat = compact(agency)
    if TOWNSHIP.search(flat):
        return "township"
    rest = _after_divisions(flat)
    if rest != flat and rest in _GOVERNMENT_TAILS:
        return "government"
    own = jurisdiction_of(flat) or jurisdiction
    if own and any(flat == own + tail for tail in _GOVERNMENT_TAILS):
        return "government"
    if own is None and re.search(r"(人民政府|管理委员会|管委会)$", flat):
        return "government"
    return "department"


# --------------------------------------------------------------------------- titles and years


def find_title(lines: list[str], meta_title: str | None = None) -> tuple[str | None, int | None]:
    """The report title: the page's own title when it names a report, else the first lines."""
    if meta_title and REPORT_WORDS.search(compact(meta_title)):
        return _strip_label(collapse_spaces(strip_markup(meta_title))), None
    seen = 0
    previous: tuple[str, int] | None = None
    found: list[tuple[str, int]] = []
    for n, raw in enumerate(lines, 1):
        line = collapse_spaces(strip_markup(raw))
        if not line:
            continue
        seen += 1
        if seen > 12:
            break
        flat = compact(line)
        if REPORT_WORDS.search(flat) and len(flat) <= 60 and not _BREADCRUMB.search(flat) and not _SENTENCE.search(flat):
            line = _strip_label(line)
            # the agency printed on the line above (a two-line title)
            if previous and not _YEAR_IN_TITLE.search(previous[0]) and AGENCY_SUFFIX.search(compact(previous[0])) \
                    and len(compact(previous[0])) <= 30 and not title_agency(line) and not _is_label_line(previous[0]):
                found.append((previous[0] + line, previous[1]))
            else:
                found.append((line, n))
            if _YEAR_IN_TITLE.search(compact(found[-1][0])):
                return found[-1]  # a column name (政府信息公开年报) above the title is not the title
        previous = (line, n)
    return found[0] if found else (None, None)


def _strip_label(title: str) -> str:
    return LABEL_WORDS.sub("", title.strip()).strip()


def _is_label_line(line: str) -> bool:
    return bool(re.match(r"^\S{1,6}\s*[:：|｜]", line.strip()))


def title_year(title: str) -> int | None:
    m = _YEAR_IN_TITLE.search(compact(title))
    return cn_number(m.group(1)) if m else None


def title_agency(title: str) -> str | None:
    """The agency named in a title: the words before the year and the report kind."""
    flat = compact(_strip_label(title))
    m = _YEAR_IN_TITLE.search(flat)
    if m:
        before = flat[: m.start()]
        after = flat[m.end():].lstrip("度")
        after = REPORT_WORDS.split(after)[0] if REPORT_WORDS.search(after) else ""
        name = before or after
    else:
        parts = REPORT_WORDS.split(flat)
        name = parts[0] if parts else ""
    name = _KIND_TAIL.sub("", name).strip("：:，,的 ")
    name = re.sub(r"^关于|关于$", "", name)
    name = clean_name(name)
    return name if name and looks_like_unit(name) else None


def find_period(text: str) -> tuple[int, int] | None:
    m = _PERIOD_RE.search(compact(text))
    return (int(m.group("y1")), int(m.group("y2"))) if m else None


def body_years(lines: list[str], skip: set[int]) -> Counter[int]:
    """How often each year is named in the body, citations and skipped lines excluded."""
    counts: Counter[int] = Counter()
    for n, raw in enumerate(lines, 1):
        if n in skip:
            continue
        line = _CITATION.sub("", compact(raw))
        line = _PERIOD_RE.sub("", line)
        for m in _BODY_YEAR.finditer(line):
            counts[int(m.group(1))] += 1
    return counts


# --------------------------------------------------------------------------- dates


def find_date_line(lines: list[str]) -> tuple[date | None, int | None]:
    """The date printed at the end of a report (落款日期), or under its title where some units put it."""
    filled = [(n, raw.strip()) for n, raw in enumerate(lines, 1) if raw.strip()]
    for n, line in reversed(filled[-8:]):
        found = _date_only(line)
        if found:
            return found, n
    for n, line in filled[:5]:
        found = _date_only(line)
        if found and "年" in line:  # 2026年1月8日 under the title; an ISO date there is page metadata
            return found, n
    return None, None


def _date_only(line: str) -> date | None:
    flat = compact(line)
    m = DATE_RE.fullmatch(flat) or DATE_RE.fullmatch(flat.rstrip("。"))
    return match_to_date(m) if m else None


def find_published(text: str) -> tuple[date | None, str | None]:
    """A publication date stated by a label (发布日期：… , 发布时间: …, |发布时间|…|), best label first."""
    found: dict[str, date] = {}
    for m in _PUBLISHED_RE.finditer(text):
        label = compact(m.group("label"))
        d = parse_date(m.group("rest"))
        if d and label not in found:
            found[label] = d
    for label in PUBLISHED_LABELS:
        if label in found:
            return found[label], label
    return None, None


def find_publisher(text: str) -> str | None:
    """The unit a metadata label names (发布机构 first, then the 来源 labels)."""
    found: dict[str, str] = {}
    for m in _PUBLISHER_RE.finditer(text):
        label = compact(m.group("label"))
        value = clean_name(m.group("value"))
        if not value or label in found or not looks_like_unit(value):
            continue
        found[label] = value
    for label in PUBLISHER_LABELS:
        if label in found:
            return found[label]
    return None


# --------------------------------------------------------------------------- sources in the text


@dataclass
class _Head:
    """What the first lines of a document say about it, and which lines were labels or crumbs."""

    metadata_title: str | None = None
    publisher: str | None = None
    crumb_units: list[str] = field(default_factory=list)
    preamble_title: str | None = None
    compiled_by: str | None = None
    contact: str | None = None
    subject: str | None = None
    first_unit: str | None = None
    skip: set[int] = field(default_factory=set)


def _read_head(lines: list[str], title_line: int | None) -> _Head:
    head = _Head()
    taken = [(n, raw) for n, raw in enumerate(lines[:HEAD_LINES * 4], 1) if raw.strip()][:HEAD_LINES]
    block = "\n".join(raw for _, raw in taken)
    m = _TITLE_LABEL_RE.search(block)
    if m:
        head.metadata_title = collapse_spaces(m.group("value"))
    head.publisher = find_publisher(block)
    for n, raw in taken:
        if _BREADCRUMB.search(raw) and _CRUMB_SPLIT.search(raw):
            head.skip.add(n)
            for crumb in _CRUMB_SPLIT.split(compact(raw)):
                unit = clean_name(crumb)
                if unit and looks_like_unit(unit) and not _GENERIC_CRUMBS.search(unit):
                    head.crumb_units.append(unit)
        elif _is_label_line(raw) or re.search(r"[|｜]", raw):
            head.skip.add(n)
    flat_head = "\n".join(_CITATION.sub(_keep_report_titles, compact(raw)) for _, raw in taken)[:HEAD_CHARS]
    for m in _REPORT_PHRASE.finditer(flat_head):
        name = _preamble_name(_trim_verbs(flat_head[max(0, m.start() - 40):m.start()]))
        if name:
            head.preamble_title = name + flat_head[m.start():m.end()]
            break
    for sentence in flat_head.split("。"):
        m = _COMPILED_BY.search(sentence)
        name = clean_name(m.group("name")) if m and "报告" in sentence[:m.start()] else None
        if name and looks_like_unit(name):
            head.compiled_by = name
            break
    m = _CONTACT.search(flat_head)
    if m:
        name = clean_name(m.group("name"))
        inner = _INTERNAL_OFFICE.match(name or "")
        name = inner.group(1) if inner else name
        head.contact = name if name and looks_like_unit(name) else None
    for m in _SUBJECT.finditer(flat_head):
        name = clean_name(m.group("name"))
        if name and looks_like_unit(name) and not name.startswith(("在", "由", "经", "对")):
            head.subject = name
            break
    for n, raw in taken:
        if n in head.skip or n == title_line:
            continue
        line = clean_name(strip_markup(raw)) or ""
        if looks_like_unit(line) and len(line) <= 30 and not re.match(r"^[一二三四五六七八九十\d（(]", line):
            head.first_unit = line
        break
    return head


def _keep_report_titles(m: re.Match[str]) -> str:
    """Citations are dropped, but not a report's own title in book-title marks (现发布《X县…年度报告》)."""
    return m.group(0) if REPORT_WORDS.search(m.group(0)) else ""


def _preamble_name(before: str) -> str | None:
    """The unit's name just before a report phrase in a preamble (…现公布X县 -> X县).

    The name starts where a known division does; failing that, after the verb or mark before it.
    A report phrase at the start of a line takes the line above (a two-line title).
    """
    lines = before.split("\n")
    before = lines[-1] or (lines[-2] if len(lines) > 1 else "")
    for found in divisions.mentions(before):
        if looks_like_unit(before[found.start:]):
            return before[found.start:]
    name = clean_name(_PREAMBLE_CUT.sub("", before))
    return name if name and looks_like_unit(name) else None


def _trim_verbs(before: str) -> str:
    return re.sub(r"(特|现|特此|特地)?(编制|制定|发布|公布|印发)(了)?$", "", before)


def _signature(lines: list[str], date_line_no: int | None) -> str | None:
    """The unit named just above the date at the end (落款)."""
    if not date_line_no:
        return None
    for raw in reversed(lines[max(0, date_line_no - 3):date_line_no - 1]):
        line = compact(raw)
        if line:
            return line if looks_like_unit(line) and len(line) <= 30 else None
    return None


def speaks_for(text: str) -> Literal["jurisdiction", "unit"] | None:
    """Whom the text speaks for: the whole jurisdiction (全县, 我区 …) or one unit (我局 …)."""
    return _speaks_for(text[:HEAD_CHARS * 4])


@lru_cache(maxsize=64)
def _speaks_for(head: str) -> Literal["jurisdiction", "unit"] | None:
    flat = compact(head)
    wide, own = len(_JURISDICTION_WIDE.findall(flat)), len(_UNIT_SPEAKER.findall(flat))
    if wide > own:
        return "jurisdiction"
    return "unit" if own else None


def _expand(jurisdiction: str, text: str) -> str:
    """A jurisdiction's full name when the text abbreviates it (西乌旗 -> 西乌珠穆沁旗)."""
    if divisions.lookup(jurisdiction) or divisions.zone(jurisdiction) == jurisdiction or len(jurisdiction) > 4:
        return jurisdiction  # a known name, or too long to be an abbreviation (they are 西乌旗, 阿左旗)
    flat = compact(text)[:HEAD_CHARS * 3]
    for full in divisions.names_starting(jurisdiction[0]):
        if full[-1] == jurisdiction[-1] and len(full) > len(jurisdiction) and _subsequence(jurisdiction, full) \
                and full in flat and any(d.level == "county" for d in divisions.lookup(full)):
            return full
    return jurisdiction


def _subsequence(short: str, long: str) -> bool:
    it = iter(long)
    return all(ch in it for ch in short)


def _text_jurisdiction(texts: list[str]) -> str | None:
    """The county-level (else prefecture-level) division the text names most often."""
    counts: Counter[str] = Counter()
    prefectures: Counter[str] = Counter()
    for text in texts:
        for m in divisions.mentions(compact(text)[:6000]):
            levels = {d.level for d in m.candidates}
            if "county" in levels:
                counts[m.name] += 1
            elif "prefecture" in levels:
                prefectures[m.name] += 1
    if counts:
        return counts.most_common(1)[0][0]
    return prefectures.most_common(1)[0][0] if prefectures else None


# --------------------------------------------------------------------------- the whole identity


def identify(lines: list[str], meta: dict[str, str]) -> Identity:
    """Everything a report says about itself; ``meta`` holds what its page and portal say.

    ``meta`` keys: title (the page's title), page_title/pdf_title/docx_title, published,
    publisher, page_text (the page outside the report), portal_jurisdiction and column (the
    portal and column the crawler found it in).
    """
    ident = Identity()
    sources = ident.sources
    text = "\n".join(lines)
    ident.title, ident.title_line = find_title(lines, meta.get("title"))
    head = _read_head(lines, ident.title_line)
    page_head = _read_head(meta.get("page_text", "").split("\n"), None) if meta.get("page_text") else _Head()
    title_source: Source = "title"
    if not ident.title:
        for key in ("page_title", "pdf_title", "docx_title"):
            if meta.get(key) and REPORT_WORDS.search(compact(meta[key])):
                ident.title = collapse_spaces(meta[key])
                break
    if not ident.title and (head.metadata_title or page_head.metadata_title):
        ident.title, title_source = head.metadata_title or page_head.metadata_title, "metadata"
    if not ident.title and head.preamble_title:
        ident.title, title_source = head.preamble_title, "preamble"

    # the agency: the most trusted source that names one
    ident.date_line, ident.date_line_no = find_date_line(lines)
    candidates: list[tuple[Source, str | None]] = [
        (title_source, title_agency(ident.title) if ident.title else None),
        ("metadata", title_agency(head.metadata_title or page_head.metadata_title or "")),
        ("preamble", title_agency(head.preamble_title) if head.preamble_title else None),
        ("compiled_by", _compiler_unit(head.compiled_by, text, compiled=True)),
        ("preamble", _compiler_unit(head.contact, text)),
        ("body", head.subject),
        ("body", head.first_unit),
        ("metadata", _compiler_unit(meta.get("publisher") or head.publisher or page_head.publisher, text)),
        ("breadcrumb", (head.crumb_units or page_head.crumb_units or [None])[-1]),
        ("body", _compiler_unit(_signature(lines, ident.date_line_no), text)),
        ("page", meta.get("column")),
    ]
    named = [(src, clean_name(name)) for src, name in candidates]
    named = [(src, name) for src, name in named if name]
    agency_source, agency = named[0] if named else (None, None)

    # the jurisdiction: the agency's own, else any other source's, else the text's, else the portal's
    jurisdiction = jurisdiction_of(agency)
    jurisdiction_source = agency_source
    if not jurisdiction:
        for src, name in named[1:]:
            jurisdiction = jurisdiction_of(name)
            if jurisdiction:
                jurisdiction_source = src
                break
    if not jurisdiction and meta.get("portal_jurisdiction"):
        jurisdiction, jurisdiction_source = meta["portal_jurisdiction"], "page"
    if not jurisdiction:
        jurisdiction = _text_jurisdiction([ident.title or "", text])
        jurisdiction_source = "body"
    if jurisdiction:
        full = _expand(jurisdiction, "\n".join([ident.title or "", text]))
        if agency and full != jurisdiction and agency.startswith(jurisdiction):
            agency = full + agency[len(jurisdiction):]
        jurisdiction = full
    if agency:
        agency = full_agency_name(agency, jurisdiction)
    elif jurisdiction and speaks_for(text) == "jurisdiction":
        agency, agency_source = jurisdiction, jurisdiction_source
    ident.agency = canonical_agency(agency)
    ident.jurisdiction = jurisdiction
    ident.level = level_of(ident.agency, jurisdiction) if ident.agency else _speaker_level(text)
    portal = meta.get("portal_jurisdiction")
    if portal and jurisdiction != portal and ident.agency and _inside(portal, jurisdiction):
        # a unit on a county's portal named with its prefecture or as a zone: one of the county's units
        ident.jurisdiction, jurisdiction_source = portal, "page"
        if ident.level == "government":
            ident.level = "department"
    if ident.agency and agency_source:
        sources["agency"] = sources["level"] = agency_source
    elif ident.level:
        sources["level"] = "body"  # whom the text speaks for
    if jurisdiction and jurisdiction_source:
        sources["jurisdiction"] = jurisdiction_source
    _place(ident, [ident.agency or "", ident.title or "", meta.get("page_text", "")[:HEAD_CHARS], text[:HEAD_CHARS]])

    # the year
    ident.period = find_period(text)
    skip = {n for n in (ident.title_line, ident.date_line_no) if n} | head.skip
    if ident.title_line and ident.title and compact(lines[ident.title_line - 1]) != compact(ident.title):
        skip.add(ident.title_line - 1)  # two-line title
    ident.body_years = body_years(lines, skip)
    year = title_year(ident.title) if ident.title else None
    if year:
        ident.year, ident.year_source = year, "title"
        sources["year"] = title_source
    elif ident.period:
        ident.year, ident.year_source = ident.period[0], "period"
        sources["year"] = "body"
    elif ident.body_years:
        ident.year, ident.year_source = ident.body_years.most_common(1)[0][0], "body"
        sources["year"] = "body"

    # the publication date: the page's machine-readable date, else a labelled one
    meta_published = parse_date(meta.get("published", "")) if meta.get("published") else None
    if meta_published:
        ident.published, ident.published_source = meta_published, "PubDate"
    else:
        head_text = "\n".join(lines[:HEAD_LINES * 2])
        ident.published, ident.published_source = find_published(meta.get("page_text") or "")
        if ident.published is None:
            ident.published, ident.published_source = find_published(head_text)
    if ident.published:
        sources["published"] = "metadata"
    return ident


def _speaker_level(text: str) -> Level | None:
    """The level of a report whose unit is never named: who the text speaks for."""
    return {"jurisdiction": "government", "unit": "department"}.get(speaks_for(text) or "")


def _inside(county: str, named: str | None) -> bool:
    """Whether a unit named with ``named`` (a prefecture, or a zone) can belong to ``county``."""
    if not named:
        return False
    if divisions.zone(named) == named and divisions.zone(county) != county:
        return True
    return any(d.prefecture == named for d in divisions.lookup(county))


def _compiler_unit(compiler: str | None, text: str, compiled: bool = False) -> str | None:
    """The unit whose report an office names (compiled by, contact, publisher, signature).

    A government office compiles, posts and signs its government's report. "本报告由X人民政府办公室
    编制" is the national template's sentence for a government's report, so a compiling office
    stands for its government unless the text speaks as the office (我办); an office named as
    contact, publisher or signature does so only when the text speaks for the whole jurisdiction.
    """
    compiler = clean_name(compiler)
    if not compiler:
        return None
    m = _OFFICE.search(compiler)
    speaker = speaks_for(text)
    if m and (speaker == "jurisdiction" or (compiled and speaker != "unit")):
        place = compiler[: m.start()]
        return canonical_agency(place) if place else "人民政府"
    return compiler


def _place(ident: Identity, context: list[str]) -> None:
    if ident.jurisdiction:
        ident.division_code, ident.province = locate(ident.jurisdiction, context)


def locate(jurisdiction: str, context: list[str]) -> tuple[str | None, str | None]:
    """A jurisdiction's GB/T 2260 code and its province, when the name is unambiguous in context.

    A zone (no code) or a name the gazetteer does not know gets the province its own name or the
    text points to most, and no code.
    """
    division = divisions.resolve(jurisdiction, "".join(compact(c) for c in context))
    if division:
        return division.code, division.province
    votes: Counter[str] = Counter()
    own = divisions.place_prefix(compact(jurisdiction))
    named = [m.name for c in context[:2] for m in divisions.mentions(compact(c))]  # the name and the title
    for weight, name in [(3, own)] * bool(own) + [(2, n) for n in named]:
        provinces = {d.province for d in divisions.lookup(name)}
        if len(provinces) == 1:
            votes[provinces.pop()] += weight
    for c in context[2:]:
        votes.update(divisions.provinces_named(compact(c)))
    return None, votes.most_common(1)[0][0] if votes else None
