"""Synthetic annual reports in every layout and file format, built from the same spec the checks use.

Tests use them to prove each rule fires and stays silent on realistic input; the benchmarks use
them for volume; the demo world serves them from its fixture portals. Tables are generated
consistent (every 勾稽关系 holds) and can then be broken on purpose with :meth:`SynthTables.set`.
The prose comes from the real seed reports' style: sections with their canonical headings.
"""

from __future__ import annotations

import io
import random
import zipfile
from dataclasses import dataclass, replace
from datetime import date
from html import escape

from monitor.report.spec import FORMATS, SECTIONS, T4_COLUMNS, T4_GROUPS, FormatSpec

Number = int | float


@dataclass
class SynthTables:
    format: str
    t2: dict[str, list[Number]]
    t3: dict[str, list[int]]  # row key -> 7 values (six applicant columns + 总计)
    t4: list[int]  # 15 values: 3 groups × (维持, 纠正, 其他, 尚未审结, 总计)

    @property
    def spec(self) -> FormatSpec:
        return FORMATS[self.format]

    def set(self, table: str, row: str | int, column: int, value: Number) -> SynthTables:
        """A copy with one number changed (row is a row key; for t4, the group index)."""
        t2 = {k: list(v) for k, v in self.t2.items()}
        t3 = {k: list(v) for k, v in self.t3.items()}
        t4 = list(self.t4)
        if table == "t2":
            t2[str(row)][column] = value
        elif table == "t3":
            t3[str(row)][column] = int(value)
        else:
            t4[int(row) * len(T4_COLUMNS) + column] = int(value)
        return replace(self, t2=t2, t3=t3, t4=t4)


def consistent_tables(rng: random.Random, fmt: str = "2021", scale: int = 6, zero: bool = False,
                      carried_in: list[int] | None = None) -> SynthTables:
    """Tables where R1–R6 hold; ``zero`` gives the all-zero tables most small agencies print.

    ``carried_in`` (six applicant columns) continues last year's 结转下年度, so X1 holds too.
    """
    spec = FORMATS[fmt]
    n = lambda: 0 if zero else rng.randint(0, scale)  # noqa: E731
    cols = len(spec.t3_columns) - 1
    t3: dict[str, list[int]] = {}
    results = [r.key for r in spec.t3_rows if r.role == "result"]
    for key in results:
        vals = [n() for _ in range(cols)]
        t3[key] = [*vals, sum(vals)]
    total = [sum(t3[k][c] for k in results) for c in range(cols)]
    carried_out = [min(n(), 2) for _ in range(cols)]
    if carried_in is None:
        carried_in = [min(n(), total[c] + carried_out[c]) for c in range(cols)]
    carried_out = [max(carried_out[c], carried_in[c] - total[c]) for c in range(cols)]
    received = [total[c] + carried_out[c] - carried_in[c] for c in range(cols)]
    for key, vals in (("received", received), ("carried_in", carried_in), ("total", total),
                      ("carried_out", carried_out)):
        t3[key] = [*vals, sum(vals)]
    t4 = []
    for _ in T4_GROUPS:
        vals = [n() for _ in range(len(T4_COLUMNS) - 1)]
        t4 += [*vals, sum(vals)]
    t2: dict[str, list[Number]] = {}
    for row in spec.t2_rows:
        vals: list[Number] = []
        for col in row.columns:
            if col.kind == "amount":
                vals.append(0 if zero else round(rng.uniform(0, 20), 4))
            elif col.kind == "delta":
                vals.append(0 if zero else rng.randint(-3, 3))
            else:
                vals.append(n())
        if fmt == "2021" and len(vals) == 3:  # 现行有效 ≥ 制发 − 废止
            vals[2] = max(int(vals[2]), int(vals[0]) - int(vals[1])) + (0 if zero else rng.randint(0, 30))
        t2[row.key] = vals
    return SynthTables(fmt, t2, t3, t4)


