"""The three statistics tables, parsed from any text layout a report arrives in.

Reports reach us as tab-separated rows with merged-cell gaps, one cell per line (DOCX export),
PDF text with labels wrapped mid-word and numbers on their own lines, or real HTML/DOCX tables.
Parsing happens in two steps:

1. :func:`build_rows` turns lines into layout-neutral :class:`Row`s — a label and the value cells
   after it — deciding for each empty cell whether it is a merged-cell gap or a blank cell.
2. The table parsers walk the rows in order against the row specs of a format
   (:mod:`monitor.report.spec`), matching labels by their words (wrapped, numbered or slightly
   misspelt), joining wrapped labels and numbers that spilled onto the next line.

Every parsed number keeps the line and column it came from.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from itertools import product
from math import prod
from typing import Any, Literal

from monitor.report.document import Document, StructuredRow
from monitor.report.spec import (
    FORMATS,
    T4_COLUMNS,
    T4_GROUPS,
    ColumnSpec,
    FormatSpec,
    NumberKind,
)
from monitor.report.textutil import compact

Layout = Literal["tab", "cells", "space", "structured"]

NUMBER_RE = re.compile(r"^[-+]?\d+(\.\d+)?$")
# Cells that stand where a number belongs but are not one: dashes, slashes, 无.
PLACEHOLDER_RE = re.compile(r"^([-—–~～/\\×xX*＊]+|无|空)$")
PAGE_MARKER = re.compile(r"^\s*([-—–]\s*\d{1,3}\s*[-—–]|第\s*\d{1,3}\s*页(\s*[,，/]?\s*共\s*\d{1,3}\s*页)?)\s*$")
NUMBERING_RE = re.compile(
    r"^(第?[一二三四五六七八九十]+[、.．]|[（(][一二三四五六七八九十\d]+[）)]|\d+[.、．]|[一二三四五六七八九十]+[、.．])"
)

# --------------------------------------------------------------------------- rows


@dataclass
class RawCell:
    text: str
    line: int  # 1-based line in Document.text
    col: int  # 1-based character column in that line

    @property
    def source(self) -> dict[str, int]:
        return {"line": self.line, "column": self.col}


@dataclass
class Row:
    """A table row as laid out: its label cells and the value cells after the last label."""

    label_cells: list[RawCell]
    values: list[RawCell]
    line: int
    end_line: int
    layout: Layout
    trailing_empty: int = 0  # empty cells after the label that the layout reads as gaps
    blank_tail: RawCell | None = None  # the empty last cell of a tab row, where a total may be left blank
    cells_after: int = 0  # cells from the first number to the end of a tab row

    @property
    def label(self) -> str:
        return "".join(c.text for c in self.label_cells)

    @property
    def has_numbers(self) -> bool:
        return any(is_number_text(v.text) for v in self.values)


def is_number_text(text: str) -> bool:
    return bool(NUMBER_RE.match(_number_compact(text)))


# A unit printed after a number (1234 件, 5949.09万元) is not part of it.
_UNIT = re.compile(r"(?<=\d)(件|条|个|项|次|人次|元|万元)$")
UNIT_WORD = re.compile(r"^(件|条|个|项|次|人次|元|万元)$")


@lru_cache(maxsize=8192)
def _number_compact(text: str) -> str:
    t = compact(text).replace(",", "").replace("，", "").replace("−", "-")
    return _UNIT.sub("", t) if t and not t[-1].isdigit() else t


# Numbers that ran together with their signs or decimal points (2648-18538, 13575394432.52).
RUN_RE = re.compile(r"^\d[\d.]*(-\d[\d.]*)+$|^\d+\.\d+\.\d[\d.]*$")


@lru_cache(maxsize=8192)
def is_value_text(text: str) -> bool:
    t = _number_compact(text)
    return bool(t) and bool(NUMBER_RE.match(t) or PLACEHOLDER_RE.match(t) or RUN_RE.match(t))


def build_rows(doc: Document) -> list[Row]:
    """Layout-neutral rows from a document's lines (and its readers' structured rows)."""
    rows: list[Row] = []
    block: list[list[Any]] = []  # one-cell-per-line block: [text, line, col]
    lines = doc.text.split("\n")

    def flush() -> None:
        if block:
            row = _row_from_cells([(t, ln, c) for t, ln, c in block], "cells")
            if row:
                rows.append(row)
            block.clear()

    for i, raw in enumerate(lines):
        ln = i + 1
        structured = doc.structured_rows.get(i)
        if structured is not None:
            flush()
            row = _row_from_structured(structured, raw, ln)
            if row:
                rows.append(row)
            continue
        if not raw.strip() and raw.count("\t") != 1:
            flush()
            continue
        if PAGE_MARKER.match(raw):
            continue  # "- 3 -" printed at a page break inside a table
        if raw.startswith("\t") and raw.count("\t") == 1:
            cell = raw[1:]
            block.append([cell.strip(), ln, 2 + len(cell) - len(cell.lstrip())])
            continue
        if block and "\t" not in raw:
            block[-1][0] += raw.strip()  # a wrapped cell continues on the next line
            continue
        flush()
        row = _row_from_tabs(raw, ln) if "\t" in raw else _row_from_spaces(raw, ln)
        if row:
            rows.append(row)
    flush()
    return rows


def _positions(raw: str, sep: str) -> list[tuple[str, int]]:
    out, col = [], 1
    for part in raw.split(sep):
        out.append((part, col))
        col += len(part) + len(sep)
    return out


def _row_from_tabs(raw: str, ln: int) -> Row | None:
    cells: list[tuple[str | None, int, int]] = []
    for text, col in _positions(raw, "\t"):
        stripped = text.strip()
        if " " not in stripped and "\u3000" not in stripped:
            cells.append((stripped, ln, col + len(text) - len(text.lstrip())))
            continue
        # "行政规范性文件 5": a number close to its label lost its tab (PDF); split it off
        tokens = [(m.group(), col + m.start()) for m in re.finditer(r"\S+", text)]
        k = len(tokens)
        while k > 1 and is_value_text(tokens[k - 1][0]):
            k -= 1
        if 0 < k < len(tokens) and not is_value_text(tokens[0][0]):
            cells.append((text[: tokens[k][1] - col].strip(), ln, tokens[0][1]))
            cells.extend((t, ln, c) for t, c in tokens[k:])
        else:
            cells.append((text.strip(), ln, col + len(text) - len(text.lstrip())))
    return _row_from_cells(cells, "tab")


def _row_from_structured(cells: StructuredRow, raw: str, ln: int) -> Row | None:
    cols = _positions(raw, "\t")
    out = []
    for k, cell in enumerate(cells):
        col = cols[k][1] if k < len(cols) else 1
        out.append((None if cell is None else cell.strip(), ln, col))
    return _row_from_cells(out, "structured")


def _row_from_cells(cells: list[tuple[str | None, int, int]], layout: Layout) -> Row | None:
    kinds = []
    for text, _, _ in cells:
        if text is None:
            kinds.append("gap")
        elif text == "":
            kinds.append("empty")
        elif is_value_text(text):
            kinds.append("value")
        else:
            kinds.append("label")
    labels = [k for k, kind in enumerate(kinds) if kind == "label"]
    last_label = labels[-1] if labels else -1
    label_cells = [RawCell(cells[k][0] or "", cells[k][1], cells[k][2]) for k in labels]
    after = list(range(last_label + 1, len(cells)))
    values: list[RawCell] = []
    trailing_empty = cells_after = 0
    blank_tail = None
    if layout == "tab":
        # Empties around the numbers are merged-cell gaps; only those between numbers are blanks.
        value_idx = [k for k in after if kinds[k] == "value"]
        if value_idx:
            span = range(value_idx[0], value_idx[-1] + 1)
            values = [RawCell(cells[k][0] or "", cells[k][1], cells[k][2]) for k in span if kinds[k] != "gap"]
        trailing_empty = sum(1 for k in after if kinds[k] == "empty")
        tail = after[-1] if after else None
        if tail is not None and kinds[tail] == "empty" and value_idx and tail > value_idx[-1]:
            blank_tail = RawCell("", cells[tail][1], cells[tail][2])
        cells_after = len(after) - after.index(value_idx[0]) if value_idx else 0
    else:
        values = [RawCell(cells[k][0] or "", cells[k][1], cells[k][2]) for k in after
                  if kinds[k] in ("value", "empty")]
    if not label_cells and not any(v.text for v in values):
        return None
    line_nos = [c[1] for c in cells]
    return Row(label_cells, values, min(line_nos), max(line_nos), layout, trailing_empty, blank_tail, cells_after)


def _row_from_spaces(raw: str, ln: int) -> Row | None:
    """A plain line: label words, then the numbers printed after it (PDF text layout)."""
    tokens = [(m.group(), m.start() + 1) for m in re.finditer(r"\S+", raw)]
    if not tokens:
        return None
    # a unit word after a number (3 件, … 395394432.52 元) belongs to no cell
    tokens = [t for k, t in enumerate(tokens)
              if not (k and UNIT_WORD.match(t[0]) and is_value_text(tokens[k - 1][0]))]
    k = len(tokens)
    while k > 0 and is_value_text(tokens[k - 1][0]):
        k -= 1
    label_cells = [RawCell(t, ln, c) for t, c in tokens[:k]]
    values = [RawCell(t, ln, c) for t, c in tokens[k:]]
    return Row(label_cells, values, ln, ln, "space")


# --------------------------------------------------------------------------- labels


def strip_numbering(text: str) -> str:
    while True:
        stripped = NUMBERING_RE.sub("", text, count=1)
        if stripped == text:
            return text
        text = stripped


@dataclass(frozen=True)
class LabelForms:
    """The ways a row or column label may be printed, precomputed for matching."""

    canonical: str  # compact canonical label with its numbering
    core: str  # compact canonical label without numbering
    forms: tuple[tuple[str, str], ...]  # (with numbering, core) for canonical + aliases

    @classmethod
    def of(cls, label: str, aliases: tuple[str, ...] = ()) -> LabelForms:
        forms = []
        for text in (label, *aliases):
            c = compact(text)
            forms.append((c, strip_numbering(c)))
        return cls(forms[0][0], forms[0][1], tuple(forms))


@lru_cache(maxsize=1 << 16)
def match_label(label: str, forms: LabelForms) -> Literal["exact", "alias", "fuzzy"] | None:
    """How ``label`` (as printed, maybe with a group label or wrap fragments) names this row.

    ``exact``/``alias``: the row's words are there (a wrapped tail or a merged group prefix is
    fine); ``fuzzy``: close but not the format's wording (LABEL_NONSTANDARD); None: another row.
    """
    text = compact(label)
    if not text:
        return None
    bare = strip_numbering(text)
    for n, (full, core) in enumerate(forms.forms):
        kind: Literal["exact", "alias"] = "exact" if n == 0 else "alias"
        if len(core) < 4:
            if bare == core or text.endswith(full):
                return kind
            continue
        idx = text.rfind(core)
        if idx >= 0:
            rest = text[idx + len(core):]
            canon_at = forms.core.find(core)
            if not rest or (canon_at >= 0 and forms.core[canon_at + len(core):].startswith(rest)):
                return kind
    # a label cut by a line wrap: its text ends with most of the row's words
    core = forms.core
    if len(core) >= 6:
        for k in range(len(core) - 1, max(6, -(-len(core) * 2 // 5)) - 1, -1):
            if text.endswith(core[:k]):
                return "exact"
    if len(core) >= 5:
        for n in range(max(3, len(core) - 2), len(core) + 3):
            matcher = difflib.SequenceMatcher(None, text[-n:], core)
            if matcher.real_quick_ratio() >= 0.8 and matcher.quick_ratio() >= 0.8 and matcher.ratio() >= 0.8:
                return "fuzzy"
    return None


def header_matches(found: str, expected: str) -> Literal["exact", "fuzzy"] | None:
    """Compare a column header; parenthetical notes such as （单位：万元） may vary."""
    a = re.sub(r"（[^）]*）?$", "", compact(found))
    b = re.sub(r"（[^）]*）?$", "", compact(expected))
    if a == b or (len(a) >= 2 and b.startswith(a)):  # equal, or cut short by a line wrap
        return "exact"
    if difflib.SequenceMatcher(None, a, b).ratio() >= 0.6:
        return "fuzzy"
    return None


# --------------------------------------------------------------------------- parsed values


@dataclass
class Cell:
    """One number of a table, where it came from and whether it can be used in the rules."""

    column: str
    raw: str
    value: int | Decimal | None
    status: Literal["ok", "blank", "unaligned"]
    kind: NumberKind
    line: int | None = None
    col: int | None = None
    confidence: float | None = None  # the OCR engine's, when the number was read from an image

    def to_json(self) -> dict[str, Any]:
        v = self.value
        out = {
            "column": self.column,
            "value": v if v is None or isinstance(v, int) else float(v),
            "raw": self.raw,
            "status": self.status,
            "source": {"line": self.line, "column": self.col} if self.line else None,
        }
        if self.confidence is not None:
            out["confidence"] = round(self.confidence, 3)
        return out


def parse_number(raw: str) -> int | Decimal | None:
    t = _number_compact(raw)
    if not NUMBER_RE.match(t):
        return None
    try:
        d = Decimal(t)
    except InvalidOperation:
        return None
    return int(d) if "." not in t else d


@dataclass
class TableRow:
    key: str
    label: str  # the format's label
    found_label: str  # as printed
    cells: list[Cell]
    line: int
    end_line: int
    label_match: str  # exact | alias | fuzzy
    cell_count: int
    expected: int
    run_together: bool = False  # its numbers ran together in the text (12000012)
    recovered: bool = False  # ... and exactly one reading of them satisfies the row's own rule


    def values(self) -> list[int | Decimal | None]:
        return [c.value if c.status == "ok" else None for c in self.cells]

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "label": self.label,
            "found_label": self.found_label,
            "label_match": self.label_match,
            "cell_count": self.cell_count,
            "expected_cells": self.expected,
            "line": self.line,
            "cells": [c.to_json() for c in self.cells],
            **({"run_together": True, "recovered": self.recovered} if self.run_together else {}),
        }


@dataclass
class HeaderIssue:
    expected: str
    found: str
    line: int
    col: int


@dataclass
class ParsedTable:
    name: str  # t2 | t3 | t4
    rows: list[TableRow] = field(default_factory=list)
    missing_rows: list[str] = field(default_factory=list)  # labels of required rows not found
    empty_rows: list[str] = field(default_factory=list)  # labels present with no numbers at all
    header_issues: list[HeaderIssue] = field(default_factory=list)
    span: tuple[int, int] | None = None  # first and last line the table occupies

    @property
    def found(self) -> bool:
        return bool(self.rows)

    def row(self, key: str) -> TableRow | None:
        return next((r for r in self.rows if r.key == key), None)

    def to_json(self) -> dict[str, Any]:
        return {
            "found": self.found,
            "span": list(self.span) if self.span else None,
            "rows": [r.to_json() for r in self.rows],
            "missing_rows": self.missing_rows,
            "recovered": any(r.recovered for r in self.rows),
        }


@dataclass
class Tables:
    format: str | None
    t2: ParsedTable
    t3: ParsedTable
    t4: ParsedTable

    def all(self) -> list[ParsedTable]:
        return [self.t2, self.t3, self.t4]

    def to_json(self) -> dict[str, Any]:
        spec = FORMATS.get(self.format or "")
        return {
            "format": self.format,
            "t2": self.t2.to_json(),
            "t3": {**self.t3.to_json(), "columns": [c.label for c in spec.t3_columns] if spec else None},
            "t4": self.t4.to_json(),
        }


# --------------------------------------------------------------------------- matching


@dataclass(frozen=True)
class _Target:
    key: str
    label: str
    forms: LabelForms
    columns: tuple[ColumnSpec, ...]
    row_total: bool = False  # its last column is the sum of the others (表三, R2)


WINDOW = 8  # how many spec rows a label may skip ahead (missing rows)
MAX_WRAP = 4  # label-only lines that may precede their numbers


@lru_cache(maxsize=1)
def _group_labels() -> tuple[str, ...]:
    groups = {compact(row.group) for fmt in FORMATS.values() for row in fmt.t3_rows if row.group}
    return tuple(sorted(groups))


def is_group_fragment(label: str) -> bool:
    """A piece of a table's group label (三、本年度办理结果, （六）其他处理) printed one or a few characters
    per line beside the rows, which is not part of any row's label."""
    text = compact(label)
    if not text:
        return True
    return len(text) <= 2 or (len(text) <= 6 and any(text in group for group in _group_labels()))


