"""Who published a report, for which year, and when: title, agency, jurisdiction, level, dates."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from monitor.spec import Level
from monitor.textutil import DATE_PATTERN, DATE_RE, collapse_spaces, compact, match_to_date, parse_date, strip_markup

REPORT_WORDS = re.compile(r"(政府信息公开|政务公开|政务信息公开|信息公开)[^，。]{0,8}(年度报告|年报|工作报告|报告)")
# The report kind after the year in a title; everything before the year is the agency.
_KIND_TAIL = re.compile(r"(关于)?(政府信息公开|政务公开|政务信息公开|信息公开)(工作)?$")
_YEAR_IN_TITLE = re.compile(r"((?:19|20)\d{2}|[〇零○一二三四五六七八九]{4})\s*年")
AGENCY_SUFFIX = re.compile(
    r"(人民政府|政府|办公室|办事处|街道|委员会|管委会|局|委|办|中心|院|所|站|队|厅|署|会|社|馆|镇|乡|公司|处|部)$"
)
# Administrative units a name may start with; the jurisdiction is the last county-level one.
_ADMIN_UNIT = re.compile(
    r"([\u4e00-\u9fff]{1,10}?(?:自治区|自治州|自治县|自治旗|特别行政区|省|市|州|盟|地区|县|区|旗|特区|林区))"
)
COUNTY_SUFFIXES = ("自治县", "自治旗", "县", "区", "旗", "特区", "林区", "市")
TOWNSHIP = re.compile(r"(乡|镇|街道)(人民政府|办事处|政府)?$|街道办事处$|街道办$")
GOVERNMENT = re.compile(r"(人民政府|政府)$")
def _spaced(labels: tuple[str, ...]) -> str:
    """Alternation of labels that tolerates spaces between characters (索 引 号)."""
    return "|".join(r"\s*".join(map(re.escape, label)) for label in labels)


PUBLISHED_LABELS = ("发布日期", "发布时间", "公开日期", "发文日期", "日期", "时间", "成文日期")
_PUBLISHED_RE = re.compile(
    r"(?<!统计)(?P<label>" + _spaced(PUBLISHED_LABELS) + r")\s*[:：]\s*\[?(?P<rest>" + DATE_PATTERN + ")"
)
# Values a 来源 label takes that name the website, not the agency.
NOT_AGENCIES = ("本网", "本站", "网站", "本网站", "门户网站", "原创")
PUBLISHER_LABELS = ("发布机构", "发布单位", "发文机构", "发文机关", "信息来源", "文章来源", "来源")
_PUBLISHER_RE = re.compile(
    r"(?P<label>" + _spaced(PUBLISHER_LABELS) + r")\s*[:：]\s*(?P<value>[^\s:：|]{2,30})"
)
_PERIOD_RE = re.compile(
    r"统计(期限|时限|时间|期间|区间|范围)[^。]{0,12}?(?P<y1>(?:19|20)\d{2})\s*年\s*1\s*月\s*1\s*日[^。\d]{0,6}?"
    r"(?P<y2>(?:19|20)\d{2})\s*年\s*12\s*月\s*31\s*日"
)
_BODY_YEAR = re.compile(r"(?<![\d〔\[（(])((?:19|20)\d{2})\s*年(?!\s*第)")
_CITATION = re.compile(r"《[^》]{0,80}》|〔\d{4}〕|\[\d{4}\]|（\d{4}）")


@dataclass
class Identity:
    title: str | None = None
    title_line: int | None = None
    agency: str | None = None
    jurisdiction: str | None = None
    year: int | None = None
    year_source: str | None = None
    level: Level | None = None
    period: tuple[int, int] | None = None  # statistics period years, when stated
    date_line: date | None = None
    date_line_no: int | None = None
    published: date | None = None
    published_source: str | None = None
    body_years: Counter[int] = field(default_factory=Counter)


def find_title(lines: list[str], meta_title: str | None = None) -> tuple[str | None, int | None]:
    """The report title: the page's own title when it names a report, else the first lines."""
    if meta_title and REPORT_WORDS.search(compact(meta_title)):
        return collapse_spaces(strip_markup(meta_title)), None
    seen = 0
    previous: tuple[str, int] | None = None
    for n, raw in enumerate(lines, 1):
        line = collapse_spaces(strip_markup(raw))
        if not line:
            continue
        seen += 1
        if seen > 12:
            break
        flat = compact(line)
        if REPORT_WORDS.search(flat) and len(flat) <= 60:
            # the agency printed on the line above (a two-line title)
            if previous and not _YEAR_IN_TITLE.search(previous[0]) and AGENCY_SUFFIX.search(compact(previous[0])) \
                    and len(compact(previous[0])) <= 30 and not title_agency(line):
                return previous[0] + line, previous[1]
            return line, n
        previous = (line, n)
    return None, None


