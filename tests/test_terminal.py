"""Terminal tables line up when cells are Chinese: a CJK character takes two columns."""

from __future__ import annotations

from monitor.terminal import pad, table, width


def test_columns_line_up_by_display_width() -> None:
    assert width("温县") == 4 and width("abc") == 3 and width("（一）") == 6
    lines = table(("门户网站", "页面"), [("温县 http://127.0.0.1:1/", 38), ("青川县 http://127.0.0.1:2/", 4)], "<>")
    assert len({width(line) for line in lines}) == 1  # every row as wide as the header
    assert lines[1].endswith("38") and lines[2].endswith(" 4")
    assert pad("县", 4) == "县  " and pad("县", 4, ">") == "  县"