def _targets_t3(fmt: FormatSpec) -> list[_Target]:
    return [_Target(r.key, r.label, LabelForms.of(r.label, r.aliases), fmt.t3_columns, row_total=True)
            for r in fmt.t3_rows]


def _targets_t2(fmt: FormatSpec) -> list[_Target]:
    return [_Target(r.key, r.label, LabelForms.of(r.label, r.aliases), r.columns) for r in fmt.t2_rows]


def _match_rows(rows: list[Row], targets: list[_Target]) -> tuple[list[TableRow], set[int]]:
    """Assign rows to spec rows in order. Returns parsed rows and the indexes of rows consumed."""
    out: list[TableRow] = []
    used: set[int] = set()
    p = 0
    i = 0
    while i < len(rows) and p < len(targets):
        row = rows[i]
        if not row.values and row.trailing_empty == 0:
            i += 1
            continue
        # label candidates: the row's own label, then with the label-only lines above it
        candidates: list[tuple[str, int]] = [(row.label, i)]
        j = i - 1
        prefix = ""
        wrapped = 0
        while j >= 0 and wrapped < MAX_WRAP and not rows[j].values and j not in used:
            if not is_group_fragment(rows[j].label):
                # a vertical group label (（六）其⏎他处理) printed between a row's wrapped lines is skipped
                prefix = rows[j].label + prefix
                candidates.append((prefix + row.label, j))
                wrapped += 1
            j -= 1
        best: tuple[int, str, int, str] | None = None  # (target index, kind, first row, label)
        for wanted in ("exact", "fuzzy"):
            for q in range(p, min(p + WINDOW, len(targets))):
                for text, first in candidates:
                    kind = match_label(text, targets[q].forms)
                    if kind and (kind != "fuzzy") == (wanted == "exact"):
                        best = (q, kind, first, text)
                        break
                if best:
                    break
            if best:
                break
        if best is None:
            i += 1
            continue
        q, kind, first, text = best
        target = targets[q]
        expected = len(target.columns)
        values = list(row.values)
        if not values and row.trailing_empty >= expected:
            last = row.label_cells[-1] if row.label_cells else None
            values = [RawCell("", row.line, last.col if last else 1) for _ in range(expected)]
        elif target.row_total and row.blank_tail and len(values) == expected - 1 and row.cells_after == expected:
            values.append(row.blank_tail)  # a 总计 left blank: the row's last cell is there, and empty
        k = i + 1
        # numbers that spilled onto following lines (PDF text)
        while len(values) < expected and k < len(rows) and not rows[k].label_cells and rows[k].has_numbers \
                and len(values) + len(rows[k].values) <= expected:
            values.extend(rows[k].values)
            k += 1
        while len(values) > expected and not values[-1].text:
            values.pop()  # empty trailing cells of a wider grid
        used.update(range(first, k))
        found_label = "".join(r.label for r in rows[first:i + 1]) if first < i else row.label
        out.append(_table_row(target, kind, found_label.strip(), values, rows[first].line, rows[k - 1].end_line))
        p = q + 1
        i = k
    return out, used


