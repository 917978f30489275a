"""The analyser on real reports and report pages (tests/fixtures/real): every label, every item.

Each item's labels were set by reading it (see its YAML for provenance and notes). Identity fields
must be right; a field an item marks ``unknowable`` (its unit is never named, only "我局") must be
said to be unknown, never guessed. A report labelled correct gets no error a clerk would act on;
every labelled defect is found; every labelled section is found.
"""

from __future__ import annotations

import pytest

from tests.realcorpus import Item, analyse, compare, false_alarms, load_items, missed_defects, missed_sections

ITEMS = load_items()


def test_corpus_has_real_material_of_every_kind() -> None:
    reports = [i for i in ITEMS if i.kind == "report"]
    pages = [i for i in ITEMS if i.kind == "page"]
    assert len(reports) >= 25 and len(pages) >= 40
    assert {i.labels["level"] for i in ITEMS} == {"government", "department", "township"}
    assert {i.path.suffix for i in reports} >= {".txt", ".pdf", ".html"}
    assert len({i.labels.get("province") for i in ITEMS}) >= 20
    assert {i.labels["year"] for i in ITEMS} >= set(range(2019, 2026))
    assert sum(1 for i in reports if i.correct) >= 8


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i.stem)
def test_identity(item: Item) -> None:
    report = analyse(item)
    unknowable = set(item.labels.get("unknowable") or [])
    wrong = {field: (expected, got) for field, (ok, expected, got) in compare(item, report).items()
             if not ok and not (field in unknowable and got is None)}
    assert not wrong, wrong
    if item.labels.get("province") and not ("province" in unknowable and report.identity.province is None):
        assert report.identity.province == item.labels["province"]
    if item.labels.get("date_line"):
        assert str(report.identity.date_line) == str(item.labels["date_line"])


@pytest.mark.parametrize("item", ITEMS, ids=lambda i: i.stem)
def test_findings(item: Item) -> None:
    report = analyse(item)
    assert not missed_sections(item, report)
    assert not false_alarms(item, report)
    assert not missed_defects(item, report)


def test_identity_sources_are_named() -> None:
    """analyze --json says where each identity field came from."""
    from monitor.report.identity import SOURCES

    for item in ITEMS:
        sources = analyse(item).to_json()["identity_sources"]
        assert set(sources.values()) <= set(SOURCES), (item.stem, sources)
