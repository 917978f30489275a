"""Judging across reports: who is on time, late, missing or undated, and what else is wrong.

:func:`evaluate` reads the store as it stood on ``as_of`` and returns one status row per expected
(jurisdiction, unit, report year) plus every finding that is true on that day — the per-report
findings of each report's version in force and the cross-report ones (LATE, MISSING, UNDATED,
CHANGED_AFTER_PUBLICATION, CARRY_OVER_MISMATCH, COPIED_*). It writes nothing, so ``status
--as-of`` is reproducible for any past date. :func:`judge` then reconciles the findings with
their tracked lifecycle (new, still open, resolved, reopened).

A report counts as existing on ``as_of`` from its publication date when the page states one
(evidence of when it was public, even if Nianbao found it later), otherwise from the day
Nianbao first saw it.
"""

from __future__ import annotations

import itertools
import json
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime
from operator import itemgetter
from typing import Any

import numpy as np

from monitor.gcpolicy import few_collections
from monitor.judge.deadlines import Deadline, days_late, deadline_for, latest_due_year
from monitor.judge.feed import FeedMark, finding_moved, record_cycle, row_digest
from monitor.judge.registry import Registry
from monitor.report.findings import Finding
from monitor.report.identity import canonical_agency, level_of
from monitor.report.similarity import COPY_THRESHOLD, Prose, candidate_pairs, confirm, confirm_many, shingle_hashes
from monitor.report.spec import APPLICANT_COLUMNS, FINDINGS, FIRST_REPORT_YEAR, SEVERITY_ORDER
from monitor.store import Store, now_iso
from monitor.store.feed import ChangeKey

# findings that restate a status row (its own tile and list on the site), not an error in the report's content
STATUS_CODES = frozenset({"LATE", "MISSING", "UNDATED"})
STATUS_NAMES = {"on_time": "按时公布", "late": "逾期公布", "missing": "未公布", "not_due": "未到期限",
                "undated": "未标注日期"}


def _day(value: str | None) -> date | None:
    if not value:
        return None
    return datetime.fromisoformat(value[:19]).date() if "T" in value else date.fromisoformat(value[:10])


@dataclass
class KnownReport:
    id: int
    jurisdiction: str
    agency: str
    year: int
    level: str | None
    url: str | None
    title: str | None
    published: date | None
    first_seen: date
    version_id: int
    versions: list[tuple[int, date]]  # (version id, first seen) up to as_of
    carry: dict[str, list[int]]  # 表三 上年结转 / 结转下年度 rows, when readable
    signature: np.ndarray | None  # MinHash of the normalised prose


@dataclass
class StatusRow:
    jurisdiction: str
    agency: str
    year: int
    level: str
    deadline: Deadline
    status: str
    published: date | None = None
    days_late: int | None = None
    report: KnownReport | None = None
    findings: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "jurisdiction": self.jurisdiction, "agency": self.agency, "year": self.year, "level": self.level,
            "deadline": self.deadline.date.isoformat(), "deadline_rule": self.deadline.rule,
            "published": self.published.isoformat() if self.published else None,
            "published_basis": None if self.report is None else ("page" if self.report.published else "first_seen"),
            "status": self.status, "days_late": self.days_late,
            "url": self.report.url if self.report else None, "report_id": self.report.id if self.report else None,
            "findings": self.findings,
        }

    def signature(self) -> tuple[Any, ...]:
        """What :meth:`to_json` says, as a flat tuple of plain values: cheap to digest, so a site
        rebuild tells whether a report page's status changed without serialising 100k rows.
        Kept beside ``to_json``: a field one shows, the other must carry."""
        report = self.report
        return (self.jurisdiction, self.agency, self.year, self.level, self.deadline.date.toordinal(),
                self.deadline.rule, self.published.toordinal() if self.published else None,
                None if report is None else report.published is not None, self.status, self.days_late,
                report.url if report else None, report.id if report else None, tuple(self.findings))


@dataclass
class Tracked:
    """A finding as evaluated on a day, with the identity that follows it across runs."""

    key: str
    jurisdiction: str
    agency: str
    year: int
    report_id: int | None
    finding: Finding


