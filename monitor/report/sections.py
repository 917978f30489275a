"""The six required sections, found by their words rather than their numerals.

Headings come as 一、 / 1、 / （一） / markdown / bold, and reports reuse section words in
sub-headings (the 2019 seed has "四、存在的主要问题及改进措施" inside 总体情况). Every short line
whose words match a section is a candidate; the headings are the longest chain of candidates in
document order with increasing section numbers, preferring candidates whose numeral agrees.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass

from monitor.report.spec import SECTIONS
from monitor.report.textutil import cn_number, compact, strip_markup

MAX_HEADING_CHARS = 48
_TOP_NUMERAL = re.compile(r"^(?:第)?([一二三四五六七八九十]+|\d{1,2})(?:部分)?\s*[、.．,，:：\s]\s*")
_SUB_NUMERAL = re.compile(r"^[（(]([一二三四五六七八九十]+|\d{1,2})[）)]\s*")
_COMPILED = [(s.number, [re.compile(r"(政府信息公开(工作)?)?" + p) for p in s.patterns]) for s in SECTIONS]


# Canonical heading words, to recognise a misspelt heading (四、政府信息公开行政法复议、行政诉讼情况).
_CANONICAL_WORDS = [(spec.number, compact(spec.canonical)[2:]) for spec in SECTIONS]
FUZZY_RATIO = 0.9


def fuzzy_section(words: str) -> int | None:
    """The section whose canonical heading ``words`` (numbering removed) misspell, if exactly one."""
    flat = compact(words)
    hits = []
    for n, canonical in _CANONICAL_WORDS:
        if abs(len(flat) - len(canonical)) > 3:
            continue
        matcher = difflib.SequenceMatcher(None, flat, canonical)
        if matcher.quick_ratio() >= FUZZY_RATIO and matcher.ratio() >= FUZZY_RATIO:
            hits.append(n)
    return hits[0] if len(hits) == 1 else None


@dataclass(frozen=True)
class Heading:
    number: int  # the section it names
    line: int  # 1-based line number
    text: str
    numeral: int | None  # the numeral printed before it, if any
    sub_level: bool  # numbered like （一）, i.e. probably a sub-heading


@dataclass
class Sections:
    headings: dict[int, Heading]  # section number -> chosen heading
    out_of_order: list[int]
    total_lines: int

    @property
    def found(self) -> list[int]:
        return sorted(self.headings)

    @property
    def missing(self) -> list[int]:
        return [s.number for s in SECTIONS if s.number not in self.headings]

    def span(self, number: int) -> tuple[int, int] | None:
        """Lines (1-based, inclusive) of a section's body, heading excluded."""
        h = self.headings.get(number)
        if h is None:
            return None
        later = [o.line for o in self.headings.values() if o.line > h.line]
        return h.line + 1, (min(later) - 1 if later else self.total_lines)


def heading_candidates(lines: list[str]) -> list[Heading]:
    out = []
    for n, raw in enumerate(lines, 1):
        line = strip_markup(raw).strip()
        if not line or len(line) > MAX_HEADING_CHARS * 2:
            continue
        numeral, sub = None, False
        m = _TOP_NUMERAL.match(line)
        if m:
            numeral = cn_number(m.group(1))
            rest = line[m.end():]
        else:
            m = _SUB_NUMERAL.match(line)
            if m:
                numeral, sub = cn_number(m.group(1)), True
                rest = line[m.end():]
            else:
                rest = line
        flat = compact(rest)
        for number, patterns in _COMPILED:
            for pattern in patterns:
                hit = pattern.match(flat)
                if not hit:
                    continue
                tail = flat[hit.end():]
                # a heading line, or a heading followed by its first sentence after a colon
                if (not tail or tail[0] in "。：:") and (len(flat) <= MAX_HEADING_CHARS or tail[:1] in "：:"):
                    out.append(Heading(number, n, line, numeral, sub))
                    break
            else:
                continue
            break
        else:
            # a numbered heading whose words are a misspelling of exactly one section's
            if numeral and not sub and flat.endswith(("情况", "事项")) and len(flat) <= MAX_HEADING_CHARS \
                    and fuzzy_section(flat) == numeral:
                out.append(Heading(numeral, n, line, numeral, sub))
    return out


def _settle(pending: list[int], candidates: list[Heading], best: list[tuple[int, int, int, int]],
            ending: dict[int, tuple[tuple[int, int, int], int]]) -> None:
    """Candidates of a finished line become chain ends for the lines after it."""
    for i in pending:
        number, score = candidates[i].number, best[i][:3]
        if number not in ending or score > ending[number][0]:
            ending[number] = (score, i)
    pending.clear()


def find_sections(lines: list[str]) -> Sections:
    candidates = heading_candidates(lines)

    def weight(h: Heading) -> tuple[int, int]:
        return (1 if h.numeral == h.number and not h.sub_level else 0, -1 if h.sub_level else 0)

    # longest chain with strictly increasing line and section number; ties -> better numerals.
    # Section numbers are few, so the best chain ending in each number so far is kept: linear in
    # the candidates (a flattened page can have thousands), the same choice as comparing all pairs.
    best: list[tuple[int, int, int, int]] = []  # per candidate: (length, numeral score, sub penalty, prev)
    ending: dict[int, tuple[tuple[int, int, int], int]] = {}  # number -> (best score, earliest index)
    pending: list[int] = []  # candidates of the current line: chain only from earlier lines
    for i, h in enumerate(candidates):
        if pending and candidates[pending[0]].line != h.line:
            _settle(pending, candidates, best, ending)
        w = weight(h)
        entry = (1, w[0], w[1], -1)
        prev = max(((score, -j) for number, (score, j) in ending.items() if number < h.number), default=None)
        if prev is not None:
            (length, num, sub), j = prev[0], -prev[1]
            cand = (length + 1, num + w[0], sub + w[1], j)
            if cand[:3] > entry[:3]:
                entry = cand
        best.append(entry)
        pending.append(i)
    chosen: dict[int, Heading] = {}
    if candidates:
        i = max(range(len(candidates)), key=lambda k: best[k][:3])
        while i >= 0:
            chosen[candidates[i].number] = candidates[i]
            i = best[i][3]
    out_of_order = []
    for h in candidates:
        if h.number not in chosen:
            chosen[h.number] = h
            out_of_order.append(h.number)
    return Sections(chosen, sorted(set(out_of_order)), len(lines))
