"""What the store keeps of a judged report beyond the analysis itself, computed here once so the
store only persists values: the normalised prose and its similarity signature (copy detection
across reports) and 表三's carry-over rows (the cross-year rule X1).
"""

from __future__ import annotations

from typing import Any

from monitor.report.similarity import normalise, shingles, signature


def carry_rows(tables: dict[str, Any]) -> dict[str, list[int]]:
    """表三's 上年结转 and 结转下年度 rows, when fully readable: all the cross-year rule X1 needs."""
    out: dict[str, list[int]] = {}
    for row in (tables.get("t3") or {}).get("rows", []):
        if row["key"] in ("carried_in", "carried_out") and row["cell_count"] == row["expected_cells"] \
                and all(c["status"] == "ok" and isinstance(c["value"], int) for c in row["cells"]):
            out[row["key"]] = [c["value"] for c in row["cells"]]
    return out


def prose_signature(prose: str) -> bytes:
    """The MinHash signature of normalised prose, as stored."""
    return signature(shingles(prose)).tobytes()


def version_facts(authored_prose: str, tables: dict[str, Any], names: list[str]) -> dict[str, Any]:
    """The computed columns of a new version: prose without the unit's names, its signature, carry rows."""
    prose = normalise(authored_prose, [n for n in names if n])
    return {"prose": prose, "signature": prose_signature(prose), "carry": carry_rows(tables)}
