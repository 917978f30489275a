"""Running unattended: scheduled jobs, one full cycle, and what each job did.

``nianbao serve`` runs an APScheduler service whose job store lives in the project's SQLite file,
so schedules survive restarts. Missed runs after downtime are coalesced into one (within the
misfire grace time); a job never runs beside another instance of itself; every job that writes
takes the database's writer lock, so two jobs never write the same rows at once; SIGTERM lets
the running job finish (a crawl is asked to stop cleanly and records what it did) and exits.

Crawls run in a child process: Scrapy's reactor starts once per process, and a child that dies
cannot take the service with it.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from monitor.config import DEFAULT_MISFIRE_GRACE, DEFAULT_OUTBOX, DEFAULT_SITE_OUT, DEFAULT_TIMEZONE
from monitor.judge.registry import Registry
from monitor.service.locks import LOCK_HELD_ENV, service_lock, writer_lock
from monitor.service.schedule import JobSpec, describe
from monitor.store import open_store

logger = logging.getLogger("nianbao.service")

JOB_NAMES = {"crawl": "抓取", "judge": "核查", "digest": "摘要邮件", "site": "网站生成", "cycle": "完整流程"}


@dataclass
class ServiceOptions:
    db: str
    config: str | None
    outbox: str | None = DEFAULT_OUTBOX
    send: bool = False
    site_out: str = DEFAULT_SITE_OUT
    timezone: str = DEFAULT_TIMEZONE
    misfire_grace: int = DEFAULT_MISFIRE_GRACE

    @classmethod
    def from_schedule(cls, db: str, config: str | None, schedule: dict[str, Any], outbox: str | None = None,
                      send: bool = False, site_out: str | None = None) -> ServiceOptions:
        """Options from the command line, else the config's ``schedule`` section, else the defaults."""
        return cls(db=db, config=config, outbox=outbox or schedule.get("outbox", DEFAULT_OUTBOX),
                   send=send or bool(schedule.get("send", False)),
                   site_out=site_out or schedule.get("site_out", DEFAULT_SITE_OUT),
                   timezone=schedule.get("timezone", DEFAULT_TIMEZONE),
                   misfire_grace=int(schedule.get("misfire_grace", DEFAULT_MISFIRE_GRACE)))


def default_jobs(registry: Registry) -> list[JobSpec]:
    """The seasonal default: each portal crawled at night (jittered so they are not hit at once),
    daily from 1 January to 30 April and weekly otherwise; judging and the site after the crawls;
    digests every morning in season, on Mondays otherwise."""
    jobs = [JobSpec(f"crawl:{j.name}", "crawl", cron="0 1 * * *", jurisdictions=[j.name], jitter=3 * 3600,
                    seasonal=True) for j in registry.portals()]
    jobs += [JobSpec("judge", "judge", cron="30 5 * * *"), JobSpec("site", "site", cron="0 6 * * *"),
             JobSpec("digest", "digest", cron="0 8 * * *", seasonal=True)]
    return jobs


def jobs_from_config(registry: Registry, data: dict[str, Any] | None) -> tuple[list[JobSpec], dict[str, Any]]:
    schedule = data or {}
    specs = [JobSpec(j["name"], j["kind"], j.get("cron"), j.get("every"), list(j.get("jurisdictions") or []),
                     int(j.get("jitter", 0)), {str(k): str(v) for k, v in (j.get("settings") or {}).items()})
             for j in schedule.get("jobs") or []]
    return (specs or default_jobs(registry)), schedule


def trigger(spec: JobSpec, timezone: str):
    from apscheduler.triggers.combining import OrTrigger
    from apscheduler.triggers.cron import CronTrigger
    from apscheduler.triggers.interval import IntervalTrigger

    jitter = spec.jitter or None
    if spec.every:
        return IntervalTrigger(seconds=spec.every, jitter=jitter, timezone=timezone)
    fields = (spec.cron or "0 2 * * *").split()
    second = fields.pop(0) if len(fields) == 6 else "0"
    minute, hour, day, month, weekday = fields
    cron = dict(second=second, minute=minute, hour=hour, day=day, day_of_week=weekday, timezone=timezone, jitter=jitter)
    if spec.seasonal:  # daily in the reporting season (Jan–Apr), weekly on Mondays otherwise
        return OrTrigger([CronTrigger(**{**cron, "month": "1-4"}),
                          CronTrigger(**{**cron, "month": "5-12", "day_of_week": "mon"})])
    return CronTrigger(month=month, **cron)


