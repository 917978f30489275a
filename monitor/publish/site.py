"""The static site: who is late, who is missing, what is wrong with each report.

Generated from the database with the Jinja2 templates in ``templates/site/``; opens from a folder
or any static host (relative links, no external scripts or fonts). URLs are stable:
``reports/{id}.html`` and ``jurisdictions/{name}.html`` (see :mod:`monitor.publish.urls`).

A failed build never leaves a half-written site. The first build (or one after a build was killed
while it replaced files) writes a whole site into a directory beside the target and swaps it in.
Later builds are incremental: ``manifest.json`` keeps a hash of each page's inputs, pages whose
inputs are unchanged stay where they are (their footer keeps the time they were drawn), and the
pages that change are drawn into a staging directory first, then moved into the site one file at a
time (each replacement atomic) once all of them are drawn. The manifest is removed before the
move and written after it, so a build killed in between is followed by a full one.

Which pages' inputs to digest: every page's, or — on a rebuild from a judgement that logged what
moved (:mod:`monitor.judge.feed`) on a site whose ``build-state.json`` (:mod:`monitor.publish.buildstate`)
says where its inputs stood — only those of the reports, jurisdictions and download rows that
moved since (:func:`_plan`). Both give the same site; the second passes over a day's changes, not
over 100k reports.
"""

from __future__ import annotations

import contextlib
import hashlib
import inspect
import itertools
import json
import multiprocessing
import os
import pickle
import shutil
import time
from array import array
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import jinja2
import numpy as np

from monitor.config import DEFAULT_TIMEZONE
from monitor.gcpolicy import few_collections
from monitor.judge import STATUS_CODES, STATUS_NAMES, Evaluation, StatusRow, Tracked, evaluate
from monitor.judge.feed import row_digest
from monitor.judge.health import ERROR_KIND_NAMES, PortalHealth, portal_health
from monitor.judge.registry import Registry
from monitor.publish import TEMPLATES
from monitor.publish.buildstate import STATE, BuildState
from monitor.publish.datafiles import Keyed, Row, Stale, write_keyed, write_planned
from monitor.publish.fragments import highlights, tables_html
from monitor.publish.urls import jurisdiction_path, report_path
from monitor.report.confidence import DOUBTFUL, TEXT_SOURCES
from monitor.report.identity import SOURCE_NAMES
from monitor.report.similarity import COPY_THRESHOLD, MIN_CHARS, SHINGLE
from monitor.report.spec import (
    CONSISTENCY_RULES,
    DEADLINE_RULES,
    FINDINGS,
    FORMATS,
    LEVEL_NAMES,
    PUBLIC_FINDINGS,
    SECTIONS,
    SEVERITY_NAMES,
    SEVERITY_ORDER,
)
from monitor.store import Store
from monitor.store.blobs import BlobStore, blob_dir

T = TypeVar("T")
SITE_TITLE = "Nianbao 年报监测"
MANIFEST = "manifest.json"
ARCHIVE_EXT = {"pdf": "pdf", "docx": "docx", "doc": "doc", "wps": "wps", "ofd": "ofd", "text": "txt", "image": "bin"}


_NO_STATUS = (None, None)  # a report filed under no status row: (row, its digest)
_NONE: list[Any] = []  # one empty list for every report and row without findings: read, never appended to
SITE_ZONE = ZoneInfo(DEFAULT_TIMEZONE)  # one time zone on every page, stated in the footer


def local_time(value: Any) -> Any:
    """A stored timestamp (UTC, ISO) as the site shows it: Beijing time, to the minute."""
    if not isinstance(value, str) or "T" not in value:
        return value
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        return value[:16].replace("T", " ")
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(SITE_ZONE).strftime("%Y-%m-%d %H:%M")


def _env() -> jinja2.Environment:
    # compiled templates kept between builds (Jinja's per-user cache folder, keyed by each template's
    # source): compiling them was a tenth of a day's rebuild
    env = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                             undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True,
                             bytecode_cache=jinja2.FileSystemBytecodeCache())
    env.filters["when"] = local_time
    env.globals.update(status_names=STATUS_NAMES, severity_names=SEVERITY_NAMES, level_names=LEVEL_NAMES,
                       site_title=SITE_TITLE)
    return env


def _templates_digest() -> str:
    """One hash of what draws a page besides its own inputs: every site template and asset, and the
    spec's words the pages show (finding titles and explanations, sections, names)."""
    h = hashlib.sha256()
    for path in sorted((TEMPLATES / "site").rglob("*")):
        if path.is_file():
            h.update(path.relative_to(TEMPLATES).as_posix().encode() + b"\0" + path.read_bytes())
    words = ([(c, f.title, f.explanation) for c, f in sorted(FINDINGS.items())], [s.canonical for s in SECTIONS],
             sorted(SOURCE_NAMES.items()), sorted(STATUS_NAMES.items()), sorted(LEVEL_NAMES.items()),
             sorted(SEVERITY_NAMES.items()), sorted((k, f.name, f.source) for k, f in FORMATS.items()))
    h.update(repr(words).encode())
    return h.hexdigest()


TEMPLATES_DIGEST = _templates_digest()
# a page's digest is keyed with what draws it besides its inputs: the templates and words, and the
# code that builds contexts from inputs (pages are reused by their sources, not their contexts)
_DIGEST_KEY = hashlib.blake2b(TEMPLATES_DIGEST.encode() + b"".join(
    (Path(__file__).parent / name).read_bytes() for name in ("site.py", "fragments.py", "urls.py"))).digest()


class Writer:
    """Writes pages into ``root``. With the ``live`` site and its manifest, a page whose inputs are
    unchanged is not written at all (the live site keeps it); others are drawn into ``root``."""

    def __init__(self, root: Path, env: jinja2.Environment, common: dict[str, Any], live: Path | None = None,
                 old_manifest: dict[str, str] | None = None) -> None:
        self.root, self.env, self.common, self.live = root, env, common, live
        self.old_manifest = old_manifest or {}
        self.manifest: dict[str, str] = {}
        self.rendered = 0
        self.reused = 0
        self._folders: set[str] = set()
        self._listing: dict[str, set[str]] = {}
        self._root, self._live = str(root), str(live) if live else ""

    def page(self, path: str, template: str, context: dict[str, Any] | Callable[[], dict[str, Any]],
             inputs: Any = None) -> None:
        """Render ``template`` to ``path``; with ``inputs``, keep the live page when they are unchanged
        (``context`` may then be a function, called only when the page must be rendered)."""
        if inputs is not None and self.reuse(path, inputs):
            return
        self.render(path, template, context() if callable(context) else context)

    def reuse(self, path: str, inputs: Any) -> bool:
        """Record the page's inputs; True when the live site's page was drawn from the same ones."""
        folder, _, name = path.rpartition("/")
        return self.reuser(folder)(path, name, inputs)

    def reuser(self, folder: str, few: bool = False) -> Callable[[str, str, Any], bool]:
        """:meth:`reuse` for many pages of one folder, as ``reuse(path, file name, inputs)``: a
        rebuild asks it of every report page, so what it can it looks up once (``few``: asked of a
        few of the folder's pages, it looks each live page up rather than list 100k)."""
        # the templates are inputs too: a new release re-renders what it draws differently. Pickled,
        # not repr'd (a third of the time): lossless, so different inputs never share a digest; the
        # same inputs pickle alike from the same code (at worst a page is drawn once more)
        manifest, old = self.manifest, self.old_manifest.get
        if not self._live:
            live: Any = frozenset()
        elif few:
            live = _Exists(os.path.join(self._live, folder))
        else:
            live = self._live_names(folder)
        dumps, blake2b = pickle.dumps, hashlib.blake2b

        def reuse(path: str, name: str, inputs: Any) -> bool:
            manifest[path] = digest = blake2b(dumps(inputs, 5), key=_DIGEST_KEY, digest_size=20).hexdigest()
            if old(path) == digest and name in live:
                self.reused += 1
                return True
            return False
        return reuse

    def _live_names(self, folder: str) -> set[str]:
        """The live site's files in this folder (one directory listing per folder, not a stat a page)."""
        names = self._listing.get(folder)
        if names is None:
            try:
                names = set(os.listdir(os.path.join(self._live, folder)))
            except OSError:
                names = set()
            self._listing[folder] = names
        return names

    def render(self, path: str, template: str, values: dict[str, Any]) -> None:
        html = self.env.get_template(template).render(**self.common, **values, root="../" * path.count("/"))
        with open(self._target(path), "w", encoding="utf-8") as f:
            f.write(html)
        self.rendered += 1

    def _target(self, path: str) -> str:
        target = os.path.join(self._root, path)
        folder = os.path.dirname(target)
        if folder not in self._folders:
            os.makedirs(folder, exist_ok=True)
            self._folders.add(folder)
        return target