def _table_row(target: _Target, kind: str, found_label: str, values: list[RawCell], line: int,
               end_line: int) -> TableRow:
    expected = len(target.columns)
    run_together = is_run_together(values, expected)
    recovered = False
    if run_together:
        readings = split_runs([v.text for v in values], expected, _row_total if target.row_total else None)
        if len(readings) == 1:
            values, recovered = _cells_of(values, readings[0]), True
    aligned = len(values) == expected
    cells = []
    for n, raw in enumerate(values):
        column = target.columns[n] if n < expected else None
        value = parse_number(raw.text)
        status: Literal["ok", "blank", "unaligned"]
        if not aligned:
            status = "unaligned"
        elif value is None:
            status = "blank"
        else:
            status = "ok"
        cells.append(Cell(column.label if column else f"第{n + 1}格", raw.text, value, status,
                          column.kind if column else "count", raw.line, raw.col))
    return TableRow(target.key, target.label, found_label, cells, line, end_line, kind, len(values), expected,
                    run_together, recovered)


# --------------------------------------------------------------------------- numbers run together

MAX_READINGS = 2  # enough to know whether a reading is the only one


def is_run_together(values: list[RawCell], expected: int) -> bool:
    """Fewer cells than the row has, all plain digits, enough digits for every cell: 6000017."""
    if not 0 < len(values) < expected:
        return False
    texts = [_number_compact(v.text) for v in values]
    digits = sum(sum(ch.isdigit() for ch in t) for t in texts)
    if not (0 < len(texts) < expected and digits >= expected
            and all(t.isdigit() or RUN_RE.match(t) or NUMBER_RE.match(t) for t in texts)):
        return False
    # evidence of a run, not of one cell missing: a "number" with a leading zero (00, 0121), a sign or
    # point inside, or at least two cells fewer than the row has
    return any((len(t) > 1 and t[0] == "0") or RUN_RE.match(t) for t in texts) or len(texts) <= expected - 2


