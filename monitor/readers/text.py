"""Plain text, in whatever encoding a county portal happened to save it."""

from __future__ import annotations

import codecs

from monitor.document import Document
from monitor.textutil import clean_artifacts

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode text: BOM first, then the declared charset, then UTF-8, then GB18030.

    GB2312 and GBK declarations are read as GB18030, their superset: pages declared gb2312
    routinely contain GBK-only characters.
    """
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace")
    candidates = []
    if declared:
        d = declared.strip().lower()
        candidates.append("gb18030" if d in ("gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936") else d)
    candidates += ["utf-8", "gb18030"]
    for enc in candidates:
        try:
            return data.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
    return data.decode("utf-8", errors="replace")


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")


def read_text(data: bytes) -> Document:
    text = clean_artifacts(normalise_newlines(decode_bytes(data)))
    return Document("text", text=text)