PROSE = {
    1: "{year}年，{agency}深入贯彻落实《中华人民共和国政府信息公开条例》，坚持以公开为常态、不公开为例外，"
       "围绕中心工作做好主动公开、依申请公开、政府信息管理和平台建设。{applications}{details}",
    5: "存在的主要问题：{problems}改进情况：下一步，我{unit}将{remedies}",
    6: "{fee}本年度无其他需要报告的事项。",
}
# Sentences real reports vary on; each synthetic report draws its own, so two honest reports share
# boilerplate but not their text (what COPIED_* must tell apart from a re-dated copy).
DETAIL_SENTENCES = (
    "全年通过门户网站主动公开政府信息{n}条，其中政策文件{m}件。", "组织开展政务公开专题培训{k}次，参训人员{n}人次。",
    "调整充实政务公开领导小组，明确分管领导和专职人员。", "按照统一部署完成政府信息公开目录的梳理和更新工作。",
    "围绕优化营商环境，及时发布惠企政策和办事指南。", "严格执行信息发布保密审查制度，全年未发生失泄密事件。",
    "对{m}件重要政策文件开展了图文解读和视频解读。", "政务新媒体发布信息{n}条，回应公众关切{k}次。",
    "依申请公开严格按照法定时限答复，答复规范率百分之百。", "推进重点领域信息公开，公开财政预决算和重大项目信息。",
    "完善政府信息公开工作制度，建立信息发布台账。", "加强政府网站栏目建设，新增专题栏目{k}个。",
    "积极推进基层政务公开标准化规范化建设。", "做好人大代表建议和政协委员提案办理结果公开。",
)
PROBLEM_SENTENCES = (
    "信息公开的及时性和规范性有待进一步提高。", "政策解读形式较为单一，图解、视频等形式运用不多。",
    "工作人员业务能力与新形势新要求还有差距。", "部分栏目更新不够及时，内容不够丰富。",
    "公众参与的渠道和方式还需拓展。", "依申请公开答复的说理性有待加强。",
)
REMEDY_SENTENCES = (
    "进一步加强业务培训，提升工作人员能力。", "完善信息发布审核机制，确保信息准确及时。",
    "丰富政策解读形式，提升解读质量和传播力。", "加强栏目日常维护，及时更新公开内容。",
    "拓宽公众参与渠道，做好政民互动。", "规范依申请公开办理流程，提高答复质量。",
)


def _pick(rng: random.Random, pool: tuple[str, ...], k: int) -> str:
    return "".join(s.format(n=rng.randint(20, 400), m=rng.randint(1, 20), k=rng.randint(1, 9))
                   for s in rng.sample(pool, k))
FEE_SENTENCE = "本机关未收取信息处理费。"
GOV_SENTENCE = "本年度政府信息公开工作考核、社会评议和责任追究结果：纳入年度绩效考核，未发生责任追究情况。"


@dataclass
class SynthReport:
    agency: str
    year: int
    tables: SynthTables
    jurisdiction: str | None = None
    published: date | None = None
    fee_statement: bool = True
    gov_statement: bool = True
    improvements: bool = True
    drop_sections: tuple[int, ...] = ()
    prose_seed: str | None = None  # which sentences the prose draws; another report's seed makes a copy

    @property
    def title(self) -> str:
        return f"{self.agency}{self.year}年政府信息公开工作年度报告"

    def prose_key(self, agency: str, year: int) -> str:
        """The seed of a report's sentences; pass another report's key as ``prose_seed`` to copy it."""
        return f"{self.jurisdiction or ''}{agency}{year}"

    @property
    def is_government(self) -> bool:
        return self.agency.endswith("人民政府")

    def prose(self, number: int) -> str:
        received = self.tables.t3["received"][-1]
        template = PROSE.get(number)
        rng = random.Random(f"{self.prose_seed or self.prose_key(self.agency, self.year)}{number}")
        if number == 5 and not self.improvements:
            return "存在的主要问题：" + _pick(rng, PROBLEM_SENTENCES, 2)
        if template is None:
            return ""
        text = template.format(
            year=self.year, agency=self.agency, unit="局" if self.agency.endswith("局") else "单位",
            applications=f"全年收到政府信息公开申请{received}件。",
            fee=FEE_SENTENCE if self.fee_statement else "",
            details=_pick(rng, DETAIL_SENTENCES, 5), problems=_pick(rng, PROBLEM_SENTENCES, 2),
            remedies=_pick(rng, REMEDY_SENTENCES, 3),
        )
        if number == 6 and self.is_government and self.gov_statement:
            text = GOV_SENTENCE + text
        return text

    def date_line(self) -> str:
        d = self.published or date(self.year + 1, 1, 20)
        return f"{d.year}年{d.month}月{d.day}日"