class _Exists:
    """``name in folder``, for the few names of a big folder a build asks about."""

    def __init__(self, folder: str) -> None:
        self.folder = folder

    def __contains__(self, name: str) -> bool:
        return os.path.exists(os.path.join(self.folder, name))


def _link_or_copy(src: str | Path, dst: str | Path) -> None:
    try:
        os.link(src, dst)
    except OSError:
        shutil.copy2(src, dst)


@dataclass
class BuildResult:
    index: Path
    pages: int
    reused: int
    reports: int
    incremental: bool = False  # built from the live site's state: only what moved was looked at
    # seconds each stage took in the building process (for benchmarks: where a rebuild's time goes);
    # "downloads" is the downloads' own time, beside the others when another process wrote them
    stages: dict[str, float] = field(default_factory=dict)


class _Stages:
    """Wall seconds of a build's stages, each as it ends."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self._last = time.perf_counter()

    def done(self, name: str) -> None:
        now = time.perf_counter()
        self.seconds[name] = self.seconds.get(name, 0.0) + now - self._last
        self._last = now


# --------------------------------------------------------------------------- pieces


ROW_FLAGS = (("COPIED_", "疑似照抄"), ("CHANGED_AFTER_PUBLICATION", "公布后修改"))  # finding code prefix, mark
_MARKED = tuple(prefix for prefix, _ in ROW_FLAGS)  # findings a summary page names or marks
RowKey = tuple[str, str, int]  # (jurisdiction, agency, year): a status row, and the reports filed under it
PageFinding = tuple[str, str, str, dict[str, Any]]  # (code, severity, message, detail) as a report page lists it


@dataclass
class FindingIndex:
    """The evaluation's findings arranged once for every page that shows them (one pass; a
    rebuild that reuses nearly every page spends its time in loops like this one)."""

    by_report: dict[int, list[PageFinding]]  # each report's, in the order its page lists them
    by_row: dict[RowKey, list[Any]]  # every finding of a status row (Finding objects)
    errors: Counter[RowKey]  # "存在错误": errors in a published report's content, per row
    flags: dict[RowKey, list[str]]  # the marks a grid cell carries beside its status (ROW_FLAGS), where any

    @classmethod
    def of(cls, findings: Iterable[Tracked]) -> FindingIndex:
        """Of these findings: every finding of the evaluation, or every finding of some rows."""
        by_report: dict[int, list[PageFinding]] = defaultdict(list)
        by_row: dict[RowKey, list[Any]] = defaultdict(list)
        errors: Counter[RowKey] = Counter()
        marked: dict[RowKey, set[str]] = defaultdict(set)  # the codes that mark a row, where any
        for t in findings:
            f = t.finding
            key = (t.jurisdiction, t.agency, t.year)
            by_row[key].append(f)
            code = f.code
            if code.startswith(_MARKED):
                marked[key].add(code)
            if t.report_id is not None:
                severity = f.severity
                by_report[t.report_id].append((code, severity, f.message, f.detail))
                # one definition of a content error for the tile, the grid and the list
                if severity == "error" and code not in STATUS_CODES:
                    errors[key] += 1
        for items in by_report.values():
            if len(items) > 1:
                items.sort(key=lambda f: (SEVERITY_ORDER[f[1]], f[0], f[2]))
        flags = {key: [label for prefix, label in ROW_FLAGS if any(c.startswith(prefix) for c in codes)]
                 for key, codes in marked.items()}
        return cls(dict(by_report), dict(by_row), errors, flags)


def _finding_dicts(findings: list[PageFinding]) -> list[dict[str, Any]]:
    return [{"code": code, "severity": severity, "message": message, "detail": detail}
            for code, severity, message, detail in findings]


def _chart(rows: list[StatusRow]) -> str:
    """An inline SVG histogram of publication dates relative to their deadlines (weeks)."""
    offsets = [(r.published - r.deadline.date).days for r in rows if r.published and r.status in ("on_time", "late")]
    # weeks that end on the deadline: day 0 (published on the deadline) is on time, day 1 is late
    lo, hi, width = -62, 92, 7
    bins = list(range(lo, hi, width))
    counts = Counter(min(max((d - lo) // width, 0), len(bins) - 1) for d in offsets)
    peak = max(counts.values(), default=1)
    w, h, pad, bar = 760, 240, 36, 680 / len(bins)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h + 40}" role="img" '
             f'aria-label="公布日期相对期限的分布：共 {len(offsets)} 份">',
             f'<line x1="{pad}" y1="{h}" x2="{w - 20}" y2="{h}" stroke="#57606a"/>']
    for i, start in enumerate(bins):
        end = start + width - 1
        n = counts.get(i, 0)
        bh = (h - 20) * n / peak if peak else 0
        x = pad + i * bar
        on_time = end <= 0
        color = "#1a7f37" if on_time else "#9a6700"
        parts.append(f'<rect x="{x + 1:.1f}" y="{h - bh:.1f}" width="{bar - 2:.1f}" height="{bh:.1f}" fill="{color}" '
                     f'data-days="{start}..{end}" data-on-time="{str(on_time).lower()}">'
                     f"<title>距期限 {start} 至 {end} 天（{'按时' if on_time else '逾期'}）：{n} 份</title></rect>")
        if n:
            parts.append(f'<text x="{x + bar / 2:.1f}" y="{h - bh - 4:.1f}" font-size="11" text-anchor="middle" '
                         f'fill="#1f2328">{n}</text>')
        if end % 28 == 0:
            parts.append(f'<text x="{x + bar:.1f}" y="{h + 16}" font-size="11" text-anchor="middle" fill="#57606a">'
                         f"{end:+d}</text>")
    zero = pad + ((1 - lo) / width) * bar  # between day 0 and day 1
    parts.append(f'<line x1="{zero:.1f}" y1="10" x2="{zero:.1f}" y2="{h}" stroke="#cf222e" stroke-dasharray="4 3"/>')
    parts.append(f'<text x="{zero + 4:.1f}" y="20" font-size="12" fill="#cf222e">期限</text>')
    parts.append(f'<text x="{w / 2}" y="{h + 34}" font-size="12" text-anchor="middle" fill="#57606a">'
                 "公布日期距期限的天数</text></svg>")
    return "".join(parts)


def _counts(entries: list[tuple[StatusRow, int, list[Any]]]) -> dict[str, int]:
    c = Counter(r.status for r, _, _ in entries)
    return {"expected": len(entries), "on_time": c["on_time"], "late": c["late"], "missing": c["missing"],
            "not_due": c["not_due"], "undated": c["undated"], "with_errors": sum(1 for _, n, _ in entries if n)}


# --------------------------------------------------------------------------- build


def _sweep_leftovers(out: Path) -> None:
    """Remove half-built and half-swapped copies a killed build left beside the site (their
    process is gone; a build still running elsewhere keeps its own)."""
    for leftover in out.parent.glob(f".{out.name}.*-*"):
        kind, _, pid = leftover.name.rpartition("-")
        if not kind.endswith((".building", ".old")) or not pid.isdigit() or int(pid) == os.getpid():
            continue
        try:
            os.kill(int(pid), 0)
            continue  # that build is still running
        except ProcessLookupError:
            pass
        except PermissionError:
            continue
        shutil.rmtree(leftover, ignore_errors=True)


def build_site(store: Store, registry: Registry, out: str | Path, as_of: date | None = None,
               year: int | None = None, evaluation: Evaluation | None = None,
               health: list[PortalHealth] | None = None, workers: int | None = None) -> BuildResult:
    """Build the site into ``out``: whole and swapped in the first time, incrementally afterwards
    (see the module's docstring). ``evaluation`` and ``health`` are the cycle's judgement
    (:func:`monitor.judge.assess.assess`); without them the site evaluates on ``as_of``. Report
    pages are drawn by ``workers`` processes (default: one per CPU when there are many to draw).
    Pages say when they were built; ``SOURCE_DATE_EPOCH`` fixes that moment, as in reproducible
    builds, so that two builds of one store can be compared byte for byte."""
    as_of = evaluation.as_of if evaluation is not None else as_of or date.today()
    out = Path(out).resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    _sweep_leftovers(out)
    tmp = out.with_name(f".{out.name}.building-{os.getpid()}")
    if tmp.exists():
        shutil.rmtree(tmp)
    tmp.mkdir()
    old_manifest = _read_manifest(out)
    live = out if old_manifest is not None else None
    # what is in memory already (the judgement: every finding and status row) is frozen out of the
    # garbage collector's reach while the build allocates; it walked those objects again and again,
    # a fifth of a day's rebuild at 100k reports (and the rendering processes, forked, inherit it)
    with few_collections(freeze=True):
        try:
            result, writer, kept_archives = _build(store, registry, tmp, live, old_manifest, as_of, year, evaluation,
                                                   health, workers)
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
    started = time.perf_counter()
    if live is not None:
        _move_into(tmp, out, writer, old_manifest or {}, kept_archives)
    else:
        old = out.with_name(f".{out.name}.old-{os.getpid()}")
        if out.exists():
            os.rename(out, old)
        os.rename(tmp, out)
        shutil.rmtree(old, ignore_errors=True)
    result.stages["swap"] = time.perf_counter() - started
    result.index = out / "index.html"
    return result


def _read_manifest(out: Path) -> dict[str, str] | None:
    """The live site's page hashes; None when there is no complete site to build on."""
    try:
        manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return manifest if isinstance(manifest, dict) and (out / "index.html").exists() else None


def _move_into(staging: Path, out: Path, writer: Writer, old_manifest: dict[str, str], kept_archives: set[str]) -> None:
    """Move the drawn files into the live site, then remove its pages and evidence files that no
    report uses any more. Without a manifest while this runs, a build killed here is followed by a
    full one."""
    os.unlink(out / MANIFEST)
    with contextlib.suppress(FileNotFoundError):
        os.unlink(out / STATE)  # the new one comes with the pages, the manifest after them
    made: set[str] = set()
    for folder, _dirs, files in os.walk(staging):
        relative = os.path.relpath(folder, staging)
        target_folder = os.path.normpath(os.path.join(out, relative))
        if target_folder not in made:
            os.makedirs(target_folder, exist_ok=True)
            made.add(target_folder)
        for name in files:
            if relative == "." and name == MANIFEST:
                continue
            os.replace(os.path.join(folder, name), os.path.join(target_folder, name))
    for path in old_manifest.keys() - writer.manifest.keys():
        if path.startswith("/") or ".." in path.split("/"):
            continue  # the manifest names pages inside the site, nothing else
        with contextlib.suppress(FileNotFoundError):
            os.unlink(out / path)
    archive = out / "archive"
    if archive.is_dir():
        for sub in os.scandir(archive):
            for entry in os.scandir(sub.path) if sub.is_dir() else ():
                if f"archive/{sub.name}/{entry.name}" not in kept_archives:
                    os.unlink(entry.path)
    os.replace(staging / MANIFEST, out / MANIFEST)
    shutil.rmtree(staging, ignore_errors=True)


def _build(store: Store, registry: Registry, root: Path, live: Path | None, old_manifest: dict[str, str] | None,
           as_of: date, year: int | None, evaluation: Evaluation | None, health: list[PortalHealth] | None,
           workers: int | None) -> tuple[BuildResult, Writer, set[str]]:
    stages = _Stages()
    evaluation = evaluation or evaluate(store, registry, as_of)
    rows = evaluation.rows
    # what moved since the live site was built, when its state and the judge's change feed say so
    # (None: every report's and jurisdiction's inputs are digested, as in a first build)
    plan = _plan(store, live, old_manifest, evaluation, year)
    stages.done("plan")
    # the downloads (every report, status row and finding as CSV and JSON) are written beside the
    # pages, by another process when there is one to spare (forked: it inherits the judgement),
    # started first: what this process does before it draws a page, it does beside them.
    # Measured: the summary pages there too made that process the longer one
    downloads_job = _start_beside(lambda own_store: _write_downloads(own_store, root, live, evaluation, plan),
                                  store, workers, len(rows))
    try:
        return _build_pages(store, root, live, old_manifest, as_of, year, evaluation, health, workers, stages,
                            downloads_job, plan)
    except BaseException:
        with contextlib.suppress(Exception):
            downloads_job()  # the other process is done before the half-built folder goes
        raise


def _build_pages(store: Store, root: Path, live: Path | None, old_manifest: dict[str, str] | None, as_of: date,
                 year: int | None, evaluation: Evaluation, health: list[PortalHealth] | None, workers: int | None,
                 stages: _Stages, downloads_job: Callable[[], tuple[list[int], float]], plan: _Plan | None
                 ) -> tuple[BuildResult, Writer, set[str]]:
    """Every page into ``root``, while the downloads are written beside them (``downloads_job``
    returns their row counts once they are)."""
    health = health if health is not None else portal_health(store)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch.isdigit() else datetime.now(UTC)
    built_at = moment.astimezone(SITE_ZONE).strftime("%Y-%m-%d %H:%M")
    env = _env()
    writer = Writer(root, env, {"as_of": as_of.isoformat(), "built_at": built_at}, live, old_manifest)
    kept_archives: set[str] = set()  # the evidence files the live site keeps
    shutil.copytree(TEMPLATES / "site" / "assets", root / "assets")
    rows = evaluation.rows
    rows_of: dict[str, list[StatusRow]] = defaultdict(list)  # each jurisdiction's status rows
    for r in rows:
        rows_of[r.jurisdiction].append(r)
    # the findings arranged for the pages: all of them, or on a planned rebuild those of the rows
    # looked at (the planned reports' and the moved jurisdictions'); all of them only when a page
    # that shows every row (an overview, a list) or an unmoved jurisdiction's must be drawn
    whole = _once(lambda: FindingIndex.of(evaluation.findings.values()))
    if plan is None:
        index = whole()
        # each row's digest (its signature's: made once, by the judgement) for the report pages' and
        # summaries' digests
        digests = evaluation.row_digests()
        status_of = {key: (r, digests[key]) for r in rows for key in ((r.jurisdiction, r.agency, r.year),)}
    else:
        looked_at = set(plan.keys) | {(r.jurisdiction, r.agency, r.year) for name in plan.jurisdictions
                                                  for r in rows_of.get(name, _NONE)}
        grouped = evaluation.by_key()
        index = FindingIndex.of(t for key in looked_at for t in grouped.get(key, _NONE))
        digests = evaluation.row_digests()
        status_of = {key: (r, digests[key]) for name in {key[0] for key in plan.keys}
                     for r in rows_of.get(name, _NONE) for key in ((r.jurisdiction, r.agency, r.year),)}
    by_report = index.by_report

    def entries(of_rows: list[StatusRow], found: FindingIndex) -> list[tuple[StatusRow, int, list[Any]]]:
        """Each status row with its content errors and findings, for the grid, overviews and lists."""
        return [(r, found.errors.get(key, 0), found.by_row.get(key, _NONE))
                for r in of_rows for key in ((r.jurisdiction, r.agency, r.year),)]
    all_entries = _once(lambda: entries(rows, whole()))
    blobs = BlobStore(blob_dir(store.path)) if store.path else None
    # where the reports' stamps and seen states stood (the next build's plan starts from them)
    ids, revs, unseen = array("q"), array("q"), {}

    def draw_reports() -> tuple[int, Callable[[], None]]:
        """The report pages; returns the number of reports and what waits for the pages still
        being drawn."""
        # reports: a page is drawn again when its report's revision stamp (any change of the report,
        # its versions or its stored findings, see migrations 016 and 018), its findings, its
        # status or what its portal's latest crawl saw of it changed; only those reports are read.
        # Rendering is spread over processes when there are many (each page depends on its own
        # inputs only, so the output is the same whichever process draws it)
        folder = report_path(0).rpartition("/")[0]
        if plan is None:
            stamps, total = store.report_stamps(), None
        else:
            # the other reports' pages stay as they are, with their digests
            writer.manifest.update(plan.kept)
            writer.reused += len(plan.kept)
            total = len(plan.kept) + len(plan.reports)
            stamps = store.report_stamps(plan.reports) if plan.reports else iter(())
            if blobs is not None:
                for page_blob, attachment_blob, fmt in store.evidence_blobs():
                    kept_archives.update(e[1] for e in _evidence(page_blob, attachment_blob, fmt))
        counted = [0]
        latest_crawls = store.latest_crawls()

        def pages() -> Iterator[ReportPage]:
            # a rebuild's one pass over every report (or those the plan names): what it does it
            # does 100k times
            waiting: list[tuple[Any, ...]] = []
            reuse, keep, findings_of = writer.reuser(folder, few=plan is not None), kept_archives.add, by_report.get
            status_get = status_of.get
            crawl_of, add_id, add_rev = latest_crawls.get, ids.append, revs.append
            count = 0
            for (rid, rev, jurisdiction, agency, report_year, last_seen, portal_id, page_blob, attachment_blob,
                 fmt) in stamps:
                count += 1
                add_id(rid)
                add_rev(rev)
                findings = findings_of(rid, _NONE)
                status, digest = status_get((jurisdiction, agency, report_year), _NO_STATUS)
                path = report_path(rid)
                if blobs is not None and (page_blob or attachment_blob):
                    evidence = _evidence(page_blob, attachment_blob, fmt)
                    for e in evidence:
                        keep(e[1])
                else:
                    evidence = _NONE
                crawled = crawl_of(portal_id)
                if crawled is not None and last_seen >= crawled:
                    seen = _ONLINE
                else:
                    seen = unseen[rid] = _seen(last_seen, crawled)
                # digested in the cheap form (tuples, day numbers); drawn from the full one
                if not reuse(path, path[len(folder) + 1:], (rev, findings, digest, seen)):
                    waiting.append((rid, path, findings, status, evidence, seen))
                    if len(waiting) == CHUNK:
                        yield from read(waiting)
                        waiting = []
            counted[0] = count
            yield from read(waiting)

        def read(waiting) -> Iterator[ReportPage]:
            """The pages to draw, with their reports and versions read in one batch."""
            if not waiting:
                return
            reports = store.reports_with_versions([w[0] for w in waiting])
            for (r, versions), (_rid, path, findings, status, evidence, seen) in zip(reports, waiting, strict=True):
                current = next((v for v in versions if v["id"] == r["current_version_id"]), versions[-1])
                for v in versions:
                    v["current"] = v["id"] == current["id"]
                archives = _archive(root, live, blobs, evidence) if blobs is not None else []
                status_json = status.to_json() if status else {"deadline": "—", "deadline_rule": "", "status": None}
                yield ReportPage(path, r, current, versions, _finding_dicts(findings), status_json, archives, seen)

        finish = _render_reports(store, writer, pages(), workers)
        return counted[0] if total is None else total, finish

    def draw_summaries(summaries: Writer) -> dict[str, dict[str, bytes]]:
        """Jurisdiction, overview and list pages, from the status rows and findings alone; returns
        each jurisdiction's summary digests."""
        jurisdictions = sorted(rows_of)

        def of_jurisdiction(name: str) -> tuple[list[tuple[StatusRow, int, list[Any]]], FindingIndex]:
            found = index if plan is None or name in plan.jurisdictions else whole()
            return entries(rows_of[name], found), found

        def digest(name: str) -> dict[str, bytes]:
            listed, found = of_jurisdiction(name)
            return _summary_digests(listed, [digests[(r.jurisdiction, r.agency, r.year)] for r, _, _ in listed],
                                    found.by_report)

        # what the summary pages read of each row, digested per jurisdiction and per page kind (its
        # grid, each list): a page's inputs are the digests of what it shows, and its context is
        # built only when they changed (a day that moved no status, error or mark builds none of
        # them). A planned rebuild keeps the digests of the jurisdictions none of whose rows moved.
        # The day itself is an input of the overviews only, which say "as of" in their text: the
        # other pages are drawn again when what they show moves (their footer keeps the day they
        # were drawn, as report pages do)
        known = {} if plan is None else {name: {part: bytes.fromhex(d) for part, d in parts.items()}
                                         for name, parts in plan.state.jurisdictions.items()
                                         if name not in plan.jurisdictions}
        of_j = {name: known.get(name) or digest(name) for name in jurisdictions}
        everything = _joined(jurisdictions, of_j, SUMMARY_PARTS, str(year))

        def jurisdiction_context(name: str) -> dict[str, Any]:
            listed, found = of_jurisdiction(name)
            return _jurisdiction_context(name, listed, found.flags)

        # jurisdictions
        for name in jurisdictions:
            summaries.page(jurisdiction_path(name), "site/jurisdiction.html.j2", partial(jurisdiction_context, name),
                           inputs=(name, of_j[name]["grid"]))

        # overviews
        years_all = sorted({r.year for r in rows}, reverse=True)
        default_year = year or next((y for y in years_all if any(r.status != "not_due" for r in rows if r.year == y)),
                                    years_all[0] if years_all else as_of.year - 1)

        def by_year() -> dict[int, list[tuple[StatusRow, int, list[Any]]]]:
            grouped: dict[int, list[tuple[StatusRow, int, list[Any]]]] = defaultdict(list)
            for entry in all_entries():
                grouped[entry[0].year].append(entry)
            return grouped
        entries_by_year = _once(by_year)

        def overview_of(y: int) -> dict[str, Any]:
            return _overview(entries_by_year()[y], y, [x for x in years_all if x != y], jurisdictions)
        for y in years_all or [default_year]:
            overview = _once(partial(overview_of, y))
            if y == default_year:
                summaries.page("index.html", "site/index.html.j2", overview, inputs=(as_of, y, everything))
            summaries.page(f"overview/{y}.html", "site/index.html.j2", overview, inputs=(as_of, y, everything))

        # lists
        for name, context in _list_contexts(rows, lambda: (all_entries(), whole().by_report), jurisdictions,
                                            years_all):
            shown = _joined(jurisdictions, of_j, (name,))
            summaries.page(f"lists/{name}.html", "site/list.html.j2", context, inputs=(name, shown, years_all))
        return of_j

    stages.done("index")
    report_count, reports_drawn = draw_reports()
    stages.done("reports")
    try:
        of_j = draw_summaries(writer)  # while the last report pages are drawn
    finally:
        stages.done("summaries")
        reports_drawn()
    stages.done("waiting for report pages")
    counts, downloads_seconds = downloads_job()
    stages.done("waiting for downloads")
    # downloads and methodology
    downloads = [{**d, "count": n} for d, n in zip(DOWNLOADS, counts, strict=True)]
    writer.page("downloads.html", "site/downloads.html.j2", {"title": "数据下载", "downloads": downloads})
    writer.page("methodology.html", "site/methodology.html.j2", _methodology())
    writer.page("health.html", "site/health.html.j2",
                {"title": "抓取健康", "portals": [h.to_json() for h in health],
                 "error_kind_names": ERROR_KIND_NAMES})
    (root / MANIFEST).write_text(json.dumps(writer.manifest, ensure_ascii=False, sort_keys=True), encoding="utf-8")
    _next_state(plan, ids, revs, unseen, evaluation, year, of_j).write(root)
    stages.done("other pages")
    return (BuildResult(root / "index.html", writer.rendered + writer.reused, writer.reused, report_count,
                        plan is not None, {**stages.seconds, "downloads": downloads_seconds}), writer, kept_archives)


@dataclass
class _Plan:
    """A rebuild on a live site whose state says where its inputs stood: what moved since."""

    state: BuildState  # the live site's
    reports: list[int]  # the reports whose pages may have changed, ascending
    keys: list[RowKey]  # and their (jurisdiction, agency, year)
    kept: dict[str, str]  # the other reports' pages, with their digests
    jurisdictions: set[str]  # those with a status row or finding that moved
    moved_keys: set[RowKey]  # the (jurisdiction, agency, year) of every status row and finding that moved
    ids: np.ndarray  # every report's id and revision stamp now
    revs: np.ndarray
    unseen: dict[int, dict[str, Any]]  # the reports not seen by their portal's latest crawl now


def _plan(store: Store, live: Path | None, old_manifest: dict[str, str] | None, evaluation: Evaluation,
          year: int | None) -> _Plan | None:
    """What moved since the live site was built: reports whose stamp moved or that are new, whose
    seen state moved, or whose status row or findings a judgement since moved (the judge's change
    feed); jurisdictions with a row or finding that moved. None when that cannot be known — no
    state, other drawing code, another store, a judgement older than the site, changes no longer
    logged, an evaluation no judgement recorded, a report gone — and every input is digested."""
    mark = evaluation.feed
    if live is None or old_manifest is None or mark is None:
        return None
    state = BuildState.read(live)
    if state is None or state.feed is None or state.key != _DIGEST_KEY.hex() or state.year != year \
            or state.feed[1] > mark.cycle or any(parts.keys() != _PARTS for parts in state.jurisdictions.values()):
        return None
    with store.snapshot():
        changes = store.judge_changes_since(state.feed[1], state.feed[0])
        if changes is None or store.judge_changes_since(mark.cycle, mark.token) is None:
            return None  # the site's judgement or this one is not this store's, or a change went unlogged
        stamps = np.fromiter(itertools.chain.from_iterable(store.report_revs()), np.int64).reshape(-1, 2)
        unseen = {rid: _seen(last_seen, crawled) for rid, last_seen, crawled in store.unseen_reports()}
        ids, revs = stamps[:, 0].copy(), stamps[:, 1].copy()
        at = np.searchsorted(ids, state.ids)
        if len(at) and (at[-1] >= len(ids) or not np.array_equal(ids[at], state.ids)):
            return None  # a report went: its page and evidence go, which a full pass finds
        moved = np.ones(len(ids), dtype=bool)  # new reports, and those whose stamp moved
        moved[at] = revs[at] != state.revs
        reports = set(ids[moved].tolist())
        reports.update(rid for rid in unseen.keys() | state.unseen.keys() if unseen.get(rid) != state.unseen.get(rid))
        reports.update(store.report_ids_of({(j, a, y) for j, a, y, _ in changes
                                            if j is not None and a is not None and y is not None}))
        reports.update(rid for *_, rid in changes if rid is not None)
    listed = np.array(sorted(reports), dtype=np.int64)
    listed = listed[np.isin(listed, ids)].tolist()
    prefix = report_path(0).rpartition("/")[0] + "/"
    kept = {path: digest for path, digest in old_manifest.items() if path.startswith(prefix)}
    if len(kept) != len(state.ids):
        return None  # the manifest is not the one the state was written with
    for path in map(report_path, listed):
        kept.pop(path, None)
    return _Plan(state, listed, store.report_keys(listed), kept, {j for j, *_ in changes if j is not None},
                 {(j, a, y) for j, a, y, _ in changes}, ids, revs, unseen)


def _next_state(plan: _Plan | None, ids: array, revs: array, unseen: dict[int, dict[str, Any]],
                evaluation: Evaluation, year: int | None, of_j: dict[str, dict[str, bytes]]) -> BuildState:
    """Where this build's inputs stood, for the next build's plan."""
    feed = (evaluation.feed.token, evaluation.feed.cycle) if evaluation.feed else None
    if plan is not None:  # the plan read every stamp; the pass drew the planned reports from what it read
        ids_now, revs_now, unseen_now = plan.ids, plan.revs, plan.unseen
        drawn = np.frombuffer(ids, np.int64)
        at = np.searchsorted(ids_now, drawn)
        found = at < len(ids_now)
        found[found] = ids_now[at[found]] == drawn[found]
        revs_now[at[found]] = np.frombuffer(revs, np.int64)[found]
        for rid in plan.reports:
            if rid in unseen:
                unseen_now[rid] = unseen[rid]
            else:
                unseen_now.pop(rid, None)
    else:
        ids_now, revs_now, unseen_now = np.frombuffer(ids, np.int64), np.frombuffer(revs, np.int64), unseen
    return BuildState(_DIGEST_KEY.hex(), year, feed, ids_now, revs_now, unseen_now,
                      {name: {part: d.hex() for part, d in parts.items()} for name, parts in of_j.items()})


DOWNLOADS = (
    {"name": "reports", "label": "全部年报（现行版本）",
     "columns": ["url", "title", "agency", "jurisdiction", "year", "level", "published", "first_seen", "format",
                 "text_chars", "findings"]},
    {"name": "status", "label": "应公布年报及公布情况",
     "columns": ["jurisdiction", "agency", "year", "level", "deadline", "published", "status", "days_late",
                 "findings", "url"]},
    {"name": "findings", "label": "全部问题",
     "columns": ["jurisdiction", "agency", "year", "code", "severity", "message", "report_id"]},
)


def _finding_row(t: Any) -> dict[str, Any]:
    return {"jurisdiction": t.jurisdiction, "agency": t.agency, "year": t.year, "report_id": t.report_id,
            "code": t.finding.code, "severity": t.finding.severity, "message": t.finding.message}


def _row_makers() -> bytes:
    """The code that makes the downloads' rows from their sources: changed, no row is copied from
    the previous build. (Without sources to read, the package's version stands for them.)"""
    try:
        code = "".join(inspect.getsource(f) for f in (_finding_row, StatusRow.to_json, StatusRow.signature, row_digest,
                                                      Store.export_row, Store.export_report_rows,
                                                      Store.export_report_stamps))
    except (OSError, TypeError):
        from importlib.metadata import PackageNotFoundError, version

        try:
            code = version("nianbao")
        except PackageNotFoundError:
            code = ""
    return hashlib.blake2b(code.encode(), digest_size=16).digest()


_ROW_MAKERS = _row_makers()


def _write_downloads(store: Store, root: Path, live: Path | None, evaluation: Evaluation, plan: _Plan | None
                     ) -> tuple[list[int], float]:
    """The downloads' rows, each given by its key and what it is made from (a database row, a
    status row's digest, a finding's fields): only new and changed rows are made and encoded. On
    a planned rebuild, the rows the plan says did not move are copied by their keys, their sources
    not even made (:func:`write_planned`). Returns each file's rows and the seconds it took."""
    started = time.perf_counter()
    previous = live / "data" if live else None
    digests = evaluation.row_digests()
    findings = list(evaluation.findings.items())
    stamps: list[tuple[int, int]] = []

    def finding_source(t: Tracked) -> tuple[Any, ...]:
        return t.jurisdiction, t.agency, t.year, t.report_id, t.finding.code, t.finding.severity, t.finding.message

    def report_rows(stamps: list[tuple[int, int]]) -> list[dict[str, Any]]:
        return [Store.export_row(raw) for raw in store.export_report_rows(ids=[rid for rid, _ in stamps])]

    def keyed(name: str) -> Iterator[Keyed]:
        """Every row of a download as (key, source, how to make it)."""
        if name == "status":
            return ((key, digests[key], r.to_json) for r in evaluation.rows
                    for key in ((r.jurisdiction, r.agency, r.year),))
        if name == "findings":
            return ((key, finding_source(t), partial(_finding_row, t)) for key, t in findings)
        # a report's row is known by its stamp (which moves with everything the row is made from)
        # and read from the store only when that moved: reading every report's row was a third of this
        return ((rid, (rid, rev), None) for rid, rev in stamps)

    def planned(name: str) -> tuple[list[Any], list[int], Callable[[list[int]], list[tuple[Any, Row]]]]:
        """A download's keys, the positions of the rows that moved, and how to make those."""
        assert plan is not None
        moved = plan.moved_keys
        if name == "status":
            rows = evaluation.rows
            keys = [(r.jurisdiction, r.agency, r.year) for r in rows]
            return keys, [i for i, key in enumerate(keys) if key in moved], \
                lambda at: [(digests[keys[i]], rows[i].to_json()) for i in at]
        if name == "findings":
            return [key for key, _ in findings], [
                i for i, (_, t) in enumerate(findings) if (t.jurisdiction, t.agency, t.year) in moved], \
                lambda at: [(finding_source(findings[i][1]), _finding_row(findings[i][1])) for i in at]
        redo = set(plan.reports)
        return [rid for rid, _ in stamps], [i for i, (rid, _) in enumerate(stamps) if rid in redo], \
            lambda at: list(zip([stamps[i] for i in at], report_rows([stamps[i] for i in at]), strict=True))

    counts = []
    with store.snapshot():  # a stamp and the row read for it from one state of the store (a crawl may be writing)
        stamps.extend(store.export_report_stamps())
        for d in DOWNLOADS:
            name, columns = d["name"], d["columns"]
            count = None
            if plan is not None and previous is not None:
                with contextlib.suppress(Stale):  # no keys kept: every row digested
                    keys, moved_at, redo = planned(name)
                    count = write_planned(root / "data", name, keys, moved_at, redo, columns, previous, _ROW_MAKERS)[0]
            if count is None:
                count = write_keyed(root / "data", name, keyed(name), columns, previous, _ROW_MAKERS,
                                    report_rows if name == "reports" else None)[0]
            counts.append(count)
    return counts, time.perf_counter() - started


BESIDE_NICENESS = 5  # how far behind the pages the process beside them runs
_beside_job: Callable[[Store], Any] | None = None  # what a forked process runs, and on which database
_beside_store: str | None = None


def _beside_in_child() -> Any:
    from monitor.store import open_read_only

    assert _beside_job is not None and _beside_store is not None
    # the job has slack (the pages take longer) and competes with them for the CPUs: it runs
    # behind them, on what they leave (a day's rebuild waited on its index and pass, slowed by it)
    with contextlib.suppress(OSError):
        os.nice(BESIDE_NICENESS)
    return _beside_job(open_read_only(_beside_store))  # its own connection: one is not shared over a fork


def _start_beside(job: Callable[[Store], Any], store: Store, workers: int | None, rows: int) -> Callable[[], Any]:
    """Begin ``job(store)`` in another process, or run it in this one when the returned function
    (which waits for its result) is called: one process, no file to reopen, or a small site."""
    global _beside_job, _beside_store
    if workers == 1 or store.path is None or len(os.sched_getaffinity(0)) < 2 or \
            (workers is None and rows < PARALLEL_FROM):  # a small site: not worth a process
        return lambda: job(store)
    # forked with what it writes (inherited, not sent through a pipe)
    _beside_job, _beside_store = job, store.path
    pool = ProcessPoolExecutor(1, mp_context=multiprocessing.get_context("fork"))
    try:
        future = pool.submit(_beside_in_child)
    finally:
        _beside_job = _beside_store = None

    def wait_for_result() -> Any:
        try:
            return future.result()
        finally:
            pool.shutdown()
    return wait_for_result


@dataclass
class ReportPage:
    """What a report page is drawn from (sent to a rendering process as is)."""
    path: str
    report: dict[str, Any]
    current: dict[str, Any]
    versions: list[dict[str, Any]]
    findings: list[dict[str, Any]]
    status: dict[str, Any]
    archives: list[dict[str, str]]
    seen: dict[str, Any]


_ONLINE = {"state": "online"}  # nearly every report's (read, never changed)


def _seen(last_seen: str, latest_crawl: str | None) -> dict[str, Any]:
    """Whether the report was still there when its portal was last crawled. A page says that, not
    the moment it was last seen: a daily crawl sees every report again, and a page that showed the
    moment would be drawn again every day (the site's rebuild would be a full build)."""
    if latest_crawl is None:
        return {"state": "unknown", "last_seen": last_seen}  # not crawled (read from a file), or never through
    if last_seen >= latest_crawl:
        return _ONLINE
    return {"state": "gone", "last_seen": last_seen, "crawled": latest_crawl}


def _report_context(store: Store, page: ReportPage) -> dict[str, Any]:
    r, current = page.report, page.current
    text, tables_json, sections_json, template = store.version_content(current["id"])
    tables = json.loads(tables_json or "{}")
    found = set(json.loads(sections_json or "[]"))
    fmt = FORMATS.get(template or "")
    return {"title": f"{r['agency']} {r['year']}年度年报核查", "r": r, "status": page.status, "seen": page.seen,
            "identity": json.loads(current.get("identity") or "{}"), "source_names": SOURCE_NAMES,
            "versions": page.versions, "text": text or "",
            "findings": [{**f, "title": FINDINGS[f["code"]].title, "explanation": FINDINGS[f["code"]].explanation}
                         for f in page.findings],
            "tables_html": tables_html(tables, highlights(page.findings, tables)), "archives": page.archives,
            "sections": [{"canonical": s.canonical, "found": s.number in found} for s in SECTIONS],
            "jurisdiction_path": jurisdiction_path(r["jurisdiction"] or "未识别"),
            "format_name": f"{fmt.name}（{fmt.source}）" if fmt else "未识别（无国家统一格式）",
            "text_source_name": TEXT_SOURCES.get(current.get("text_source") or "text", TEXT_SOURCES["text"]),
            "ocr_doubtful": sum(1 for name in ("t2", "t3", "t4") for row in (tables.get(name) or {}).get("rows", [])
                                for c in row["cells"] if (c.get("confidence") or 1.0) < DOUBTFUL)}


PARALLEL_FROM = 400  # pages to render before other processes are worth starting
CHUNK = 200  # pages a rendering process takes at a time


def _render_reports(store: Store, writer: Writer, pages: Iterator[ReportPage], workers: int | None
                    ) -> Callable[[], None]:
    """Draw the report pages here, or in ``workers`` processes (by default one per CPU when there
    are at least PARALLEL_FROM to draw: a day's rebuild with a few hundred is not worth starting
    processes for), a chunk at a time, never more than a few chunks waiting, so memory stays flat.
    Returns once every page is drawn or handed to a process; the function it returns waits for
    those (the caller draws other pages meanwhile: the last chunks took a tenth of a day's rebuild
    with nothing else to do)."""
    count = workers if workers is not None else len(os.sched_getaffinity(0))
    first = list(itertools.islice(pages, PARALLEL_FROM)) if workers is None else []
    if count <= 1 or store.path is None or (workers is None and len(first) < PARALLEL_FROM):
        for page in itertools.chain(first, pages):
            writer.render(page.path, "site/report.html.j2", _report_context(store, page))
        return lambda: None
    pool: ProcessPoolExecutor | None = None  # started with the first chunk: an unchanged site starts none
    waiting: set[Future[int]] = set()
    chunk: list[ReportPage] = []

    def collect(done: set[Future[int]]) -> None:
        writer.rendered += sum(f.result() for f in done)

    def finish() -> None:
        try:
            collect(wait(waiting).done)
        finally:
            if pool is not None:
                pool.shutdown(cancel_futures=True)
    try:
        for page in itertools.chain(first, pages, [None]):
            if page is not None:
                writer._target(page.path)  # folders made once, here
                chunk.append(page)
            if chunk and (len(chunk) == CHUNK or page is None):
                if pool is None:
                    # fork: spawn and forkserver would import the caller's main module again in each
                    # process (a script without a __main__ guard would run twice); they only render
                    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("fork"),
                                               initializer=_worker_start,
                                               initargs=(store.path, str(writer.root), writer.common))
                waiting.add(pool.submit(_worker_render, chunk))
                chunk = []
            while len(waiting) >= 2 * count:
                done, waiting = wait(waiting, return_when=FIRST_COMPLETED)
                collect(done)
    except BaseException:
        if pool is not None:
            pool.shutdown(cancel_futures=True)
        raise
    return finish