@dataclass
class Evaluation:
    as_of: date
    rows: list[StatusRow]
    findings: dict[str, Tracked]
    # the judgement it came from, when one recorded it (:func:`judge`): what moved since an
    # earlier one can then be read from the store (:mod:`monitor.judge.feed`)
    feed: FeedMark | None = None
    grouped: dict[tuple[str, str, int], list[Tracked]] | None = field(default=None, repr=False, compare=False)
    digests: dict[tuple[str, str, int], bytes] | None = field(default=None, repr=False, compare=False)

    def row_digests(self) -> dict[tuple[str, str, int], bytes]:
        """Each status row's digest (:func:`monitor.judge.feed.row_digest`) by its key: made once,
        for the judge's feed and every publisher that compares rows."""
        if self.digests is None:
            self.digests = {(r.jurisdiction, r.agency, r.year): row_digest(r) for r in self.rows}
        return self.digests

    def by_key(self) -> dict[tuple[str, str, int], list[Tracked]]:
        """The findings of each (jurisdiction, unit, year) — a status row's, and those of the report
        filed under it (a finding about a report is keyed by the report's own key) — in the order
        the judgement made them. Made once, with the judgement (a publisher that looks at a few
        rows need not pass over 100k findings)."""
        if self.grouped is None:
            grouped: dict[tuple[str, str, int], list[Tracked]] = defaultdict(list)
            for t in self.findings.values():
                grouped[(t.jurisdiction, t.agency, t.year)].append(t)
            self.grouped = dict(grouped)
        return self.grouped


# --------------------------------------------------------------------------- loading


def load_reports(store: Store, as_of: date) -> list[KnownReport]:
    """Reports as they stood on ``as_of``: each with the version then in force."""
    versions: dict[int, list[dict]] = defaultdict(list)
    for v in store.judging_versions():
        versions[v["report_id"]].append(v)
    out = []
    for r in store.report_rows():
        published = _day(r["published"])
        first_seen = _day(r["first_seen"])
        exists = (published is not None and published <= as_of) or (published is None and first_seen <= as_of)
        if not exists or not versions[r["id"]]:
            continue
        seen = [v for v in versions[r["id"]] if _day(v["first_seen"]) <= as_of] or versions[r["id"]][:1]
        current = seen[-1]
        out.append(KnownReport(
            r["id"], r["jurisdiction"], r["agency"], r["year"], r["level"], r["url"], r["title"], published,
            first_seen, current["id"], [(v["id"], _day(v["first_seen"])) for v in seen],
            json.loads(current["carry"] or "{}"),
            np.frombuffer(current["signature"], dtype=np.uint64) if current["signature"] else None))
    return out


def _report_findings(store: Store, version_ids: list[int]) -> dict[int, list[dict]]:
    out: dict[int, list[dict]] = defaultdict(list)
    for f in store.findings_of_versions(version_ids):
        out[f["version_id"]].append(f)
    return out


# --------------------------------------------------------------------------- keys

_KEY_FIELDS = ("table", "kind", "row", "column", "group", "section", "fact", "rule", "other")


def finding_key(jurisdiction: str, agency: str, year: int, code: str, detail: dict[str, Any]) -> str:
    """A finding's identity across runs: the report it concerns, its code and what it points at."""
    parts = [f"{k}={detail[k]}" for k in _KEY_FIELDS if detail.get(k) not in (None, "")]
    return "|".join([jurisdiction, agency, str(year), code, *parts])


# --------------------------------------------------------------------------- expectations


def expected_units(reports: list[KnownReport], registry: Registry, jurisdiction: str, year: int) -> dict[str, str]:
    """{unit: level} expected to publish for ``year``: the configured units, every unit that published
    for an earlier year (unless retired), and the jurisdiction's government itself."""
    config = registry.jurisdictions.get(jurisdiction)
    units: dict[str, str] = {}
    retired = {unit_name(u.name): u.retired for u in config.units if u.retired is not None} if config else {}
    if _named(jurisdiction):
        units[unit_name(jurisdiction)] = "government"
    for u in config.units if config else []:
        if u.retired is None or year < u.retired:
            units[unit_name(u.name)] = u.level or level_of(u.name, jurisdiction) or "department"
    for r in reports:
        if r.jurisdiction != jurisdiction:
            continue
        if r.year == year or (r.year < year and year < retired.get(r.agency, 10**4)):
            units.setdefault(r.agency, r.level or level_of(r.agency, jurisdiction) or "department")
    return units


def unit_name(name: str) -> str:
    """A configured unit's key: the canonical name its reports are stored under (温县 -> 温县人民政府)."""
    return canonical_agency(name) or name


