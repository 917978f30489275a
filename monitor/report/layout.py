"""Text laid out again where a report reached us flattened onto one line.

A page's text copied, archived or extracted without its line breaks runs headings, prose and
table rows together: ``…六个部分。一、总体情况2021年，我区…二、主动公开政府信息情况 第二十条…`` and
``（一）予以公开6000017（二）部分公开…``. Headings and rows are found inside such a line by their
words (the section headings and the row labels of :mod:`monitor.report.spec`) and the line is broken
before and after them, so the section finder and the table parser see the layout they know.
Digits of a row that ran together stay together here; :mod:`monitor.report.tables` decides whether they
can be split.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from monitor.report.document import Document, StructuredRow
from monitor.report.sections import fuzzy_section
from monitor.report.spec import FORMATS, SECTIONS, T4_GROUPS
from monitor.report.tables import strip_numbering
from monitor.report.textutil import cn_number, to_simplified

# A line at least this long is read for headings and rows run into it.
FLAT_LINE_CHARS = 200
# A line holding this many table row labels is a flattened table.
MIN_ROW_LABELS = 3
_NUMERALS = "一二三四五六"  # a heading's numeral; 2007-style reports number 存在的主要问题 四
_NUMBERED_HEADING = re.compile(r"(?P<numeral>[一二三四五六])[、.．](?P<words>[^，。；\d\s]{4,30}?(?:情况|事项))")
# A signature run into a flattened line: …。 [此函] X局 2022年1月13日 [附件下载 …]
_SIGNATURE = re.compile(
    r"(?<=[。；;！\s])(?P<unit>[^。；;，,\s\d]{2,40}?(?:局|委员会|委|办公室|人民政府|政府|中心|办事处|街道|镇|乡|苏木))"
    r"\s*(?P<date>(?:19|20)\d{2}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日)(?=\s|$)"
)
_SUB_HEADING = re.compile(r"[（(][一二三四五六七八九十][）)]")
T4_HEADER = T4_GROUPS[0][1]
# Words only a table's header prints.
_TABLE_HEADER = re.compile(r"信息内容|申请人情况|结果维持|尚未审结")


@cache
def _heading_re() -> re.Pattern[str]:
    """A numbered section heading anywhere in a line: 三、收到和处理政府信息公开申请情况."""
    alternatives = []
    for spec in SECTIONS:
        words = "|".join(f"(?:{p})" for p in spec.patterns)
        alternatives.append(rf"(?P<s{spec.number}>[{_NUMERALS}七八九]\s*[、.．]\s*(?:政府信息公开(?:工作)?)?(?:{words}))")
    return re.compile("|".join(alternatives))


@cache
def _row_label_re() -> re.Pattern[str]:
    """Every table row and group label, with the numbering printed before it."""
    labels: set[str] = set()
    for fmt in FORMATS.values():
        for row in fmt.t3_rows:
            labels.update(strip_numbering(x) for x in (row.label, *row.aliases))
            if row.group:
                labels.add(strip_numbering(row.group))
        for grid in fmt.t2_rows:
            labels.update((grid.label, *grid.aliases))
    labels.discard("")
    # a space may fall inside a label (本年度办 理结果)
    words = sorted((r"\s*".join(map(re.escape, x)) for x in labels if len(x) >= 2), key=len, reverse=True)
    numbering = r"(?:[（(][一二三四五六七八九十\d]{1,2}[）)]|[一二三四五六七八九十]{1,2}[、.．]|[1-9][.、．])?"
    clause = r"第二十条第[（(][一二三四五六七八九十]+[）)]项"
    return re.compile(rf"(?:{clause}|信息内容|{numbering}(?:{'|'.join(words)}))")


def relayout_document(doc: Document) -> Document:
    """The document in simplified script with its flattened lines broken; its structured table rows
    follow their lines."""
    simplified = to_simplified(doc.text)
    if simplified != doc.text:
        meta = {k: to_simplified(v) for k, v in doc.meta.items()}
        rows = {k: [to_simplified(c) if c else c for c in row] for k, row in doc.structured_rows.items()}
        doc = replace(doc, text=simplified, meta=meta, structured_rows=rows)
    lines = doc.text.split("\n")
    if not any(len(line) >= FLAT_LINE_CHARS for k, line in enumerate(lines) if k not in doc.structured_rows):
        return doc
    out: list[str] = []
    rows: dict[int, StructuredRow] = {}
    confidence: dict[int, list[tuple[int, int, float]]] = {}
    for k, line in enumerate(lines):
        if k in doc.structured_rows:
            rows[len(out)] = doc.structured_rows[k]
            out.append(line)
            continue
        pieces = split_line(line) if len(line) >= FLAT_LINE_CHARS else [line]
        spans = doc.confidence.get(k)
        if spans:  # OCR's confidence follows the line; a line broken in pieces keeps its lowest
            lowest = min(score for _, _, score in spans)
            for n, piece in enumerate(pieces):
                confidence[len(out) + n] = spans if len(pieces) == 1 else [(0, len(piece), lowest)]
        out.extend(pieces)
    return replace(doc, text="\n".join(out), structured_rows=rows, meta=doc.meta, confidence=confidence)


def relayout(text: str) -> str:
    """``text`` with every flattened line broken at its headings and table rows (others unchanged)."""
    lines = text.split("\n")
    if not any(len(line) >= FLAT_LINE_CHARS for line in lines):
        return text
    out: list[str] = []
    for line in lines:
        out.extend(split_line(line) if len(line) >= FLAT_LINE_CHARS else [line])
    return "\n".join(out)


def split_line(line: str) -> list[str]:
    """One flattened line as the lines it was: prose, headings, table rows."""
    cuts: set[int] = set()
    for m in _heading_re().finditer(line):
        cuts.update((m.start(), m.end()))
    for m in _NUMBERED_HEADING.finditer(line):
        # a misspelt heading: its words, up to 情况/事项, close to exactly one canonical heading
        if m.start() not in cuts and fuzzy_section(m.group("words")) == cn_number(m.group("numeral")):
            cuts.update((m.start(), m.end()))
    signatures = list(_SIGNATURE.finditer(line))
    if signatures:
        signature = signatures[-1]  # the last one: the signature closes the report
        cuts.update((signature.start("unit"), signature.start("date"), signature.end("date")))
    pieces = _cut(line, cuts)
    out: list[str] = []
    for piece in pieces:
        out.extend(_split_table(piece))
    return [p for p in out if p.strip()]


def _split_table(piece: str) -> list[str]:
    """A piece holding several row labels: one line per row, its numbers after its label."""
    labels = list(_row_label_re().finditer(piece))
    with_numbers = sum(1 for m in labels if re.match(r"\s*\d", piece[m.end():m.end() + 3]))
    if len(labels) < MIN_ROW_LABELS or not (_TABLE_HEADER.search(piece) or with_numbers >= MIN_ROW_LABELS):
        return [piece]
    cuts = {m.start() for m in labels}
    cuts |= {m.start() for m in _SUB_HEADING.finditer(piece)}  # prose after the table: （二）主动公开的主要类别
    at = piece.find(T4_HEADER)
    if at >= 0:
        cuts.add(at)  # 表四's header starts at 行政复议
    rows = []
    for row in _cut(piece, cuts):
        # the numbers after a label, and a unit or label after the numbers, apart from it
        row = re.sub(r"(?<=[\u4e00-\u9fff）)”\"])(?=[-\d])", " ", row)
        rows.append(re.sub(r"(?<=\d)(?=[\u4e00-\u9fff（(])", " ", row))
    return rows


def _cut(line: str, cuts: set[int]) -> list[str]:
    points = sorted(c for c in cuts if 0 < c < len(line))
    pieces, start = [], 0
    for c in points:
        pieces.append(line[start:c])
        start = c
    pieces.append(line[start:])
    return [p.strip() for p in pieces if p.strip()]
