"""A large department-centred portal (40 departments, a 年报 column each): every department's
reports are found and named, archives (馆) and co-operatives (社) included, and a department whose
name starts like a place (城市管理局) is not taken for one."""

from __future__ import annotations

import sqlite3

import pytest

from demo.server import serve
from demo.world import World, county_name, make_portal
from monitor.report.identity import full_agency_name
from tests.conftest import FAST, nianbao


def test_department_names_are_not_places() -> None:
    assert full_agency_name("城市管理局", "华兴县") == "华兴县城市管理局"
    assert full_agency_name("档案馆", "华兴县") == "华兴县档案馆"


@pytest.mark.e2e
def test_every_department_of_a_large_county_is_found(tmp_path) -> None:
    portal = make_portal("d", "dept", county_name(9), [2024, 2025], 11, departments=40, townships=0)
    db = tmp_path / "n.db"
    with serve(World([portal])):
        nianbao("crawl", "--db", str(db), "--portal", portal.url, *FAST)
    found = set(sqlite3.connect(db).execute("select agency, year from reports"))
    assert found == {(e.agency, e.year) for e in portal.expected}
    assert len(found) == 82