MAX_NUMBER_DIGITS = 6  # no count in these tables runs to a million
MAX_SPLIT_STEPS = 20_000  # a run with more readings than this to try is left unread


def split_runs(tokens: list[str], n: int, valid: Callable[[list[int]], bool] | None,
               limit: int = MAX_READINGS, group: int | None = None) -> list[list[str]]:
    """The ways (at most ``limit``) to read digit ``tokens`` as ``n`` numbers that ``valid`` accepts.

    Each token holds one or more whole numbers (a space is always a boundary); a number has no
    leading zero and at most six digits. A reading with one digit per number is certain; any other
    needs a rule to check. ``valid`` is applied to every ``group`` numbers as soon as they are read
    (表四's three groups of five), so a wrong start is dropped at once; bounded work, always.
    """
    tokens = [_number_compact(t) for t in tokens]
    if not all(t.isdigit() for t in tokens):
        return []  # signs and decimal points: too many readings to be sure of one
    if sum(map(len, tokens)) == n:
        return [[ch for t in tokens for ch in t]]  # one digit per number: the only reading, no rule needed
    if valid is None:
        return []
    size = group or n
    out: list[list[str]] = []
    digits_from = [sum(len(t) for t in tokens[k:]) for k in range(len(tokens) + 1)]
    steps = 0

    def walk(k: int, start: int, current: list[int], pieces: list[str]) -> bool:
        nonlocal steps
        steps += 1
        if steps > MAX_SPLIT_STEPS:
            return False
        if len(current) % size == 0 and current and not valid(current[-size:]):
            return True
        if k == len(tokens):
            if len(current) == n:
                out.append(list(pieces))
            return len(out) < limit
        left = n - len(current)
        remaining = len(tokens[k]) - start + digits_from[k + 1]
        if left <= 0 or remaining < left or remaining > left * MAX_NUMBER_DIGITS:
            return True
        token = tokens[k]
        for end in range(start + 1, min(len(token), start + MAX_NUMBER_DIGITS) + 1):
            piece = token[start:end]
            if len(piece) > 1 and piece[0] == "0":
                break
            current.append(int(piece))
            pieces.append(piece)
            more = walk(k + 1, 0, current, pieces) if end == len(token) else walk(k, end, current, pieces)
            current.pop()
            pieces.pop()
            if not more:
                return False
        return True

    finished = walk(0, 0, [], [])
    if not finished and len(out) < limit:
        return []  # ran out of steps before knowing: not certain
    return out


