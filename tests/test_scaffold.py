"""A configuration that starts from the gazetteer: `nianbao config init` and `nianbao config check`."""

from __future__ import annotations

from click.testing import CliRunner

from monitor.cli import main
from monitor.judge.registry import load_registry


def test_init_writes_every_county_of_a_city_and_check_names_what_is_left(tmp_path) -> None:
    path = tmp_path / "guangyuan.yaml"
    runner = CliRunner()
    result = runner.invoke(main, ["config", "init", "--province", "四川省", "--city", "广元市", "--out", str(path)])
    assert result.exit_code == 0, result.output
    registry = load_registry(path)  # a valid configuration as written
    counties = {name: j for name, j in registry.jurisdictions.items() if j.code and not name.endswith(("市", "省"))}
    assert set(counties) == {"利州区", "昭化区", "朝天区", "旺苍县", "青川县", "剑阁县", "苍溪县"}
    assert counties["青川县"].code == "510822" and registry.scopes("青川县")[2:] == ["广元市", "四川省"]
    checked = runner.invoke(main, ["config", "check", "--config", str(path)])
    assert checked.exit_code == 0 and "尚无门户网站的县级行政区 7 个" in checked.output
    again = runner.invoke(main, ["config", "init", "--province", "四川省", "--city", "广元市", "--out", str(path)])
    assert again.exit_code == 1 and "已存在" in again.output  # never overwritten


def test_a_misspelt_county_is_an_error_with_the_nearest_names(tmp_path) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("jurisdictions:\n  - name: 旺苍县\n    portal: http://127.0.0.1:1/\n  - name: 青川区\n", encoding="utf-8")
    result = CliRunner().invoke(main, ["config", "check", "--config", str(path)])
    assert result.exit_code == 1
    assert f"{path}:4" in result.output and "jurisdictions[1].name" in result.output and "青川县" in result.output
    unknown = CliRunner().invoke(main, ["config", "init", "--province", "四川"])
    assert unknown.exit_code == 1 and "四川省" in unknown.output
