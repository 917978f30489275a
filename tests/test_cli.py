"""The ``nianbao`` command line, run as a real subprocess."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SEEDS, nianbao

pytestmark = pytest.mark.e2e  # crawls, served portals, browsers or subprocesses

REQUIRED = {"path", "title", "agency", "jurisdiction", "division_code", "province", "identity_sources", "year", "level",
            "published", "template", "sections",
            "tables", "findings"}


def test_analyze_json_one_line_per_file() -> None:
    paths = [str(SEEDS[n]) for n in ("000", "001", "004")]
    result = nianbao("analyze", "--json", *paths, check=False)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().split("\n")
    assert len(lines) == 3
    objs = [json.loads(line) for line in lines]
    for obj, path in zip(objs, paths, strict=True):
        assert set(obj) >= REQUIRED
        assert obj["path"] == path
        for f in obj["findings"]:
            assert set(f) == {"code", "severity", "message", "detail"}
    assert objs[2]["template"] == "2019" and objs[2]["year"] == 2019 and objs[2]["published"] is None
    assert objs[1]["sections"] == [1, 2, 3, 4, 5, 6]
    # identity contract (issue 11): GB/T 2260 code, province, where each field came from
    assert objs[0]["jurisdiction"] == "文峰区" and objs[0]["division_code"] == "410502"
    assert objs[0]["province"] == "河南省" and objs[0]["identity_sources"]["agency"] == "title"


def test_analyze_bad_path_fails_only_that_path(tmp_path) -> None:
    missing = tmp_path / "nope.pdf"
    result = nianbao("analyze", "--json", str(missing), str(SEEDS["002"]), str(tmp_path), check=False)
    assert result.returncode == 1
    assert "文件不存在" in result.stderr and "目录" in result.stderr
    assert json.loads(result.stdout)["agency"] == "薛城区商务和投资促进局"


def test_analyze_human_summary_in_chinese(tmp_path) -> None:
    result = nianbao("analyze", str(SEEDS["001"]), "--db", str(tmp_path / "n.db"), check=False)
    assert result.returncode == 0
    assert "温县商务局" in result.stdout and "TABLE_CELL_COUNT" in result.stdout and "错误" in result.stdout
    assert (tmp_path / "n.db").exists()


def test_demo_main_job(tmp_path) -> None:
    result = nianbao("demo", "--db", str(tmp_path / "demo.db"), "--outbox", str(tmp_path / "outbox"), check=False)
    assert result.returncode == 0, result.stderr
    from demo.world import fixture_world

    assert f"共 {len(fixture_world().expected)} 份年报" in result.stdout and "完成" in result.stdout
    assert "温县商务局" in result.stderr  # progress, report by report
    outbox = tmp_path / "outbox"
    assert "合规摘要邮件" in result.stdout and str(outbox) in result.stdout
    assert len(list(outbox.glob("*.eml"))) >= 6
