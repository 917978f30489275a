"""Stores built directly from synthetic reports — no crawl — for fast tests of judging and digests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from demo.synth import render_text, sample_report
from monitor.report.analysis import analyze_text
from monitor.store import Store, open_store


@dataclass
class Published:
    jurisdiction: str
    agency: str
    year: int
    published: date | None
    seed: int = 0
    level: str = "department"
    fee_statement: bool = True


def build_store(path: Path, reports: list[Published], seen_at: str = "2024-06-01T00:00:00+00:00") -> Store:
    """A store holding these reports as a crawl would have stored them (one version each)."""
    store = open_store(path)
    for n, r in enumerate(reports):
        synth = sample_report(r.seed, year=r.year, agency=r.agency, published=r.published,
                              fee_statement=r.fee_statement)
        synth.jurisdiction = r.jurisdiction
        store.record_report(analyze_text(render_text(synth)), url=f"http://127.0.0.1:9/art/{n}.html",
                            seen_at=seen_at, jurisdiction=r.jurisdiction, agency=r.agency, year=r.year,
                            level=r.level, published=r.published.isoformat() if r.published else None)
    return store


def write_config(path: Path, smtp_port: int | None = None) -> Path:
    """Two counties, an office for each and one above both; SMTP on loopback when a port is given."""
    smtp = (f"smtp:\n  host: 127.0.0.1\n  port: {smtp_port}\n  starttls: false\n"
            "  sender: \"Nianbao <nianbao@127.0.0.1>\"\n") if smtp_port else ""
    path.write_text(
        "jurisdictions:\n  - name: 青川县\n    parent: 广元市\n  - name: 利州区\n    parent: 广元市\n"
        "  - name: 广元市\n    level: city\n"
        "offices:\n"
        "  - name: 青川县政务公开办\n    jurisdictions: [青川县]\n    recipients: [qc@127.0.0.1]\n"
        "  - name: 广元市政务公开办\n    jurisdictions: [广元市]\n    recipients: [gy@127.0.0.1]\n"
        "site:\n  base_url: https://nianbao.example.org/\n" + smtp, encoding="utf-8")
    return path
