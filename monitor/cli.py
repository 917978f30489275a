"""The ``nianbao`` command: a thin layer over the library API.

Every command prints what it speaks of in Chinese (reports, agencies, findings); options and
machine-readable output keep stable English keys for other tools.
"""

from __future__ import annotations

import errno
import json
import logging
import sys
from pathlib import Path

import click

from monitor import click_zh
from monitor.config import DEFAULT_OUTBOX, DEFAULT_SITE_OUT
from monitor.report.confidence import DOUBTFUL, TEXT_SOURCES
from monitor.report.spec import FINDINGS, LEVEL_NAMES, SEVERITY_NAMES
from monitor.store import DEFAULT_DB

click_zh.install()


class ChineseHelp:
    """Click's own words (usage, options, commands, defaults) in Chinese, as the rest of the CLI."""

    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_usage(ctx.command_path, " ".join(self.collect_usage_pieces(ctx)), prefix="用法：")

    def format_options(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        rows = []
        for param in self.get_params(ctx):
            record = param.get_help_record(ctx)
            if record is not None:
                rows.append((record[0], record[1].replace("[default: ", "[默认：").replace("[required]", "[必填]")))
        if rows:
            with formatter.section("选项"):
                formatter.write_dl(rows)
        if isinstance(self, click.Group):
            commands = [(name, cmd) for name in self.list_commands(ctx)
                        if (cmd := self.get_command(ctx, name)) is not None and not cmd.hidden]
            if commands:
                with formatter.section("命令"):
                    formatter.write_dl([(name, cmd.get_short_help_str(80)) for name, cmd in commands])

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        option = super().get_help_option(ctx)  # type: ignore[misc]
        if option is not None:
            option.help = "显示本帮助并退出。"
        return option


class ChineseCommand(ChineseHelp, click.Command):
    pass


class ChineseGroup(ChineseHelp, click.Group):
    command_class = ChineseCommand

    def invoke(self, ctx: click.Context):
        from monitor.service.locks import LockHeld, LockUnavailable

        try:
            return super().invoke(ctx)
        except (LockHeld, LockUnavailable) as exc:  # the world's state, not a bug: said, not traced
            raise click.ClickException(str(exc)) from exc
        except OSError as exc:
            if exc.errno not in (errno.EROFS, errno.EACCES, errno.EPERM, errno.ENOSPC):
                raise
            where = f"：{exc.filename}" if exc.filename else ""
            raise click.ClickException(f"无法写入{where}（{exc.strerror}）：请检查该路径是否可写、磁盘是否已满") from exc

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        pass  # listed by format_options, under a Chinese heading


ChineseGroup.group_class = ChineseGroup


@click.group(cls=ChineseGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="nianbao", help="显示版本并退出。")
def main() -> None:
    """Nianbao（年报）：政府信息公开工作年度报告的采集、核查与公示。"""


def _me() -> str:
    """This command as the user can type it again: the path it was run by (``.venv/bin/nianbao``),
    or ``nianbao`` when it is on the PATH or run as a module."""
    import shutil

    invoked = Path(sys.argv[0]) if sys.argv and sys.argv[0] else None
    if invoked is None or invoked.name != "nianbao":
        return "nianbao"
    on_path = shutil.which("nianbao")
    if on_path and Path(on_path).resolve() == invoked.resolve():
        return "nianbao"
    return _shown(invoked)


def _shown(path: Path) -> str:
    """A path as short as it can be typed from here."""
    import shlex

    try:
        shown = path.absolute().relative_to(Path.cwd())
    except ValueError:
        shown = path
    return shlex.quote(str(shown))


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
    if data.get("source", "text") != "text":
        ident.append(f"  文字来源：{TEXT_SOURCES[data['source']]}（表格数字附 OCR 置信度，"
                     f"低于 {DOUBTFUL} 的不作为错误）")
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
@click.option("--json", "as_json", is_flag=True, help="每个文件输出一行 JSON。")
@click.option("--db", type=click.Path(dir_okay=False), default=None,
              help="同时把每份年报记入这个 SQLite 数据库。")
def analyze(paths: tuple[Path, ...], as_json: bool, db: str | None) -> None:
    """核查年报文件（HTML、PDF、DOCX、DOC/WPS、OFD、文本）。"""
    from monitor.report.analysis import analyze_document
    from monitor.report.document import UnreadableDocument
    from monitor.report.readers import read_path

    store = _open_store(db, create=True) if db else None
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


def _registry(path: str | None):
    from monitor.config import ConfigError
    from monitor.judge.registry import load_registry

    try:
        return load_registry(path)
    except ConfigError as exc:
        raise click.ClickException(f"配置错误：{exc}") from exc


def _judging_registry(store, path: str | None):
    """The configuration to judge with: ``--config``, else the one the store was last judged with."""
    from monitor.config import ConfigError
    from monitor.judge.assess import ConfigGone, judging_registry

    try:
        registry, used = judging_registry(store, path)
    except ConfigGone as exc:
        raise click.ClickException(f"此前判定使用的配置文件 {exc} 已不存在：请用 --config 指定配置。") from exc
    except ConfigError as exc:
        raise click.ClickException(f"配置错误：{exc}") from exc
    if path is None and used:
        click.echo(f"使用此前判定所用的配置：{used}", err=True)
    return registry


def _check_sending(registry, send: bool) -> None:
    """A service that sends checks at start what a send needs (SMTP, its password, the site URL)."""
    from monitor.publish.notify import DigestError, check_sending

    if send and registry.offices:
        try:
            check_sending(registry)
        except DigestError as exc:
            raise click.ClickException(str(exc)) from exc


def _open_store(path: str, create: bool = False, read: bool = False):
    """The store at ``path``. Only the commands that fill a store (crawl, analyze --db, demo) may
    create one; for the others a path that does not exist is a mistake, said as such. A reading
    command (``read``) works on a database it cannot write."""
    from monitor.store import StoreError, open_for_reading, open_store

    if not create and not Path(path).is_file():
        raise click.ClickException(f"数据库文件不存在：{path}（请检查 --db；新数据库由 nianbao crawl、"
                                   "nianbao analyze --db 或 nianbao demo 创建）")
    try:
        return open_for_reading(path) if read else open_store(path)
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


RUN_STATUS_NAMES = {"finished": "完成", "incomplete": "不完整", "interrupted": "中断", "shutdown": "中止",
                    "disk_full": "磁盘已满", "running": "进行中"}


def _unreachable(summary: dict) -> bool:
    """Nothing came from the portal in this run, neither fresh nor from the store, only errors."""
    return not summary["pages"] and not summary.get("cached") and bool(summary["errors"])


def _print_summaries(summaries: list[dict]) -> None:
    from monitor.judge.health import ERROR_KIND_NAMES
    from monitor.terminal import table

    rows = [(f"{s['jurisdiction'] or ''} {s['url']}".strip(), s["pages"], s["reports_found"], s["new"], s["changed"],
             s["errors"]) for s in summaries]
    lines = table(("门户网站", "页面", "年报", "新增", "更新", "错误"), rows, "<>>>>>")
    click.echo("\n" + lines[0])
    for s, line in zip(summaries, lines[1:], strict=True):
        click.echo(line + (f"  （{', '.join(f'{k} {v}' for k, v in s['error_kinds'].items())}）" if s["errors"] else ""))
        if _unreachable(s):
            kinds = sorted(s["error_kinds"].items(), key=lambda kv: -kv[1])
            click.echo("  ✗ 未能访问该网站：" + "、".join(ERROR_KIND_NAMES.get(k, k) for k, _ in kinds))
        if s.get("lists_incomplete"):
            click.echo(f"  ⚠ {s['lists_incomplete']} 个年报列表不完整（声明的多于找到的），详见 `{_me()} health`")


@main.command()
@click.option("--config", "config_path", type=click.Path(dir_okay=False),
              help="Nianbao 配置文件（YAML）；抓取其中每个有门户网站的行政区。")
@click.option("--portal", "portal_urls", multiple=True, help="门户网站首页网址（可重复）。")
@click.option("--jurisdiction", help="--portal 网址所属的行政区名称（如 青川县）。")
@click.option("--db", type=click.Path(dir_okay=False), default=DEFAULT_DB,
              show_default=True, help="SQLite 数据库文件。")
@click.option("--only", "only", multiple=True, metavar="NAME", help="与 --config 同用：只抓取这些行政区。")
@click.option("--redis", "redis_url", envvar="REDIS_URL", metavar="URL",
              help="通过 Redis 分布式抓取（默认 $REDIS_URL）：本进程派发任务并写入数据库。")
@click.option("--worker", is_flag=True, help="只作为工作进程处理共享任务队列（需要 --redis，不需要数据库）。")
@click.option("-s", "--set", "settings", multiple=True, metavar="KEY=VALUE", help="覆盖一项 Scrapy 设置。")
@click.option("-v", "--verbose", count=True, help="同时显示 Scrapy 自身的日志和每个失败的请求（-vv：调试级）。")
def crawl(config_path: str | None, portal_urls: tuple[str, ...], jurisdiction: str | None, db: str,
          only: tuple[str, ...], redis_url: str | None, worker: bool, settings: tuple[str, ...], verbose: int) -> None:
    """抓取县区门户网站上的年报，核查并保存。"""
    from crawler.spiders.portal import PortalConfig
    from monitor.service.locks import writing

    if worker:
        if not redis_url:
            raise click.UsageError("--worker 需要 --redis URL（或环境变量 REDIS_URL）。")
        from crawler.run import crawl as run_crawl

        click.echo(f"工作进程：从 {redis_url} 领取抓取任务")
        _, reason = run_crawl([], db, _settings(settings), redis_url=redis_url, worker=True, verbose=verbose)
        click.echo(f"工作进程结束（{reason}）。")
        _exit_for_fleet(reason)
        return
    registry = _registry(config_path)
    portals = [PortalConfig(j.portal, j.name, j.columns) for j in registry.portals()
               if j.portal and (not only or j.name in only)]
    portals += [PortalConfig(url, jurisdiction) for url in portal_urls]
    if not portals:
        raise click.UsageError("请用 --config 或 --portal 指定要抓取的门户网站。")
    with writing(db):
        store = _open_store(db, create=True)  # fail early, with a clear message, on a bad database path
        interrupted = store.mark_interrupted()
        store.close()
        if interrupted:
            click.echo(f"上次有 {interrupted} 个抓取被中断，本次继续（已抓取的内容不会重复下载）。")
        click.echo(f"抓取 {len(portals)} 个门户网站，结果写入 {db}")
        from crawler.run import crawl as run_crawl

        if redis_url:
            click.echo(f"分布式抓取：任务队列在 {redis_url}，其他机器可运行 `{_me()} crawl --worker --redis {redis_url}`")
        summaries, reason = run_crawl(portals, db, _settings(settings), redis_url=redis_url, verbose=verbose)
    _print_summaries(summaries)
    if reason == "disk_full":
        click.echo("错误：磁盘已满（或数据库达到大小上限），抓取已停止；已写入的数据完整，释放空间后重新运行即可。", err=True)
        sys.exit(3)
    if reason == "shutdown":
        click.echo("抓取被中止（收到停止信号）；已完成的部分已保存，下次运行将继续。", err=True)
        sys.exit(143)
    _exit_for_fleet(reason)
    if summaries and all(_unreachable(s) for s in summaries):
        click.echo(f"错误：{len(summaries)} 个门户网站都未能访问，没有抓到任何页面（原因见上表；加 -v 查看每个请求）。", err=True)
        sys.exit(5)


FLEET_FAILURES = {
    "redis_down": "错误：Redis 长时间不可用，分布式抓取已结束，结果不完整；恢复 Redis 后重新运行即可"
                  "（已保存的内容不会重复下载）。",
    "frontier_lost": "错误：分布式任务队列丢失（Redis 重启或被清空），本次抓取不完整；请重新运行（将从数据库继续）。",
}


def _exit_for_fleet(reason: str) -> None:
    """A distributed crawl that lost its Redis fails loudly, never with a clean exit."""
    if reason in FLEET_FAILURES:
        click.echo(FLEET_FAILURES[reason], err=True)
        sys.exit(4)


@main.group()
def export() -> None:
    """从数据库导出数据。"""


EXPORT_COLUMNS = ("url", "title", "agency", "jurisdiction", "year", "level", "published", "first_seen", "format",
                  "text_chars", "findings")


@export.command("reports")
@click.option("--db", type=click.Path(dir_okay=False, exists=True), default=DEFAULT_DB,
              show_default=True, help="SQLite 数据库文件。")
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True, help="输出格式。")
@click.option("--with-text", is_flag=True, help="包含年报正文。")
def export_reports(db: str, fmt: str, with_text: bool) -> None:
    """每份年报一行（当前有效的版本）。"""
    from monitor.publish.csvsafe import SafeDictWriter

    store = _open_store(db, read=True)
    columns = [*EXPORT_COLUMNS, "text"] if with_text else list(EXPORT_COLUMNS)
    writer = SafeDictWriter(sys.stdout, fieldnames=columns, extrasaction="ignore") if fmt == "csv" else None
    if writer:
        writer.writeheader()
    for row in store.export_reports(with_text=with_text):
        if writer:
            writer.writerow({**row, "findings": " ".join(row["findings"])})
        else:
            click.echo(json.dumps({k: row[k] for k in columns}, ensure_ascii=False))


