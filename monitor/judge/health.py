"""Crawler health: is each portal still yielding reports? A channel apart from compliance findings.

Scrapers break silently when a portal is redesigned: the crawl "succeeds" and finds nothing.
From each portal's run history we raise operator alerts:

``zero_result``  a portal that yielded reports before and now yields none or far fewer;
``none_found``   a portal crawled through without errors that has never yielded a report (its 年报
                 column was not recognised: a first crawl that finds nothing must say so too);
``shared_jurisdiction`` portals read as one jurisdiction whose reports overwrite each other's (a
                 portal's latest crawl found reports that are now filed under another portal);
``failing``      a portal failing several runs in a row;
``column_gone``  a 年报 column that answered before and now is 404/410 or a soft 404;
``error_spike``  far more errors than the portal's usual;
``LIST_INCOMPLETE`` a 年报 list that states more entries (or pages) than the crawl could read, or
                 shows a next-page control nothing could follow (finding code in ``monitor.report.spec``).

Alerts have a lifecycle like findings and go only to the operator addresses in the configuration.
"""

from __future__ import annotations

import json
import statistics
from dataclasses import dataclass, field
from typing import Any

from monitor.report.spec import FINDINGS
from monitor.store import Store, now_iso

RECENT_RUNS = 8
FAILING_RUNS = 3  # consecutive failed runs that make a portal "failing"
DROP_RATIO = 0.5  # a run finding less than half the usual reports is a drop
ALERT_TITLES = {"zero_result": "年报数量骤降", "none_found": "从未找到年报", "shared_jurisdiction": "行政区重名",
                "failing": "连续抓取失败", "column_gone": "年报栏目消失", "error_spike": "错误激增", "budget": "抓取预算用尽",
                "LIST_INCOMPLETE": FINDINGS["LIST_INCOMPLETE"].title}
LIST_REASONS = {"shortfall": "找到的少于声明的", "permission": "栏目声明有记录但返回为空（可能需要权限）",
                "unfollowable_pager": "翻页控件无法跟随", "page_bound": "超过单个列表的页数上限"}
ERROR_KIND_NAMES = {"dns": "域名解析失败", "tls": "TLS/证书错误", "timeout": "超时", "connection": "连接失败（被拒绝或重置）",
                    "truncated": "响应不完整", "4xx": "4xx 错误", "5xx": "5xx 错误", "waf": "WAF 拦截（412/521）",
                    "robots": "robots.txt 禁止", "redirect_loop": "重定向循环", "soft404": "软 404",
                    "off_portal": "越出门户网站（已拒绝）", "document_failed": "文件读取失败（已跳过）",
                    "too_large": "超过大小上限（已丢弃）"}


@dataclass
class Alert:
    kind: str
    portal_id: int
    url: str
    target: str  # what it is about: the portal, or a column URL
    message: str
    detail: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.portal_id}|{self.kind}|{self.target}"


@dataclass
class PortalHealth:
    portal_id: int
    url: str
    jurisdiction: str | None
    last_run: dict[str, Any] | None
    runs: list[dict[str, Any]]
    alerts: list[Alert]
    lists: list[dict[str, Any]] = field(default_factory=list)
    failures: list[dict[str, Any]] = field(default_factory=list)  # the last run's failed URLs and why

    def to_json(self) -> dict[str, Any]:
        run = self.last_run or {}
        return {"url": self.url, "jurisdiction": self.jurisdiction, "last_run": run.get("started_at"),
                "status": run.get("status"), "pages": run.get("pages"), "requests": run.get("requests"),
                "reports_found": run.get("reports_found"), "new": run.get("new"), "changed": run.get("changed"),
                "errors": run.get("errors"), "error_kinds": json.loads(run.get("error_kinds") or "{}"),
                "duration_s": run.get("duration_s"), "runs": len(self.runs),
                "budget_cuts": json.loads(run.get("budget_cuts") or "{}"),
                "lists": [{"column": x["column_url"], "stated": x["stated"], "stated_pages": x["stated_pages"],
                           "found": x["found"], "adapter": x["adapter"],
                           "complete": None if x["complete"] is None else bool(x["complete"]),
                           "reason": x["reason"]} for x in self.lists],
                "alerts": [{"kind": a.kind, "message": a.message} for a in self.alerts],
                "failures": self.failures}