def _named(jurisdiction: str) -> bool:
    """A jurisdiction key that is a real name (not a portal's host:port standing in for one)."""
    return bool(jurisdiction) and ":" not in jurisdiction


# --------------------------------------------------------------------------- evaluation


def evaluate(store: Store, registry: Registry, as_of: date, year: int | None = None) -> Evaluation:
    """Every status row and finding of the store on ``as_of`` (``year``: only that report year)."""
    with few_collections():  # a pass over the whole store (monitor.gcpolicy)
        return _evaluate(store, registry, as_of, year)


def _evaluate(store: Store, registry: Registry, as_of: date, year: int | None) -> Evaluation:
    reports = load_reports(store, as_of)
    by_key = {(r.jurisdiction, r.agency, r.year): r for r in reports}
    per_version = _report_findings(store, [r.version_id for r in reports])
    first_year: dict[str, int] = {}
    # a report whose year or jurisdiction could not be read (a file analysed on its own) is judged
    # on its own; it cannot say which reports are owed
    keyed = [r for r in reports if r.jurisdiction and r.year >= FIRST_REPORT_YEAR]
    for r in keyed:
        first_year[r.jurisdiction] = min(first_year.get(r.jurisdiction, r.year), r.year)
    last_year = latest_due_year(as_of)
    rows: list[StatusRow] = []
    findings: dict[str, Tracked] = {}

    def add(j: str, agency: str, yr: int, report: KnownReport | None, f: Finding) -> None:
        key = finding_key(j, agency, yr, f.code, f.detail)
        findings[key] = Tracked(key, j, agency, yr, report.id if report else None, f)

    # per-report findings of the version in force
    for r in reports:
        for f in per_version.get(r.version_id, []):
            add(r.jurisdiction, r.agency, r.year, r, Finding(f["code"], f["message"], json.loads(f["detail"] or "{}"),
                                                          downgraded_to=f["severity"]))

    years_wanted = [year] if year else None
    jurisdictions = set(first_year) | {j.name for j in registry.jurisdictions.values() if j.portal or j.units}
    keyed_in: dict[str, list[KnownReport]] = defaultdict(list)  # each jurisdiction's own: linear, not J × N
    for r in keyed:
        keyed_in[r.jurisdiction].append(r)
    for j in sorted(jurisdictions):
        start = first_year.get(j, last_year)
        own = keyed_in.get(j, [])
        for yr in years_wanted or range(start, max(last_year, max((r.year for r in own), default=last_year)) + 1):
            units = expected_units(own, registry, j, yr)
            for agency, level in sorted(units.items()):
                report = by_key.get((j, agency, yr))
                deadline = deadline_for(level, yr, registry.scopes(j), registry.overrides)
                rows.append(_status(j, agency, yr, level, deadline, report, as_of, add))
    _copies(store, reports, add)
    _carry_over(reports, by_key, add)
    for r in reports:  # the judging facts are used: a national corpus need not keep 100k signatures
        r.carry, r.signature = {}, None
    evaluation = Evaluation(as_of, rows, findings)
    grouped = evaluation.by_key()
    for row in rows:
        row.findings = sorted({t.finding.code for t in grouped.get((row.jurisdiction, row.agency, row.year), ())},
                              key=lambda c: (SEVERITY_ORDER[FINDINGS[c].severity], c))
    return evaluation