# --------------------------------------------------------------------------- running jobs

_children: set[subprocess.Popen] = set()
_children_lock = threading.Lock()


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "monitor.cli", *args]


def _run_child(cmd: list[str]) -> int:
    """Run a command as a child the service can ask to stop (SIGTERM) on shutdown.

    The child is told that its parent holds the writer lock, so it does not wait for it."""
    proc = subprocess.Popen(cmd, start_new_session=True, env={**os.environ, LOCK_HELD_ENV: "1"})
    with _children_lock:
        _children.add(proc)
    try:
        return proc.wait()
    finally:
        with _children_lock:
            _children.discard(proc)


def stop_children(timeout: float = 60.0) -> None:
    """Ask running children to stop cleanly; kill what has not stopped after ``timeout``."""
    with _children_lock:
        children = list(_children)
    for proc in children:
        proc.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout
    for proc in children:
        try:
            proc.wait(max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            proc.kill()


def _precise_now() -> str:
    return datetime.now(UTC).isoformat()


@contextmanager
def recorded(db: str, job: str, kind: str):
    """A ``job_runs`` row for this execution, with its outcome (times to the microsecond)."""
    store = open_store(db)
    run_id = store.start_job(job, kind, _precise_now())
    outcome = {"outcome": "ok", "message": ""}
    try:
        yield outcome
    except Exception as exc:
        outcome.update(outcome="error", message=f"{type(exc).__name__}: {exc}"[:500])
        logger.exception("任务 %s 失败", job)
    finally:
        store.finish_job(run_id, _precise_now(), outcome)
        store.close()


def crawl_command(options: ServiceOptions, jurisdictions: list[str], settings: dict[str, str]) -> list[str]:
    args = ["crawl", "--db", options.db]
    if options.config:
        args += ["--config", options.config]
    for name in jurisdictions:
        args += ["--only", name]
    for key, value in settings.items():
        args += ["-s", f"{key}={value}"]
    return _cli(*args)


def execute(job: str, kind: str, options: dict[str, Any], jurisdictions: list[str] | None = None,
            settings: dict[str, str] | None = None) -> None:
    """Run one job (the scheduler calls this by its textual reference)."""
    opts = ServiceOptions(**options)
    # the run is recorded from when it holds the writer lock: recorded runs never overlap
    from monitor.judge.assess import assess, judging_registry  # judging and publishing: loaded by the jobs
    from monitor.publish.notify import run_digests, run_health_digest
    from monitor.publish.site import build_site

    with writer_lock(opts.db), recorded(opts.db, job, kind) as outcome:
        if kind in ("crawl", "cycle"):
            code = _run_child(crawl_command(opts, jurisdictions or [], settings or {}))
            if code != 0:
                outcome.update(outcome="interrupted" if code < 0 or code in (130, 143) else "error",
                               message=f"抓取进程退出码 {code}")
                if kind == "crawl":
                    return
            if kind == "crawl":
                return
        store = open_store(opts.db)
        try:
            # the configuration the store was judged with when the service was started without one
            registry, _ = judging_registry(store, opts.config)
            if kind == "site":  # the site alone shows the store as it stands: no finding moves
                build_site(store, registry, opts.site_out)
                return
            # judged once: the digests and the site publish this one judgement
            assessed = assess(store, registry)
            if kind in ("judge", "cycle"):
                outcome["message"] = f"新发现 {assessed.result.new}，已解决 {assessed.result.resolved}"
            if kind in ("digest", "cycle") and registry.offices:
                outbox = None if opts.send else opts.outbox
                sent = run_digests(store, registry, outbox=outbox, site_url=registry.site_url,
                                   evaluation=assessed.evaluation)
                run_health_digest(store, registry, outbox, assessed=True)
                failed = [o for o in sent if o.failed]
                if failed:
                    outcome.update(outcome="error", message="部分邮件发送失败，下次运行将重试")
            if kind == "cycle":
                build_site(store, registry, opts.site_out, evaluation=assessed.evaluation, health=assessed.health)
        finally:
            store.close()


def run_cycle(options: ServiceOptions, settings: dict[str, str]) -> None:
    """``nianbao run``: crawl → judge → digest → site, once."""
    execute("run", "cycle", options.__dict__, [], settings)


# --------------------------------------------------------------------------- the service


def scheduler_for(options: ServiceOptions):
    from apscheduler.executors.pool import ThreadPoolExecutor
    from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
    from apscheduler.schedulers.background import BackgroundScheduler
    from sqlalchemy import create_engine

    engine = create_engine(f"sqlite:///{Path(options.db).resolve()}", connect_args={"timeout": 30})
    return BackgroundScheduler(jobstores={"default": SQLAlchemyJobStore(engine=engine, tablename="apscheduler_jobs")},
               executors={"default": ThreadPoolExecutor(2)},
               job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": options.misfire_grace},
               timezone=options.timezone)


def serve(options: ServiceOptions, specs: list[JobSpec], started: Callable[[], None] | None = None) -> None:
    """Run the scheduler until SIGTERM/SIGINT; refuses to start beside another service (before
    ``started`` says anything)."""
    lock = service_lock(options.db).acquire(timeout=0)
    if started is not None:
        started()
    logging.getLogger("apscheduler").setLevel(logging.WARNING)  # its own lines are not the user's
    try:
        open_store(options.db).close()
        scheduler = scheduler_for(options)
        wanted = {s.name for s in specs}
        for spec in specs:
            scheduler.add_job("monitor.service:execute", trigger(spec, options.timezone), id=spec.name,
                              name=f"{JOB_NAMES[spec.kind]}：{spec.name}", replace_existing=True,
                              kwargs={"job": spec.name, "kind": spec.kind, "options": options.__dict__,
                                      "jurisdictions": spec.jurisdictions, "settings": spec.settings})

        stopping = threading.Event()

        def stop(signum, frame) -> None:
            logger.info("收到信号 %s：等待当前任务结束后退出", signum)
            stopping.set()

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        scheduler.start(paused=True)
        for job in scheduler.get_jobs():  # jobs no longer in the configuration leave the store
            if job.id not in wanted:
                job.remove()
        scheduler.resume()  # missed runs are coalesced into one, within the misfire grace time
        while not stopping.wait(1.0):
            pass
        stop_children()  # a running crawl is asked to stop cleanly and record what it did
        scheduler.shutdown(wait=True)
    finally:
        lock.release()


def job_table(options: ServiceOptions, specs: list[JobSpec]) -> list[dict[str, Any]]:
    """The configured jobs with their schedule in words, next run and last outcome, and any job that
    ran without being scheduled (`nianbao run`). Works before the service ever ran, and never
    creates the database."""
    from datetime import datetime as _datetime
    from zoneinfo import ZoneInfo

    last_runs: dict[str, dict[str, Any]] = {}
    if Path(options.db).is_file():
        store = open_store(options.db)
        last_runs = store.last_job_runs()
        store.close()
    now = _datetime.now(ZoneInfo(options.timezone))
    out = []
    for spec in specs:
        fire = trigger(spec, options.timezone).get_next_fire_time(None, now)
        last = last_runs.get(spec.name)
        out.append({"job": spec.name, "name": f"{JOB_NAMES[spec.kind]}：{spec.name}", "schedule": describe(spec),
                    "next_run": fire.isoformat() if fire else None,
                    "last_run": last["started_at"] if last else None,
                    "last_outcome": last["outcome"] if last else None,
                    "last_message": last["message"] if last else None})
    known = {row["job"] for row in out}
    for last in last_runs.values():
        if last["job"] not in known:  # e.g. `nianbao run`
            out.append({"job": last["job"], "name": last["job"], "schedule": "手动", "next_run": None,
                        "last_run": last["started_at"], "last_outcome": last["outcome"],
                        "last_message": last["message"]})
    return out
