"""CSV that a spreadsheet opens as data: cells that would start a formula are neutralised.

Titles and agency names come from portals, so a title such as ``=HYPERLINK(…)`` or
``+cmd|' /C calc'!A0`` must not reach the export, the site's downloads or a digest's attachment
as a formula. OWASP's rule: a text cell beginning with ``=``, ``+``, ``-``, ``@``, a tab or a
carriage return gets a leading apostrophe. Numbers stay numbers.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from typing import Any

FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")


def safe_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_rows(rows: Iterable[dict[str, Any]], columns: list[str]) -> Iterator[list[Any]]:
    """Rows as lists in ``columns`` order, every cell neutralised, lists joined by spaces (for
    ``csv.writer.writerows``, which writes a whole table at C speed)."""
    for row in rows:
        out = []
        for key in columns:
            value = row.get(key)
            if value.__class__ is list:
                value = " ".join(map(str, value))
            if value.__class__ is str and value.startswith(FORMULA_START):
                value = "'" + value
            out.append(value)
        yield out


class SafeWriter:
    """``csv.writer`` with every cell neutralised."""

    def __init__(self, out, **kwargs: Any) -> None:
        self._writer = csv.writer(out, **kwargs)

    def writerow(self, row) -> None:
        self._writer.writerow([safe_cell(v) for v in row])


class SafeDictWriter(csv.DictWriter):
    """``csv.DictWriter`` with every cell neutralised."""

    def writerow(self, rowdict):
        return super().writerow({k: safe_cell(v) for k, v in rowdict.items()})
