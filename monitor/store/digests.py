"""Named queries for digests and their deliveries (``monitor.publish.notify``)."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils


class DigestQueries:
    db: sqlite_utils.Database

    def digested_finding_ids(self, office: str) -> set[int]:
        """Findings an earlier digest to this office already carried."""
        return {row["finding_id"] for row in self.db.query(
            "select finding_id from digest_items where office = ?", [office])}

    def report_urls(self) -> dict[int, str]:
        return {row["id"]: row["url"] for row in self.db.query("select id, url from reports")}

    def scanned_reports(self) -> dict[int, str]:
        """Reports whose version in force was read, wholly or partly, by OCR: their text source."""
        return {row[0]: row[1] for row in self.db.execute(
            "select r.id, v.text_source from reports r join report_versions v on v.id = r.current_version_id "
            "where v.text_source != 'text'")}

    def create_digest(self, office: str, recipients: list[str], message: dict[str, Any], *, created_at: str,
                      items: Iterable[tuple[int, str]] = (), alert_ids: Iterable[int] = (),
                      new: int = 0, standing: int = 0) -> int:
        """A digest, the findings (id, kind) or operator alerts it carries and a pending delivery per
        recipient, in one transaction."""
        with self.transaction() as db:  # type: ignore[attr-defined]
            digest_id = db["digests"].insert({
                "office": office, "created_at": created_at, "as_of": message["as_of"],
                "subject": message["subject"], "new_items": new, "standing_items": standing,
                "message": json.dumps(message, ensure_ascii=False).encode("utf-8")}).last_pk
            db["deliveries"].insert_all(
                {"digest_id": digest_id, "recipient": r, "status": "pending", "attempts": 0} for r in recipients)
            db["digest_items"].insert_all(
                {"digest_id": digest_id, "finding_id": finding_id, "office": office, "kind": kind}
                for finding_id, kind in items)
            for alert_id in alert_ids:
                db["health_alerts"].update(alert_id, {"digest_id": digest_id})
        return digest_id

    def pending_deliveries(self, offices: set[str]) -> list[dict[str, Any]]:
        """Deliveries not yet sent (pending or failed before), with their digest's office and message."""
        return [dict(row) for row in self.db.query(
            "select d.id, d.digest_id, d.recipient, d.attempts, g.office, g.message from deliveries d "
            "join digests g on g.id = d.digest_id where d.status in ('pending', 'failed') order by d.id")
            if row["office"] in offices]

    def update_delivery(self, delivery_id: int, fields: dict[str, Any]) -> None:
        with self.transaction() as db:  # type: ignore[attr-defined]
            db["deliveries"].update(delivery_id, fields)

    def claim_delivery(self, delivery_id: int, owner: str, at: str) -> bool:
        """Take a pending (or failed) delivery for one sender; False if another has it or it is done."""
        with self.transaction() as db:  # type: ignore[attr-defined]
            cursor = db.execute("update deliveries set status = 'sending', claimed_by = ?, claimed_at = ? "
                                "where id = ? and status in ('pending', 'failed')", [owner, at, delivery_id])
            return cursor.rowcount == 1

    def settle_claims(self, decide: Callable[[dict[str, Any]], dict[str, Any] | None]) -> int:
        """Deliveries claimed by a sender (``sending``/``committing``): ``decide`` returns the fields
        to write for a claim that is stale, None for one still held. Returns how many were settled."""
        settled = 0
        with self.transaction() as db:  # type: ignore[attr-defined]
            for row in list(db.query("select id, status, claimed_by, claimed_at from deliveries "
                                     "where status in ('sending', 'committing')")):
                fields = decide(dict(row))
                if fields is not None:
                    db["deliveries"].update(row["id"], fields)
                    settled += 1
        return settled

    def open_health_alerts(self) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.query("select * from health_alerts where state = 'open' order by id")]
