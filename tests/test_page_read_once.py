"""A report page is read once: the spider reads it as the judge would (the same decoding and HTML
reader) and hands the judge that reading; the judgement is the one the judge's own reading gives."""

from __future__ import annotations

from demo.world import fixture_world
from monitor.report.intake import Source, judge_fetched
from monitor.report.pagemeta import detail_facts, page_facts
from monitor.report.readers.html import decode_html


def _report_pages():
    for portal in fixture_world().portals:
        for expected in portal.expected:
            resource = portal.resources.get(expected.url)
            if resource is not None and resource.content_type.startswith("text/html"):
                yield portal, expected.url, resource


def test_the_spiders_reading_judges_as_the_judges_own() -> None:
    pages = list(_report_pages())
    assert len(pages) > 20 and {p.encoding for p, _, _ in pages} >= {"gbk", "utf-8"}
    for portal, url, resource in pages:
        full = f"http://127.0.0.1/{url.lstrip('/')}"
        facts = page_facts(resource.body, resource.content_type, full)
        assert facts.document is not None
        # the facts are those of the page read as text, as before
        assert facts.attachments == detail_facts(decode_html(resource.body, resource.content_type), full).attachments
        kwargs = {"title": facts.title or "", "portal_jurisdiction": portal.jurisdiction, "page_agency": facts.agency}
        given = judge_fetched(Source(full, resource.body, resource.content_type, document=facts.document), [], **kwargs)
        own = judge_fetched(Source(full, resource.body, resource.content_type), [], **kwargs)
        assert given.report.text == own.report.text and given.report.doc.meta == own.report.doc.meta, url
        assert [(f.code, f.message) for f in given.report.findings] == [(f.code, f.message) for f in own.report.findings]
        assert (given.agency, given.year, given.published, given.identity) == (own.agency, own.year, own.published,
                                                                               own.identity)
