"""What the spider hands to the pipelines: a report page and its attachments, as fetched."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from monitor.report.document import Document
    from monitor.report.intake import Judged


@dataclass
class FetchedFile:
    url: str
    name: str
    body: bytes = field(default=b"", repr=False)
    content_type: str | None = None
    filename: str | None = None  # from Content-Disposition
    error: str | None = None


@dataclass
class ReportItem:
    portal_url: str
    url: str
    title: str
    page_body: bytes = field(repr=False)
    page_content_type: str | None = None
    jurisdiction: str | None = None
    column: str | None = None  # the department column the page sits in, if any
    agency: str | None = None  # the page's 发布机构/来源 label
    published: str | None = None
    published_source: str | None = None
    index_no: str | None = None
    attachments: list[FetchedFile] = field(default_factory=list)
    fetched_at: str | None = None
    judged: Judged | None = field(default=None, repr=False)  # judged by the worker that fetched it
    page_document: Document | None = field(default=None, repr=False)  # the page as read while crawling