def _row_total(values: list[int]) -> bool:
    return sum(values[:-1]) == values[-1]


def _cells_of(values: list[RawCell], reading: list[str]) -> list[RawCell]:
    """Cells for the numbers of a reading, each pointing at where its digits are printed."""
    cells, k, offset = [], 0, 0
    for piece in reading:
        while _number_compact(values[k].text)[offset:offset + len(piece)] != piece:
            k, offset = k + 1, 0
        cells.append(RawCell(piece, values[k].line, values[k].col + offset))
        offset += len(piece)
    return cells


def _missing(targets: list[_Target], matched: list[TableRow], rows: list[Row]) -> tuple[list[str], list[str]]:
    keys = {r.key for r in matched}
    missing, empty = [], []
    for t in targets:
        if t.key in keys:
            continue
        # a label printed with no numbers at all is an empty row, not a missing one
        if any(not r.values and match_label(r.label, t.forms) in ("exact", "alias") for r in rows):
            empty.append(t.label)
        else:
            missing.append(t.label)
    return missing, empty


def _span(rows: list[Row], used: set[int]) -> tuple[int, int] | None:
    if not used:
        return None
    return rows[min(used)].line, rows[max(used)].end_line


def parse_t3(rows: list[Row], fmt: FormatSpec) -> ParsedTable:
    targets = _targets_t3(fmt)
    matched, used = _match_rows(rows, targets)
    table = ParsedTable("t3", matched, span=_span(rows, used))
    if matched:
        table.missing_rows, table.empty_rows = _missing(targets, matched, rows)
        _resolve_by_columns(table, fmt, {t.key: t for t in targets})
    return table


