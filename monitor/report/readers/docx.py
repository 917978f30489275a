"""DOCX: paragraphs and tables in body order; a merged cell appears once, its span as placeholders.

python-docx's ``row.cells`` repeats a merged cell in every grid position it covers, which would
duplicate a label or a number. We walk the ``w:tc`` elements ourselves: ``gridSpan`` adds
placeholders to the right, a ``vMerge`` continuation is a placeholder in its own row.
"""

from __future__ import annotations

from io import BytesIO

import docx
from docx.oxml.ns import qn

from monitor.report.document import Document, StructuredRow
from monitor.report.textutil import clean_artifacts, collapse_spaces


def read_docx(data: bytes) -> Document:
    document = docx.Document(BytesIO(data))
    lines: list[str] = []
    rows: dict[int, StructuredRow] = {}
    _walk(document.element.body, lines, rows)
    title = (document.core_properties.title or "").strip()
    doc = Document("docx", text=clean_artifacts("\n".join(lines)), structured_rows=rows)
    if title:
        doc.meta["docx_title"] = title
    return doc


def _paragraph_text(p) -> str:
    parts = []
    for node in p.iter():
        if node.tag == qn("w:t"):
            parts.append(node.text or "")
        elif node.tag == qn("w:tab"):
            parts.append(" ")
        elif node.tag in (qn("w:br"), qn("w:cr")):
            parts.append("\n")
    return "".join(parts)


def _walk(container, lines: list[str], rows: dict[int, StructuredRow]) -> None:
    for child in container.iterchildren():
        if child.tag == qn("w:p"):
            for line in _paragraph_text(child).split("\n"):
                lines.append(line.rstrip())
        elif child.tag == qn("w:tbl"):
            for row in table_rows(child):
                if any(cell for cell in row):
                    rows[len(lines)] = row
                    lines.append("\t".join(cell or "" for cell in row))
            lines.append("")
        elif child.tag == qn("w:sdt"):
            content = child.find(qn("w:sdtContent"))
            if content is not None:
                _walk(content, lines, rows)


def table_rows(tbl) -> list[StructuredRow]:
    out: list[StructuredRow] = []
    for tr in tbl.iterchildren(qn("w:tr")):
        row: StructuredRow = []
        for tc in tr.iterchildren(qn("w:tc")):
            tc_pr = tc.find(qn("w:tcPr"))
            span = 1
            continued = False
            if tc_pr is not None:
                grid_span = tc_pr.find(qn("w:gridSpan"))
                if grid_span is not None:
                    span = max(1, int(grid_span.get(qn("w:val"), "1")))
                v_merge = tc_pr.find(qn("w:vMerge"))
                if v_merge is not None and v_merge.get(qn("w:val"), "continue") != "restart":
                    continued = True
            if continued:
                row.extend([None] * span)
                continue
            # paragraphs inside a cell are wrapped lines of one value
            text = "".join(_paragraph_text(p) for p in tc.iter(qn("w:p")))
            row.append(collapse_spaces(text.replace("\n", "")))
            row.extend([None] * (span - 1))
        out.append(row)
    return out