_worker: tuple[Store, Writer] | None = None


def _worker_start(db_path: str, root: str, common: dict[str, Any]) -> None:
    from monitor.store import open_read_only

    global _worker
    _worker = (open_read_only(db_path), Writer(Path(root), _env(), common))


def _worker_render(pages: list[ReportPage]) -> int:
    assert _worker is not None
    store, writer = _worker
    for page in pages:
        writer.render(page.path, "site/report.html.j2", _report_context(store, page))
    return len(pages)


def _evidence(page_blob: str | None, attachment_blob: str | None, fmt: str | None) -> list[tuple[str, str, str]]:
    """A version's evidence files as (blob, site path, label); HTML as text so it never runs."""
    out = []
    if page_blob:
        out.append((page_blob, f"archive/{page_blob[:2]}/{page_blob}.html.txt", "网页原文"))
    if attachment_blob:
        ext = ARCHIVE_EXT.get(fmt or "", "bin")
        out.append((attachment_blob, f"archive/{attachment_blob[:2]}/{attachment_blob}.{ext}", "附件原文"))
    return out


def _archive(root: Path, live: Path | None, blobs: BlobStore, evidence: list[tuple[str, str, str]]
             ) -> list[dict[str, str]]:
    """Copy a version's evidence files into the site (unless the live site has them); their links."""
    out = []
    for blob, path, label in evidence:
        if not blobs.path(blob).exists():
            continue
        if live is None or not (live / path).exists():
            target = root / path
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                _link_or_copy(blobs.path(blob), target)
        out.append({"path": path, "label": label})
    return out