def _as_of(value: str | None):
    from datetime import date

    if value is None:
        return date.today()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise click.BadParameter(f"应为 YYYY-MM-DD：{value}", param_hint="--as-of") from exc


CONFIG_OPTION = click.option("--config", "config_path", type=click.Path(dir_okay=False),
                             help="Nianbao 配置文件（YAML）；不指定时沿用此前判定所用的配置，或只依据已抓取的年报。")
DB_OPTION = click.option("--db", type=click.Path(dir_okay=False), default=DEFAULT_DB,
                         show_default=True, help="SQLite 数据库文件。")
AS_OF_OPTION = click.option("--as-of", "as_of", metavar="YYYY-MM-DD", help="按这一天判定（默认今天）。")
STATUS_COLUMNS = ("jurisdiction", "agency", "year", "level", "deadline", "published", "status", "days_late", "findings")


@main.command()
@DB_OPTION
@CONFIG_OPTION
@AS_OF_OPTION
@click.option("--year", type=int, help="只看这一报告年度。")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "csv"]), default="table",
              show_default=True, help="输出格式。")
def status(db: str, config_path: str | None, as_of: str | None, year: int | None, fmt: str) -> None:
    """每份应公布的年报：按时、逾期、未公布、未到期限或未标注日期。"""
    from monitor.judge import STATUS_NAMES, evaluate
    from monitor.publish.csvsafe import SafeDictWriter

    day = _as_of(as_of)
    store = _open_store(db, read=True)
    rows = [r.to_json() for r in evaluate(store, _judging_registry(store, config_path), day, year).rows]
    if fmt == "json":
        click.echo(json.dumps(rows, ensure_ascii=False, indent=1))
    elif fmt == "csv":
        writer = SafeDictWriter(sys.stdout, fieldnames=list(STATUS_COLUMNS), extrasaction="ignore")
        writer.writeheader()
        for r in rows:
            writer.writerow({**r, "findings": " ".join(r["findings"])})
    else:
        click.echo(f"截至 {day.isoformat()}：")
        from monitor.terminal import table

        lines = table(("行政区", "单位", "年度", "期限", "公布日期", "状态", "逾期天数", "问题"),
                      [(r["jurisdiction"], r["agency"], r["year"], r["deadline"], r["published"] or "—",
                        STATUS_NAMES[r["status"]], r["days_late"] if r["days_late"] is not None else "",
                        " ".join(r["findings"])) for r in rows], "<<<<<<>")
        for line in lines:
            click.echo(line)
        from collections import Counter

        counts = Counter(r["status"] for r in rows)
        click.echo("合计：" + "，".join(f"{STATUS_NAMES[k]} {counts[k]}" for k in STATUS_NAMES if counts[k]))


