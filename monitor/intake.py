"""From what the crawler fetched to a judged report with its key (jurisdiction, agency, year).

A report page may hold the report, or only say 详见附件; the agency may be in the title, in a
label, or only in the department column the page sits in. These decisions are judgement, so
they live here as pure functions; the pipeline only moves bytes in and rows out.
"""

from __future__ import annotations

from dataclasses import dataclass

from monitor.analysis import Report, analyze_document
from monitor.document import Document, read_document
from monitor.identity import jurisdiction_of, level_of, title_agency, title_year
from monitor.textutil import compact, parse_date

# A page that holds at least this much of a report is read itself rather than its attachment.
MIN_SECTIONS_ON_PAGE = 3


@dataclass
class Source:
    url: str
    body: bytes
    content_type: str | None = None
    filename: str | None = None


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


def full_agency_name(name: str | None, jurisdiction: str | None) -> str | None:
    """"区教育局" on 东城区's portal is 东城区教育局; names that carry their own place stay."""
    if not name:
        return None
    flat = compact(name)
    if not jurisdiction:
        return flat
    if flat.startswith(jurisdiction) or jurisdiction_of(flat):
        return flat
    if flat[:1] in "区县市旗" and len(flat) > 2:
        return jurisdiction + flat[1:]
    if flat.endswith(("镇人民政府", "乡人民政府", "街道办事处", "街道")) or flat.endswith(("镇", "乡")):
        return flat  # townships are named on their own
    if flat in ("人民政府", "政府"):
        return jurisdiction + "人民政府"
    return jurisdiction + flat


def _with_page_facts(doc: Document, title: str, published: str | None, page_agency: str | None) -> Document:
    """What the page says about the document is the attachment's metadata too."""
    doc.meta.setdefault("title", title)
    if published:
        doc.meta.setdefault("published", published)
    if page_agency:
        doc.meta.setdefault("publisher", page_agency)
    return doc


def choose_report(page: Source, attachments: list[Source], title: str, published: str | None,
                  page_agency: str | None) -> tuple[Report, Source]:
    """Judge the page when it holds the report, else the first attachment with text."""
    page_doc = _with_page_facts(read_document(page.body, content_type=page.content_type, url=page.url),
                                title, published, page_agency)
    report = analyze_document(page_doc)
    if len(report.sections.found) >= MIN_SECTIONS_ON_PAGE or report.tables.t3.found or not attachments:
        return report, page
    docs = [(read_document(a.body, filename=a.filename or a.url.rsplit("/", 1)[-1], content_type=a.content_type), a)
            for a in attachments]
    doc, source = next(((d, a) for d, a in docs if not d.unreadable_reason), docs[0])
    return analyze_document(_with_page_facts(doc, title, published, page_agency)), source


def judge_fetched(page: Source, attachments: list[Source], *, title: str, portal_jurisdiction: str | None,
                  page_agency: str | None = None, column: str | None = None, published: str | None = None,
                  published_source: str | None = None, portal_key: str = "") -> Judged:
    """Judge a fetched report page (and attachments) and work out its key.

    ``portal_key`` names the portal when its jurisdiction is unknown, so that two portals'
    "城关镇人民政府" reports never share a key.
    """
    report, source = choose_report(page, attachments, title, published, page_agency)
    ident = report.identity
    jurisdiction = portal_jurisdiction or ident.jurisdiction or jurisdiction_of(page_agency) or portal_key
    agency = (full_agency_name(title_agency(title), jurisdiction)
              or full_agency_name(ident.agency if ident.title else None, jurisdiction)
              or full_agency_name(page_agency, jurisdiction)
              or full_agency_name(column, jurisdiction)
              or (jurisdiction + "人民政府" if jurisdiction else "（未识别单位）"))
    year = title_year(title) or ident.year
    level = level_of(agency, jurisdiction_of(agency) or jurisdiction or None)
    date = parse_date(published) if published else ident.published
    return Judged(report, jurisdiction, agency, year, level, date.isoformat() if date else None,
                  published_source if published else ident.published_source, source)