def _joined(jurisdictions: list[str], of_j: dict[str, dict[str, bytes]], parts: tuple[str, ...], salt: str = ""
            ) -> bytes:
    """One digest of these parts of every jurisdiction's summary digests: their bytes and names
    hashed in order (not pickled: a pickle depends on which equal strings are one object, and the
    digests kept in the site's state are other objects than a build's own)."""
    h = hashlib.blake2b(salt.encode(), digest_size=16)
    for name in jurisdictions:
        h.update(name.encode() + b"\0")
        for part in parts:
            h.update(of_j[name][part])
    return h.digest()


def _summary_digests(entries: list[tuple[StatusRow, int, list[Any]]], row_digests: list[bytes],
                     by_report: dict[int, list[PageFinding]]) -> dict[str, bytes]:
    """Digests of what each kind of summary page reads of these rows — the jurisdiction's grid
    ("grid") and each list (by its name in ``LISTS``): each row's digest (of its signature:
    status, dates, report — a little more than they show, made once by the judgement), its content
    errors' codes and count, and the findings they name or mark."""
    parts: dict[str, list[Any]] = {part: [] for part in SUMMARY_PARTS}
    grid, in_list = parts["grid"], {status: parts[status] for status in ("late", "missing", "undated")}
    for (r, n, found), digest in zip(entries, row_digests, strict=True):
        errors = tuple(code for code, severity, _, _ in by_report.get(r.report.id, _NONE)
                       if severity == "error" and code not in STATUS_CODES) if n and r.report else ()
        marked = tuple((f.code, f.message) for f in found if f.code.startswith(_MARKED)) if found else ()
        grid.append((digest, n, errors, marked) if n or marked else digest)
        if r.status in in_list:
            in_list[r.status].append(digest)
        if n and r.report:
            parts["errors"].append((digest, n, errors))
        if marked and r.report:
            for part, prefix in (("copies", "COPIED_"), ("changed", "CHANGED_AFTER_PUBLICATION")):
                said = tuple(message for code, message in marked if code.startswith(prefix))
                if said:
                    parts[part].append((digest, said))
    return {part: hashlib.blake2b(pickle.dumps(items, 5), digest_size=16).digest() for part, items in parts.items()}