@main.command(name="judge")
@DB_OPTION
@CONFIG_OPTION
@AS_OF_OPTION
def judge_command(db: str, config_path: str | None, as_of: str | None) -> None:
    """重新核查全部问题，更新其状态（新发现、仍未解决、已解决）。"""
    from monitor.judge import judge
    from monitor.judge.assess import remember_config

    store = _open_store(db)
    registry = _judging_registry(store, config_path)
    _, result = judge(store, registry, _as_of(as_of))
    remember_config(store, registry)
    click.echo(f"新发现 {result.new}，仍未解决 {result.still_open}，已解决 {result.resolved}，重新出现 {result.reopened}。")


@main.command()
@click.argument("finding_id", type=int)
@click.option("--note", required=True, help="说明（与该问题一同显示）。")
@click.option("--mute", is_flag=True, help="从摘要中完全隐藏，而不只是不再作为新问题发送。")
@DB_OPTION
def ack(finding_id: int, note: str, mute: bool, db: str) -> None:
    """确认（或屏蔽）一个问题：它仍然可见，但不再作为新问题发送。"""
    from monitor.judge import UnknownFinding, acknowledge

    store = _open_store(db)
    try:
        row = acknowledge(store, finding_id, note, mute)
    except UnknownFinding as exc:
        raise click.ClickException(f"没有编号为 {finding_id} 的问题。") from exc
    click.echo(f"已{'屏蔽' if mute else '确认'}问题 {finding_id}：{row['agency']} {row['year']}年度 {row['code']}（{note}）")


