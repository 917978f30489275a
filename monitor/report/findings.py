"""A finding: one thing wrong with a report, with a code from the contract and its evidence."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from monitor.report.spec import FINDINGS, SEVERITY_ORDER


@dataclass
class Finding:
    code: str
    message: str  # Chinese, for a clerk
    detail: dict[str, Any] = field(default_factory=dict)
    # A severity other than the code's own: an ARITH_* error on numbers OCR may have misread is
    # a warning (monitor.report.confidence). None: the code's.
    downgraded_to: str | None = None

    def __post_init__(self) -> None:
        if self.code not in FINDINGS:
            raise ValueError(f"unknown finding code {self.code!r}")
        if self.downgraded_to == FINDINGS[self.code].severity:
            self.downgraded_to = None

    @property
    def severity(self) -> str:
        return self.downgraded_to or FINDINGS[self.code].severity

    def to_json(self) -> dict[str, Any]:
        return {"code": self.code, "severity": self.severity, "message": self.message, "detail": self.detail}


def sort_findings(findings: list[Finding]) -> list[Finding]:
    return sorted(findings, key=lambda f: (SEVERITY_ORDER[f.severity], f.code))