# --------------------------------------------------------------------------- table grids
# A neutral grid: rows of cells, each cell (text, rowspan, colspan); renderers lay it out.

Grid = list[list[tuple[str, int, int]]]


def _num(v: Number) -> str:
    if isinstance(v, float):
        return f"{v:.4f}".rstrip("0").rstrip(".") if v else "0"
    return str(v)


def t2_grid(t: SynthTables) -> Grid:
    grid: Grid = []
    width = 1 + max(len(r.columns) for r in t.spec.t2_rows)
    clause = None
    for row in t.spec.t2_rows:
        if row.clause != clause:
            clause = row.clause
            grid.append([(clause, 1, width)])
            header = [("信息内容", 1, 1)] + [(c.label, 1, 1) for c in row.columns]
            grid.append(_pad(header, width))
        grid.append(_pad([(row.label, 1, 1)] + [(_num(v), 1, 1) for v in t.t2[row.key]], width))
    return grid


def _pad(cells: list[tuple[str, int, int]], width: int) -> list[tuple[str, int, int]]:
    used = sum(c[2] for c in cells)
    if used < width:
        last = cells[-1]
        cells = [*cells[:-1], (last[0], last[1], last[2] + width - used)]
    return cells


def t3_grid(t: SynthTables) -> Grid:
    spec = t.spec
    cols = [c.label for c in spec.t3_columns]
    grid: Grid = [
        [("（本列数据的勾稽关系为：第一项加第二项之和，等于第三项加第四项之和）", 3, 3), ("申请人情况", 1, 7)],
        [("自然人", 2, 1), ("法人或其他组织", 1, 5), ("总计", 2, 1)],
        [(c, 1, 1) for c in cols[1:6]],
    ]
    rows = spec.t3_rows
    results = [r for r in rows if r.role == "result"]
    groups: dict[str, int] = {}
    for r in results:
        if r.group:
            groups[r.group] = groups.get(r.group, 0) + 1
    seen_groups: set[str] = set()
    first_result = True
    for r in rows:
        vals = [(_num(v), 1, 1) for v in t.t3[r.key]]
        if r.role in ("received", "carried_in", "carried_out"):
            grid.append([(r.label, 1, 3), *vals])
        elif r.role == "total":
            grid.append([(r.label, 1, 2), *vals])
        else:
            row: list[tuple[str, int, int]] = []
            if first_result:
                row.append(("三、本年度办理结果", len(results) + 1, 1))
                first_result = False
            if r.group and r.group != "三、本年度办理结果":
                if r.group not in seen_groups:
                    seen_groups.add(r.group)
                    row.append((r.group, groups[r.group], 1))
                row.append((r.label, 1, 1))
            else:
                row.append((r.label, 1, 2))
            grid.append([*row, *vals])
    return grid


def t4_grid(t: SynthTables) -> Grid:
    heads = [c.label for c in T4_COLUMNS]
    return [
        [("行政复议", 1, 5), ("行政诉讼", 1, 10)],
        [*((h, 2, 1) for h in heads), ("未经复议直接起诉", 1, 5), ("复议后起诉", 1, 5)],
        [(h, 1, 1) for h in heads * 2],
        [(_num(v), 1, 1) for v in t.t4],
    ]