@main.command()
@DB_OPTION
@CONFIG_OPTION
@AS_OF_OPTION
@click.option("--office", help="只处理这个政务公开办（配置中的名称）。")
@click.option("--outbox", type=click.Path(file_okay=False),
              help="预览：把将要发送的邮件写成 .eml 文件放在此目录，不记为已发送。")
@click.option("--send", is_flag=True, help="通过配置的 SMTP 服务器发送（每项只发送一次）。")
@click.option("--dry-run", is_flag=True, help="只说明将发送或写入什么，不写入也不发送。")
@click.option("--site-url", help="网站的公开地址，用于邮件中的链接（默认取配置 site.base_url）。")
def digest(db: str, config_path: str | None, as_of: str | None, office: str | None, outbox: str | None, send: bool,
           dry_run: bool, site_url: str | None) -> None:
    """向各政务公开办发送合规摘要：新发现的逾期、未公布和错误。"""
    from monitor.publish.notify import DigestError, check_sending, digest_offices, run_digests

    if bool(outbox) == bool(send):
        raise click.UsageError("请二选一：--outbox 目录（预览，写入 .eml 文件）或 --send（通过 SMTP 发送）。")
    from monitor.judge.assess import assess
    from monitor.publish.notify import run_health_digest
    from monitor.service.locks import writing

    with writing(db):  # a manual digest waits for a scheduled one (and for a crawl) to finish
        store = _open_store(db)
        registry = _judging_registry(store, config_path)
        preview = bool(outbox)
        try:
            digest_offices(registry, office)
            if send and not dry_run:
                check_sending(registry, site_url)
            assessed = assess(store, registry, _as_of(as_of))
            outcomes = run_digests(store, registry, _as_of(as_of), office, outbox, site_url,
                                   evaluation=assessed.evaluation, preview=preview, dry_run=dry_run)
        except DigestError as exc:
            raise click.ClickException(str(exc)) from exc
        health = run_health_digest(store, registry, outbox, _as_of(as_of), assessed=True, preview=preview,
                                   dry_run=dry_run)
    if health is not None:
        outcomes.append(health)
    failed = False
    for o in outcomes:
        line = f"{o.office}：新问题 {o.new}，此前已报告 {o.standing}"
        if o.sent:
            line += f"；已发送给 {', '.join(o.sent)}"
        if o.written:
            line += f"；预览：已写入 {len(o.written)} 封邮件（未记为已发送）"
        elif dry_run and o.new:
            line += "；演练：将发送，但本次未发送、未记录"
        if o.retried:
            line += f"（含重发 {o.retried} 封）"
        if o.failed:
            failed = True
            line += "；发送失败（下次运行将重试）：" + "；".join(f"{r}（{e}）" for r, e in o.failed.items())
        if not (o.new or o.sent or o.written or o.failed):
            line += "；没有新内容，未发送"
        if preview and o.new:
            line += "；用 --send 发送时将包含这些新问题"
        click.echo(line)
        for path in o.written:
            click.echo(f"  {path}")
    if failed:
        sys.exit(2)


