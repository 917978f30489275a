"""Reading documents: every format and encoding to clean text plus table cells, never a crash."""

from __future__ import annotations

import codecs
import os
import zipfile
from io import BytesIO

import pytest

from demo.synth import render_docx, render_html, render_image_pdf, render_pdf, sample_report
from monitor.report.analysis import analyze_document
from monitor.report.document import sniff_format
from monitor.report.readers import read_document
from monitor.report.readers.html import html_to_document, table_grid
from monitor.report.readers.legacy import read_legacy
from monitor.report.tables import build_rows


def test_html_main_content_excludes_navigation_and_footer() -> None:
    report = sample_report(3)
    doc = read_document(render_html(report).encode("utf-8"), filename="a.html")
    assert doc.format == "html"
    assert "首页" not in doc.text and "网站标识码" not in doc.text
    assert doc.text.startswith("一、总体情况")
    assert doc.meta["title"] == report.title
    assert doc.meta["published"].startswith(f"{report.year + 1}-01-20")
    assert doc.meta["publisher"] == "青川县教育局"


def test_html_rowspan_colspan_kept_as_placeholders() -> None:
    import lxml.html

    table = lxml.html.fragment_fromstring(
        "<table><tr><td rowspan=2>三、本年度办理结果</td><td>（一）予以公开</td><td colspan=2>1</td></tr>"
        "<tr><td>（二）部分公开</td><td>2</td><td></td></tr></table>")
    assert table_grid(table) == [["三、本年度办理结果", "（一）予以公开", "1", None], [None, "（二）部分公开", "2", ""]]


def test_html_layout_tables_are_not_data_tables() -> None:
    page = ("<html><body><table><tr><td><div id='zoom'><p>一、总体情况</p><p>" + "正文" * 60 +
            "</p><table><tr><td>行政许可</td><td>3</td></tr></table></div></td></tr></table></body></html>")
    doc = html_to_document(page)
    assert list(doc.structured_rows.values()) == [["行政许可", "3"]]


@pytest.mark.parametrize("declared", [None, "gb2312", "gbk"])
def test_html_gbk_declared_or_not(declared: str | None) -> None:
    # 镕 is GBK-only: a page declared gb2312 must still decode
    meta = f'<meta http-equiv="Content-Type" content="text/html; charset={declared}">' if declared else ""
    page = f"<html><head>{meta}</head><body><div id='zoom'><p>朱镕基同志" + "政府信息公开" * 30 + "</p></div></body></html>"
    doc = read_document(page.encode("gbk"), filename="a.html")
    assert "朱镕基" in doc.text


def test_html_content_markers() -> None:
    page = ('<html><body><div class="nav">导航 链接</div><meta name="ContentStart"><p>一、总体情况</p><p>正文内容</p>'
            '<meta name="ContentEnd"><div>相关链接</div></body></html>')
    doc = html_to_document(page)
    assert doc.text == "一、总体情况\n正文内容"


@pytest.mark.parametrize("encoding,bom", [("utf-8", codecs.BOM_UTF8), ("utf-16-le", codecs.BOM_UTF16_LE),
                                          ("gb18030", b""), ("gbk", b""), ("utf-8", b"")])
def test_text_encodings(encoding: str, bom: bytes) -> None:
    text = "温县商务局2021年政府信息公开工作年度报告\n一、总体情况\n朱镕基" * 3
    doc = read_document(bom + text.encode(encoding), filename="a.txt")
    assert doc.format == "text"
    assert doc.text == text


