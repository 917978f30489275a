"""Plain text, in whatever encoding a county portal happened to save it."""

from __future__ import annotations

import codecs
import re

from monitor.report.document import Document
from monitor.report.textutil import clean_artifacts

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


GB_NAMES = ("gb2312", "gbk", "gb_2312-80", "x-gbk", "cp936", "gb18030", "euc-cn")


def _codec(name: str | None) -> str | None:
    if not name:
        return None
    n = name.strip().strip("\"'").lower()
    if n in GB_NAMES:
        return "gb18030"  # their superset: pages declared gb2312 routinely hold GBK-only characters
    try:
        return codecs.lookup(n).name
    except LookupError:
        return None


def _plausible(text: str) -> float:
    """Share of characters a Chinese document is made of: CJK, ASCII, CJK and full-width marks."""
    if not text:
        return 0.0
    good = sum(1 for ch in text if "\u4e00" <= ch <= "\u9fff" or " " <= ch <= "~" or ch in "\n\r\t"
               or "\u3000" <= ch <= "\u303f" or "\uff00" <= ch <= "\uffef" or "\u2010" <= ch <= "\u2027")
    return good / len(text)


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 with no BOM: GB and UTF-8 text has no NUL byte, UTF-16 has one for every ASCII
    character; the byte order is the one whose reading looks like a Chinese document."""
    sample = data[:8192]
    if len(sample) < 4 or sample.count(0) < max(2, len(sample) // 200):
        return None
    sample = sample[: len(sample) - len(sample) % 2]
    scored = []
    for codec in ("utf-16-le", "utf-16-be"):
        text = _clean(sample, codec)
        if text is not None:
            scored.append((_plausible(text), codec))
    best = max(scored, default=None)
    return best[1] if best and best[0] >= 0.8 else None


_NON_ASCII_RUN = re.compile(rb"[\x80-\xff]+")


def _decode_mixed(data: bytes) -> str:
    """A page whose parts are in different encodings (a UTF-8 template, a report pasted in GBK):
    each run of non-ASCII bytes is read as UTF-8 if it is valid UTF-8 of Chinese (three-byte
    characters), else as GB18030; a run neither reads cleanly goes with the page's majority."""
    runs = [(m.start(), m.end(), m.group()) for m in _NON_ASCII_RUN.finditer(data)]
    verdicts: list[str | None] = []
    for _, _, run in runs:
        as_utf8 = _clean(run, "utf-8")
        if as_utf8 is not None and all(ch >= "\u0800" for ch in as_utf8):
            verdicts.append("utf-8")  # three-byte characters throughout: GBK bytes almost never are
        elif _clean(run, "gb18030") is not None:
            verdicts.append("gb18030")
        elif as_utf8 is not None:
            verdicts.append("utf-8")
        else:
            verdicts.append(None)
    majority = "utf-8" if verdicts.count("utf-8") >= verdicts.count("gb18030") else "gb18030"
    out, pos = [], 0
    for (start, end, run), verdict in zip(runs, verdicts, strict=True):
        out.append(data[pos:start].decode("ascii"))
        out.append(run.decode(verdict or majority, errors="replace"))
        pos = end
    out.append(data[pos:].decode("ascii"))
    return "".join(out)


def _clean(data: bytes, codec: str) -> str | None:
    try:
        return data.decode(codec)
    except (UnicodeDecodeError, LookupError):
        return None


def decode_evidence(data: bytes, *declared: str | None) -> tuple[str, str, str]:
    """Decode bytes by evidence: ``(text, encoding, why)``.

    A declaration (HTTP header, ``<meta>``) is a claim, not a fact: portals serve GBK as
    ``charset=utf-8`` and the reverse. Evidence wins in this order: a BOM; UTF-16 by its NUL
    pattern; bytes that are valid UTF-8 with non-ASCII text (GBK text almost never is); a declared
    charset under which the bytes decode cleanly; GB18030; and, for a page that mixes encodings,
    each line in whichever of UTF-8 or GB18030 reads it cleanly."""
    for bom, enc in _BOMS:
        if data.startswith(bom):
            return data.decode(enc, errors="replace"), enc, "BOM"
    claims = [c for c in (_codec(d) for d in declared) if c]
    utf8 = _clean(data, "utf-8")
    wide = _utf16_without_bom(data) if utf8 is None or "\x00" in utf8 else None
    if wide and (text := _clean(data, wide)) is not None:
        return text, wide, "UTF-16 字节模式（无 BOM）"
    if utf8 is not None and (not claims or claims[0] == "utf-8" or not utf8.isascii()):
        why = "声明为 utf-8 且字节有效" if claims and claims[0] == "utf-8" else "字节为有效 UTF-8"
        if claims and claims[0] != "utf-8" and not utf8.isascii():
            why = f"声明为 {claims[0]}，但字节为有效 UTF-8"
        return utf8, "utf-8", why
    for claim in claims:
        if claim != "utf-8" and (text := _clean(data, claim)) is not None:
            return text, claim, f"声明为 {claim} 且字节有效"
    gb = _clean(data, "gb18030")
    if gb is not None:
        why = f"声明为 {claims[0]}，但字节不符，按 GB18030 解码" if claims else "按 GB18030 解码"
        return gb, "gb18030", why
    return _decode_mixed(data), "mixed", "编码不一（UTF-8 与 GBK 混合），逐段解码"


def decode_bytes(data: bytes, declared: str | None = None) -> str:
    """Decode text by evidence (see :func:`decode_evidence`)."""
    return decode_evidence(data, declared)[0]


def normalise_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\x0c", "\n")


def read_text(data: bytes) -> Document:
    text = clean_artifacts(normalise_newlines(decode_bytes(data)))
    return Document("text", text=text)
