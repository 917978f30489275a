"""What OCR read, said out loud: each table number's confidence, and no error on a doubtful digit.

A report read by OCR (:attr:`Document.source` ``ocr`` or ``mixed``) carries, per line, the
confidence of the boxes its characters came from. Each table cell gets the lowest confidence of
the characters it was read from. An arithmetic finding (``ARITH_*``) that rests on a cell below
:data:`DOUBTFUL` is not an error an office should receive: a misread digit would look exactly
like it. It becomes a warning that names the doubtful cells and asks for a check by eye. A row or
a number missing from a table OCR read becomes a warning too: a detector's miss leaves no box, so
it has no confidence to show (UNSURE_STRUCTURE).
"""

from __future__ import annotations

from typing import Any

from monitor.report.document import Document
from monitor.report.findings import Finding
from monitor.report.spec import TABLE_SHORT
from monitor.report.tables import Cell, Tables

DOUBTFUL = 0.9  # a cell read with less confidence than this may be misread
# What a version's text was read from, in words (the site, the digest, the CLI).
TEXT_SOURCES = {"text": "文件自带的文字", "ocr": "扫描件，文字由 OCR 识别", "mixed": "部分页面为扫描件，由 OCR 识别"}
DOWNGRADED_CODES = ("ARITH_",)
# A row or a number missing from a table OCR read may be one the engine did not see (a lone digit
# boxed in by a cell's rules is the usual one): said as a warning, never sent as an error.
UNSURE_STRUCTURE = ("TABLE_ROW_MISSING", "TABLE_CELL_COUNT")


def annotate(tables: Tables, doc: Document) -> None:
    """Give every table cell read by OCR the lowest confidence among its characters."""
    if not doc.confidence:
        return
    for table in tables.all():
        for row in table.rows:
            for cell in row.cells:
                cell.confidence = cell_confidence(cell, doc.confidence)


def cell_confidence(cell: Cell, confidence: dict[int, list[tuple[int, int, float]]]) -> float | None:
    if not cell.line or not cell.col or not cell.raw:
        return None
    spans = confidence.get(cell.line - 1)
    if not spans:
        return None
    start, end = cell.col - 1, cell.col - 1 + len(cell.raw)
    scores = [score for lo, hi, score in spans if lo < end and hi > start]
    return min(scores) if scores else None


def doubtful_cells(tables: Tables) -> dict[tuple[int, int], Cell]:
    """Cells read with less confidence than DOUBTFUL, by (line, column)."""
    return {(c.line, c.col): c for table in tables.all() for row in table.rows for c in row.cells
            if c.confidence is not None and c.confidence < DOUBTFUL and c.line and c.col}


def downgrade(findings: list[Finding], tables: Tables, doc: Document) -> None:
    """An arithmetic error resting on a doubtful cell becomes a warning that names the cell; a
    missing row or number in a table read by OCR becomes a warning that says OCR may have missed it."""
    if doc.source == "text":
        return
    scanned = _scanned_tables(tables, doc)
    for f in findings:
        if f.severity == "error" and f.code in UNSURE_STRUCTURE and f.detail.get("table") in scanned:
            f.downgraded_to = "warning"
            f.detail["ocr_unsure"] = True
            f.message += "（该表由 OCR 从扫描件识别，可能有数字或行未识别出，请人工核对原件；暂不作为错误。）"
    doubtful = doubtful_cells(tables)
    if not doubtful:
        return
    for f in findings:
        if f.severity != "error" or not f.code.startswith(DOWNGRADED_CODES):
            continue
        cells = [doubtful[key] for key in _cell_keys(f.detail) if key in doubtful]
        if not cells:
            continue
        f.downgraded_to = "warning"
        f.detail["ocr_doubtful"] = [{"line": c.line, "column": c.col, "raw": c.raw, "column_name": c.column,
                                     "confidence": round(c.confidence or 0.0, 3)} for c in cells]
        named = "、".join(f"“{c.column}”{c.raw}（置信度 {c.confidence:.2f}）" for c in cells)
        f.message += f"（以上数字由 OCR 从扫描件识别，其中{named}可能误读，请人工核对原件；暂不作为错误。）"


def _scanned_tables(tables: Tables, doc: Document) -> set[str]:
    """The tables (by their short names, 表三) OCR read: all of them in a scan, those on OCR pages
    in a mixed document."""
    out = set()
    for table in tables.all():
        on_scan = doc.source == "ocr" or (table.span is not None and any(
            line - 1 in doc.confidence for line in range(table.span[0], table.span[1] + 1)))
        if on_scan:
            out.add(TABLE_SHORT[table.name])
    return out


def _cell_keys(detail: dict[str, Any]) -> list[tuple[int, int]]:
    return [(c["line"], c["column"]) for c in detail.get("cells") or [] if c and c.get("line")]