def _once(make: Callable[[], T]) -> Callable[[], T]:
    """``make``, called at most once (a context two pages share, an index some pages need)."""
    made: list[T] = []

    def get() -> T:
        if not made:
            made.append(make())
        return made[0]
    return get


def _jurisdiction_context(name: str, entries: list[tuple[StatusRow, int, list[Any]]],
                          flags: dict[RowKey, list[str]]) -> dict[str, Any]:
    years = sorted({r.year for r, _, _ in entries}, reverse=True)[:6][::-1]
    units: dict[str, dict[str, Any]] = {}
    for r, n, _found in entries:
        unit = units.setdefault(r.agency, {"agency": r.agency, "level": r.level, "cells": {}})
        unit["cells"][r.year] = {"status": r.status, "days_late": r.days_late,
                                 "path": report_path(r.report.id) if r.report else None,
                                 "errors": n, "flags": flags.get((r.jurisdiction, r.agency, r.year), [])}
    order = {"government": 0, "department": 1, "township": 2}
    return {"title": name, "name": name, "years": years,
            "units": sorted(units.values(), key=lambda u: (order.get(u["level"], 3), u["agency"]))}


def _list_contexts(rows: list[StatusRow],
                   source: Callable[[], tuple[list[tuple[StatusRow, int, list[Any]]], dict[int, list[PageFinding]]]],
                   jurisdictions: list[str], years: list[int]) -> Iterator[tuple[str, Callable[[], dict[str, Any]]]]:
    """Each list page's name and how to build its context (all of them built at once, if any is,
    from every row's entry and every report's findings, which ``source`` gives)."""
    built: dict[str, dict[str, Any]] = {}

    def build() -> None:
        entries, by_report = source()
        late = [_list_row(r) for r in rows if r.status == "late"]
        missing = [_list_row(r) for r in rows if r.status == "missing"]
        with_errors = []
        flagged: dict[str, list[dict[str, Any]]] = {"copies": [], "undated": [], "changed": []}
        for r, n, found in entries:
            if n and r.report:
                titles = sorted({FINDINGS[code].title for code, severity, _, _ in by_report.get(r.report.id, _NONE)
                                 if severity == "error" and code not in STATUS_CODES})
                with_errors.append({**_list_row(r), "errors": n, "codes": "、".join(titles)})
            if r.status == "undated":
                flagged["undated"].append({**_list_row(r), "what": "页面未标注发布日期，以首次发现时间代替"})
            if not found or not r.report:
                continue
            copies = [f for f in found if f.code.startswith("COPIED_")]
            if copies:
                flagged["copies"].append({**_list_row(r), "what": "；".join(f.message for f in copies)})
            changed = [f for f in found if f.code == "CHANGED_AFTER_PUBLICATION"]
            if changed:
                flagged["changed"].append({**_list_row(r), "what": "；".join(f.message for f in changed)})
        items = {"late": late, "missing": missing, "errors": with_errors, **flagged}
        for name, title, description, columns in LISTS:
            found_items = items[name]
            found_items.sort(key=lambda x: (x["jurisdiction"], -x["year"], x["agency"]))
            built[name] = {"title": title, "description": description, "rows": found_items, "columns": columns,
                           "jurisdictions": jurisdictions, "years": years}

    def context(name: str) -> dict[str, Any]:
        if not built:
            build()
        return built[name]

    for name, *_ in LISTS:
        yield name, partial(context, name)


