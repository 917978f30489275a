"""From what the crawler fetched to a judged report with its key (jurisdiction, agency, year).

A report page may hold the report, or only say 详见附件; the agency may be in the title, in a
label, or only in the department column the page sits in. These decisions are judgement, so
they live here as pure functions; the pipeline only moves bytes in and rows out.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

from monitor.report import divisions
from monitor.report.analysis import Report, analyze_document
from monitor.report.document import Document
from monitor.report.identity import (
    canonical_agency,
    full_agency_name,
    jurisdiction_of,
    level_of,
    locate,
    title_agency,
    title_year,
)
from monitor.report.readers import read_document
from monitor.report.textutil import compact, parse_date

# A page that holds at least this much of a report is read itself rather than its attachment.
MIN_SECTIONS_ON_PAGE = 3


@dataclass
class Source:
    url: str
    body: bytes
    content_type: str | None = None
    filename: str | None = None
    document: Document | None = None  # already read (the crawler reads a report page once)


@dataclass
class Judged:
    report: Report
    jurisdiction: str
    agency: str
    year: int | None
    level: str | None
    published: str | None
    published_source: str | None
    source: Source  # the page or attachment whose text was judged
    identity: dict[str, Any] = field(default_factory=dict)  # division_code, province, sources (see identity_of)


def _with_page_facts(doc: Document, title: str, published: str | None, page_agency: str | None,
                     context: dict[str, str]) -> Document:
    """What the page and the portal say about the document is the attachment's metadata too."""
    doc.meta.setdefault("title", title)
    if published:
        doc.meta.setdefault("published", published)
    if page_agency:
        doc.meta.setdefault("publisher", page_agency)
    for key, value in context.items():
        doc.meta.setdefault(key, value)
    return doc


def _read_page(page: Source) -> Document:
    if page.document is not None:  # a copy: page facts are added to it, once per judgement
        return dataclasses.replace(page.document, meta=dict(page.document.meta))
    return read_document(page.body, content_type=page.content_type, url=page.url)


def choose_report(page: Source, attachments: list[Source], title: str, published: str | None,
                  page_agency: str | None, context: dict[str, str] | None = None) -> tuple[Report, Source]:
    """Judge the page when it holds the report, else the first attachment with text.

    ``context`` is what the portal knows (portal_jurisdiction, column), an identity source of last resort.
    """
    context = context or {}
    page_doc = _with_page_facts(_read_page(page), title, published, page_agency, context)
    report = analyze_document(page_doc)
    if len(report.sections.found) >= MIN_SECTIONS_ON_PAGE or report.tables.t3.found or not attachments:
        return report, page
    docs = [(read_document(a.body, filename=a.filename or a.url.rsplit("/", 1)[-1], content_type=a.content_type), a)
            for a in attachments]
    doc, source = next(((d, a) for d, a in docs if not d.unreadable_reason), docs[0])
    if page_doc.meta.get("page_text"):
        doc.meta.setdefault("page_text", page_doc.meta["page_text"])  # the page's labels and breadcrumb
    return analyze_document(_with_page_facts(doc, title, published, page_agency, context)), source


def judge_fetched(page: Source, attachments: list[Source], *, title: str, portal_jurisdiction: str | None,
                  page_agency: str | None = None, column: str | None = None, published: str | None = None,
                  published_source: str | None = None, portal_key: str = "") -> Judged:
    """Judge a fetched report page (and attachments) and work out its key.

    ``portal_key`` names the portal when its jurisdiction is unknown, so that two portals'
    "城关镇人民政府" reports never share a key.
    """
    context_jurisdiction = portal_jurisdiction
    context = {k: v for k, v in (("portal_jurisdiction", portal_jurisdiction), ("column", column)) if v}
    report, source = choose_report(page, attachments, title, published, page_agency, context)
    ident = report.identity
    reposted = reposted_from(title_agency(title) or ident.agency, portal_jurisdiction)
    if reposted:
        # another body's report reposted in this portal's column: stored under its own name, and
        # the date the portal shows is the repost's, not the report's publication
        portal_jurisdiction, published, published_source = None, None, None
        context.pop("portal_jurisdiction", None)
        report, source = choose_report(page, attachments, title, None, page_agency, context)
        ident = report.identity
    jurisdiction = portal_jurisdiction or reposted or ident.jurisdiction or jurisdiction_of(page_agency) or portal_key
    agency = canonical_agency(
        full_agency_name(title_agency(title), jurisdiction)
        or full_agency_name(ident.agency, jurisdiction)
        or (jurisdiction + "人民政府" if jurisdiction else None)) or "（未识别单位）"
    year = title_year(title) or ident.year
    level = level_of(agency, jurisdiction_of(agency) or jurisdiction or None)
    date = parse_date(published) if published else ident.published
    sources = dict(ident.sources)
    if portal_jurisdiction:
        sources["jurisdiction"] = "page"
    if title_agency(title):
        sources["agency"] = sources["level"] = "title"
    if title_year(title):
        sources["year"] = "title"
    if published:
        sources["published"] = "page" if published_source == "URL" else "metadata"
    code, province = (ident.division_code, ident.province) if jurisdiction == ident.jurisdiction else \
        locate(jurisdiction, [agency, title, report.text[:4000]])
    identity = {"division_code": code, "province": province, "sources": sources}
    if reposted:
        identity["reposted_on_portal_of"] = context_jurisdiction
    return Judged(report, jurisdiction, agency, year, level, date.isoformat() if date else None,
                  published_source if published else ident.published_source, source, identity)


def reposted_from(named: str | None, portal_jurisdiction: str | None) -> str | None:
    """The jurisdiction of a report whose own name places it outside the portal's jurisdiction (a
    city's or province's report reposted in a county's or zone's 年报 column), else None.

    Only a name the gazetteer places, and places elsewhere, counts: a unit named without its
    place (区政府办公室), a township, or a spelling of the portal's own name is the portal's."""
    if not named or not portal_jurisdiction:
        return None
    own = jurisdiction_of(named)
    if not own:
        return None
    a, b = compact(own), compact(portal_jurisdiction)
    if a in b or b in a or b in compact(named):
        return None
    code_own, _ = locate(own, [named])
    code_portal, _ = locate(portal_jurisdiction, [portal_jurisdiction])
    if code_own and code_portal and code_own == code_portal:
        return None
    if not code_own and not divisions.zone(own):
        return None  # a name the gazetteer cannot place: not enough to say it is someone else's
    return own