def _expand(grid: Grid) -> list[list[str | None]]:
    """Place a spanned grid on a rectangle: text where a cell starts, "" below a cell that spans
    rows (DOCX exports print those), None right of a cell that spans columns (they print nothing)."""
    out: list[list[str | None]] = []
    taken: dict[tuple[int, int], bool] = {}
    for r, row in enumerate(grid):
        line: list[str | None] = []
        c = 0
        for text, rs, cs in row:
            while taken.pop((r, c), False):
                line.append("")
                c += 1
            line.append(text)
            line.extend([None] * (cs - 1))
            for dr in range(1, rs):
                for dc in range(cs):
                    taken[(r + dr, c + dc)] = True
            c += cs
        while taken.pop((r, c), False):
            line.append("")
            c += 1
        out.append(line)
    return out


def _tables(report: SynthReport) -> dict[int, Grid]:
    t = report.tables
    return {2: t2_grid(t), 3: t3_grid(t), 4: t4_grid(t)}


# --------------------------------------------------------------------------- text layouts


def render_text(report: SynthReport, layout: str = "tab") -> str:
    """Plain text in one of the seed layouts: ``tab`` (000/001), ``cells`` (002/004), ``space`` (003)."""
    out = ["", report.title, ""]
    grids = _tables(report)
    for spec in SECTIONS:
        if spec.number in report.drop_sections:
            continue
        out += [spec.canonical, ""]
        if spec.number in grids:
            out += _layout(_expand(grids[spec.number]), layout)
        else:
            out += [report.prose(spec.number), ""]
    out += ["", report.agency, report.date_line()]
    return "\n".join(out)


def _layout(rows: list[list[str | None]], layout: str) -> list[str]:
    lines: list[str] = []
    for row in rows:
        cells = ["" if c is None else c for c in row]
        if layout == "tab":
            lines.append("\t".join(cells))
        elif layout == "cells":
            lines += ["\t" + c for c in row if c is not None]
            lines.append("")
        else:  # space: PDF text, long labels wrapped, numbers after the last label line
            label = " ".join(c for c in cells if c and not _is_num(c))
            nums = [c for c in cells if c and _is_num(c)]
            chunks = [label[i:i + 16] for i in range(0, len(label), 16)] or [""]
            for chunk in chunks[:-1]:
                lines.append(chunk)
            lines.append(" ".join([chunks[-1], *nums]).strip())
            lines.append("")
    lines.append("")
    return lines