MAX_ROW_READINGS = 32
MAX_COMBINATIONS = 4096


def _resolve_by_columns(table: ParsedTable, fmt: FormatSpec, targets: dict[str, _Target]) -> None:
    """Rows whose run of digits has several readings under their own total (R2) are settled by the
    columns: the one combination of readings under which every column balances (R1) and adds up
    to its total (R3). Then R1 and R3 hold by construction, so nothing is judged from a guess; with
    no such combination, or several, the rows stay unreadable."""
    open_rows = [row for row in table.rows if row.run_together and not row.recovered]
    if not open_rows:
        return
    choices = []
    for row in open_rows:
        readings = split_runs([c.raw for c in row.cells], row.expected, _row_total, limit=MAX_ROW_READINGS)
        if not readings or len(readings) == MAX_ROW_READINGS:
            return
        choices.append(readings)
    if prod(len(c) for c in choices) > MAX_COMBINATIONS:
        return
    results = [r.key for r in fmt.t3_rows if r.role == "result"]
    needed = {*results, "received", "carried_in", "total", "carried_out"}
    fixed = {row.key: [c.value for c in row.cells] for row in table.rows
             if not (row.run_together and not row.recovered) and row.cell_count == row.expected}
    if any(key not in fixed and key not in {r.key for r in open_rows} for key in needed):
        return
    if any(v is None for key in needed if key in fixed for v in fixed[key]):
        return
    found = []
    for combo in product(*choices):
        values = dict(fixed)
        values.update({row.key: [int(x) for x in reading] for row, reading in zip(open_rows, combo, strict=True)})
        columns = range(len(values["total"]))
        if all(sum(values[key][k] for key in results) == values["total"][k]
               and values["received"][k] + values["carried_in"][k] == values["total"][k] + values["carried_out"][k]
               for k in columns):
            found.append(combo)
            if len(found) > 1:
                return
    if len(found) != 1:
        return
    for n, (row, reading) in enumerate(zip(open_rows, found[0], strict=True)):
        raw = [RawCell(c.raw, c.line or row.line, c.col or 1) for c in row.cells]
        fresh = _table_row(targets[row.key], row.label_match, row.found_label, _cells_of(raw, reading),
                           row.line, row.end_line)
        fresh.run_together = fresh.recovered = True
        table.rows[table.rows.index(open_rows[n])] = fresh


