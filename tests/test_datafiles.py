"""The site's downloads are rewritten from the rows that changed: the same bytes as a fresh write."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.publish.datafiles import Stale, write_data, write_keyed, write_planned

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
    """A caller that knows which rows moved (the judge's change feed) gives every row's key and
    the moved rows' positions: the others are copied by their keys, without being made or
    digested, and the files are a fresh write's — rows changed, added, removed and reordered, a
    key kept as a tuple. Without the previous build's keys (or with keys of other columns) it is
    Stale, and the caller writes every row."""
    def keyed(day):
        return [((row["agency"], row["year"]), row, row) for row in day]

    def planned(folder, day, moved, previous, columns=COLUMNS):
        asked: list[int] = []

        def redo(at):
            asked.extend(at)
            return [(day[i], day[i]) for i in at]
        result = write_planned(folder, "reports", [(r["agency"], r["year"]) for r in day], moved, redo, columns,
                               previous)
        return result, asked

    day1 = rows(2500)
    day2 = rows(2500, changed=1234)
    del day2[10]
    day2.insert(2000, {**day1[5], "agency": "新增单位"})
    day2[100:200] = day2[150:200] + day2[100:150]  # reordered: two runs
    live = tmp_path / "live"
    write_keyed(live, "reports", keyed(day1), COLUMNS)
    changed_at = next(i for i, r in enumerate(day2) if r["title"] == "更正后的标题")
    (count, copied), asked = planned(tmp_path / "again", day2, [changed_at], live)
    assert (count, copied) == (2500, 2498) and sorted(asked) == sorted([changed_at, 2000])
    write_keyed(tmp_path / "fresh", "reports", keyed(day2), COLUMNS)
    assert files(tmp_path / "again") == files(tmp_path / "fresh")
    # and the next day, from the planned build's files
    day3 = day2[:-3]
    (count, copied), asked = planned(tmp_path / "three", day3, [], tmp_path / "again")
    write_keyed(tmp_path / "fresh3", "reports", keyed(day3), COLUMNS)
    assert files(tmp_path / "three") == files(tmp_path / "fresh3") and asked == [] and count == 2497
    assert planned(tmp_path / "four", day3, [], tmp_path / "three")[0] == (2497, 2497)  # nothing moved
    assert files(tmp_path / "four") == files(tmp_path / "fresh3")
    day5 = [dict(r) for r in day3]
    day5[7]["title"] = "又改了"  # the same rows in the same order, one changed
    (count, copied), asked = planned(tmp_path / "five", day5, [7, 8], tmp_path / "four")
    write_keyed(tmp_path / "fresh5", "reports", keyed(day5), COLUMNS)
    assert files(tmp_path / "five") == files(tmp_path / "fresh5") and asked == [7, 8] and copied == 2495
    with pytest.raises(Stale):  # other columns: the kept rows are not these
        planned(tmp_path / "y", day2, [], live, COLUMNS[:3])
    write_data(tmp_path / "plain", "reports", day1, COLUMNS)  # rows without keys keep none
    assert not (tmp_path / "plain" / ".reports.keys").exists()
    with pytest.raises(Stale):
        planned(tmp_path / "z", day2, [], tmp_path / "plain")
