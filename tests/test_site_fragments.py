"""The statistics tables of a report page, drawn in Python, are the markup the Jinja2 template drew.

``tests/fixtures/site/tables.json`` holds, for six real reports and two synthetic ones (an
arithmetic error, a fuzzy row label, hostile text in a cell, a report cut short), the parsed
tables, the cells findings point at, and the HTML the template rendered before the tables moved
into :mod:`monitor.publish.fragments` (generated with that template before the move).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from monitor.publish.fragments import highlights, tables_html

CASES = json.loads((Path(__file__).parent / "fixtures" / "site" / "tables.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_tables_are_drawn_as_the_template_drew_them(case) -> None:
    assert str(tables_html(case["tables"], set(case["marks"]))) == case["html"]


def test_cells_a_finding_points_at_are_marked() -> None:
    mutated = next(c for c in CASES if c["name"] == "synthetic-mutated")
    html = str(tables_html(mutated["tables"], set(mutated["marks"])))
    assert html.count('class="num bad') == len(mutated["marks"]) and "7&lt;2" in html and "<2" not in html
    assert not str(tables_html(mutated["tables"], set())).count(" bad")


def test_a_row_named_by_a_cell_count_finding_is_marked_whole() -> None:
    tables = {"t4": {"rows": [{"key": "review", "label": "行政复议", "cells": [
        {"raw": "1", "column": "结果维持", "status": "ok", "source": {"line": 3, "column": 1}},
        {"raw": "2", "column": "结果纠正", "status": "ok", "source": {"line": 3, "column": 2}}]}]}}
    found = [{"code": "TABLE_CELL_COUNT", "severity": "error", "detail": {"row": "行政复议"}}]
    assert highlights(found, tables) == {"3:1", "3:2"}
