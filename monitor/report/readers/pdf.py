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
    """A PDF's text page by page: its own text, or OCR where a page is only a picture (a scan)."""
    from monitor.report.readers import ocr

    with pymupdf.open(stream=data, filetype="pdf") as pdf:
        if pdf.needs_pass:
            return Document("pdf", no_text_reason="PDF 文件已加密，无法提取文字")
        meta = {k: v for k, v in (pdf.metadata or {}).items() if v and k in ("title", "author")}
        pages = ocr.Pages()
        budget = ocr.Budget()
        scans = {n for n, page in enumerate(pdf) if _is_scan(page)}
        unread: str | None = None
        for n, page in enumerate(pdf):
            if n not in scans:
                pages.add_text(page_lines(page))
                continue
            if unread is None and not ocr.available():
                unread = "扫描件（页面只有图片），未安装 OCR 引擎，无法识别文字"
            if unread is None and len(scans) > ocr.MAX_PAGES:
                unread = f"扫描件共 {len(scans)} 页，超过 OCR 上限 {ocr.MAX_PAGES} 页，未识别"
            if unread is None and budget.spent():
                unread = ocr.over_budget(pages.ocr_pages, len(scans), budget)
            if unread is not None:
                pages.add_text([])
                continue
            pages.add_reading(ocr.read_image(ocr.render_page(page)))
    text, confidence = ocr.text_of(pages)
    doc = Document("pdf", text=clean_artifacts(text), source=pages.source, confidence=confidence)
    if unread:
        # pages left unread would make sections and tables look missing: nothing is judged instead
        doc.no_text_reason = unread
    elif pages.ocr_pages and doc.unreadable_reason:
        doc.no_text_reason = "扫描件，OCR 未识别出文字"
    if meta.get("title"):
        doc.meta["pdf_title"] = meta["title"]
    return doc


def _is_scan(page: pymupdf.Page) -> bool:
    """A page with (almost) no text of its own but an image on it: a scanned page."""
    from monitor.report.readers.ocr import MIN_PAGE_CHARS

    chars = len("".join(page.get_text("text").split()))
    return chars < MIN_PAGE_CHARS and bool(page.get_images(full=False))


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
    return [line for line, _ in lines_with_spans(boxes)]


Span = tuple[int, int, float]  # [start, end) of a line's characters, and the score of the box they came from


def lines_with_spans(boxes: list[tuple], scanned: bool = False) -> list[tuple[str, list[Span]]]:
    """Visual lines from positioned boxes ``(x0, y0, x1, y1, text[, score])``, tabs at wide gaps;
    with each line, where each box's text landed in it and the box's score (1.0 when none).

    ``scanned``: the boxes are an OCR engine's, one per run of text. A line's height is then
    measured from the mean centre of the boxes it has so far (not its first box: a label spanning
    a table row's lines, centred in its cell, would split the row), and any visible gap between two
    boxes is a cell boundary (the engine already keeps the words of one run in one box)."""
    if not boxes:
        return []
    tab_gap = 0.1 if scanned else 0.9
    # cluster boxes into visual lines by vertical centre
    items = sorted(boxes, key=lambda w: ((w[1] + w[3]) / 2, w[0]))
    clusters: list[list[tuple]] = []
    centre = -1e9
    for w in items:
        c = (w[1] + w[3]) / 2
        height = max(w[3] - w[1], 1.0)
        if clusters and abs(c - centre) <= height * 0.45:
            clusters[-1].append(w)
            if scanned:
                centre += (c - centre) / len(clusters[-1])
        else:
            clusters.append([w])
            centre = c
    out = []
    for cluster in clusters:
        cluster.sort(key=lambda w: w[0])
        parts: list[str] = []
        spans: list[Span] = []
        at = 0
        prev = None
        for w in cluster:
            if prev is not None:
                gap = w[0] - prev[2]
                height = max(prev[3] - prev[1], 1.0)
                if gap > height * tab_gap:
                    parts.append("\t")
                    at += 1
                elif gap > height * 0.15 or (prev[4][-1:].isascii() and w[4][:1].isascii()):
                    parts.append(" ")
                    at += 1
            parts.append(w[4])
            spans.append((at, at + len(w[4]), w[5] if len(w) > 5 else 1.0))
            at += len(w[4])
            prev = w
        out.append(("".join(parts), spans))
    return out
