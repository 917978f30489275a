"""The real corpus (tests/fixtures/real): loading its items and scoring the analyser against their labels.

Shared by ``tests/test_real_corpus.py`` (every label asserted) and ``bench/identity.py`` (per-field
accuracy and false-finding counts). Labels were set by reading each item, not by running Nianbao.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from monitor.report.analysis import Report, analyze_document
from monitor.report.document import Document
from monitor.report.identity import canonical_agency
from monitor.report.readers import read_path

REAL = Path(__file__).parent / "fixtures" / "real"
IDENTITY_FIELDS = ("agency", "jurisdiction", "level", "year", "published")
# Errors a correct report must never get: each one is a false alarm sent to an office.
FALSE_ALARM_CODES = ("SECTION_MISSING", "TABLE_ROW_MISSING", "TEXT_TABLE_MISMATCH")


@dataclass
class Item:
    stem: str
    kind: str  # report | page
    path: Path
    labels: dict[str, Any]
    context: dict[str, str]  # what the crawler would know: the portal's jurisdiction

    @property
    def correct(self) -> bool:
        return self.labels.get("correct") is True


def load_items() -> list[Item]:
    items = []
    for meta_path in sorted(REAL.glob("*/*.yaml")):
        data = yaml.safe_load(meta_path.read_text(encoding="utf-8"))
        items.append(Item(meta_path.stem, data["kind"], meta_path.parent / data["file"], data.get("labels") or {},
                          {k: str(v) for k, v in (data.get("context") or {}).items()}))
    return items


def analyse(item: Item) -> Report:
    if item.path.suffix == ".txt":
        doc = Document("text", text=item.path.read_text(encoding="utf-8"), path=str(item.path))
    else:
        doc = read_path(item.path)
    doc.meta.update(item.context)
    return analyze_document(doc)


def _norm(field: str, value: Any) -> Any:
    if value is None:
        return None
    if field == "agency":
        return canonical_agency(str(value))
    if field == "published":
        return value if isinstance(value, date) else date.fromisoformat(str(value))
    return value


def compare(item: Item, report: Report) -> dict[str, tuple[bool, Any, Any]]:
    """{field: (right?, expected, got)} for every identity field the item labels."""
    ident = report.identity
    got = {"agency": ident.agency, "jurisdiction": ident.jurisdiction, "level": ident.level, "year": ident.year,
           "published": ident.published}
    out = {}
    for field in IDENTITY_FIELDS:
        if field not in item.labels:
            continue
        expected = _norm(field, item.labels[field])
        if field == "published" and expected is None:
            continue  # scored only where the page states one
        value = _norm(field, got[field])
        out[field] = (value == expected, expected, value)
    return out


def false_alarms(item: Item, report: Report) -> list[str]:
    """Errors raised on a report labelled correct (ARITH_*, SECTION_MISSING, TABLE_ROW_MISSING, T1)."""
    if not item.correct:
        return []
    return [f"{f.code}: {f.message}" for f in report.findings
            if f.code.startswith("ARITH_") or f.code in FALSE_ALARM_CODES]


def missed_defects(item: Item, report: Report) -> list[str]:
    codes = {f.code for f in report.findings}
    return [d["code"] for d in item.labels.get("defects") or [] if d["code"] not in codes]


def missed_sections(item: Item, report: Report) -> list[int]:
    return [n for n in item.labels.get("sections") or [] if n not in report.sections.found]
