"""Named queries for judging across reports and for the finding lifecycle (``monitor.judge``)."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from monitor.store.packing import unpack

if TYPE_CHECKING:
    import sqlite_utils


class JudgingQueries:
    db: sqlite_utils.Database

    def judging_versions(self) -> list[dict[str, Any]]:
        """Every version's small judging columns (no texts, no tables), oldest first."""
        return [dict(v) for v in self.db.query(
            "select id, report_id, first_seen, carry, signature from report_versions order by id")]

    def findings_of_versions(self, version_ids: list[int]) -> list[dict[str, Any]]:
        """The findings the analysis of these versions produced, in the order they were stored."""
        if not version_ids:
            return []
        out: list[dict[str, Any]] = []
        for start in range(0, len(version_ids), 500):  # SQLite's limit on bound parameters
            chunk = version_ids[start:start + 500]
            marks = ",".join("?" * len(chunk))
            out.extend(dict(f) for f in self.db.query(
                f"select * from findings where version_id in ({marks}) order by id", chunk))
        out.sort(key=lambda f: f["id"])
        return out

    def version_prose(self, version_id: int) -> str:
        """A version's normalised prose (what copy detection compares)."""
        row = self.db.execute("select prose from report_versions where id = ?", [version_id]).fetchone()
        return (unpack(row[0]) if row else None) or ""

    def tracked_findings_by_key(self) -> dict[str, dict[str, Any]]:
        return {row["key"]: dict(row) for row in self.db["tracked_findings"].rows}

    def save_tracking(self, inserts: Iterable[dict[str, Any]], updates: Iterable[tuple[int, dict[str, Any]]],
                      seen_again: Sequence[int] = (), seen_at: str = "") -> None:
        """Write the finding lifecycle's changes — new findings, changed ones, and those only seen
        again at ``seen_at`` (most of a day's, in one statement); call inside the transaction that
        read the findings."""
        table = self.db["tracked_findings"]
        table.insert_all(inserts)
        for finding_id, fields in updates:
            table.update(finding_id, fields)
        if seen_again:
            self.db.execute("update tracked_findings set last_seen = ? where id in (select value from json_each(?))",
                            [seen_at, json.dumps(list(seen_again))])

    def tracked_finding(self, finding_id: int) -> dict[str, Any] | None:
        row = self.db.execute("select * from tracked_findings where id = ?", [finding_id]).fetchone()
        if row is None:
            return None
        columns = [c[0] for c in self.db.execute("select * from tracked_findings limit 0").description]
        return dict(zip(columns, row, strict=True))

    def update_tracked_finding(self, finding_id: int, fields: dict[str, Any]) -> None:
        self.db["tracked_findings"].update(finding_id, fields)

    def open_tracked_findings(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.query("select * from tracked_findings where state = 'open' order by id")]