def _is_num(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# --------------------------------------------------------------------------- HTML


def _html_table(grid: Grid) -> str:
    rows = []
    for row in grid:
        cells = []
        for text, rs, cs in row:
            attrs = (f' rowspan="{rs}"' if rs > 1 else "") + (f' colspan="{cs}"' if cs > 1 else "")
            cells.append(f"<td{attrs}>{escape(text)}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    return '<table border="1" cellspacing="0">' + "".join(rows) + "</table>"


def report_body_html(report: SynthReport) -> str:
    grids = _tables(report)
    parts = []
    for spec in SECTIONS:
        if spec.number in report.drop_sections:
            continue
        parts.append(f"<p><strong>{escape(spec.canonical)}</strong></p>")
        if spec.number in grids:
            parts.append(_html_table(grids[spec.number]))
        else:
            parts.append(f"<p>{escape(report.prose(spec.number))}</p>")
    parts.append(f'<p style="text-align:right">{escape(report.agency)}<br>{report.date_line()}</p>')
    return "\n".join(parts)


def render_html(report: SynthReport, attachment: str | None = None) -> str:
    """A portal detail page: navigation, metadata labels, the report in ``#zoom``, a footer."""
    published = report.published or date(report.year + 1, 1, 20)
    body = (f'<p>详见附件：<a href="{escape(attachment)}">{escape(report.title)}</a></p>' if attachment
            else report_body_html(report))
    return f"""<!DOCTYPE html>
<html><head><meta charset="utf-8"><title>{escape(report.title)}_{escape(report.jurisdiction or '')}人民政府</title>
<meta name="ArticleTitle" content="{escape(report.title)}">
<meta name="PubDate" content="{published.isoformat()} 09:30">
<meta name="ContentSource" content="{escape(report.agency)}"></head>
<body><div class="header"><ul class="nav"><li><a href="/">首页</a></li><li><a href="/zwgk/">政务公开</a></li>
<li><a href="/xxgk/">信息公开</a></li><li><a href="/hdjl/">互动交流</a></li></ul></div>
<div class="crumb">首页 &gt; 政府信息公开 &gt; 政府信息公开年报</div>
<h1>{escape(report.title)}</h1>
<div class="info">发布日期：{published.isoformat()}　发布机构：{escape(report.agency)}　浏览次数：128</div>
<div id="zoom">{body}</div>
<div class="footer">主办：{escape(report.jurisdiction or '')}人民政府办公室　网站标识码：4107000001</div>
</body></html>"""


# --------------------------------------------------------------------------- DOCX, PDF, OFD


def render_docx(report: SynthReport) -> bytes:
    import docx

    document = docx.Document()
    document.core_properties.title = report.title
    document.add_paragraph(report.title)
    grids = _tables(report)
    for spec in SECTIONS:
        if spec.number in report.drop_sections:
            continue
        document.add_paragraph(spec.canonical)
        if spec.number in grids:
            _docx_table(document, grids[spec.number])
        else:
            document.add_paragraph(report.prose(spec.number))
    document.add_paragraph(report.agency)
    document.add_paragraph(report.date_line())
    buf = io.BytesIO()
    document.save(buf)
    return buf.getvalue()


def _docx_table(document, grid: Grid) -> None:
    """Append a bordered table with real merged cells (gridSpan, vMerge), written as XML.

    python-docx's ``cell().merge()`` is quadratic in the table size; building the ``w:tbl``
    directly is what Word itself writes and keeps a 30-row table instant.
    """
    from docx.oxml import parse_xml
    from docx.oxml.ns import nsdecls

    origins: dict[tuple[int, int], tuple[str, int, int]] = {}
    below: dict[tuple[int, int], int] = {}  # covered by a rowspan from above -> its colspan
    taken: set[tuple[int, int]] = set()
    width = 0
    for r, row in enumerate(grid):
        c = 0
        for text, rs, cs in row:
            while (r, c) in taken:
                c += 1
            origins[(r, c)] = (text, rs, cs)
            for dr in range(rs):
                for dc in range(cs):
                    taken.add((r + dr, c + dc))
                if dr:
                    below[(r + dr, c)] = cs
            c += cs
            width = max(width, c)
    rows_xml = []
    for r in range(len(grid)):
        cells = []
        for c in range(width):
            if (r, c) in origins:
                text, rs, cs = origins[(r, c)]
                merge = '<w:vMerge w:val="restart"/>' if rs > 1 else ""
                body = f"<w:r><w:t>{escape(text)}</w:t></w:r>"
            elif (r, c) in below:
                cs, merge, body = below[(r, c)], "<w:vMerge/>", ""
            else:
                continue
            span = f'<w:gridSpan w:val="{cs}"/>' if cs > 1 else ""
            cells.append(f"<w:tc><w:tcPr>{span}{merge}</w:tcPr><w:p>{body}</w:p></w:tc>")
        rows_xml.append("<w:tr>" + "".join(cells) + "</w:tr>")
    border = "".join(f'<w:{side} w:val="single" w:sz="4" w:space="0" w:color="000000"/>'
                     for side in ("top", "left", "bottom", "right", "insideH", "insideV"))
    grid_cols = "".join('<w:gridCol w:w="900"/>' for _ in range(width))
    tbl = parse_xml(f"<w:tbl {nsdecls('w')}><w:tblPr><w:tblBorders>{border}</w:tblBorders></w:tblPr>"
                    f"<w:tblGrid>{grid_cols}</w:tblGrid>{''.join(rows_xml)}</w:tbl>")
    body = document.element.body
    if body.sectPr is not None:
        body.sectPr.addprevious(tbl)  # keep the section properties last, as Word requires
    else:
        body.append(tbl)
    document.add_paragraph("")


PDF_CSS = "td{border:1px solid black;padding:2px 4px;font-size:9px} table{border-collapse:collapse} p{font-size:10px}"


def render_pdf(report: SynthReport) -> bytes:
    return html_to_pdf(f"<p>{escape(report.title)}</p>" + report_body_html(report))


def html_to_pdf(html: str) -> bytes:
    """A4 pages of ``html`` laid out by MuPDF's Story, as a report's PDF would be."""
    import pymupdf

    story = pymupdf.Story(html=html, user_css=PDF_CSS)
    buf = io.BytesIO()
    writer = pymupdf.DocumentWriter(buf)
    mediabox = pymupdf.paper_rect("a4")
    where = mediabox + (40, 40, -40, -40)  # noqa: RUF005 - Rect arithmetic: a 40pt margin
    more = 1
    while more:
        device = writer.begin_page(mediabox)
        more, _ = story.place(where)
        story.draw(device)
        writer.end_page()
    writer.close()
    # the font subset a real report embeds, not the whole CJK font (3.7 MB a report, 15 GB in memory
    # for a national world); no new file ID, so the same report is the same bytes (conditional GETs)
    with pymupdf.open(stream=buf.getvalue(), filetype="pdf") as doc:
        doc.subset_fonts()
        return doc.tobytes(garbage=3, deflate=True, no_new_id=True)


def render_image_pdf() -> bytes:
    """A PDF page that is only a picture (a scanned report): no extractable text."""
    import pymupdf

    doc = pymupdf.open()
    page = doc.new_page()
    pix = pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 200, 100), False)
    pix.set_rect(pix.irect, (200, 200, 200))
    page.insert_image(pymupdf.Rect(50, 50, 450, 250), pixmap=pix)
    return doc.tobytes()


