"""Analyse one report: read it, identify it, find its sections and tables, run every check."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from monitor.checks import CHECKS
from monitor.document import Document, read_path
from monitor.findings import Finding, sort_findings
from monitor.identity import Identity, identify
from monitor.layout import relayout_document
from monitor.sections import Sections, find_sections
from monitor.spec import FIRST_FORMAT_YEAR
from monitor.tables import Tables, build_rows, detect_format, parse_tables
from monitor.textutil import iso

# Which section holds which table; a table is searched between its heading and the next one.
TABLE_SECTIONS = {"t2": 2, "t3": 3, "t4": 4}


@dataclass
class Report:
    """A judged report: what it says about itself, its structure, and what is wrong with it."""

    doc: Document
    identity: Identity
    sections: Sections
    tables: Tables
    findings: list[Finding] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.doc.text

    @property
    def lines(self) -> list[str]:
        return self.doc.lines

    @property
    def template(self) -> str | None:
        return self.tables.format

    @property
    def structured_year(self) -> bool:
        """Whether the 2019 regulation's sections and tables apply (unknown years: assume so)."""
        return self.identity.year is None or self.identity.year >= FIRST_FORMAT_YEAR

    def prose_lines(self) -> list[tuple[int, str]]:
        """(line number, text) of every line outside the statistics tables."""
        spans = [t.span for t in self.tables.all() if t.span]
        return [(n, line) for n, line in enumerate(self.lines, 1)
                if not any(lo <= n <= hi for lo, hi in spans)]

    def authored_prose(self) -> str:
        """What the author wrote: prose outside the tables, without headings, title and date line."""
        skip = {h.line for h in self.sections.headings.values()}
        skip |= {n for n in (self.identity.title_line, self.identity.date_line_no) if n}
        if self.identity.title_line:
            skip.add(self.identity.title_line - 1)  # a title's first line
        return "\n".join(line for n, line in self.prose_lines() if n not in skip)

    def to_json(self) -> dict[str, Any]:
        ident = self.identity
        return {
            "path": self.doc.path,
            "format": self.doc.format,
            "title": ident.title,
            "agency": ident.agency,
            "jurisdiction": ident.jurisdiction,
            "division_code": ident.division_code,
            "province": ident.province,
            "year": ident.year,
            "level": ident.level,
            "published": iso(ident.published),
            "published_source": ident.published_source,
            "date_line": iso(ident.date_line),
            "statistics_period": list(ident.period) if ident.period else None,
            "identity_sources": dict(ident.sources),
            "template": self.template,
            "sections": self.sections.found,
            "text_chars": len("".join(self.text.split())),
            "tables": self.tables.to_json(),
            "findings": [f.to_json() for f in self.findings],
        }


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
    report = Report(doc, ident, sections, tables)
    findings: list[Finding] = []
    for check in CHECKS:
        findings.extend(check(report))
    report.findings = sort_findings(findings)
    return report


def analyze_path(path: str | Path) -> Report:
    return analyze_document(read_path(path))


def analyze_text(text: str, meta: dict[str, str] | None = None) -> Report:
    return analyze_document(Document("text", text=text, meta=dict(meta or {})))