def parse_t2(rows: list[Row], fmt: FormatSpec) -> ParsedTable:
    targets = _targets_t2(fmt)
    matched, used = _match_rows(rows, targets)
    table = ParsedTable("t2", matched, span=_span(rows, used))
    if not matched:
        return table
    table.missing_rows, table.empty_rows = _missing(targets, matched, rows)
    # column headers: the 信息内容 row printed above each group of rows
    by_key = {t.key: t for t in targets}
    checked: set[int] = set()
    for tr in matched:
        header = _header_above(rows, tr.line)
        if header is None or id(header) in checked:
            continue
        checked.add(id(header))
        cells = _header_cells(header)
        expected = by_key[tr.key].columns
        if len(cells) == 1 < len(expected):
            cells = _slice_header(cells[0], expected)
        if len(cells) != len(expected):
            continue
        for found, col in zip(cells, expected, strict=True):
            if header_matches(found.text, col.label) == "fuzzy":
                table.header_issues.append(HeaderIssue(col.label, found.text, found.line, found.col))
    return table


def _header_above(rows: list[Row], line: int) -> Row | None:
    before = [r for r in rows if r.end_line < line]
    for r in reversed(before[-3:]):
        if compact(r.label).startswith("信息内容"):
            return r
    return None


def _slice_header(cell: RawCell, expected: tuple[ColumnSpec, ...]) -> list[RawCell]:
    """A header whose column labels ran together (本年制发件数本年废纸件数现行有效件数), cut at the
    expected labels' lengths when the lengths add up exactly; else the one cell as it was."""
    text = compact(cell.text)
    lengths = [len(compact(col.label)) for col in expected]
    if len(text) != sum(lengths):
        return [cell]
    out, at = [], 0
    for n in lengths:
        out.append(RawCell(text[at:at + n], cell.line, cell.col + at))
        at += n
    return out