@main.command()
@DB_OPTION
@CONFIG_OPTION
@AS_OF_OPTION
@click.option("--out", type=click.Path(file_okay=False), default=DEFAULT_SITE_OUT, show_default=True, help="网站生成位置。")
@click.option("--year", type=int, help="总览页的报告年度（默认最近一个已到期限的年度）。")
def site(db: str, config_path: str | None, as_of: str | None, out: str, year: int | None) -> None:
    """生成静态网站，输出 index.html 的路径。"""
    from monitor.publish.site import build_site

    store = _open_store(db, read=True)
    result = build_site(store, _judging_registry(store, config_path), out, _as_of(as_of), year)
    click.echo(f"网站已生成：{result.pages} 个页面（{result.reused} 个沿用上次构建），{result.reports} 份年报。", err=True)
    click.echo(str(result.index))


@main.command()
@DB_OPTION
@click.option("--format", "fmt", type=click.Choice(["table", "json"]), default="table",
              show_default=True, help="输出格式。")
def health(db: str, fmt: str) -> None:
    """各门户网站的抓取健康：最近一次抓取、页面、年报、各类错误和告警。"""
    from monitor.judge.health import ERROR_KIND_NAMES, portal_health

    store = _open_store(db, read=True)
    portals = [h.to_json() for h in portal_health(store)]
    if fmt == "json":
        click.echo(json.dumps(portals, ensure_ascii=False, indent=1))
        return
    for p in portals:
        kinds = "，".join(f"{ERROR_KIND_NAMES.get(k, k)} {n}" for k, n in p["error_kinds"].items())
        click.echo(f"{p['url']}  {p['jurisdiction'] or ''}")
        if p["last_run"]:
            status = RUN_STATUS_NAMES.get(p["status"], p["status"])
            click.echo(f"  最近一次：{p['last_run'][:16].replace('T', ' ')}（{status}），页面 {p['pages']}，"
                       f"年报 {p['reports_found']}（新增 {p['new']}，更新 {p['changed']}），错误 {p['errors']}"
                       + (f"（{kinds}）" if kinds else "") + f"，用时 {p['duration_s']} 秒")
        else:
            click.echo("  尚未抓取。")
        for a in p["alerts"]:
            click.echo(f"  ⚠ {a['message']}")


