"""The judge's change feed: what each judgement changed, so a publisher redoes only that.

Every judgement remakes every status row and finding; telling which of them moved means comparing
all of them with the last judgement's. :func:`monitor.judge.judge` does that once a cycle — it
compares the findings with their tracked lifecycle anyway, and digests each status row here — and
logs the (jurisdiction, unit, year) keys and reports that moved under a cycle number. A publisher
that recorded the cycle it last published from reads what moved since (``Store.judge_changes_since``)
instead of digesting 100k rows again.

The digests are of what the judgement says (the row's :meth:`StatusRow.signature`, each finding's
shown fields), not of what it read: a deadline passing at a later ``as_of``, a registry edit, a
report appearing or a change to the judge's code moves the rows it changes, and nothing else.
"""

from __future__ import annotations

import hashlib
import pickle
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from monitor.store.feed import ChangeKey

if TYPE_CHECKING:
    from monitor.judge import Evaluation, StatusRow
    from monitor.store import Store

# a finding's fields a publisher shows: one of them moved, the finding moved (``last_seen`` is not one)
SHOWN_FIELDS = ("jurisdiction", "agency", "year", "report_id", "code", "severity", "message", "detail")
_SEP = "\x1f"  # between a row key's parts (never in a name: a control character)


@dataclass(frozen=True)
class FeedMark:
    """The judgement an evaluation came from: its cycle number and that cycle's random token."""

    token: str
    cycle: int


def row_digest(row: StatusRow) -> bytes:
    """A status row's :meth:`StatusRow.signature`, digested: what a publisher compares."""
    return hashlib.blake2b(pickle.dumps(row.signature(), 5), digest_size=16).digest()


def row_key(jurisdiction: str, agency: str, year: int) -> str:
    return f"{jurisdiction}{_SEP}{agency}{_SEP}{year}"


def key_parts(key: str) -> tuple[str, str, int]:
    jurisdiction, agency, year = key.split(_SEP)
    return jurisdiction, agency, int(year)


def finding_moved(stored: dict[str, Any], fields: dict[str, Any]) -> bool:
    """Whether a tracked finding (as stored by the last judgement) says anything else now."""
    return any(stored[name] != fields[name] for name in SHOWN_FIELDS)


def record_cycle(store: Store, evaluation: Evaluation, moved: set[ChangeKey]) -> FeedMark:
    """Log the status rows that moved since the last judgement (by their digests) with the
    findings' ``moved`` keys, and return the new cycle's mark. Call inside the judgement's
    transaction."""
    old = store.judged_row_digests()
    upserts: dict[str, bytes] = {}
    changes = set(moved)
    seen: set[str] = set()
    digests = evaluation.row_digests()
    for r in evaluation.rows:
        key = row_key(r.jurisdiction, r.agency, r.year)
        seen.add(key)
        digest = digests[(r.jurisdiction, r.agency, r.year)]
        if old.get(key) != digest:
            upserts[key] = digest
            changes.add((r.jurisdiction, r.agency, r.year, None))
    removed = old.keys() - seen
    changes.update((*key_parts(key), None) for key in removed)
    token, cycle = store.record_judge_cycle(upserts, removed, changes)
    return FeedMark(token, cycle)
