"""Text tables for a terminal: columns padded by display width, where a CJK character takes two."""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence


def width(text: str) -> int:
    """Columns ``text`` takes in a terminal (East Asian wide and full-width characters take two)."""
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 0 if unicodedata.combining(ch) else 1
               for ch in text)


def pad(text: object, columns: int, align: str = "<") -> str:
    """``text`` padded with spaces to ``columns`` display columns (never cut)."""
    value = str(text)
    fill = " " * max(0, columns - width(value))
    return value + fill if align == "<" else fill + value


def table(header: Sequence[str], rows: Sequence[Sequence[object]], align: str = "", gap: int = 2) -> list[str]:
    """Lines of a table whose columns fit their widest cell; ``align`` gives each column's
    alignment (``<`` or ``>``, default left)."""
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(width(row[i]) for row in cells) for i in range(len(header))]
    out = []
    for row in cells:
        parts = [pad(c, widths[i], align[i] if i < len(align) else "<") for i, c in enumerate(row)]
        out.append((" " * gap).join(parts).rstrip())
    return out