def _service_options(db: str, config_path: str | None, outbox: str | None = None, send: bool = False,
                     site_out: str | None = None):
    from monitor.config import load_config
    from monitor.service import ServiceOptions

    schedule = (load_config(config_path).data.get("schedule") or {}) if config_path else {}
    return ServiceOptions.from_schedule(db, config_path, schedule, outbox, send, site_out), schedule


@main.command()
@CONFIG_OPTION
@DB_OPTION
def serve(config_path: str | None, db: str) -> None:
    """运行定时服务：按配置的时间抓取、核查、发送摘要、生成网站。"""
    from monitor.service import JOB_NAMES, jobs_from_config
    from monitor.service import serve as run_service
    from monitor.service.locks import LockHeld
    from monitor.service.schedule import describe

    registry = _registry(config_path)
    options, schedule = _service_options(db, config_path)
    _check_sending(registry, options.send)
    specs, _ = jobs_from_config(registry, schedule)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")

    def started() -> None:  # said once the service holds its lock: a second one says nothing of this
        click.echo(f"Nianbao 服务启动：{len(specs)} 个任务，数据库 {db}，时区 {options.timezone}")
        for spec in specs:
            click.echo(f"  {JOB_NAMES[spec.kind]}：{spec.name}：{describe(spec)}")

    try:
        run_service(options, specs, started)
    except LockHeld as exc:
        raise click.ClickException(f"{exc}。同一个数据库只能运行一个服务。") from exc
    click.echo("Nianbao 服务已停止。")


