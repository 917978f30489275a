"""Pieces of a report page rendered in Python: the three statistics tables.

A report page's tables are most of its markup (about 250 cells); drawn by Jinja2 they cost ~1,600
loop iterations and as many escapes per page, most of the site's build time at 100k reports
(``bench/site.py``). Here each cell is one f-string and one escape of hostile text. The markup is
the same the template drew (``tests/test_site_fragments.py`` keeps the two equal).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup, escape

from monitor.report.confidence import DOUBTFUL
from monitor.report.spec import FORMATS, T4_COLUMNS, TABLE_NAMES

# 表三's group headings by row key, from the formats' row specs (the same in every format)
T3_GROUPS = {row.key: row.group for fmt in FORMATS.values() for row in fmt.t3_rows if row.group}
T4_LABELS = [c.label for c in T4_COLUMNS]
UNREAD = "<p>未能从原文中识别这张表。</p>"


def cell_mark(source: dict[str, Any] | None) -> str | None:
    """The key a finding uses to point at a cell (``line:column`` of its source)."""
    return f"{source['line']}:{source['column']}" if source else None


def highlights(findings: list[dict[str, Any]], tables: dict[str, Any]) -> set[str]:
    """line:column of every table cell a finding points at (or of every cell of a row it names)."""
    marks: set[str] = set()
    for f in findings:
        detail = f["detail"]
        for c in detail.get("cells") or []:
            if c:
                marks.add(f"{c['line']}:{c['column']}")
        if f["code"] == "TABLE_CELL_COUNT" and detail.get("row"):
            for name in ("t2", "t3", "t4"):
                for row in (tables.get(name) or {}).get("rows", []):
                    if row["label"] == detail["row"]:
                        marks.update(cell_mark(c["source"]) for c in row["cells"] if c.get("source"))
    return marks


_ESCAPED: dict[str, str] = {}


def _text(raw: str | None) -> str:
    """A cell's text, escaped; cells repeat the same few numbers, so escapes are remembered."""
    raw = raw or "空"
    done = _ESCAPED.get(raw)
    if done is None:
        done = str(escape(raw))
        if len(_ESCAPED) < 50_000:
            _ESCAPED[raw] = done
    return done


DOUBT_NOTE = "；虚线框的数字由 OCR 从扫描件识别、置信度较低，可能误读"


def _doubtful(rows: list[dict[str, Any]]) -> bool:
    return any((c.get("confidence") is not None and c["confidence"] < DOUBTFUL) for row in rows for c in row["cells"])


def tables_html(tables: dict[str, Any], marks: set[str]) -> Markup:
    """表二, 表三 and 表四 as sections of the report page; cells a finding points at are marked."""
    parts: list[str] = []
    for name, columns, wide in (("t2", ["数值"], False), ("t3", (tables.get("t3") or {}).get("columns") or [], True),
                                ("t4", T4_LABELS, True)):
        title = escape(TABLE_NAMES[name])
        rows = (tables.get(name) or {}).get("rows", [])
        parts.append(f'<section aria-labelledby="h-{name}">\n<h2 id="h-{name}">{title}</h2>\n')
        if not rows:
            parts.append(UNREAD + "</section>\n")
            continue
        note = DOUBT_NOTE if _doubtful(rows) else ""
        parts.append('<div class="scroll"><table class="data tbl">\n'
                     f'<caption>{title}（标红的单元格涉及上面的问题{note}）</caption>\n'
                     '<thead><tr><th scope="col">项目</th>'
                     + "".join(f'<th scope="col">{escape(c)}</th>' for c in columns) + "</tr></thead>\n<tbody>\n")
        group = None
        for row in rows:
            heading = T3_GROUPS.get(row["key"]) if name == "t3" else None
            if heading and heading != group:  # 三、本年度办理结果, （三）不予公开 …: context for the repeated 1./2./3.
                parts.append(f'<tr class="group"><th scope="rowgroup" colspan="{len(columns) + 1}">'
                             f"{escape(heading)}</th></tr>")
            group = heading
            label = f'<tr><th scope="row">{escape(row["label"])}'
            if row.get("label_match") == "fuzzy":
                label += f'<br><span class="muted">原文：{escape(row["found_label"])}</span>'
            parts.append(label + "</th>\n")
            cells = row["cells"]
            if wide:
                out = []
                for c in cells:
                    text = _text(c["raw"])
                    bad = bool(marks) and c.get("source") is not None and cell_mark(c["source"]) in marks
                    cls = "num" + (" bad" if bad else "") + ("" if c["status"] == "ok" else " odd")
                    aria = f' aria-label="{text}（有问题）"' if bad else ""
                    confidence = c.get("confidence")
                    if confidence is not None and confidence < DOUBTFUL:  # OCR may have misread it
                        cls += " doubt"
                        aria += f' title="OCR 识别，置信度 {confidence:.2f}，可能误读"'
                    out.append(f'<td class="{cls}"{aria}>{text}</td>')
                parts.append("".join(out) + "<td></td>" * max(0, len(columns) - len(cells)) + "\n</tr>")
            else:
                parts.append(f'<td colspan="{len(columns)}">'
                             + "；".join(f'{escape(c["column"])}：{_text(c["raw"])}' for c in cells)
                             + "</td></tr>")
        parts.append("</tbody></table></div>\n</section>\n")
    return Markup("".join(parts))