def test_docx_merged_cells_not_duplicated() -> None:
    report = sample_report(4)
    doc = read_document(render_docx(report), filename="a.docx")
    assert doc.format == "docx"
    rows = list(doc.structured_rows.values())
    first_result = next(r for r in rows if "（一）予以公开" in r)
    assert first_result[0] == "三、本年度办理结果"
    second = next(r for r in rows if any(c and c.startswith("（二）部分公开") for c in r))
    assert second[0] is None  # the vMerge continuation is a placeholder, not a repeated label
    assert sum(1 for r in rows for c in r if c == "三、本年度办理结果") == 1
    assert doc.meta["docx_title"] == report.title
    # paragraphs and tables stay in body order
    lines = doc.text.split("\n")
    assert lines.index("二、主动公开政府信息情况") < next(i for i, ln in enumerate(lines) if ln.startswith("规章"))


def test_pdf_text_and_tables() -> None:
    report = sample_report(5)
    doc = read_document(render_pdf(report), filename="a.pdf")
    assert doc.format == "pdf" and doc.no_text_reason is None
    parsed = analyze_document(doc)
    assert parsed.tables.t3.row("total").values()[-1] == report.tables.t3["total"][-1]


def test_image_only_pdf_is_no_text() -> None:
    report = analyze_document(read_document(render_image_pdf(), filename="scan.pdf"))
    assert [f.code for f in report.findings] == ["NO_TEXT"]
    assert "扫描件" in report.findings[0].message


@pytest.mark.parametrize("data,name", [(b"", "empty.pdf"), (b"%PDF-1.4 garbage", "broken.pdf"),
                                       (b"PK\x03\x04broken", "broken.docx"), (b"\x89PNG\r\n\x1a\n....", "a.png"),
                                       (b"   \n\n  ", "blank.txt")])
def test_broken_or_empty_files_give_no_text(data: bytes, name: str) -> None:
    report = analyze_document(read_document(data, filename=name))
    assert [f.code for f in report.findings] == ["NO_TEXT"]
    assert report.findings[0].detail["reason"]


def test_doc_without_converter_says_what_is_missing(tmp_path) -> None:
    ole = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512
    assert sniff_format(ole, "a.doc") == "doc" and sniff_format(ole, "a.wps") == "wps"
    doc = read_legacy(ole, "wps", search_path=str(tmp_path))  # an empty PATH: no converter
    assert doc.no_text_reason and "antiword" in doc.no_text_reason and "WPS" in doc.no_text_reason


@pytest.mark.skipif(not any(os.path.exists(f"/usr/bin/{t}") for t in ("antiword", "catdoc", "soffice")),
                    reason="no DOC converter on this machine")
def test_broken_doc_with_converter_is_no_text() -> None:
    report = analyze_document(read_document(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 512, filename="a.doc"))
    assert report.findings[0].code == "NO_TEXT"


def test_ofd_text_is_read() -> None:
    from demo.synth import render_ofd

    report = sample_report(6)
    doc = read_document(render_ofd(report), filename="a.ofd")
    assert doc.format == "ofd"
    assert report.title in doc.text
    assert analyze_document(doc).findings == []


def test_ofd_without_text_is_no_text() -> None:
    buf = BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("OFD.xml", "<ofd:OFD xmlns:ofd='http://www.ofdspec.org/2016'><ofd:DocBody><ofd:DocRoot>"
                               "Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>")
        zf.writestr("Doc_0/Document.xml", "<ofd:Document xmlns:ofd='http://www.ofdspec.org/2016'/>")
    assert analyze_document(read_document(buf.getvalue())).findings[0].code == "NO_TEXT"


def test_rows_from_each_text_layout() -> None:
    from monitor.report.document import Document

    text = "\n".join([
        "一、本年新收政府信息公开申请数量\t\t1\t2\t\t4",  # tab: gap after label, blank between numbers
        "\t规章", "\t0", "\t", "",  # one cell per line: trailing empty is a blank cell
        "行政许可 3 4",  # PDF text
    ])
    rows = build_rows(Document("text", text=text))
    assert [v.text for v in rows[0].values] == ["1", "2", "", "4"]
    assert [v.text for v in rows[1].values] == ["0", ""]
    assert rows[2].label == "行政许可" and [v.text for v in rows[2].values] == ["3", "4"]