def _median(values: list[float]) -> float:
    return statistics.median(values) if values else 0.0


def portal_health(store: Store) -> list[PortalHealth]:
    runs = store.recent_runs(RECENT_RUNS)
    latest = [finished[0]["id"] for rs in runs.values() if (finished := [r for r in rs if r["status"] != "running"])]
    failures = store.failed_fetches(latest)
    portals = store.portals()
    owned = store.reports_per_portal()
    by_name: dict[str, list[str]] = {}
    for portal in portals:
        if portal["jurisdiction"]:
            by_name.setdefault(portal["jurisdiction"], []).append(portal["url"])
    out = []
    for portal in portals:
        recent = [r for r in runs.get(portal["id"], []) if r["status"] != "running"]
        alerts: list[Alert] = []
        lists: list[dict[str, Any]] = []
        if recent:
            lists = store.list_checks(recent[0]["id"])
            alerts += _run_alerts(portal, recent)
            alerts += _column_alerts(store, portal, recent[0])
            alerts += _list_alerts(portal, lists)
            alerts += _budget_alerts(portal, recent[0])
            alerts += _shared_alerts(portal, recent[0], owned.get(portal["id"], 0), by_name)
        out.append(PortalHealth(portal["id"], portal["url"], portal["jurisdiction"], recent[0] if recent else None,
                                recent, alerts, lists, failures.get(recent[0]["id"], []) if recent else []))
    return out


def _run_alerts(portal: dict[str, Any], recent: list[dict[str, Any]]) -> list[Alert]:
    latest, before = recent[0], recent[1:]
    url = portal["url"]
    alerts = []
    productive = [r["reports_found"] for r in before if r["reports_found"]]
    usual = _median(productive)
    found = latest["reports_found"] or 0
    if usual >= 2 and found < usual * DROP_RATIO:
        alerts.append(Alert("zero_result", portal["id"], url, url,
                            f"{url} 本次只找到 {found} 份年报，此前通常 {usual:g} 份：网站可能改版，需要检查抓取规则。",
                            {"found": found, "usual": usual}))
    if not found and not productive and not latest["errors"] and latest["status"] in ("finished", "incomplete"):
        alerts.append(Alert("none_found", portal["id"], url, url,
                            f"{url} 已抓取 {len(recent)} 次，从未找到年报（最近一次 {latest['requests'] or 0} 个请求，"
                            "没有错误）：年报栏目可能未被识别，请检查，或在配置中为该网站指定年报栏目地址（columns）。",
                            {"runs": len(recent), "requests": latest["requests"]}))
    streak = 0
    for r in recent:
        if (r["errors"] or 0) > 0 and not r["reports_found"]:
            streak += 1
        else:
            break
    if streak >= FAILING_RUNS:
        kinds = json.loads(latest["error_kinds"] or "{}")
        main = max(kinds, key=kinds.get) if kinds else None
        cause = f"（主要错误：{ERROR_KIND_NAMES.get(main, main)}）" if main else ""
        alerts.append(Alert("failing", portal["id"], url, url, f"{url} 已连续 {streak} 次抓取失败{cause}。",
                            {"runs": streak, "error_kinds": kinds}))
    usual_errors = _median([r["errors"] or 0 for r in before])
    errors = latest["errors"] or 0
    if before and errors >= max(5, 3 * usual_errors + 1):
        alerts.append(Alert("error_spike", portal["id"], url, url,
                            f"{url} 本次抓取出现 {errors} 个错误，此前通常约 {usual_errors:g} 个。",
                            {"errors": errors, "usual": usual_errors,
                             "error_kinds": json.loads(latest["error_kinds"] or "{}")}))
    return alerts