def _status(j: str, agency: str, yr: int, level: str, deadline: Deadline, report: KnownReport | None, as_of: date,
            add) -> StatusRow:
    row = StatusRow(j, agency, yr, level, deadline, "not_due")
    base = {"rule": deadline.rule, "deadline": deadline.date.isoformat(), "level": level}
    if report is None:
        if as_of > deadline.date:
            row.status, row.days_late = "missing", (as_of - deadline.date).days
            add(j, agency, yr, None, Finding(
                "MISSING", f"{agency}{yr}年度年报应于{deadline.date:%Y年%m月%d日}前公布，截至{as_of:%Y年%m月%d日}仍未找到。",
                {**base, "as_of": as_of.isoformat(), "days_overdue": row.days_late}))
        return row
    row.report = report
    if report.published is None:
        row.status, row.published = "undated", report.first_seen
        row.days_late = days_late(report.first_seen, deadline.date)
        add(j, agency, yr, report, Finding(
            "UNDATED", f"{agency}{yr}年度年报页面未标注发布日期，以首次发现日期{report.first_seen:%Y年%m月%d日}判断"
                       + (f"，晚于期限{row.days_late}天。" if row.days_late else "。"),
            {**base, "first_seen": report.first_seen.isoformat(), "days_late": row.days_late}))
        return row
    row.published = report.published
    row.days_late = days_late(report.published, deadline.date)
    row.status = "late" if row.days_late else "on_time"
    if row.days_late:
        add(j, agency, yr, report, Finding(
            "LATE", f"{agency}{yr}年度年报于{report.published:%Y年%m月%d日}公布，晚于{deadline.date:%Y年%m月%d日}的期限"
                    f"{row.days_late}天（{deadline.rule}：{deadline.source}）。",
            {**base, "published": report.published.isoformat(), "days_late": row.days_late}))
    if len(report.versions) > 1:
        changed = report.versions[-1][1]
        add(j, agency, yr, report, Finding(
            "CHANGED_AFTER_PUBLICATION", f"{agency}{yr}年度年报在首次发现后被修改（最近一次于{changed:%Y年%m月%d日}发现改动，"
                                         f"共{len(report.versions)}个版本）。",
            {"versions": len(report.versions), "first_seen": report.versions[0][1].isoformat(),
             "changed_seen": changed.isoformat()}))
    return row


def _carry_over(reports: list[KnownReport], by_key: dict, add) -> None:
    """X1: this year's 上年结转 equals last year's 结转下年度继续办理, column by column."""
    for r in reports:
        previous = by_key.get((r.jurisdiction, r.agency, r.year - 1))
        if previous is None:
            continue
        now, before = r.carry.get("carried_in"), previous.carry.get("carried_out")
        if now is None or before is None or now == before:
            continue
        diffs = {APPLICANT_COLUMNS[i].label: {"本年上年结转": a, "上年结转下年度": b}
                 for i, (a, b) in enumerate(zip(now, before, strict=True)) if a != b}
        first = next(iter(diffs))
        add(r.jurisdiction, r.agency, r.year, r, Finding(
            "CARRY_OVER_MISMATCH",
            f"表三“上年结转”与{r.year - 1}年度报告“结转下年度继续办理”不一致：{first}列分别为"
            f"{diffs[first]['本年上年结转']}和{diffs[first]['上年结转下年度']}" + ("等。" if len(diffs) > 1 else "。"),
            {"rule": "X1", "previous_report_id": previous.id, "columns": diffs}))


class _Prose:
    """Versions' normalised prose as (length, shingle hashes), read only for the pairs that need
    confirming and kept within a byte budget (pairs come grouped, so recent ones are reused)."""

    BUDGET = 256 * 2**20  # bytes of hashes kept: a cluster of reports from one template fits

    def __init__(self, store: Store) -> None:
        self.store = store
        self.cache: dict[int, Prose] = {}
        self.held = 0

    def __call__(self, version_id: int) -> Prose:
        found = self.cache.pop(version_id, None)
        if found is None:
            text = self.store.version_prose(version_id)
            found = (len(text), shingle_hashes(text))
            self.held += found[1].nbytes
            while self.held > self.BUDGET and self.cache:
                self.held -= self.cache.pop(next(iter(self.cache)))[1].nbytes  # the least recently used
        self.cache[version_id] = found
        return found