_COMMON_COLUMNS = [{"key": "jurisdiction", "label": "行政区", "type": "text"},
                   {"key": "agency", "label": "单位", "type": "text"}, {"key": "year", "label": "年度", "type": "num"}]
LISTS = (  # name, title, description, columns
    ("late", "逾期公布的年报", "公布日期晚于法定期限的年报。",
     [*_COMMON_COLUMNS, {"key": "deadline", "label": "期限", "type": "text"},
      {"key": "published", "label": "公布日期", "type": "text"}, {"key": "days_late", "label": "逾期天数", "type": "num"}]),
    ("missing", "未公布的年报", "期限已过、仍未找到的年报。",
     [*_COMMON_COLUMNS, {"key": "deadline", "label": "期限", "type": "text"},
      {"key": "days_late", "label": "已逾期天数", "type": "num"}]),
    ("errors", "存在错误的年报", "缺少必备内容、统计表错误或数字不合勾稽关系等。",
     [*_COMMON_COLUMNS, {"key": "errors", "label": "错误数", "type": "num"}, {"key": "codes", "label": "错误", "type": "text"}]),
    ("copies", "疑似照抄的年报", "与本单位上年或其他单位同年的年报正文几乎相同（已忽略单位名称、年份和数字）。",
     [*_COMMON_COLUMNS, {"key": "what", "label": "说明", "type": "text"}]),
    ("undated", "未标注发布日期的年报", "页面没有标注发布日期，是否按时无法确认，以本系统首次发现的时间代替。",
     [*_COMMON_COLUMNS, {"key": "published", "label": "首次发现", "type": "text"},
      {"key": "what", "label": "说明", "type": "text"}]),
    ("changed", "公布后被修改的年报", "公布之后正文又有改动：此前的版本保留在各年报页面。",
     [*_COMMON_COLUMNS, {"key": "what", "label": "说明", "type": "text"}]),
)


