"""No input crashes the analyser: arbitrary text, arbitrary bytes, mangled real reports."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from monitor.report.analysis import analyze_document, analyze_text
from monitor.report.readers import read_document
from tests.conftest import seed_text

ALPHABET = st.sampled_from(list("0123456789一二三四五六七八九十（）()、.，。：\t\n 年月日总计合计本年新收予以公开"
                                 "第二十条项规章结果维持行政复议诉讼四五六其他需要报告的事项-—/"))
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(st.text(alphabet=ALPHABET, max_size=400))
def test_table_like_noise(text: str) -> None:
    report = analyze_text(text)
    assert isinstance(report.to_json(), dict)


@FAST
@given(st.text(max_size=300))
def test_any_unicode(text: str) -> None:
    analyze_text(text).to_json()


@FAST
@given(st.binary(max_size=600), st.sampled_from(["a.pdf", "a.docx", "a.html", "a.txt", "a.ofd", "a.doc", None]))
def test_any_bytes(data: bytes, name: str | None) -> None:
    analyze_document(read_document(data, filename=name)).to_json()


@FAST
@given(st.data())
def test_mangled_seed(data: st.DataObject) -> None:
    text = seed_text(data.draw(st.sampled_from(["000", "001", "002", "003", "004"])))
    lines = text.split("\n")
    start = data.draw(st.integers(0, len(lines) - 1))
    end = data.draw(st.integers(start, len(lines)))
    replacement = data.draw(st.lists(st.text(alphabet=ALPHABET, max_size=30), max_size=5))
    analyze_text("\n".join(lines[:start] + replacement + lines[end:])).to_json()