@main.command(name="run")
@CONFIG_OPTION
@DB_OPTION
@click.option("--outbox", type=click.Path(file_okay=False), help="把摘要邮件写入此目录（默认 data/outbox）。")
@click.option("--send", is_flag=True, help="通过配置的 SMTP 服务器发送摘要。")
@click.option("--site-out", type=click.Path(file_okay=False), help="网站生成位置（默认 data/site）。")
@click.option("-s", "--set", "settings", multiple=True, metavar="KEY=VALUE", help="覆盖一项 Scrapy 设置。")
def run_command(config_path: str | None, db: str, outbox: str | None, send: bool, site_out: str | None,
                settings: tuple[str, ...]) -> None:
    """完整运行一轮：抓取 → 核查 → 摘要 → 网站（供 cron 使用）。"""
    from monitor.service import run_cycle

    registry = _registry(config_path)
    options, _ = _service_options(db, config_path, outbox, send, site_out)
    _check_sending(registry, options.send)
    run_cycle(options, _settings(settings))
    store = _open_store(db)
    last = store.latest_job_run()
    click.echo(f"完成：{last['outcome']}" + (f"（{last['message']}）" if last["message"] else ""))
    click.echo(f"网站：{Path(options.site_out).resolve() / 'index.html'}")
    if last["outcome"] != "ok":
        sys.exit(1)


@main.command()
@CONFIG_OPTION
@DB_OPTION
def jobs(config_path: str | None, db: str) -> None:
    """定时任务及其上次、下次运行时间和上次结果。"""
    from monitor.service import job_table, jobs_from_config

    registry = _registry(config_path)
    options, schedule = _service_options(db, config_path)
    specs, _ = jobs_from_config(registry, schedule)
    rows = job_table(options, specs)
    click.echo(f"时区：{options.timezone}")
    for r in rows:
        click.echo(f"{r['name']}：{r['schedule']}")
        click.echo(f"  下次运行：{(r['next_run'] or '—')[:19].replace('T', ' ')}；上次运行："
                   f"{(r['last_run'] or '—')[:19].replace('T', ' ')}（{r['last_outcome'] or '—'}）"
                   + (f"：{r['last_message']}" if r["last_message"] else ""))


@main.group(name="config")
def config_group() -> None:
    """从行政区划数据生成配置，并检查配置。"""


@config_group.command("init")
@click.option("--province", required=True, help="省级行政区，如 四川省。")
@click.option("--city", help="只含这个地级行政区，如 广元市。")
@click.option("--out", type=click.Path(dir_okay=False), help="写入此文件（默认输出到屏幕）；已存在则不覆盖。")
def config_init(province: str, city: str | None, out: str | None) -> None:
    """生成配置骨架：每个县级行政区（名称、代码、上级）及其政府，门户网站和收件人待填写。"""
    from monitor.scaffold import ScaffoldError, skeleton

    try:
        text = skeleton(province, city)
    except ScaffoldError as exc:
        raise click.ClickException(str(exc)) from exc
    if out is None:
        click.echo(text, nl=False)
        return
    if Path(out).exists():
        raise click.ClickException(f"{out} 已存在，未覆盖。")
    Path(out).write_text(text, encoding="utf-8")
    click.echo(f"已写入 {out}；填写各行政区的 portal 后运行 `{_me()} config check --config {out}`。")


