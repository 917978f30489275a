"""PDF through PyMuPDF: lines rebuilt from word positions, table cells from the text layout.

PyMuPDF's own block order splits a table row into one block per cell. We rebuild visual lines
from word boxes instead (words whose vertical centres agree form a line) and put a tab wherever
the horizontal gap is wider than a character, so a table row reads as ``label\\t0\\t0 …`` and the
table parser treats it like any other tab-separated row. Wrapped labels stay on their own lines,
which the table parser joins back together.
"""

from __future__ import annotations

import pymupdf

from monitor.report.document import Document
from monitor.report.textutil import clean_artifacts

pymupdf.TOOLS.mupdf_display_errors(False)


def read_pdf(data: bytes) -> Document:
    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        if pdf.needs_pass:
            return Document("pdf", no_text_reason="PDF 文件已加密，无法提取文字")
        lines: list[str] = []
        meta = {k: v for k, v in (pdf.metadata or {}).items() if v and k in ("title", "author")}
        for page in pdf:
            lines.extend(page_lines(page))
            lines.append("")
    text = clean_artifacts("\n".join(lines)).strip("\n")
    doc = Document("pdf", text=text)
    if meta.get("title"):
        doc.meta["pdf_title"] = meta["title"]
    return doc


def page_lines(page: pymupdf.Page) -> list[str]:
    return lines_from_boxes(page_words(page))


def page_words(page: pymupdf.Page) -> list[tuple[float, float, float, float, str]]:
    """Words from character boxes, split at whitespace and at visible gaps.

    MuPDF joins text of adjacent table cells into one "word" when no space character separates
    them (``…情形）0``); splitting where the ink stops keeps a label and its number apart.
    """
    words: list[tuple[float, float, float, float, str]] = []
    for block in page.get_text("rawdict", flags=pymupdf.TEXTFLAGS_TEXT)["blocks"]:
        for line in block.get("lines", ()):
            current: list[tuple] = []
            for span in line["spans"]:
                size = span["size"] or 10.0
                for ch in span["chars"]:
                    c = ch["c"]
                    x0, y0, x1, y1 = ch["bbox"]
                    if c.isspace():
                        _flush(current, words)
                        continue
                    if current and x0 - current[-1][2] > size * 0.2:
                        _flush(current, words)
                    current.append((x0, y0, x1, y1, c))
            _flush(current, words)
    return words


def _flush(chars: list[tuple], words: list[tuple[float, float, float, float, str]]) -> None:
    if chars:
        words.append((chars[0][0], min(c[1] for c in chars), chars[-1][2], max(c[3] for c in chars),
                      "".join(c[4] for c in chars)))
        chars.clear()


def lines_from_boxes(boxes: list[tuple]) -> list[str]:
    """Visual lines from positioned text boxes ``(x0, y0, x1, y1, text)``, tabs at wide gaps."""
    if not boxes:
        return []
    # cluster boxes into visual lines by vertical centre
    items = sorted(boxes, key=lambda w: ((w[1] + w[3]) / 2, w[0]))
    clusters: list[list[tuple]] = []
    centre = -1e9
    for w in items:
        c = (w[1] + w[3]) / 2
        height = max(w[3] - w[1], 1.0)
        if clusters and abs(c - centre) <= height * 0.45:
            clusters[-1].append(w)
        else:
            clusters.append([w])
            centre = c
    out = []
    for cluster in clusters:
        cluster.sort(key=lambda w: w[0])
        parts: list[str] = []
        prev = None
        for w in cluster:
            if prev is not None:
                gap = w[0] - prev[2]
                height = max(prev[3] - prev[1], 1.0)
                if gap > height * 0.9:
                    parts.append("\t")
                elif gap > height * 0.15 or (prev[4][-1:].isascii() and w[4][:1].isascii()):
                    parts.append(" ")
            parts.append(w[4])
            prev = w
        out.append("".join(parts))
    return out
