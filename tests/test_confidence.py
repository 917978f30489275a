"""Confidence said out loud (monitor.report.confidence), on OCR's output as the reader gives it
(line spans with scores) — no engine needed: an arithmetic error resting on a doubtful digit is a
warning naming the digit, never an error sent to an office."""

from __future__ import annotations

from monitor.report import confidence
from monitor.report.analysis import analyze_document, analyze_text
from monitor.report.document import Document
from tests.conftest import add_to_number, seed_text


def _scanned(text: str, doubtful_line: str | None, score: float = 0.5) -> Document:
    """The text as OCR would give it: every line confident, one line's characters doubtful."""
    lines = text.split("\n")
    spans = {k: [(0, len(line), score if doubtful_line and line.startswith(doubtful_line) else 0.99)]
             for k, line in enumerate(lines) if line}
    return Document("pdf", text=text, source="ocr", confidence=spans)


def test_an_arithmetic_error_on_doubtful_digits_is_a_warning_that_names_them() -> None:
    text = add_to_number(seed_text("001"), r"一、本年新收政府信息公开申请数量", 0, 3)
    as_text = analyze_text(text)
    errors = {f.code for f in as_text.findings if f.code.startswith("ARITH_") and f.severity == "error"}
    assert errors
    sure = analyze_document(_scanned(text, None))
    assert {f.code for f in sure.findings if f.code.startswith("ARITH_") and f.severity == "error"} == errors
    doubtful = analyze_document(_scanned(text, "一、本年新收政府信息公开申请数量"))
    arith = [f for f in doubtful.findings if f.code.startswith("ARITH_")]
    assert arith and all(f.severity == "warning" for f in arith if f.code in errors)
    named = arith[0].detail["ocr_doubtful"]
    assert named and all(c["confidence"] == 0.5 for c in named)
    assert "可能误读" in arith[0].message and "请人工核对" in arith[0].message
    cells = [c for row in doubtful.tables.t3.rows for c in row.cells]
    assert {c.confidence for c in cells} >= {0.5, 0.99}
    # the severity goes with the finding through to_json, the store and the judge
    assert all(f["severity"] == "warning" for f in doubtful.to_json()["findings"] if f["code"] in errors)


def test_doubtful_is_one_threshold() -> None:
    assert 0.5 < confidence.DOUBTFUL < 1.0
    assert set(confidence.TEXT_SOURCES) == {"text", "ocr", "mixed"}