def _header_cells(row: Row) -> list[RawCell]:
    cells: list[RawCell] = []
    for c in row.label_cells:
        if row.layout == "space":
            cells.extend(RawCell(m.group(), c.line, c.col + m.start()) for m in re.finditer(r"\S+", c.text))
        else:
            cells.append(c)
    out = []
    for c in cells:
        text = compact(c.text)
        if text.startswith("信息内容"):  # the row header, sometimes run into the first column
            text = text[len("信息内容"):]
        if text:
            out.append(RawCell(text, c.line, c.col))
    return out


T4_SIZE = len(T4_GROUPS) * len(T4_COLUMNS)


def parse_t4(rows: list[Row]) -> ParsedTable:
    """表四: 15 numbers after the 行政复议 header, in one row or in three rows of five."""
    table = ParsedTable("t4")
    start = next((n for n, r in enumerate(rows) if "行政复议" in compact(r.label)), None)
    candidates = rows[start:] if start is not None else [r for r in rows if len(r.values) == T4_SIZE]
    values: list[RawCell] = []
    used_rows: list[Row] = []
    for r in candidates:
        if not r.has_numbers:
            continue
        values.extend(r.values)
        used_rows.append(r)
        if len(values) >= T4_SIZE:
            break
    while len(values) > T4_SIZE and not values[-1].text:
        values.pop()
    if not values:
        return table
    run_together = is_run_together(values, T4_SIZE)
    recovered = False
    if run_together:
        readings = split_runs([v.text for v in values], T4_SIZE, _row_total, group=len(T4_COLUMNS))
        if len(readings) == 1:
            values, recovered = _cells_of(values, readings[0]), True
    aligned = len(values) == T4_SIZE
    per = len(T4_COLUMNS)
    first_line = rows[start].line if start is not None else used_rows[0].line
    for g, (key, label) in enumerate(T4_GROUPS):
        group_values = values[g * per:(g + 1) * per]
        if not group_values and g:
            break
        cells = []
        for n, raw in enumerate(group_values):
            value = parse_number(raw.text)
            status: Literal["ok", "blank", "unaligned"] = "unaligned" if not aligned else (
                "ok" if value is not None else "blank")
            cells.append(Cell(T4_COLUMNS[n].label, raw.text, value, status, "count", raw.line, raw.col))
        table.rows.append(TableRow(key, label, label, cells, used_rows[0].line, used_rows[-1].end_line,
                                   "exact", len(values), T4_SIZE, run_together, recovered))
    table.span = (first_line, used_rows[-1].end_line)
    return table


# --------------------------------------------------------------------------- all tables


def detect_format(text: str) -> str | None:
    """The table format from its fingerprints (words only one of the two formats prints)."""
    flat = compact(text)
    scores = {v: sum(1 for f in spec.fingerprints if compact(f) in flat) for v, spec in FORMATS.items()}
    best = max(scores, key=lambda v: scores[v])
    if scores[best] < 2 or list(scores.values()).count(scores[best]) > 1:
        return None
    return best


def parse_tables(doc: Document, regions: dict[str, tuple[int, int]], fmt: str | None,
                 rows: list[Row] | None = None) -> Tables:
    """Parse 表二/三/四 within their regions (1-based inclusive line ranges by table name)."""
    rows = rows if rows is not None else build_rows(doc)

    def within(name: str) -> list[Row]:
        lo, hi = regions.get(name, (1, 10**9))
        return [r for r in rows if lo <= r.line <= hi]

    versions = [fmt] if fmt else list(FORMATS)
    best: Tables | None = None
    for version in versions:
        spec = FORMATS[version]
        t2 = parse_t2(within("t2"), spec)
        t3 = parse_t3(within("t3"), spec)
        candidate = Tables(version, t2, t3, parse_t4(within("t4")))
        if best is None or len(t2.rows) + len(t3.rows) > len(best.t2.rows) + len(best.t3.rows):
            best = candidate
    assert best is not None
    if fmt is None and not (best.t2.found or best.t3.found):
        best.format = None
    return best
