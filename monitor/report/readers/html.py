"""HTML pages: the main content as text, data tables as rows of cells, and the page's labels.

Portal pages wrap a report in navigation, breadcrumbs, share buttons and footers. We take the
content container the CMS marks (TRS ``.TRS_Editor``, Hanweb ``#zoom``, ``ContentStart`` meta
markers …) and fall back to the densest text block. Tables that hold other tables are layout,
not data; only leaf tables become structured rows, with merged cells kept as placeholders.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import lxml.html
from lxml import etree
from w3lib.encoding import html_body_declared_encoding, http_content_type_encoding

from monitor.report.document import Document, StructuredRow
from monitor.report.readers.text import decode_bytes, decode_evidence, normalise_newlines
from monitor.report.textutil import clean_artifacts, collapse_spaces

CONTENT_SELECTORS = (
    "#zoom", ".zoom", "#UCAP-CONTENT", ".TRS_Editor", ".trs_editor_view", ".TRS_UEDITOR",
    ".article-content", ".wzzw-article", ".bt-box-main", "#con_con", ".v_news_content",
    "#article-content", ".news_content", ".content-text", "#content", ".article", "article",
)
# Marker pairs some CMS templates put around the body.
CONTENT_MARKERS = (
    (re.compile(r'<meta\s+name=["\']?ContentStart["\']?[^>]*>', re.I),
     re.compile(r'<meta\s+name=["\']?ContentEnd["\']?[^>]*>', re.I)),
    (re.compile(r"<!--\s*<\$\[信息内容\]>begin\s*-->"), re.compile(r"<!--\s*<\$\[信息内容\]>end\s*-->")),
    (re.compile(r"<!--\s*ZJEG_RSS\.content\.begin\s*-->"), re.compile(r"<!--\s*ZJEG_RSS\.content\.end\s*-->")),
)
DROP_TAGS = ("script", "style", "noscript", "template", "iframe", "object", "embed", "svg", "select",
             "button", "input", "textarea")
BOILERPLATE = ("nav", "header", "footer", "aside")
BLOCK_TAGS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "tr", "table", "section",
    "article", "header", "footer", "blockquote", "pre", "dd", "dt", "dl", "center", "form", "hr",
    "tbody", "thead", "tfoot", "caption", "main", "figure", "figcaption", "title",
}
META_NAMES = {"articletitle": "title", "pubdate": "published", "contentsource": "publisher",
              "sitename": "site_name", "siteidcode": "site_id_code", "columnname": "column_name"}


def decode_html(data: bytes, content_type: str | None = None) -> str:
    """Decode a page by evidence: the HTTP header and ``<meta charset>`` are claims, checked
    against the bytes (:func:`monitor.report.readers.text.decode_evidence`)."""
    return decode_page(data, content_type)[0]


def decode_page(data: bytes, content_type: str | None = None) -> tuple[str, str, str]:
    """``(text, encoding, why)`` of a page."""
    header = http_content_type_encoding(content_type) if content_type else None
    meta = html_body_declared_encoding(data[:4096])
    return decode_evidence(data, header, meta)


def read_html(data: bytes, content_type: str | None = None, url: str | None = None,
              on_tree: Callable[[lxml.html.HtmlElement], None] | None = None) -> Document:
    source, encoding, why = decode_page(data, content_type) if data else ("", "", "")
    if not source.strip():
        return Document("html", no_text_reason="页面为空")
    doc = html_to_document(source, url=url, on_tree=on_tree)
    doc.meta["encoding"], doc.meta["encoding_evidence"] = encoding, why
    return doc


def html_to_document(source: str, url: str | None = None,
                     on_tree: Callable[[lxml.html.HtmlElement], None] | None = None) -> Document:
    """The page's text, table rows and facts. ``on_tree`` is shown the whole parsed page before the
    reader trims it, so that a caller needing more of the page (its links) does not parse it again."""
    source = normalise_newlines(source)
    root = _parse(source)
    if on_tree is not None:
        on_tree(root)
    meta = page_meta(root)
    _drop(root)
    grids: dict[lxml.html.HtmlElement, list[StructuredRow]] = {}
    meta["page_text"] = _render(root, grids)[0]
    main = _marked_content(source)
    if main is None:
        main = _main_content(root)
    text, rows = _render(main, grids)
    return Document("html", text=text, structured_rows=rows, meta=meta)


def _parse(source: str) -> lxml.html.HtmlElement:
    try:
        root = lxml.html.document_fromstring(source)
    except (etree.ParserError, ValueError):
        root = lxml.html.document_fromstring("<html><body></body></html>")
    return root


def _drop(root: lxml.html.HtmlElement) -> None:
    for el in list(root.iter(*DROP_TAGS)):
        if el.getparent() is not None:
            el.drop_tree()


def page_meta(root: lxml.html.HtmlElement) -> dict[str, str]:
    """Machine-readable facts from ``<meta>`` tags, ``<title>`` and ``<h1>``."""
    meta: dict[str, str] = {}
    for el in root.iter("meta"):
        name = (el.get("name") or el.get("property") or "").strip().lower()
        key = META_NAMES.get(name)
        content = (el.get("content") or "").strip()
        if key and content and key not in meta:
            meta[key] = content
    if "title" not in meta:
        h1 = root.find(".//h1")
        heading = collapse_spaces(h1.text_content()) if h1 is not None else ""
        title_el = root.find(".//title")
        page_title = collapse_spaces(title_el.text_content()) if title_el is not None else ""
        meta["title"] = heading or page_title
        if page_title:
            meta["page_title"] = page_title
    return {k: v for k, v in meta.items() if v}


def _marked_content(source: str) -> lxml.html.HtmlElement | None:
    for start_re, end_re in CONTENT_MARKERS:
        start = start_re.search(source)
        if not start:
            continue
        end = end_re.search(source, start.end())
        if not end:
            continue
        fragment = source[start.end():end.start()]
        if fragment.strip():
            root = _parse(f"<html><body><div>{fragment}</div></body></html>")
            _drop(root)
            return root.body
    return None


def _text_len(el: lxml.html.HtmlElement) -> int:
    return len("".join(el.text_content().split()))


def _link_len(el: lxml.html.HtmlElement) -> int:
    return sum(len("".join(a.text_content().split())) for a in el.iter("a"))


def _main_content(root: lxml.html.HtmlElement) -> lxml.html.HtmlElement:
    body = root.body if root.find("body") is not None else root
    for selector in CONTENT_SELECTORS:
        try:
            found = body.cssselect(selector)
        except Exception:  # an odd document can upset cssselect; fall through to density
            found = []
        found = [el for el in found if _text_len(el) >= 100]
        if found:
            return max(found, key=_text_len)
    # Density fallback: the block with the most non-link text, then its tightest descendant
    # that still holds nearly all of it.
    def score(el: lxml.html.HtmlElement) -> int:
        if el.tag in BOILERPLATE or any(k in (el.get("class") or "") + (el.get("id") or "")
                                        for k in ("nav", "footer", "header", "menu")):
            return 0
        return _text_len(el) - 3 * _link_len(el)

    best = body
    best_score = score(body)
    while True:
        children = [c for c in best if isinstance(c.tag, str)]
        scored = [(score(c), c) for c in children]
        good = [sc for sc in scored if sc[0] >= 0.8 * best_score]
        if not good:
            return best
        best_score, best = max(good, key=lambda sc: sc[0])


def _cell_text(cell: lxml.html.HtmlElement) -> str:
    parts = []
    for node in cell.iter():
        if node.tag in DROP_TAGS:
            continue
        if node is not cell and node.text:
            parts.append(node.text)
        elif node is cell and cell.text:
            parts.append(cell.text)
        if node is not cell and node.tail:
            parts.append(node.tail)
    # A line break inside a cell is layout (a wrapped label), not a separator.
    return clean_artifacts("".join(p.strip() if "\n" in p else p for p in parts)).strip()


def table_grid(table: lxml.html.HtmlElement) -> list[StructuredRow]:
    """Rows of a leaf table with rowspan/colspan expanded into ``None`` placeholders."""
    grid: list[StructuredRow] = []
    pending: dict[tuple[int, int], bool] = {}
    rows = [tr for tr in table.iter("tr")]
    for r, tr in enumerate(rows):
        row: StructuredRow = []
        c = 0
        for cell in tr:
            if cell.tag not in ("td", "th"):
                continue
            while pending.pop((r, c), False):
                row.append(None)
                c += 1
            rowspan = _span(cell.get("rowspan"))
            colspan = _span(cell.get("colspan"))
            row.append(_cell_text(cell))
            row.extend([None] * (colspan - 1))
            for dr in range(1, rowspan):
                for dc in range(colspan):
                    pending[(r + dr, c + dc)] = True
            c += colspan
        while pending.pop((r, c), False):
            row.append(None)
            c += 1
        grid.append(row)
    return grid


def _span(value: str | None) -> int:
    if value is None:  # most cells: no exception to raise and catch
        return 1
    try:
        return max(1, min(int(str(value).strip() or 1), 200))
    except ValueError:
        return 1


def _render(root: lxml.html.HtmlElement,
            grids: dict[lxml.html.HtmlElement, list[StructuredRow]] | None = None) -> tuple[str, dict[int, StructuredRow]]:
    """Text with block structure kept as lines; data tables as tab-separated rows. ``grids`` keeps
    tables already read (the page and its main content share them)."""
    grids = {} if grids is None else grids
    lines: list[str] = []
    rows: dict[int, StructuredRow] = {}
    buf: list[str] = []

    def flush() -> None:
        line = collapse_spaces("".join(buf))
        buf.clear()
        if line:
            lines.append(clean_artifacts(line))

    def walk(el: lxml.html.HtmlElement) -> None:
        if not isinstance(el.tag, str) or el.tag in DROP_TAGS:
            if el.tail:
                buf.append(el.tail)
            return
        if el.tag == "pre":  # preformatted text keeps its lines and tabs (a report pasted as text)
            flush()
            lines.extend(clean_artifacts(line.rstrip("\r ")) for line in el.text_content().split("\n"))
        elif el.tag == "table" and el.find(".//table") is None:
            flush()
            grid = grids.get(el)
            if grid is None:
                grid = grids[el] = table_grid(el)
            for row in grid:
                if any(cell for cell in row):
                    rows[len(lines)] = row
                    lines.append("\t".join(cell or "" for cell in row))
        else:
            block = el.tag in BLOCK_TAGS or el.tag in ("td", "th")
            if block:
                flush()
            if el.text:
                buf.append(el.text)
            for child in el:
                walk(child)
            if block:
                flush()
        if el.tail:
            buf.append(el.tail)

    walk(root)
    flush()
    return "\n".join(lines), rows


def text_of_html_fragment(fragment: str) -> str:
    """Plain text of an HTML fragment (list items, CDATA records)."""
    return _render(_parse(f"<html><body>{fragment}</body></html>").body)[0]


__all__ = [
    "decode_bytes",
    "decode_html",
    "html_to_document",
    "page_meta",
    "read_html",
    "table_grid",
    "text_of_html_fragment",
]
