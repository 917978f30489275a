"""Configuration files (YAML), validated: an error names the file, the line and the field.

Operators edit these files by hand; a typo must be refused at start with a message that says
where it is and what was expected, not surface as a crash an hour into a crawl. Each file is
parsed twice — to Python values and to YAML nodes — so every value keeps its line number.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

Path_ = tuple[str | int, ...]


class ConfigError(Exception):
    """A configuration problem, located."""

    def __init__(self, file: str, line: int | None, field_path: str, message: str) -> None:
        self.file, self.line, self.field, self.message = file, line, field_path, message
        where = f"{file}:{line}" if line else file
        super().__init__(f"{where}: {field_path}: {message}" if field_path else f"{where}: {message}")


@dataclass
class Located:
    """A loaded YAML document with the line of every value."""

    file: str
    data: Any
    lines: dict[Path_, int]

    def line(self, path: Path_) -> int | None:
        while path:
            if path in self.lines:
                return self.lines[path]
            path = path[:-1]
        return self.lines.get((), None)

    def error(self, path: Path_, message: str) -> ConfigError:
        return ConfigError(self.file, self.line(path), format_path(path), message)


def format_path(path: Path_) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _lines(node: yaml.Node, path: Path_, out: dict[Path_, int]) -> None:
    out[path] = node.start_mark.line + 1
    if isinstance(node, yaml.MappingNode):
        for key, value in node.value:
            name = key.value
            out[(*path, name)] = key.start_mark.line + 1
            _lines(value, (*path, name), out)
            out[(*path, name)] = key.start_mark.line + 1
    elif isinstance(node, yaml.SequenceNode):
        for i, value in enumerate(node.value):
            _lines(value, (*path, i), out)


SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when present: 50,000 portals in seconds
MAX_NODES = 2_000_000  # values in the expanded document: far above 50,000 portals, far below a billion laughs


def _expanded_size(node: yaml.Node, seen: dict[int, int], depth: int) -> int:
    """How many values the document has once every alias is expanded (counted on the shared graph)."""
    key = id(node)
    if key in seen:
        return seen[key]
    if depth > 200:
        return MAX_NODES + 1
    if isinstance(node, yaml.MappingNode):
        size = 1 + sum(_expanded_size(k, seen, depth + 1) + _expanded_size(v, seen, depth + 1) for k, v in node.value)
    elif isinstance(node, yaml.SequenceNode):
        size = 1 + sum(_expanded_size(v, seen, depth + 1) for v in node.value)
    else:
        size = 1
    seen[key] = min(size, MAX_NODES + 1)
    return seen[key]


def load_yaml(path: str | Path) -> Located:
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ConfigError(str(p), None, "", "文件不存在") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(str(p), None, "", f"无法读取：{exc}") from exc
    try:
        node = yaml.compose(text, Loader=SAFE_LOADER)  # aliases stay shared here: cheap
        if node is not None and _expanded_size(node, {}, 0) > MAX_NODES:
            raise ConfigError(str(p), None, "", f"YAML 展开后过大（超过 {MAX_NODES} 个值，可能是别名炸弹），拒绝读取")
        data = yaml.load(text, Loader=SAFE_LOADER)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        problem = getattr(exc, "problem", None) or str(exc)
        column = f"第 {mark.column + 1} 列，" if mark else ""
        raise ConfigError(str(p), mark.line + 1 if mark else None, "",
                          f"YAML 语法错误（{column}{yaml_problem(problem, _line(text, mark))}）") from exc
    lines: dict[Path_, int] = {}
    if node is not None:
        _lines(node, (), lines)
    return Located(str(p), data if data is not None else {}, lines)


# PyYAML's (and libyaml's) problems, as a user reads them; the original words follow for a search
YAML_PROBLEMS = (
    ("mapping values are not allowed", "这里不能出现“键: 值”——冒号后要有空格、值里的冒号要加引号，或缩进不对齐"),
    ("could not find expected ':'", "缺少冒号“:”，或上一行的引号没有闭合"),
    ("did not find expected key", "缩进不对齐，或列表项“- ”混在了映射中"),
    ("did not find expected '-'", "列表项缩进不一致"),
    ("unexpected end of stream", "文件在引号或括号闭合之前就结束了：检查引号是否成对"),
    ("undefined alias", "引用了未定义的别名（*名称）"),
    ("expected ',' or ']'", "方括号 [ ] 列表没有正确闭合"),
    ("expected ',' or '}'", "花括号 { } 映射没有正确闭合"),
    ("duplicate anchor", "重复定义了锚点（&名称）"),
)


def _line(text: str, mark: Any) -> str:
    lines = text.splitlines()
    return lines[mark.line] if mark is not None and 0 <= mark.line < len(lines) else ""


def yaml_problem(problem: str, line: str = "") -> str:
    if "cannot start any token" in problem:
        if "\t" in line:
            return f"不能用 Tab 缩进，请改用空格；{problem}"
        return f"这里的字符不能作为值的开头（如 @ ` %），请给值加引号；{problem}"
    for english, chinese in YAML_PROBLEMS:
        if english in problem:
            return f"{chinese}；{problem}"
    return problem


def describe(value: Any) -> str:
    """A value as the user wrote it in YAML, not as Python prints it."""
    if isinstance(value, datetime):
        return f"日期时间 {value.isoformat(sep=' ')}"
    if isinstance(value, date):
        return f"日期 {value.isoformat()}"
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "空值"
    if isinstance(value, str):
        return f"“{value}”"
    if isinstance(value, list):
        return "列表"
    if isinstance(value, dict):
        return "映射"
    return str(value)


# --------------------------------------------------------------------------- schema


@dataclass
class Field:
    """One key of a mapping: its type, whether it is required, and a check of its value."""

    type: type | tuple[type, ...]
    required: bool = False
    check: Callable[[Any], str | None] | None = None  # returns an error message or None
    item: Schema | Field | None = None  # for lists: the schema of each element
    describe: str = ""


@dataclass
class Schema:
    fields: dict[str, Field] = field(default_factory=dict)
    open: bool = False  # accept unknown keys (maps of names)
    values: Field | Schema | None = None  # for open maps: the schema of each value


TYPE_NAMES = {str: "文本", int: "整数", float: "数字", bool: "true/false", list: "列表", dict: "映射"}


def _type_name(t: type | tuple[type, ...]) -> str:
    types = t if isinstance(t, tuple) else (t,)
    return " 或 ".join(TYPE_NAMES.get(x, x.__name__) for x in types)


def validate(doc: Located, schema: Schema, value: Any = None, path: Path_ = ()) -> None:
    value = doc.data if value is None and path == () else value
    if not isinstance(value, dict):
        raise doc.error(path, f"应为映射（key: value），实际是 {describe(value)}")
    for key in value:
        if key not in schema.fields and not schema.open:
            known = "、".join(schema.fields) or "（无）"
            raise doc.error((*path, key), f"未知字段；可用的字段：{known}")
    for name, spec in schema.fields.items():
        if name not in value:
            if spec.required:
                raise doc.error(path, f"缺少必填字段 {name}" + (f"（{spec.describe}）" if spec.describe else ""))
            continue
        _check(doc, spec, value[name], (*path, name))
    if schema.open and schema.values is not None:
        for key, item in value.items():
            if key in schema.fields:
                continue
            if isinstance(schema.values, Schema):
                validate(doc, schema.values, item, (*path, key))
            else:
                _check(doc, schema.values, item, (*path, key))


def _check(doc: Located, spec: Field, value: Any, path: Path_) -> None:
    if isinstance(value, bool) and spec.type in (int, float):
        raise doc.error(path, f"应为{_type_name(spec.type)}")
    if isinstance(value, date) and spec.check is month_day:
        raise doc.error(path, f"写成了{describe(value)}，这里应为次年的“月-日”，如 \"{value.month:02d}-{value.day:02d}\""
                              "（加引号，年份由报告年度决定）")
    if not isinstance(value, spec.type):
        raise doc.error(path, f"应为{_type_name(spec.type)}，实际是 {describe(value)}")
    if spec.check:
        message = spec.check(value)
        if message:
            raise doc.error(path, message)
    if isinstance(value, list) and spec.item is not None:
        for i, item in enumerate(value):
            if isinstance(spec.item, Schema):
                validate(doc, spec.item, item, (*path, i))
            else:
                _check(doc, spec.item, item, (*path, i))


def is_url(value: str) -> str | None:
    return None if re.match(r"^https?://[^\s/]+", value) else "应为以 http:// 或 https:// 开头的网址"


def month_day(value: str) -> str | None:
    m = re.fullmatch(r"(\d{1,2})-(\d{1,2})", str(value))
    if not m:
        return "应为“月-日”，如 02-20"
    try:
        date(2024, int(m.group(1)), int(m.group(2)))
    except ValueError:
        return f"不是有效的日期：{value}"
    return None


def one_of(*choices: str) -> Callable[[Any], str | None]:
    return lambda v: None if v in choices else f"应为 {' / '.join(choices)} 之一，实际是 {describe(v)}"


def is_email(value: str) -> str | None:
    address = re.search(r"<([^>]+)>", value)
    address_text = address.group(1) if address else value
    return None if re.fullmatch(r"[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+", address_text.strip()) else "不是有效的电子邮件地址"


def between(low: float, high: float, unit: str = "") -> Callable[[Any], str | None]:
    def check(value: Any) -> str | None:
        if isinstance(value, bool) or not isinstance(value, int | float) or not low <= value <= high:
            return f"应在 {low:g} 到 {high:g}{unit} 之间"
        return None
    return check


def is_cron(value: Any) -> str | None:
    from apscheduler.triggers.cron import CronTrigger

    fields = str(value).split()
    if len(fields) != 5:
        return "cron 表达式应有 5 个字段（分 时 日 月 周）"
    try:
        CronTrigger.from_crontab(str(value))
    except ValueError as exc:
        return f"cron 表达式无效：{exc}"
    return None


def is_timezone(value: Any) -> str | None:
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    try:
        ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        return f"未知的时区：{value}（如 Asia/Shanghai）"
    return None


def no_secret(value: Any) -> str | None:
    return "口令不能写在配置文件里：请用 password_env 指定保存口令的环境变量名"


UNIT = Schema({
    "name": Field(str, required=True, describe="单位全称，如 青川县教育局"),
    "level": Field(str, check=one_of("government", "department", "township")),
    "retired": Field(int, describe="自该报告年度起不再要求公布（如机构合并）"),
})
JURISDICTION = Schema({
    "name": Field(str, required=True, describe="如 青川县"),
    "code": Field((str, int), check=lambda v: None if re.fullmatch(r"\d{6}", str(v)) else "行政区划代码应为 6 位数字"),
    "level": Field(str, check=one_of("province", "city", "county")),
    "parent": Field(str, describe="上级行政区名称"),
    "portal": Field(str, check=is_url, describe="门户网站首页"),
    "columns": Field(list, item=Field(str, check=is_url), describe="年报栏目网址（可选）"),
    "units": Field(list, item=UNIT, describe="应当公布年报的单位（可选）"),
})
DEADLINE = Schema({
    "scope": Field(str, required=True, describe="省、市或县区名称（或区划代码）"),
    "date": Field(str, required=True, check=month_day, describe="次年的月-日，如 02-20"),
    "level": Field(str, check=one_of("government", "department", "township")),
    "years": Field(list, item=Field(int), describe="适用的报告年度（可选）"),
    "source": Field(str, describe="依据文件"),
})
OFFICE = Schema({
    "name": Field(str, required=True, describe="如 青川县政务公开办"),
    "jurisdictions": Field(list, required=True, item=Field(str), describe="所负责的行政区（含下级）"),
    "recipients": Field(list, required=True, item=Field(str, check=is_email)),
})
SMTP = Schema({
    "host": Field(str, required=True),
    "port": Field(int, check=between(1, 65535)),
    "starttls": Field(bool),
    "ssl": Field(bool),
    "username": Field(str),
    "password_env": Field(str, describe="保存口令的环境变量名"),
    "password": Field((str, int), check=no_secret),
    "sender": Field(str, required=True, check=is_email),
    "timeout": Field((int, float), check=between(1, 600, " 秒")),
})
JOB_KINDS = ("crawl", "judge", "digest", "site", "cycle")  # what a scheduled job can run
# The schedule section's defaults (config: schedule.outbox, site_out, timezone, misfire_grace)
DEFAULT_OUTBOX = "data/outbox"
DEFAULT_SITE_OUT = "data/site"
DEFAULT_TIMEZONE = "Asia/Shanghai"
DEFAULT_MISFIRE_GRACE = 6 * 3600  # seconds a missed run may still start late
JOB = Schema({
    "name": Field(str, required=True),
    "kind": Field(str, required=True, check=one_of(*JOB_KINDS)),
    "cron": Field(str, check=is_cron),
    "every": Field((int, float), check=between(1, 366 * 86400, " 秒"), describe="间隔秒数（代替 cron）"),
    "jurisdictions": Field(list, item=Field(str)),
    "jitter": Field(int, check=between(0, 86400, " 秒"), describe="随机延后的秒数"),
    "settings": Field(dict),
})
SCHEDULE = Schema({
    "timezone": Field(str, check=is_timezone), "misfire_grace": Field(int, check=between(1, 7 * 86400, " 秒")),
    "outbox": Field(str), "send": Field(bool),
    "site_out": Field(str), "jobs": Field(list, item=JOB),
})
CONFIG = Schema({
    "jurisdictions": Field(list, item=JURISDICTION),
    "deadlines": Field(list, item=DEADLINE),
    "offices": Field(list, item=OFFICE),
    "smtp": Field(dict),
    "site": Field(dict),
    "operator": Field(list, item=Field(str, check=is_email), describe="运维人员邮箱（抓取健康告警）"),
    "schedule": Field(dict),
})
SITE = Schema({"base_url": Field(str, check=is_url), "title": Field(str)})


def load_config(path: str | Path) -> Located:
    """Load and validate a Nianbao configuration file."""
    doc = load_yaml(path)
    validate(doc, CONFIG)
    for key, schema in (("smtp", SMTP), ("site", SITE), ("schedule", SCHEDULE)):
        if key in doc.data:
            validate(doc, schema, doc.data[key], (key,))
    names: set[str] = set()
    for i, jurisdiction in enumerate(doc.data.get("jurisdictions") or []):
        if jurisdiction["name"] in names:
            raise doc.error(("jurisdictions", i, "name"), f"行政区 {jurisdiction['name']} 重复")
        names.add(jurisdiction["name"])
    for i, office in enumerate(doc.data.get("offices") or []):
        for k, name in enumerate(office["jurisdictions"]):
            if names and name not in names:
                raise doc.error(("offices", i, "jurisdictions", k), f"未在 jurisdictions 中定义：{name}")
    for i, jurisdiction in enumerate(doc.data.get("jurisdictions") or []):
        problem = misspelt_division(jurisdiction)
        if problem:
            raise doc.error(("jurisdictions", i, "name"), problem)
    return doc


def misspelt_division(jurisdiction: dict[str, Any]) -> str | None:
    """Why a configured jurisdiction's name cannot be right, checked against the gazetteer
    (GB/T 2260): its code names another division, or its parent is a real province or prefecture
    that has no division of that name but one spelt like it. Places the gazetteer cannot speak for
    (a development zone, an invented demo county under an invented city) pass; ``nianbao config
    check`` lists them."""
    from monitor.report.divisions import by_code, children, closest, lookup

    name = jurisdiction["name"]
    if lookup(name) and (jurisdiction.get("code") is None
                         or any(d.code == str(jurisdiction["code"]) for d in lookup(name))):
        return None
    if jurisdiction.get("code") is not None:
        coded = by_code(str(jurisdiction["code"]))
        if coded:
            return f"名称“{name}”与行政区划代码 {jurisdiction['code']}（{coded[0].name}）不符"
    parent = jurisdiction.get("parent")
    if parent:
        close = closest(name, [d.name for d in children(parent)])
        if close:
            return f"行政区划数据中{parent}没有“{name}”；是否为：{'、'.join(close)}？"
    return None
