"""The judged report as one value: what it says about itself, its structure, and what is wrong with it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitor.report.document import Document
from monitor.report.findings import Finding
from monitor.report.identity import Identity
from monitor.report.sections import Sections
from monitor.report.spec import FIRST_FORMAT_YEAR
from monitor.report.tables import Tables
from monitor.report.textutil import iso


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
            "source": self.doc.source,
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
