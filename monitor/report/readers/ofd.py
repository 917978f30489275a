"""OFD (GB/T 33190), China's fixed-layout format: a zip of XML pages with positioned text.

``OFD.xml`` names the document root; the document lists its pages; each page's ``Content.xml``
holds ``TextObject``s with a ``Boundary`` and ``TextCode`` runs at X/Y offsets. We place every
run on the page and rebuild lines exactly as the PDF reader does with word boxes.
"""

from __future__ import annotations

import posixpath
import zipfile
from io import BytesIO

from lxml import etree

from monitor.report.document import Document
from monitor.report.textutil import clean_artifacts


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _find(el, name: str):
    for child in el.iter():
        if isinstance(child.tag, str) and _local(child.tag) == name:
            yield child


def _resolve(base: str, loc: str) -> str:
    loc = loc.strip()
    if loc.startswith("/"):
        return loc.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), loc))


def read_ofd(data: bytes) -> Document:
    zf = zipfile.ZipFile(BytesIO(data))
    names = {n.lstrip("/"): n for n in zf.namelist()}
    root_name = next((n for n in names if n.lower() == "ofd.xml"), None)
    if root_name is None:
        return Document("ofd", no_text_reason="OFD 文件缺少 OFD.xml，无法解析")
    ofd = etree.fromstring(zf.read(names[root_name]))
    lines: list[str] = []
    for doc_root in _find(ofd, "DocRoot"):
        doc_path = _resolve(root_name, doc_root.text or "")
        if doc_path not in names:
            continue
        document = etree.fromstring(zf.read(names[doc_path]))
        for page in _find(document, "Page"):
            page_path = _resolve(doc_path, page.get("BaseLoc", ""))
            if page_path not in names:
                continue
            lines.extend(_page_lines(etree.fromstring(zf.read(names[page_path]))))
            lines.append("")
    return Document("ofd", text=clean_artifacts("\n".join(lines)).strip("\n"))


def _page_lines(page) -> list[str]:
    runs: list[tuple[float, float, float, float, str]] = []
    for obj in _find(page, "TextObject"):
        bx, by, *_ = (float(v) for v in (obj.get("Boundary") or "0 0 0 0").split())
        size = float(obj.get("Size") or 3.5)
        for code in _find(obj, "TextCode"):
            text = code.text or ""
            if not text.strip():
                continue
            x = bx + float(code.get("X") or 0)
            y = by + float(code.get("Y") or 0)
            deltas = [float(v) for v in (code.get("DeltaX") or "").split() if _is_number(v)]
            width = sum(deltas) + size if deltas else size * len(text)
            runs.append((x, y - size, x + width, y, text))
    # same line rebuilding as for PDF word boxes
    from monitor.report.readers.pdf import lines_from_boxes

    return lines_from_boxes(runs)


def _is_number(v: str) -> bool:
    try:
        float(v)
        return True
    except ValueError:
        return False
