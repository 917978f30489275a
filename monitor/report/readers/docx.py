"""DOCX: paragraphs and tables in body order; a merged cell appears once, its span as placeholders.

python-docx's ``row.cells`` repeats a merged cell in every grid position it covers, which would
duplicate a label or a number. We walk the ``w:tc`` elements ourselves: ``gridSpan`` adds
placeholders to the right, a ``vMerge`` continuation is a placeholder in its own row.

Only two parts of the package are read (the main document and the core properties, found through
the package's relationships), with lxml and the parser settings python-docx uses: opening the
whole package through python-docx parsed every part (styles, numbering, settings) and took as
long as reading the text.
"""

from __future__ import annotations

import posixpath
import zipfile
from io import BytesIO

from lxml import etree

from monitor.report.document import Document, StructuredRow
from monitor.report.textutil import clean_artifacts, collapse_spaces

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
P, T, TAB, BR, CR = W + "p", W + "t", W + "tab", W + "br", W + "cr"
TBL, TR, TC, TC_PR, GRID_SPAN, V_MERGE, VAL = W + "tbl", W + "tr", W + "tc", W + "tcPr", W + "gridSpan", W + "vMerge", W + "val"
SDT, SDT_CONTENT, BODY = W + "sdt", W + "sdtContent", W + "body"
RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
BLIP = "{http://schemas.openxmlformats.org/drawingml/2006/main}blip"
EMBED = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
MAIN_DOCUMENT = "/officeDocument"
CORE_PROPERTIES = "/metadata/core-properties"
DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
PARSER = etree.XMLParser(remove_blank_text=True, resolve_entities=False, no_network=True)


def read_docx(data: bytes) -> Document:
    with zipfile.ZipFile(BytesIO(data)) as package:
        parts = _package_parts(package)
        main = parts.get(MAIN_DOCUMENT, "word/document.xml")
        body = etree.fromstring(package.read(main), PARSER).find(BODY)
        core = parts.get(CORE_PROPERTIES)
        title_el = etree.fromstring(package.read(core), PARSER).find(DC_TITLE) \
            if core and core in package.namelist() else None
        lines: list[str] = []
        rows: dict[int, StructuredRow] = {}
        if body is not None:
            _walk(body, lines, rows)
        text = clean_artifacts("\n".join(lines))
        # a document that is only pictures of its pages (a scan pasted into Word): read them by OCR
        images = _images(package, main, body) if body is not None and len("".join(text.split())) < 20 else []
    title = (title_el.text or "").strip() if title_el is not None else ""
    doc = _scanned(images) if images else Document("docx", text=text, structured_rows=rows)
    if title:
        doc.meta["docx_title"] = title
    return doc


def _images(package: zipfile.ZipFile, main: str, body) -> list[bytes]:
    """The pictures the document shows, in the order it shows them."""
    rels_path = posixpath.join(posixpath.dirname(main), "_rels", posixpath.basename(main) + ".rels")
    try:
        rels = etree.fromstring(package.read(rels_path), PARSER)
    except KeyError:
        return []
    targets = {rel.get("Id"): posixpath.normpath(posixpath.join(posixpath.dirname(main), rel.get("Target") or ""))
               for rel in rels.iter(RELS) if (rel.get("Type") or "").endswith("/image")}
    out = []
    for blip in body.iter(BLIP):
        target = targets.get(blip.get(EMBED))
        if target and target in package.namelist():
            out.append(package.read(target))
    return out


def _scanned(images: list[bytes]) -> Document:
    from monitor.report.readers import ocr

    pictures = []
    for data in images:
        pages = ocr.image_pages(data)
        if isinstance(pages, str):
            return Document("docx", no_text_reason=f"扫描件图片{pages}", source="ocr")
        pictures.extend(pages)
    return ocr.scanned_document("docx", pictures)


def _package_parts(package: zipfile.ZipFile) -> dict[str, str]:
    """The package's main document and core properties, by relationship type (a path in the zip)."""
    try:
        rels = etree.fromstring(package.read("_rels/.rels"), PARSER)
    except KeyError:
        return {}
    out = {}
    for rel in rels.iter(RELS):
        kind, target = rel.get("Type") or "", (rel.get("Target") or "").lstrip("/")
        for wanted in (MAIN_DOCUMENT, CORE_PROPERTIES):
            if kind.endswith(wanted) and wanted not in out and target:
                out[wanted] = posixpath.normpath(target)
    return out


def _paragraph_text(p) -> str:
    parts = []
    for node in p.iter():
        tag = node.tag
        if tag == T:
            parts.append(node.text or "")
        elif tag == TAB:
            parts.append(" ")
        elif tag in (BR, CR):
            parts.append("\n")
    return "".join(parts)


def _walk(container, lines: list[str], rows: dict[int, StructuredRow]) -> None:
    for child in container.iterchildren():
        if child.tag == P:
            for line in _paragraph_text(child).split("\n"):
                lines.append(line.rstrip())
        elif child.tag == TBL:
            for row in table_rows(child):
                if any(cell for cell in row):
                    rows[len(lines)] = row
                    lines.append("\t".join(cell or "" for cell in row))
            lines.append("")
        elif child.tag == SDT:
            content = child.find(SDT_CONTENT)
            if content is not None:
                _walk(content, lines, rows)


def table_rows(tbl) -> list[StructuredRow]:
    out: list[StructuredRow] = []
    for tr in tbl.iterchildren(TR):
        row: StructuredRow = []
        for tc in tr.iterchildren(TC):
            tc_pr = tc.find(TC_PR)
            span = 1
            continued = False
            if tc_pr is not None:
                grid_span = tc_pr.find(GRID_SPAN)
                if grid_span is not None:
                    span = _span(grid_span.get(VAL, "1"))
                v_merge = tc_pr.find(V_MERGE)
                if v_merge is not None and v_merge.get(VAL, "continue") != "restart":
                    continued = True
            if continued:
                row.extend([None] * span)
                continue
            # paragraphs inside a cell are wrapped lines of one value
            text = "".join(_paragraph_text(p) for p in tc.iter(P))
            row.append(collapse_spaces(text.replace("\n", "")))
            row.extend([None] * (span - 1))
        out.append(row)
    return out


def _span(value: str) -> int:
    """A cell's gridSpan, within reason (a hostile file may say anything)."""
    try:
        return max(1, min(int(value.strip() or 1), 200))
    except ValueError:
        return 1