def _copies(store: Store, reports: list[KnownReport], add) -> None:
    prose = _Prose(store)
    by_version = {r.version_id: r for r in reports}
    # the same unit's previous report (its latest earlier year)
    by_unit: dict[tuple[str, str], list[KnownReport]] = defaultdict(list)
    for r in reports:
        by_unit[(r.jurisdiction, r.agency)].append(r)
    for series in by_unit.values():
        series.sort(key=lambda x: x.year)
        for prev, cur in itertools.pairwise(series):
            if prev.signature is not None and cur.signature is not None \
                    and np.mean(prev.signature == cur.signature) < COPY_THRESHOLD - 0.25:
                continue  # the MinHash estimate rules it out; no need to read the texts
            score = confirm(prose(prev.version_id), prose(cur.version_id))
            if score is not None:
                add(cur.jurisdiction, cur.agency, cur.year, cur, Finding(
                    "COPIED_FROM_PREVIOUS", f"{cur.agency}{cur.year}年度年报与其{prev.year}年度年报几乎相同"
                                            f"（相似度{score:.0%}，已忽略年份和数字）。",
                    {"other": f"{prev.year}", "previous_report_id": prev.id, "similarity": score}))
    # other units' reports of the same year
    by_year: dict[int, dict[int, np.ndarray]] = defaultdict(dict)
    for r in reports:
        if r.signature is not None:
            by_year[r.year][r.version_id] = r.signature
    for signatures in by_year.values():
        pairs = [(x, y) for x, y in sorted(candidate_pairs(signatures))
                 if (by_version[x].jurisdiction, by_version[x].agency) != (by_version[y].jurisdiction,
                                                                           by_version[y].agency)]
        for x, grouped in itertools.groupby(pairs, key=itemgetter(0)):
            partners = [y for _, y in grouped]
            scores = confirm_many(prose(x), [prose(y) for y in partners])
            for y, score in zip(partners, scores, strict=True):
                if score is None:
                    continue
                a, b = by_version[x], by_version[y]
                # which one copied cannot be known from the texts: both reports carry the finding
                for copier, original in ((a, b), (b, a)):
                    add(copier.jurisdiction, copier.agency, copier.year, copier, Finding(
                        "COPIED_FROM_OTHER", f"{copier.agency}{copier.year}年度年报与{original.agency}同年度年报几乎相同"
                                             f"（相似度{score:.0%}，已忽略单位名称、年份和数字）。",
                        {"other": f"{original.jurisdiction}/{original.agency}", "other_report_id": original.id,
                         "similarity": score}))


# --------------------------------------------------------------------------- lifecycle


@dataclass
class JudgeResult:
    new: int = 0
    still_open: int = 0
    resolved: int = 0
    reopened: int = 0


def judge(store: Store, registry: Registry, as_of: date | None = None) -> tuple[Evaluation, JudgeResult]:
    """Evaluate on ``as_of`` (default today) and bring the tracked findings up to date."""
    as_of = as_of or date.today()
    stamp = now_iso() if as_of == date.today() else f"{as_of.isoformat()}T12:00:00+00:00"
    evaluation = evaluate(store, registry, as_of)
    result = JudgeResult()
    inserts: list[dict[str, Any]] = []
    updates: list[tuple[int, dict[str, Any]]] = []
    moved: set[ChangeKey] = set()  # where a finding appeared, went or says something else (the feed)
    seen_again: list[int] = []
    with store.transaction():  # read and write the lifecycle at once: two judges never both insert
        tracked = store.tracked_findings_by_key()
        for key, t in evaluation.findings.items():
            f = t.finding
            fields = {"jurisdiction": t.jurisdiction, "agency": t.agency, "year": t.year, "report_id": t.report_id,
                      "code": f.code, "severity": f.severity, "message": f.message,
                      "detail": json.dumps(f.detail, ensure_ascii=False, default=str), "last_seen": stamp}
            row = tracked.get(key)
            if row is None:
                inserts.append({"key": key, "state": "open", "first_seen": stamp, **fields})
                result.new += 1
            elif row["state"] == "resolved":
                updates.append((row["id"], {**fields, "state": "open", "resolved_at": None}))
                result.reopened += 1
            else:
                result.still_open += 1
                if not finding_moved(row, fields):
                    seen_again.append(row["id"])  # all it says is the same: only seen again
                    continue
                updates.append((row["id"], fields))
                moved.add((row["jurisdiction"], row["agency"], row["year"], row["report_id"]))
            moved.add((t.jurisdiction, t.agency, t.year, t.report_id))
        for key, row in tracked.items():
            if row["state"] == "open" and key not in evaluation.findings:
                updates.append((row["id"], {"state": "resolved", "resolved_at": stamp}))
                result.resolved += 1
                moved.add((row["jurisdiction"], row["agency"], row["year"], row["report_id"]))
        store.save_tracking(inserts, updates, seen_again, stamp)
        evaluation.feed = record_cycle(store, evaluation, moved)
    return evaluation, result


def acknowledge(store: Store, finding_id: int, note: str, mute: bool = False) -> dict[str, Any]:
    row = store.tracked_finding(finding_id)
    if row is None:
        raise UnknownFinding(finding_id)
    store.update_tracked_finding(finding_id, {"ack": "muted" if mute else "acknowledged", "ack_note": note,
                                              "ack_at": now_iso()})
    return row


class UnknownFinding(LookupError):
    """No tracked finding has this id."""
