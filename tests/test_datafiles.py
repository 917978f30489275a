"""The site's downloads are rewritten from the rows that changed: the same bytes as a fresh write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.publish.datafiles import UNCHANGED, Stale, write_data, write_keyed

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


def test_runs_of_copied_rows_survive_rows_removed_added_moved_and_repeated(tmp_path) -> None:
    """Unchanged rows are copied a run at a time (one slice for rows that followed each other):
    whatever moved around them, the files and the index are a fresh write's, build after build."""
    day1 = rows(3000)
    day2 = day1[:100] + day1[101:900] + rows(3005)[3000:] + day1[2000:2500] + day1[900:2000] + day1[2500:]
    day2[1500] = dict(day2[1500], title="更正")
    day2 += [day2[0], day2[1]]  # the same row twice
    day3 = day2[1:][::-1]
    live = tmp_path / "1"
    write_data(live, "reports", day1, COLUMNS)
    for n, day in enumerate((day2, day3), start=2):
        again, fresh = tmp_path / str(n), tmp_path / f"fresh{n}"
        count, copied = write_data(again, "reports", day, COLUMNS, previous=live)
        write_data(fresh, "reports", day, COLUMNS)
        assert files(again) == files(fresh) and count == len(day) and copied >= len(day) - 6
        live = again


def test_rows_made_a_batch_at_a_time_are_asked_for_only_where_their_source_moved(tmp_path) -> None:
    """With ``make_many`` the source alone stands for a row (the site gives a report's stamp): rows
    are made one batch at a time, and a rebuild asks only for the rows whose source is new."""
    made: list[list[int]] = []

    def make_many(sources: list[tuple[int, int]]) -> list[dict]:
        made.append([i for i, _ in sources])
        return [rows(2500, changed=1234 if stamp else None)[i] for i, stamp in sources]

    live, again, fresh = tmp_path / "live", tmp_path / "again", tmp_path / "fresh"
    assert write_keyed(live, "reports", ((None, (i, 0), None) for i in range(2500)), COLUMNS,
                       make_many=make_many) == (2500, 0)
    assert [len(m) for m in made] == [1000, 1000, 500]
    made.clear()
    day = [(None, (i, 1 if i == 1234 else 0), None) for i in range(2500)]
    assert write_keyed(again, "reports", day, COLUMNS, previous=live, make_many=make_many) == (2500, 2499)
    assert made == [[1234]]
    write_data(fresh, "reports", rows(2500, changed=1234), COLUMNS)
    for name in ("reports.json", "reports.csv"):  # (the index holds digests of sources, not of rows)
        assert files(again)[name] == files(fresh)[name]


def test_rows_known_unchanged_are_copied_by_their_keys(tmp_path) -> None:
    """A caller that knows which rows did not move (the judge's change feed) passes their keys
    alone: they are copied from the previous build without being made or digested, and the files
    are a fresh write's. A key the previous build lacks, or keys kept by other code, is Stale."""
    day1, day2 = rows(2500), rows(2500, changed=1234)
    del day2[10]
    day2.insert(2000, {**day1[5], "agency": "新增单位"})

    def keyed(day, known=()):
        return [(row["agency"], UNCHANGED if row["agency"] in known else row, row) for row in day]
    live, again, fresh = tmp_path / "live", tmp_path / "again", tmp_path / "fresh"
    write_keyed(live, "reports", keyed(day1), COLUMNS)
    unchanged = {row["agency"] for row in day2} - {"温县第1234局", "新增单位"}
    assert write_keyed(again, "reports", keyed(day2, unchanged), COLUMNS, previous=live) == (2500, 2498)
    write_keyed(fresh, "reports", keyed(day2), COLUMNS)
    assert files(again) == files(fresh)
    with pytest.raises(Stale):
        write_keyed(tmp_path / "x", "reports", keyed(day2, unchanged | {"新增单位"}), COLUMNS, previous=live)
    with pytest.raises(Stale):  # other columns: the kept rows are not these
        write_keyed(tmp_path / "y", "reports", keyed(day2, unchanged), COLUMNS[:3], previous=live)
    # rows without keys keep none
    write_data(tmp_path / "plain", "reports", day1, COLUMNS)
    assert not (tmp_path / "plain" / ".reports.keys").exists()