@config_group.command("check")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), required=True,
              help="要检查的 Nianbao 配置文件（YAML）。")
def config_check(config_path: str) -> None:
    """检查配置：格式与取值，行政区名称是否与行政区划数据一致，哪些县级行政区尚无门户网站。"""
    from monitor.config import ConfigError
    from monitor.scaffold import check

    try:
        result = check(config_path)
    except ConfigError as exc:
        raise click.ClickException(f"配置错误：{exc}") from exc
    for error in result.errors:
        click.echo(f"错误：{error}", err=True)
    if result.unknown:
        click.echo("行政区划数据中没有这些名称（开发区、新区等可以忽略）：" + "、".join(result.unknown))
    if result.without_portal:
        click.echo(f"尚无门户网站的县级行政区 {len(result.without_portal)} 个：" + "、".join(result.without_portal))
    if result.errors:
        sys.exit(1)
    click.echo("配置有效。")


DEMO_BASE_PORT = 18081


@main.command()
@click.option("--db", type=click.Path(dir_okay=False), default=DEFAULT_DB,
              show_default=True, help="演示用的 SQLite 数据库文件。")
@click.option("--outbox", type=click.Path(file_okay=False), default=DEFAULT_OUTBOX,
              show_default=True, help="摘要邮件写入的目录。")
def demo(db: str, outbox: str) -> None:
    """演示：抓取内置的模拟门户网站，核查，写出摘要邮件并生成网站。"""
    from pathlib import Path

    from crawler.run import crawl as run_crawl
    from crawler.spiders.portal import PortalConfig
    from demo.server import serve
    from demo.world import demo_registry, fixture_world
    from monitor.judge.assess import assess
    from monitor.publish.notify import run_digests
    from monitor.publish.site import build_site

    _open_store(db, create=True).close()
    world = fixture_world()
    with serve(world, base_port=DEMO_BASE_PORT):
        click.echo(f"演示：{len(world.portals)} 个模拟县区门户网站运行于 127.0.0.1:{world.portals[0].port} 起，"
                   f"抓取并核查年报，结果写入 {db}")
        portals = [PortalConfig(p.url, p.jurisdiction) for p in world.portals]
        summaries, _ = run_crawl(portals, db, {"DOWNLOAD_DELAY": 0, "AUTOTHROTTLE_ENABLED": False})
    _print_summaries(summaries)
    store = _open_store(db)
    registry = demo_registry(world)
    site = (Path(db).parent / "site").resolve().as_uri() + "/"
    assessed = assess(store, registry)  # judged once, published twice
    outcomes = run_digests(store, registry, outbox=outbox, site_url=site, evaluation=assessed.evaluation)
    built = build_site(store, registry, Path(db).parent / "site", evaluation=assessed.evaluation,
                       health=assessed.health)
    counts = store.open_finding_counts()
    total = store.report_count()
    store.close()
    click.echo(f"\n共 {total} 份年报；未解决的问题：" + ("、".join(f"{FINDINGS[c].title} {n}" for c, n in counts.items())
                                                if counts else "无"))
    written = [p for o in outcomes for p in o.written]
    click.echo(f"合规摘要邮件 {len(written)} 封已写入 {Path(outbox).resolve()}" if written
               else f"没有新的合规摘要（此前已写入 {Path(outbox).resolve()}）")
    click.echo(f"网站：{built.index}")
    datasette = Path(sys.executable).with_name("datasette")  # installed with the test extras
    browse = f"；`{_shown(datasette)} {db}` 浏览数据库" if datasette.exists() else ""
    click.echo(f"完成。`{_me()} status --db {db}` 查看各单位公布情况{browse}。")


if __name__ == "__main__":
    main()
