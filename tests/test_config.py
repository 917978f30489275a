"""Configuration errors name the file, the line and the field, and what was expected."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.config import ConfigError
from monitor.judge.registry import load_registry

EXAMPLE = Path(__file__).parent.parent / "config" / "nianbao.example.yaml"


def test_example_config_loads() -> None:
    registry = load_registry(EXAMPLE)
    assert registry.scopes("青川县") == ["青川县", "510822", "广元市", "四川省"]
    city = registry.office("广元市政务公开办")
    assert city and registry.covers(city, "青川县") and not registry.covers(city, "文峰区")
    assert registry.overrides[0].level == "township" and (registry.overrides[0].month, registry.overrides[0].day) == (2, 20)
    assert registry.smtp and registry.smtp.password_env == "NIANBAO_SMTP_PASSWORD"


@pytest.mark.parametrize("entry,line,words", [
    ("  - name: 旺苍县\n    parent: 广元市\n  - name: 青川区\n    parent: 广元市\n", 4, "广元市没有“青川区”；是否为：青川县"),
    ("  - name: 青州县\n    parent: 广元市\n", 2, "是否为：青川县"),
    ("  - name: 旺苍县\n    code: \"510822\"\n", 2, "与行政区划代码 510822（青川县）不符"),
])
def test_a_misspelt_county_is_an_error_with_the_nearest_names(tmp_path: Path, entry: str, line: int,
                                                              words: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text("jurisdictions:\n" + entry, encoding="utf-8")
    with pytest.raises(ConfigError) as raised:
        load_registry(path)
    assert f"{path}:{line}" in str(raised.value) and "name" in str(raised.value) and words in str(raised.value)


def test_places_the_gazetteer_cannot_speak_for_load(tmp_path: Path) -> None:
    """A development zone under a real city, an invented county under an invented city (the demo
    world), a real county with its code: none is called misspelt."""
    path = tmp_path / "c.yaml"
    path.write_text("jurisdictions:\n  - name: 平潭综合实验区\n    parent: 福州市\n"
                    "  - name: 青川区\n    parent: 演示市\n  - name: 演示市\n    level: city\n"
                    "  - name: 青川县\n    code: \"510822\"\n    parent: 广元市\n", encoding="utf-8")
    assert set(load_registry(path).jurisdictions) == {"平潭综合实验区", "青川区", "演示市", "青川县"}


@pytest.mark.parametrize("text,line,field,words", [
    ("jurisdictions:\n  - name: 青川县\n    portal: [\n", 4, "", "YAML 语法错误"),
    ("jurisdictions:\n  - name: 青川县\n    protal: http://x/\n", 3, "jurisdictions[0].protal", "未知字段"),
    ("offices:\n  - name: 办\n    jurisdictions: 青川县\n    recipients: [a@b.cn]\n", 3, "offices[0].jurisdictions", "列表"),
    ("offices:\n  - name: 办\n    jurisdictions: [青川县]\n    recipients: [not-an-email]\n", 4,
     "offices[0].recipients[0]", "电子邮件"),
    ("smtp:\n  host: 127.0.0.1\n  sender: a@b.cn\n  password: hunter2\n", 4, "smtp.password", "环境变量"),
    ("deadlines:\n  - scope: 四川省\n    date: 2-30\n", 3, "deadlines[0].date", "有效的日期"),
    ("jurisdictions:\n  - name: 甲县\n    code: 12\n", 3, "jurisdictions[0].code", "6 位数字"),
    ("jurisdictions:\n  - name: 甲县\noffices:\n  - name: 办\n    jurisdictions: [乙县]\n    recipients: [a@b.cn]\n", 5,
     "offices[0].jurisdictions[0]", "未在 jurisdictions 中定义"),
    ("jurisdictions:\n  - portal: http://x/\n", 2, "jurisdictions[0]", "缺少必填字段 name"),
])
def test_errors_are_located(tmp_path, text: str, line: int, field: str, words: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_registry(path)
    err = caught.value
    assert (err.file, err.line, err.field) == (str(path), line, field), str(err)
    assert words in str(err) and str(err).startswith(f"{path}:{line}")


@pytest.mark.parametrize("text,line,words", [
    ("jurisdictions:\n  - name: 青川县\n    portal: http://x/: y\n", 3, "冒号后要有空格"),
    ("jurisdictions:\n\t- name: 青川县\n", 2, "Tab"),
    ("jurisdictions:\n  - name: \"青川县\n", 3, "引号"),
])
def test_yaml_syntax_errors_are_said_in_chinese_with_the_line(tmp_path, text: str, line: int, words: str) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_registry(path)
    assert caught.value.line == line and words in str(caught.value) and "第" in str(caught.value), str(caught.value)


def test_a_date_written_as_a_yaml_date_is_explained_not_printed_as_python(tmp_path) -> None:
    path = tmp_path / "dates.yaml"
    path.write_text("deadlines:\n  - scope: 四川省\n    date: 2026-02-20\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_registry(path)
    message = str(caught.value)
    assert caught.value.line == 3 and caught.value.field == "deadlines[0].date"
    assert "2026-02-20" in message and '"02-20"' in message and "datetime" not in message
    path.write_text("jurisdictions:\n  - name: 2024-01-01\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_registry(path)
    assert "日期 2024-01-01" in str(caught.value) and "datetime" not in str(caught.value)


def test_missing_file(tmp_path) -> None:
    with pytest.raises(ConfigError, match="文件不存在"):
        load_registry(tmp_path / "nope.yaml")


@pytest.mark.parametrize(("snippet", "field", "words"), [
    ("schedule:\n  jobs:\n    - name: j\n      kind: judge\n      every: -1\n", "schedule.jobs[0].every", "之间"),
    ("schedule:\n  jobs:\n    - name: j\n      kind: judge\n      cron: \"99 99 * * *\"\n", "schedule.jobs[0].cron", "无效"),
    ("schedule:\n  timezone: Mars/Olympus\n", "schedule.timezone", "未知的时区"),
    ("schedule:\n  misfire_grace: -5\n", "schedule.misfire_grace", "之间"),
    ("smtp:\n  host: 127.0.0.1\n  port: 70000\n  sender: a@example.org\n", "smtp.port", "之间"),
])
def test_values_that_validate_but_would_break_are_refused(tmp_path, snippet: str, field: str, words: str) -> None:
    from monitor.config import ConfigError, load_config

    path = tmp_path / "nianbao.yaml"
    path.write_text(snippet, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_config(path)
    message = str(err.value)
    assert str(path) in message and field in message and words in message


def test_a_billion_laughs_is_refused_before_it_expands(tmp_path) -> None:
    import tracemalloc

    from monitor.config import ConfigError, load_config

    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for k in range(1, 10):
        prev, cur = chr(ord("a") + k - 1), chr(ord("a") + k)
        lines.append(f"{cur}: &{cur} [" + ",".join([f"*{prev}"] * 9) + "]")
    path = tmp_path / "nianbao.yaml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    tracemalloc.start()
    with pytest.raises(ConfigError) as err:
        load_config(path)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert "别名" in str(err.value) and peak < 64 * 2**20


@pytest.mark.e2e
def test_fifty_thousand_portals_load_in_linear_work(tmp_path) -> None:
    """Duplicate and office checks by set, not by scanning the list for every entry."""
    from monitor.config import load_config

    n = 50_000
    body = "jurisdictions:\n" + "".join(f"  - name: 县{i}\n    portal: http://www.x{i}.gov.cn/\n" for i in range(n))
    body += "offices:\n  - name: 总办\n    jurisdictions: [" + ", ".join(f"县{i}" for i in range(0, n, 10)) + "]\n" \
            "    recipients: [a@example.gov.cn]\n"
    path = tmp_path / "nianbao.yaml"
    path.write_text(body, encoding="utf-8")
    assert len(load_config(path).data["jurisdictions"]) == n
