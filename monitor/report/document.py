"""Documents: whatever a portal serves, turned into clean text plus table cells.

``read_document`` sniffs the bytes (not the file name, which portals get wrong) and hands them to
the reader for that format. Every reader returns a :class:`Document`; a document that has no
extractable text says why in ``no_text_reason`` instead of raising, so one broken attachment
never stops a crawl or a batch analysis.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass, field
from io import BytesIO
from pathlib import Path

# A table row as the reader saw it: one entry per grid column. ``None`` marks a position
# covered by a merged cell (rowspan/colspan, vMerge/gridSpan); "" is a real, empty cell.
StructuredRow = list["str | None"]

# Fewer visible characters than this and a document is treated as having no text (NO_TEXT).
MIN_TEXT_CHARS = 20
FORMATS = ("html", "pdf", "docx", "doc", "wps", "ofd", "text", "image")


@dataclass
class Document:
    """Clean text of a document plus what its reader knew about its tables and page."""

    format: str
    text: str = ""
    # 0-based line index in ``text`` -> the cells of a real table row rendered on that line.
    structured_rows: dict[int, StructuredRow] = field(default_factory=dict)
    # Page facts found outside the main text: title, published, publisher, index_no, page_text.
    meta: dict[str, str] = field(default_factory=dict)
    no_text_reason: str | None = None
    path: str | None = None
    # Where the text came from: the file's own text ("text"), images read by OCR ("ocr"), or both
    # page by page ("mixed"). What OCR read is said on every output, with its confidence.
    source: str = "text"
    # OCR only: 0-based line index in ``text`` -> [start, end) character spans of that line with
    # the engine's confidence (0–1) in the box they came from.
    confidence: dict[int, list[tuple[int, int, float]]] = field(default_factory=dict)

    @property
    def lines(self) -> list[str]:
        return self.text.split("\n")

    @property
    def unreadable_reason(self) -> str | None:
        """Why nothing in this document can be verified, or None when it has text."""
        if self.no_text_reason:
            return self.no_text_reason
        if len("".join(self.text.split())) < MIN_TEXT_CHARS:
            return "文件中没有可提取的文字（可能是扫描件或空文件）"
        return None


class UnreadableDocument(Exception):
    """The path cannot be read at all (missing, a directory, permission denied)."""


def sniff_format(data: bytes, filename: str | None = None, content_type: str | None = None) -> str:
    """The document format from magic bytes, then content type, then file extension."""
    head = data[:2048].lstrip()
    ext = Path(filename or "").suffix.lower().lstrip(".")
    ctype = (content_type or "").lower()
    if head.startswith(b"%PDF"):
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = set(zipfile.ZipFile(BytesIO(data)).namelist())
        except zipfile.BadZipFile:
            names = set()
        if "word/document.xml" in names:
            return "docx"
        if "OFD.xml" in names or any(n.lower().endswith("ofd.xml") for n in names):
            return "ofd"
        return ext if ext in ("docx", "ofd") else "text"
    if head.startswith(b"\xd0\xcf\x11\xe0"):  # OLE2 compound file: Word 97-2003 or WPS
        return "wps" if ext == "wps" else "doc"
    if head[:8] in (b"\x89PNG\r\n\x1a\n",) or head[:3] == b"\xff\xd8\xff" or head[:6] in (b"GIF87a", b"GIF89a"):
        return "image"
    if head[:4] in (b"II*\x00", b"MM\x00*"):
        return "image"
    low = head[:1024].lower()
    if b"<html" in low or b"<!doctype html" in low or b"<body" in low or b"<div" in low or b"<table" in low \
            or b"<p>" in low or b"<p " in low or "html" in ctype or ext in ("html", "htm", "shtml", "jsp"):
        return "html"
    return "text"


# Bounds on what a ZIP-based document (DOCX, OFD) may inflate to: a hostile file of a few hundred
# KB can expand to gigabytes. Sizes are the archive's own declared ones, which zipfile enforces.
MAX_INFLATED = 200 * 1024 * 1024  # all members together
MAX_MEMBER = 64 * 1024 * 1024  # any one member (an XML part is parsed whole)
MAX_RATIO = 100  # inflated / compressed, for archives that inflate past SMALL_ARCHIVE
SMALL_ARCHIVE = 16 * 1024 * 1024


def archive_bomb(data: bytes) -> str | None:
    """Why a ZIP-based document is refused unread (a decompression bomb), or None if it is sane."""
    try:
        infos = zipfile.ZipFile(BytesIO(data)).infolist()
    except (zipfile.BadZipFile, ValueError, OSError):
        return None  # not readable as an archive: the reader reports that itself
    if len(infos) > 10_000:
        return f"压缩包内文件过多（{len(infos)} 个）"
    inflated = sum(i.file_size for i in infos)
    largest = max((i.file_size for i in infos), default=0)
    if inflated > MAX_INFLATED or largest > MAX_MEMBER:
        return f"解压后过大（{inflated / 2**20:.0f} MB，单个文件最大 {largest / 2**20:.0f} MB）"
    if inflated > SMALL_ARCHIVE and inflated > MAX_RATIO * max(len(data), 1):
        return f"压缩比异常（{len(data) / 2**10:.0f} KB 解压为 {inflated / 2**20:.0f} MB）"
    return None
