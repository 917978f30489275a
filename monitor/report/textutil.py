"""Small text helpers shared by the readers and the checks: normalising, numerals, dates."""

from __future__ import annotations

import re
from datetime import date, datetime

_FULLWIDTH = str.maketrans(
    "０１２３４５６７８９．，／－＋：（）【】［］",
    "0123456789.,/-+:（）【】[]",
)
_QUOTES = re.compile(r"[“”\"'‘’「」『』〝〞]")
_SPACES = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_ARTIFACTS = re.compile(r"\[bookmark: [^\]]*\]")
# Markdown a converter may leave around a line: heading and quote markers, and emphasis that wraps
# the whole line. Underscores and asterisks inside the text are kept (titles may contain them).
_MARKUP = re.compile(r"^[#>\s]+|^[-*]\s+|^(\*\*|__)|(\*\*|__)$")

CN_DIGITS = {"〇": 0, "零": 0, "○": 0, "Ｏ": 0, "O": 0, "一": 1, "二": 2, "两": 2, "三": 3,
             "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


# Characters that only traditional Chinese writes (區 縣 鎮 報 開 …): a copy in traditional script.
_TRADITIONAL = re.compile(r"[區縣鎮鄉報開資業體們說會機關處與於這時發財務]")
TRADITIONAL_SHARE = 0.005


def to_simplified(text: str) -> str:
    """Text in simplified script: some copies of reports reach us converted to traditional."""
    if not text or len(_TRADITIONAL.findall(text)) < max(3, TRADITIONAL_SHARE * len(text)):
        return text
    import zhconv

    return zhconv.convert(text, "zh-cn")


def clean_artifacts(text: str) -> str:
    """Drop converter artifacts such as ``[bookmark: _GoBack]`` that are not report text."""
    return _ARTIFACTS.sub("", text)


# compact() in one pass: full-width digits and marks to half-width, "(" ")" to full width, quote marks
# and every whitespace character (what the regex \s matches, plus zero-width space and BOM) dropped.
_COMPACT = str.maketrans({
    **{k: v for k, v in zip("０１２３４５６７８９．，／－＋：", "0123456789.,/-+:", strict=True)},
    "［": "[", "］": "]", "(": "（", ")": "）",
    **dict.fromkeys("“”\"'‘’「」『』〝〞"),
    **dict.fromkeys(chr(c) for c in range(0x10000) if chr(c).isspace()),
    "\u200b": None, "\ufeff": None,
})


def compact(text: str) -> str:
    """Text for matching: no whitespace, no quote marks, half-width digits, one bracket style.

    Labels wrap, carry stray spaces and use either bracket width; comparing compacted forms
    makes "结果 维持", "结果\\n维持" and "结果维持" the same label.
    """
    if "[bookmark" in text:
        text = clean_artifacts(text)
    return text.translate(_COMPACT)


def strip_markup(line: str) -> str:
    """Remove markdown heading and emphasis markers that some converters leave behind."""
    return _MARKUP.sub("", line).strip()


def collapse_spaces(text: str) -> str:
    return _SPACES.sub(" ", text).strip()


def cn_number(text: str) -> int | None:
    """Convert a small Chinese numeral (一 … 九十九) or digits to an int."""
    text = text.strip()
    if text.isdigit():
        return int(text)
    if not text or any(ch not in CN_DIGITS and ch != "十" for ch in text):
        return None
    if "十" in text:
        tens, _, units = text.partition("十")
        if len(tens) > 1 or len(units) > 1 or "十" in units:
            return None  # not a numeral: 一四十
        t = CN_DIGITS[tens] if tens else 1
        u = CN_DIGITS[units] if units else 0
        return t * 10 + u
    if len(text) == 1:
        return CN_DIGITS[text]
    # digit-by-digit form, as in 二〇二四
    return int("".join(str(CN_DIGITS[ch]) for ch in text))


# A date in any of the forms portals and reports print: 2024-01-23, 2024/1/23 09:30, 2024.1.23,
# 2024年1月23日, 二〇二四年一月十六日.
_CN = "〇零○一二两三四五六七八九十"
DATE_PATTERN = (
    rf"(?P<y>(?:19|20)\d{{2}}|[{_CN}]{{4}})\s*(?P<s1>[-/.年])\s*(?P<m>\d{{1,2}}|[{_CN}]{{1,2}})\s*"
    rf"(?P<s2>[-/.月])\s*(?P<d>\d{{1,2}}|[{_CN}]{{1,3}})(?:\s*日)?"
)
DATE_RE = re.compile(DATE_PATTERN)


def parse_date(text: str) -> date | None:
    """The first valid date in ``text``, or None."""
    text = text.translate(_FULLWIDTH)
    for m in DATE_RE.finditer(text):
        d = match_to_date(m)
        if d:
            return d
    return None


def match_to_date(m: re.Match[str]) -> date | None:
    y, mo, d = (cn_number(m.group(k)) for k in ("y", "m", "d"))
    if y is None or mo is None or d is None:
        return None
    # separators must agree: 2024-01-23 or 2024年1月23日, not 2024年01-23
    if (m.group("s1") == "年") != (m.group("s2") == "月"):
        return None
    try:
        return date(y, mo, d)
    except ValueError:
        return None


def iso(d: date | datetime | None) -> str | None:
    return d.isoformat()[:10] if d else None
