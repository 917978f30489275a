"""Analyse one report: read it, identify it, find its sections and tables, run every check."""

from __future__ import annotations

from pathlib import Path

from monitor.report import confidence
from monitor.report.checks import CHECKS
from monitor.report.document import Document
from monitor.report.findings import Finding, sort_findings
from monitor.report.identity import identify
from monitor.report.layout import relayout_document
from monitor.report.model import Report
from monitor.report.readers import read_path
from monitor.report.sections import Sections, find_sections
from monitor.report.tables import build_rows, detect_format, parse_tables

# Which section holds which table; a table is searched between its heading and the next one.
TABLE_SECTIONS = {"t2": 2, "t3": 3, "t4": 4}


def table_regions(sections: Sections, total_lines: int) -> dict[str, tuple[int, int]]:
    """Line ranges to search each table in, bounded by the section headings that were found."""
    regions = {}
    lines = {n: h.line for n, h in sections.headings.items()}
    for name, number in TABLE_SECTIONS.items():
        start = lines.get(number)
        if start is None:
            earlier = [ln for s, ln in lines.items() if s < number]
            start = max(earlier) if earlier else 1
        later = [ln for s, ln in lines.items() if s > number and ln > start]
        regions[name] = (start, min(later) - 1 if later else total_lines)
    return regions


def analyze_document(doc: Document) -> Report:
    doc = relayout_document(doc)
    lines = doc.lines
    ident = identify(lines, doc.meta)
    sections = find_sections(lines)
    reason = doc.unreadable_reason
    if reason:
        tables = parse_tables(Document(doc.format), {}, None, rows=[])
        report = Report(doc, ident, sections, tables)
        report.findings = [Finding("NO_TEXT", f"无法核验：{reason}。", {"reason": reason, "format": doc.format})]
        return report
    tables = parse_tables(doc, table_regions(sections, len(lines)), detect_format(doc.text), rows=build_rows(doc))
    confidence.annotate(tables, doc)
    report = Report(doc, ident, sections, tables)
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check(report))
    confidence.downgrade(findings, tables, doc)
    report.findings = sort_findings(findings)
    return report


def analyze_path(path: str | Path) -> Report:
    return analyze_document(read_path(path))


def analyze_text(text: str, meta: dict[str, str] | None = None) -> Report:
    return analyze_document(Document("text", text=text, meta=dict(meta or {})))