def _column_alerts(store: Store, portal: dict[str, Any], latest: dict[str, Any]) -> list[Alert]:
    """年报 columns that answered in an earlier run and fail (404, 410, soft 404) in the latest."""
    alerts = []
    for row in store.columns_gone(latest["id"]):
        what = "软 404（页面显示不存在）" if row["error_kind"] == "soft404" else f"HTTP {row['status']}"
        alerts.append(Alert("column_gone", portal["id"], portal["url"], row["url"],
                            f"年报栏目 {row['url']} 此前可以访问，本次返回 {what}：栏目可能已迁移。",
                            {"column": row["url"], "status": row["status"], "error_kind": row["error_kind"]}))
    return alerts


BUDGET_NAMES = {"pages": "单个网站的请求数上限", "time": "单个网站的抓取时长上限", "query": "同一路径的查询参数变体上限",
                "column_depth": "年报栏目的层级上限"}


def _budget_alerts(portal: dict[str, Any], latest: dict[str, Any]) -> list[Alert]:
    """A run cut short by a budget may have missed reports: say which budget and where."""
    cuts = json.loads(latest.get("budget_cuts") or "{}")
    alerts = []
    for which, info in cuts.items():
        if which == "query":
            continue  # calendars and endless searches: cutting them is the point
        where = "、".join(info.get("where", [])[:3])
        alerts.append(Alert("budget", portal["id"], portal["url"], f"{portal['url']}#{which}",
                            f"{portal['url']} 本次抓取触及{BUDGET_NAMES.get(which, which)}（{info.get('count')} 次），"
                            f"例如 {where}：可能有年报未被抓取。", {"budget": which, **info}))
    return alerts


def _shared_alerts(portal: dict[str, Any], latest: dict[str, Any], owned: int,
                   by_name: dict[str, list[str]]) -> list[Alert]:
    """Reports are keyed by jurisdiction, unit and year: two portals read as one jurisdiction
    (a name learnt from the home page that is also another county's) file their units' reports
    under the same keys, and the later overwrites the earlier. Said when it has happened: this
    portal's latest crawl found reports that another portal of the same name now holds."""
    name, found = portal["jurisdiction"], latest["reports_found"] or 0
    others = [u for u in by_name.get(name or "", []) if u != portal["url"]]
    if not others or owned >= found:
        return []
    return [Alert("shared_jurisdiction", portal["id"], portal["url"], portal["url"],
                  f"{portal['url']} 本次找到 {found} 份年报，其中 {found - owned} 份归入了同被识别为“{name}”的其他网站"
                  f"（{'、'.join(others[:3])}{' 等' if len(others) > 3 else ''}）：同一单位同一年度的年报互相覆盖。"
                  "请在配置中为这些网站写明各自的行政区。",
                  {"jurisdiction": name, "found": found, "kept": owned, "others": others[:10]})]


def _list_alerts(portal: dict[str, Any], lists: list[dict[str, Any]]) -> list[Alert]:
    """年报 lists of the latest run that found less than they state (LIST_INCOMPLETE)."""
    alerts = []
    for x in lists:
        if x["complete"] != 0:
            continue
        stated = f"{x['stated']} 条" if x["stated"] is not None else (
            f"{x['stated_pages']} 页" if x["stated_pages"] is not None else "未声明总数")
        why = LIST_REASONS.get(x["reason"] or "", x["reason"] or "")
        alerts.append(Alert("LIST_INCOMPLETE", portal["id"], portal["url"], x["column_url"],
                            f"年报列表 {x['column_url']} 不完整：声明 {stated}，找到 {x['found']} 条（{why}；"
                            f"读取方式 {x['adapter']}）。该栏目的年报可能漏报。",
                            {"column": x["column_url"], "stated": x["stated"], "stated_pages": x["stated_pages"],
                             "found": x["found"], "adapter": x["adapter"], "reason": x["reason"]}))
    return alerts


def sync_alerts(store: Store, health: list[PortalHealth]) -> tuple[int, int]:
    """Bring ``health_alerts`` up to date; returns (new, resolved)."""
    stamp = now_iso()
    current = {a.key: {"portal_id": a.portal_id, "url": a.url, "kind": a.kind, "target": a.target,
                       "message": a.message, "detail": json.dumps(a.detail, ensure_ascii=False), "last_seen": stamp}
               for h in health for a in h.alerts}
    return store.sync_health_alerts(current, stamp)

