"""The site's downloads are rewritten from the rows that changed: the same bytes as a fresh write."""

from __future__ import annotations

import json
from pathlib import Path

from monitor.publish.datafiles import write_data

COLUMNS = ["jurisdiction", "agency", "year", "findings", "title"]


def rows(n: int, changed: int | None = None) -> list[dict]:
    out = [{"jurisdiction": "温县", "agency": f"温县第{i}局", "year": 2024, "findings": ["A", "B"][: i % 3],
            "title": "=HYPERLINK(\"http://x\")" if i % 7 == 0 else f"年报{i}"} for i in range(n)]
    if changed is not None:
        out[changed]["title"] = "更正后的标题"
    return out


def files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


def test_unchanged_rows_are_copied_and_the_bytes_are_a_fresh_writes(tmp_path) -> None:
    live, again, fresh = tmp_path / "live", tmp_path / "again", tmp_path / "fresh"
    assert write_data(live, "reports", rows(2500), COLUMNS) == (2500, 0)
    assert write_data(again, "reports", rows(2500, changed=1234), COLUMNS, previous=live) == (2500, 2499)
    assert write_data(fresh, "reports", rows(2500, changed=1234), COLUMNS) == (2500, 0)
    assert files(again) == files(fresh)
    data = json.loads((again / "reports.json").read_text(encoding="utf-8"))
    assert data[1234]["title"] == "更正后的标题" and len(data) == 2500
    csv_text = (again / "reports.csv").read_text(encoding="utf-8-sig")
    assert "'=HYPERLINK" in csv_text and "\n=HYPERLINK" not in csv_text  # copied rows stay neutralised
    # other columns: nothing is copied
    assert write_data(tmp_path / "cols", "reports", rows(10), COLUMNS[:3], previous=live)[1] == 0


def test_a_damaged_previous_build_is_not_trusted(tmp_path) -> None:
    live, again, fresh = tmp_path / "live", tmp_path / "again", tmp_path / "fresh"
    write_data(live, "status", rows(300), COLUMNS)
    (live / "status.json").write_bytes((live / "status.json").read_bytes()[:1000])  # cut short
    assert write_data(again, "status", rows(300), COLUMNS, previous=live)[1] == 0
    write_data(fresh, "status", rows(300), COLUMNS)
    assert files(again) == files(fresh)
    (live / ".status.rows").write_bytes(b"garbage")
    assert write_data(again, "status", rows(300), COLUMNS, previous=live)[1] == 0
    assert write_data(tmp_path / "empty", "status", [], COLUMNS, previous=tmp_path / "none") == (0, 0)
    assert json.loads((tmp_path / "empty" / "status.json").read_text(encoding="utf-8")) == []