def render_ofd(report: SynthReport) -> bytes:
    """A minimal OFD package: one page per 60 lines, each cell a positioned TextObject."""
    lines = render_text(report, "tab").split("\n")
    pages = [lines[i:i + 60] for i in range(0, len(lines), 60)]
    buf = io.BytesIO()
    ns = 'xmlns:ofd="http://www.ofdspec.org/2016"'
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("OFD.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:OFD {ns} Version="1.0" DocType="OFD">'
                               "<ofd:DocBody><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        page_refs = "".join(f'<ofd:Page ID="{i + 10}" BaseLoc="Pages/Page_{i}/Content.xml"/>'
                            for i in range(len(pages)))
        zf.writestr("Doc_0/Document.xml", f'<?xml version="1.0" encoding="UTF-8"?><ofd:Document {ns}>'
                                          f"<ofd:Pages>{page_refs}</ofd:Pages></ofd:Document>")
        for i, page in enumerate(pages):
            objs = []
            oid = 100
            for n, line in enumerate(page):
                y = 20 + n * 5
                x = 20.0
                for cell in line.split("\t"):
                    if cell:
                        oid += 1
                        objs.append(f'<ofd:TextObject ID="{oid}" Boundary="{x:.1f} {y} 150 5" Font="1" Size="3.5">'
                                    f'<ofd:TextCode X="0" Y="3.5">{escape(cell)}</ofd:TextCode></ofd:TextObject>')
                    x += max(len(cell), 1) * 3.6 + 6
            zf.writestr(f"Doc_0/Pages/Page_{i}/Content.xml",
                        f'<?xml version="1.0" encoding="UTF-8"?><ofd:Page {ns}><ofd:Content><ofd:Layer ID="2">'
                        + "".join(objs) + "</ofd:Layer></ofd:Content></ofd:Page>")
    return buf.getvalue()


RENDERERS = {
    "text-tab": lambda r: render_text(r, "tab").encode("utf-8"),
    "text-cells": lambda r: render_text(r, "cells").encode("utf-8"),
    "text-space": lambda r: render_text(r, "space").encode("utf-8"),
    "text-gbk": lambda r: render_text(r, "tab").encode("gb18030"),
    "html": lambda r: render_html(r).encode("utf-8"),
    "docx": render_docx,
    "pdf": render_pdf,
    "ofd": render_ofd,
}


def sample_report(seed: int = 0, fmt: str = "2021", year: int = 2023, agency: str = "青川县教育局",
                  zero: bool = False, **kwargs) -> SynthReport:
    rng = random.Random(seed)
    return SynthReport(agency=agency, year=year, tables=consistent_tables(rng, fmt, zero=zero),
                       jurisdiction="青川县", **kwargs)