SUMMARY_PARTS = ("grid", *(name for name, *_ in LISTS))  # what a jurisdiction's summary digests are of
_PARTS = set(SUMMARY_PARTS)


def _list_row(r: StatusRow) -> dict[str, Any]:
    return {"jurisdiction": r.jurisdiction, "agency": r.agency, "year": r.year, "status": r.status,
            "deadline": r.deadline.date.isoformat(), "published": r.published.isoformat() if r.published else None,
            "days_late": r.days_late, "path": report_path(r.report.id) if r.report else jurisdiction_path(r.jurisdiction)}


def _overview(entries: list[tuple[StatusRow, int, list[Any]]], year: int, other_years: list[int],
              jurisdictions: list[str]) -> dict[str, Any]:
    """A year's overview: counts, each jurisdiction's, the chart and the worst ten; ``entries`` are
    the year's status rows with their content errors (and findings)."""
    by_j: dict[str, list[tuple[StatusRow, int, list[Any]]]] = defaultdict(list)
    for entry in entries:
        by_j[entry[0].jurisdiction].append(entry)
    per_j = [{"name": name, "path": jurisdiction_path(name), **_counts(by_j[name])}
             for name in jurisdictions if name in by_j]
    scores = []
    weight = {"missing": 3, "late": 2, "undated": 1}
    for r, n, _ in entries:
        score = weight.get(r.status, 0) + n
        if score:
            parts = [STATUS_NAMES[r.status] + (f" {r.days_late} 天" if r.days_late else "")] \
                if r.status in ("missing", "late", "undated") else []
            if n:
                parts.append(f"{n} 项错误")
            scores.append((score, r, "，".join(parts)))
    scores.sort(key=lambda x: (-x[0], x[1].jurisdiction, x[1].agency))
    offenders = [{"agency": r.agency, "jurisdiction": r.jurisdiction, "summary": summary,
                  "path": report_path(r.report.id) if r.report else jurisdiction_path(r.jurisdiction)}
                 for _, r, summary in scores[:10]]
    return {"title": f"{year}年度总览", "year": year, "counts": _counts(entries), "jurisdictions": per_j,
            "chart_svg": _chart([r for r, _, _ in entries]), "offenders": offenders, "other_years": other_years}


def _applies(rule) -> str:
    """Who a deadline rule covers, in words: 部门，2019年度起."""
    years = f"，{rule.first_year}年度起" if rule.first_year else ""
    years += f"，{rule.last_year}年度及以前" if rule.last_year else ""
    return "、".join(LEVEL_NAMES[x] for x in rule.levels) + years


def _methodology() -> dict[str, Any]:
    return {
        "title": "核查方法",
        "deadlines": [{"id": d.id, "applies": _applies(d), "month": d.month, "day": d.day, "source": d.source,
                       "description": d.description} for d in DEADLINE_RULES],
        "sections": SECTIONS,
        "formats": [{"name": f.name, "source": f.source, "first_year": f.first_year, "last_year": f.last_year,
                     "fingerprints": f.fingerprints, "t3_rows": len(f.t3_rows),
                     "results": sum(1 for r in f.t3_rows if r.role == "result")} for f in FORMATS.values()],
        "rules": CONSISTENCY_RULES,
        "findings": sorted(PUBLIC_FINDINGS.values(), key=lambda f: (SEVERITY_ORDER[f.severity], f.code)),
        "similarity": {"shingle": SHINGLE, "threshold": COPY_THRESHOLD, "min_chars": MIN_CHARS},
    }
