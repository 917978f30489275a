"""One reader per document format; each turns bytes into a :class:`monitor.report.document.Document`.

:func:`read_document` sniffs the format and dispatches; a reader never raises on bad content.
"""

from __future__ import annotations

from pathlib import Path

from monitor.report.document import Document, UnreadableDocument, archive_bomb, sniff_format

__all__ = ["read_document", "read_path"]


def read_document(
    data: bytes,
    filename: str | None = None,
    content_type: str | None = None,
    url: str | None = None,
) -> Document:
    """Read bytes of any supported format into a :class:`Document`; never raises on bad content."""
    # imported on first use: PyMuPDF alone takes most of a second to load, and a crawl starts before it reads
    from monitor.report.readers import docx, html, legacy, ocr, ofd, pdf, text

    fmt = sniff_format(data, filename, content_type)
    readers = {
        "html": lambda: html.read_html(data, content_type=content_type, url=url),
        "pdf": lambda: pdf.read_pdf(data),
        "docx": lambda: docx.read_docx(data),
        "ofd": lambda: ofd.read_ofd(data),
        "doc": lambda: legacy.read_legacy(data, "doc"),
        "wps": lambda: legacy.read_legacy(data, "wps"),
        "text": lambda: text.read_text(data),
        "image": lambda: ocr.scanned_document("image", ocr.image_pages(data)),
    }
    bomb = archive_bomb(data) if fmt in ("docx", "ofd") else None
    if bomb:
        doc = Document(fmt, no_text_reason=f"文件疑似压缩炸弹，未读取：{bomb}")
        doc.path = filename
        return doc
    try:
        doc = readers[fmt]()
    except Exception as exc:  # a corrupt file is a finding, not a crash
        doc = Document(fmt, no_text_reason=f"文件无法解析（{type(exc).__name__}: {exc}）")
    doc.path = filename
    return doc


def read_path(path: str | Path) -> Document:
    """Read a file from disk; raises :class:`UnreadableDocument` when the path itself is bad."""
    p = Path(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError as exc:
        raise UnreadableDocument(f"文件不存在：{p}") from exc
    except IsADirectoryError as exc:
        raise UnreadableDocument(f"这是一个目录，不是文件：{p}") from exc
    except OSError as exc:
        raise UnreadableDocument(f"无法读取文件 {p}：{exc.strerror or exc}") from exc
    doc = read_document(data, filename=p.name)
    doc.path = str(path)
    return doc
