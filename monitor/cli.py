"""The ``nianbao`` command: a thin layer over the library API.

Every command prints what it speaks of in Chinese (reports, agencies, findings); options and
machine-readable output keep stable English keys for other tools.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from monitor.spec import FINDINGS, LEVEL_NAMES, SEVERITY_NAMES


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nianbao")
def main() -> None:
    """Nianbao（年报）：政府信息公开工作年度报告的采集、核查与公示。"""


def _summary(data: dict) -> str:
    ident = [
        f"  标题：{data['title'] or '（未识别）'}",
        f"  单位：{data['agency'] or '（未识别）'}"
        + (f"（{data['jurisdiction']}，{LEVEL_NAMES.get(data['level'] or '', '级别未知')}）"
           if data["jurisdiction"] else f"（{LEVEL_NAMES.get(data['level'] or '', '级别未知')}）"),
        f"  年度：{data['year'] or '未识别'}    格式：{data['template'] or '未识别'}    "
        f"发布日期：{data['published'] or '未标注'}",
        "  六个部分：" + (" ".join(map(str, data["sections"])) or "无")
        + ("（齐全）" if data["sections"] == [1, 2, 3, 4, 5, 6] else ""),
    ]
    findings = data["findings"]
    counts = {s: sum(1 for f in findings if f["severity"] == s) for s in SEVERITY_NAMES}
    if findings:
        ident.append(f"  发现 {len(findings)} 个问题（" +
                     "，".join(f"{SEVERITY_NAMES[s]} {n}" for s, n in counts.items()) + "）：")
        for f in findings:
            ident.append(f"    [{SEVERITY_NAMES[f['severity']]}] {f['code']} {f['message']}")
    else:
        ident.append("  未发现问题。")
    return "\n".join(ident)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="One JSON object per file per line.")
@click.option("--db", type=click.Path(dir_okay=False), default=None,
              help="Also record each report in this SQLite database.")
def analyze(paths: tuple[Path, ...], as_json: bool, db: str | None) -> None:
    """Judge annual report files (HTML, PDF, DOCX, DOC/WPS, OFD, text)."""
    from monitor.analysis import analyze_document
    from monitor.document import UnreadableDocument, read_path

    store = _open_store(db) if db else None
    failed = 0
    for path in paths:
        try:
            doc = read_path(path)
        except UnreadableDocument as exc:
            failed += 1
            click.echo(f"错误：{exc}", err=True)
            continue
        report = analyze_document(doc)
        data = report.to_json()
        data["path"] = str(path)
        if store:
            store.record_report(report, url=path.resolve().as_uri())
        if as_json:
            click.echo(json.dumps(data, ensure_ascii=False, default=str))
        else:
            click.echo(f"{path}\n{_summary(data)}\n")
    if failed:
        click.echo(f"{failed} 个文件无法读取。", err=True)
        sys.exit(1)


def _open_store(path: str):
    from monitor.store import StoreError, open_store

    try:
        return open_store(path)
    except StoreError as exc:
        raise click.ClickException(str(exc)) from exc


def _settings(pairs: tuple[str, ...]) -> dict[str, str]:
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"应为 KEY=VALUE：{pair}", param_hint="-s")
        out[key.strip()] = value
    return out


def _print_summaries(summaries: list[dict]) -> None:
    click.echo("\n门户网站                              页面  年报  新增  更新  错误")
    for s in summaries:
        name = f"{s['jurisdiction'] or ''} {s['url']}".strip()
        click.echo(f"{name:<36}{s['pages']:>6}{s['reports_found']:>6}{s['new']:>6}{s['changed']:>6}{s['errors']:>6}"
                   + (f"  （{', '.join(f'{k} {v}' for k, v in s['error_kinds'].items())}）" if s["errors"] else ""))


@main.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False), help="YAML file with a portals: list.")
@click.option("--portal", "portal_urls", multiple=True, help="A portal home URL (repeatable).")
@click.option("--jurisdiction", help="Jurisdiction name for --portal URLs (e.g. 青川区).")
@click.option("--db", type=click.Path(dir_okay=False), default="data/nianbao.db", show_default=True)
@click.option("-s", "--set", "settings", multiple=True, metavar="KEY=VALUE", help="Override a Scrapy setting.")
def crawl(config_path: str | None, portal_urls: tuple[str, ...], jurisdiction: str | None, db: str,
          settings: tuple[str, ...]) -> None:
    """Crawl county portals for annual reports, judge them and store them."""
    from crawler.spiders.portal import PortalConfig
    from monitor.config import ConfigError, load_portals

    portals: list[PortalConfig] = []
    if config_path:
        try:
            portals += [PortalConfig(p.url, p.jurisdiction, p.columns) for p in load_portals(config_path)]
        except ConfigError as exc:
            raise click.ClickException(f"配置错误：{exc}") from exc
    portals += [PortalConfig(url, jurisdiction) for url in portal_urls]
    if not portals:
        raise click.UsageError("请用 --config 或 --portal 指定要抓取的门户网站。")
    _open_store(db).close()  # fail early, with a clear message, on a bad database path
    click.echo(f"抓取 {len(portals)} 个门户网站，结果写入 {db}")
    from crawler.run import crawl as run_crawl

    _print_summaries(run_crawl(portals, db, _settings(settings)))


@main.group()
def export() -> None:
    """Export data from the database."""


EXPORT_COLUMNS = ("url", "title", "agency", "jurisdiction", "year", "level", "published", "first_seen", "format",
                  "text_chars", "findings")


@export.command("reports")
@click.option("--db", type=click.Path(dir_okay=False, exists=True), default="data/nianbao.db", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("--with-text", is_flag=True, help="Include the report text.")
def export_reports(db: str, fmt: str, with_text: bool) -> None:
    """One row per report (its version in force)."""
    import csv

    store = _open_store(db)
    columns = [*EXPORT_COLUMNS, "text"] if with_text else list(EXPORT_COLUMNS)
    writer = csv.DictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore") if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for row in store.export_reports(with_text=with_text):
        if writer:
            writer.writerow({**row, "findings": " ".join(row["findings"])})
        else:
            click.echo(json.dumps({k: row[k] for k in columns}, ensure_ascii=False))


DEMO_BASE_PORT = 18081


@main.command()
@click.option("--db", type=click.Path(dir_okay=False), default="data/nianbao.db", show_default=True)
def demo(db: str) -> None:
    """The main job on the embedded default: crawl the bundled demo portals on loopback and judge them."""
    from crawler.run import crawl as run_crawl
    from crawler.spiders.portal import PortalConfig
    from crawler.world import fixture_world
    from crawler.world.server import serve

    _open_store(db).close()
    world = fixture_world()
    with serve(world, base_port=DEMO_BASE_PORT):
        click.echo(f"演示：{len(world.portals)} 个模拟县区门户网站运行于 127.0.0.1:{world.portals[0].port} 起，"
                   f"抓取并核查年报，结果写入 {db}")
        portals = [PortalConfig(p.url, p.jurisdiction) for p in world.portals]
        summaries = run_crawl(portals, db, {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False})
    _print_summaries(summaries)
    store = _open_store(db)
    counts = {row["code"]: row["n"] for row in store.db.query(
        "select f.code, count(*) n from findings f join reports r on r.current_version_id = f.version_id "
        "group by f.code order by n desc")}
    total = store.db["reports"].count
    store.close()
    click.echo(f"\n共 {total} 份年报；问题：" + ("、".join(f"{FINDINGS[c].title} {n}" for c, n in counts.items())
                                           if counts else "无"))
    click.echo(f"完成。可用 `datasette {db}` 浏览数据库，`nianbao export reports --db {db}` 导出。")


if __name__ == "__main__":
    main()
