"""Facts a portal's detail page states about a document: title, agency, dates, 索引号, attachments.

Pure functions over the page HTML (already decoded). The crawler calls them; the analysis reuses
the page's labels as the report's publication date and agency when the text itself has none.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from urllib.parse import urljoin, urlsplit

import lxml.html

from monitor.report.document import Document
from monitor.report.identity import NOT_AGENCIES, find_published, find_publisher
from monitor.report.readers.html import html_to_document, read_html
from monitor.report.textutil import collapse_spaces, compact, parse_date

_ATTACHMENT_URL = re.compile(r"\.(pdf|docx?|wps|ofd)($|[?#])|downfile|download|getfile|attach|fujian|/files?/",
                             re.I)
# Buttons the CMS adds to every page; they are not the report's attachments.
_SITE_BUTTONS = re.compile(r"下载\s*(word|pdf)|打印|收藏|关闭|分享|纠错|生成pdf", re.I)
_SEE_ATTACHMENT = re.compile(r"详见附件|见附件|附件下载|请下载附件|点击下载")
_INDEX_NO = re.compile(r"索\s*引\s*号\s*[:：]?\s*([A-Za-z0-9\-/_.]{6,40})")
# Dates that publishing systems put into article URLs (a last-resort publication date).
_URL_DATES = (
    re.compile(r"/t(20\d{2})(\d{2})(\d{2})_"),
    re.compile(r"/art/(20\d{2})/(\d{1,2})/(\d{1,2})/"),
    re.compile(r"/(20\d{2})-(\d{2})-(\d{2})/"),
    re.compile(r"/(20\d{2})(\d{2})(\d{2})/"),
    re.compile(r"/(20\d{2})(\d{2})/"),
)


@dataclass
class Attachment:
    url: str
    name: str


@dataclass
class DetailFacts:
    title: str | None
    agency: str | None
    published: date | None
    published_source: str | None  # the label or "URL"
    index_no: str | None
    attachments: list[Attachment] = field(default_factory=list)
    points_to_attachment: bool = False
    document: Document | None = field(default=None, repr=False)  # the page as the HTML reader read it


def url_date(url: str) -> date | None:
    """The date in an article URL (/202401/t20240115_…, /art/2024/1/23/…), if any."""
    path = urlsplit(url).path
    for pattern in _URL_DATES:
        m = pattern.search(path)
        if m:
            parts = [int(g) for g in m.groups()] + [1] * (3 - len(m.groups()))
            try:
                return date(*parts)
            except ValueError:
                continue
    return None


def attachments(root: lxml.html.HtmlElement, base_url: str) -> list[Attachment]:
    found: dict[str, Attachment] = {}
    for a in root.iter("a"):
        href = (a.get("href") or "").strip()
        if not href or href.startswith(("javascript:", "mailto:", "#")):
            continue
        text = collapse_spaces(a.text_content()) or collapse_spaces(a.get("title") or "")
        if _SITE_BUTTONS.search(text):
            continue
        if _ATTACHMENT_URL.search(href) or re.search(r"\.(pdf|docx?|wps|ofd)$", text, re.I):
            url = urljoin(base_url, href)
            found.setdefault(url, Attachment(url, text or url.rsplit("/", 1)[-1]))
    for el in root.iter("iframe", "embed", "object"):
        src = el.get("src") or el.get("data") or ""
        m = re.search(r"[?&]file=([^&]+)", src)
        target = m.group(1) if m else src
        if target and re.search(r"\.(pdf|ofd)($|\?)", target, re.I):
            url = urljoin(base_url, target)
            found.setdefault(url, Attachment(url, url.rsplit("/", 1)[-1]))
    return list(found.values())


def detail_facts(html: str, url: str) -> DetailFacts:
    """What a detail page (as text) says about its document."""
    found: list[Attachment] = []
    doc = html_to_document(html, url=url, on_tree=lambda root: found.extend(attachments(root, url)))
    return _facts(doc, url, found)


def page_facts(data: bytes, content_type: str | None, url: str) -> DetailFacts:
    """What a fetched detail page says about its document, and the page read as the judge reads it
    (``facts.document``): the page is decoded and parsed once, here."""
    found: list[Attachment] = []
    doc = read_html(data, content_type, url, on_tree=lambda root: found.extend(attachments(root, url)))
    return _facts(doc, url, found)


def _facts(doc: Document, url: str, found: list[Attachment]) -> DetailFacts:
    page_text = doc.meta.get("page_text", "")
    published, source = None, None
    if doc.meta.get("published"):
        published, source = parse_date(doc.meta["published"]), "PubDate"
    if published is None:
        published, source = find_published(page_text)
    if published is None:
        published = url_date(url)
        source = "URL" if published else None
    agency = doc.meta.get("publisher")
    if not agency or agency in NOT_AGENCIES:
        agency = find_publisher(page_text)
    m = _INDEX_NO.search(page_text)
    body = compact(doc.text)
    return DetailFacts(
        title=doc.meta.get("title") or None,
        agency=agency,
        published=published,
        published_source=source,
        index_no=m.group(1) if m else None,
        attachments=found,
        points_to_attachment=bool(_SEE_ATTACHMENT.search(body)) or len(body) < 300,
        document=doc,
    )