def title_year(title: str) -> int | None:
    m = _YEAR_IN_TITLE.search(compact(title))
    if not m:
        return None
    from monitor.textutil import cn_number

    return cn_number(m.group(1))


def title_agency(title: str) -> str | None:
    """The agency named in a title: the words before the year and the report kind."""
    flat = compact(title)
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
    name = re.sub(r"^(关于)", "", name)
    return name or None


def jurisdiction_of(agency: str | None) -> str | None:
    """The county-level division an agency name starts with (温县商务局 -> 温县)."""
    if not agency:
        return None
    units = []
    pos = 0
    flat = compact(agency)
    while True:
        m = _ADMIN_UNIT.match(flat, pos)
        if not m:
            break
        unit = m.group(1)
        end = m.end()
        # 红旗区: 旗 is a suffix too, but a name does not end on it when 区/县 follows
        while end < len(flat) and flat[end] in "区县市旗州" and not flat.startswith(("市场", "区域"), end):
            end += 1
        unit = flat[pos:end]
        # "市场监督管理局", "区商务局": a bare suffix character is not a division name
        if len(unit) < 2 or unit.endswith(("省市", "市州")):
            break
        units.append(unit)
        pos = end
    county = [u for u in units if u.endswith(COUNTY_SUFFIXES)]
    return county[-1] if county else None


def level_of(agency: str | None, jurisdiction: str | None) -> Level | None:
    if not agency:
        return "government" if jurisdiction else None
    flat = compact(agency)
    if TOWNSHIP.search(flat):
        return "township"
    if GOVERNMENT.search(flat) and (jurisdiction is None or flat in (jurisdiction + "人民政府", jurisdiction + "政府")
                                    or flat.endswith(("县人民政府", "区人民政府", "市人民政府", "旗人民政府"))):
        return "government"
    if jurisdiction and flat == jurisdiction:
        return "government"
    return "department"


def find_date_line(lines: list[str]) -> tuple[date | None, int | None]:
    """The date printed at the end of a report (落款日期)."""
    tail = [(n, raw.strip()) for n, raw in enumerate(lines, 1) if raw.strip()][-8:]
    for n, line in reversed(tail):
        flat = compact(line)
        m = DATE_RE.fullmatch(flat) or DATE_RE.fullmatch(flat.rstrip("。"))
        if m:
            d = match_to_date(m)
            if d:
                return d, n
    return None, None


def find_published(text: str) -> tuple[date | None, str | None]:
    """A publication date stated by a label (发布日期：… , 发布时间: …), best label first."""
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
    found: dict[str, str] = {}
    for m in _PUBLISHER_RE.finditer(text):
        label = compact(m.group("label"))
        value = m.group("value").strip()
        if value in NOT_AGENCIES or label in found:
            continue
        found[label] = value
    for label in PUBLISHER_LABELS:
        if label in found:
            return found[label]
    return None


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


def identify(lines: list[str], meta: dict[str, str]) -> Identity:
    ident = Identity()
    ident.title, ident.title_line = find_title(lines, meta.get("title"))
    if not ident.title:
        for key in ("page_title", "pdf_title", "docx_title"):
            if meta.get(key) and REPORT_WORDS.search(compact(meta[key])):
                ident.title = collapse_spaces(meta[key])
                break
    text = "\n".join(lines)
    ident.agency = title_agency(ident.title) if ident.title else None
    if not ident.agency or ident.agency in ("本机关", "本单位", "我局"):
        publisher = meta.get("publisher")
        ident.agency = (publisher if publisher not in NOT_AGENCIES else None) \
            or find_publisher(meta.get("page_text", "")) or None
    if ident.agency and not AGENCY_SUFFIX.search(ident.agency) and jurisdiction_of(ident.agency) == ident.agency:
        ident.agency = ident.agency + "人民政府"  # "温县2023年…年度报告": the government's own report
    ident.jurisdiction = jurisdiction_of(ident.agency)
    ident.level = level_of(ident.agency, ident.jurisdiction)
    ident.period = find_period(text)
    ident.date_line, ident.date_line_no = find_date_line(lines)
    skip = {n for n in (ident.title_line, ident.date_line_no) if n}
    if ident.title_line and ident.title and compact(lines[ident.title_line - 1]) != compact(ident.title):
        skip.add(ident.title_line - 1)  # two-line title
    ident.body_years = body_years(lines, skip)
    year = title_year(ident.title) if ident.title else None
    if year:
        ident.year, ident.year_source = year, "title"
    elif ident.period:
        ident.year, ident.year_source = ident.period[0], "period"
    elif ident.body_years:
        ident.year, ident.year_source = ident.body_years.most_common(1)[0][0], "body"
    meta_published = parse_date(meta.get("published", "")) if meta.get("published") else None
    if meta_published:
        ident.published, ident.published_source = meta_published, "PubDate"
    else:
        ident.published, ident.published_source = find_published(meta.get("page_text") or text)
    return ident
