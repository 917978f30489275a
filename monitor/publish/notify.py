"""Compliance digests by email: one per oversight office, what is new first, sent exactly once.

Delivery is two-phase. Building a digest records, in one transaction, which findings it carries
to which office (``digest_items``) and one pending delivery per recipient. Sending then works
through pending deliveries and marks each one sent as soon as the server accepts it. A server
that is down or refuses a recipient leaves those deliveries pending with the error; the next
run sends the stored digest again (same Message-ID) before building a new one. Nothing is lost,
and a finding is "new" to an office only until a digest carrying it has been built.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import os
import re
import smtplib
import socket
import tempfile
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.generator import BytesGenerator
from email.message import EmailMessage
from email.utils import formatdate
from pathlib import Path
from typing import Any

import jinja2

from monitor.judge import STATUS_NAMES, Evaluation, judge
from monitor.judge.health import ALERT_TITLES, portal_health, sync_alerts
from monitor.judge.registry import Office, Registry, SmtpConfig
from monitor.publish import TEMPLATES
from monitor.publish.csvsafe import SafeWriter
from monitor.publish.urls import jurisdiction_path, link, report_path
from monitor.report.confidence import TEXT_SOURCES
from monitor.report.spec import FINDINGS, SEVERITY_NAMES, SEVERITY_ORDER
from monitor.store import Store, now_iso

DEFAULT_SENDER = "Nianbao 年报监测 <nianbao@localhost>"
SEVERITY_COLORS = {"error": "#cf222e", "warning": "#9a6700", "info": "#57606a"}
MAX_ATTEMPTS = 20  # after this many failed sends a delivery is given up and reported


def template_env() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=lambda name: bool(name) and name.endswith((".html.j2", ".html")),
        undefined=jinja2.StrictUndefined, trim_blocks=False, lstrip_blocks=False,
    )


@dataclass
class Item:
    finding_id: int
    jurisdiction: str
    agency: str
    year: int
    code: str
    severity: str
    title: str
    message: str
    site_url: str
    source_url: str | None
    ack: str | None
    ack_note: str | None
    kind: str  # new | standing
    other_url: str | None = None  # for a copy: the other report's page
    read_by: str | None = None  # how a report read by OCR was read, said beside it (TEXT_SOURCES)

    @property
    def severity_name(self) -> str:
        return SEVERITY_NAMES[self.severity]

    @property
    def color(self) -> str:
        return SEVERITY_COLORS[self.severity]


@dataclass
class DigestContent:
    office: str
    as_of: str
    subject: str
    new: list[Item]
    standing: list[Item]
    counts: list[str]
    text: str = ""
    html: str = ""
    csv: str = ""


@dataclass
class Outcome:
    office: str
    digest_id: int | None = None
    new: int = 0
    standing: int = 0
    sent: list[str] = field(default_factory=list)
    written: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    retried: int = 0


class DigestError(Exception):
    pass


# --------------------------------------------------------------------------- building


@dataclass
class RunData:
    """What every office's digest reads, read once per run: 2,801 offices each reading every open
    finding, report URL and status row took 437 s in the national season benchmark."""

    findings: dict[str, list[dict[str, Any]]]  # open tracked findings, by jurisdiction
    urls: dict[int, str]
    scanned: dict[int, str]  # reports read by OCR: their text source
    rows: dict[str, list[Any]]  # the evaluation's status rows, by jurisdiction

    @classmethod
    def read(cls, store: Store, evaluation: Evaluation) -> RunData:
        findings: dict[str, list[dict[str, Any]]] = {}
        for row in store.open_tracked_findings():
            findings.setdefault(row["jurisdiction"], []).append(row)
        rows: dict[str, list[Any]] = {}
        for r in evaluation.rows:
            rows.setdefault(r.jurisdiction, []).append(r)
        return cls(findings, store.report_urls(), store.scanned_reports(), rows)


def _items(store: Store, registry: Registry, office: Office, site_url: str | None,
           data: RunData) -> tuple[list[Item], list[Item]]:
    sent = store.digested_finding_ids(office.name)
    new, standing = [], []
    for jurisdiction, rows in data.findings.items():
        if not registry.covers(office, jurisdiction):
            continue
        for row in rows:
            if row["ack"] == "muted":
                continue
            page = report_path(row["report_id"]) if row["report_id"] else jurisdiction_path(row["jurisdiction"])
            kind = "standing" if row["id"] in sent or row["ack"] else "new"
            other = json.loads(row["detail"] or "{}").get("other_report_id") if row["code"].startswith("COPIED_") \
                else None
            item = Item(row["id"], row["jurisdiction"], row["agency"], row["year"], row["code"], row["severity"],
                        FINDINGS[row["code"]].title, row["message"], link(site_url, page),
                        data.urls.get(row["report_id"]), row["ack"], row["ack_note"], kind,
                        link(site_url, report_path(other)) if other else None,
                        TEXT_SOURCES.get(data.scanned.get(row["report_id"], "")))
            (new if kind == "new" else standing).append(item)
    order = lambda i: (SEVERITY_ORDER[i.severity], i.jurisdiction, i.agency, i.year, i.code)  # noqa: E731
    return sorted(new, key=order), sorted(standing, key=order)


def _counts(registry: Registry, office: Office, items: list[Item], data: RunData) -> list[str]:
    rows = [r for j, of_j in data.rows.items() if registry.covers(office, j) for r in of_j]
    lines = []
    for year in sorted({r.year for r in rows}, reverse=True)[:2]:
        of_year = [r for r in rows if r.year == year]
        parts = [f"{STATUS_NAMES[s]} {n}" for s in STATUS_NAMES if (n := sum(1 for r in of_year if r.status == s))]
        lines.append(f"{year}年度：应公布 {len(of_year)} 份，" + "，".join(parts))
    by_severity = {s: sum(1 for i in items if i.severity == s) for s in SEVERITY_NAMES}
    lines.append("未解决的问题：" + "，".join(f"{SEVERITY_NAMES[s]} {n}" for s, n in by_severity.items()))
    return lines


CSV_COLUMNS = ("编号", "行政区", "单位", "年度", "严重程度", "问题代码", "问题", "说明", "类别", "详情链接", "原文链接")


def _csv(items: list[Item]) -> str:
    out = io.StringIO()
    writer = SafeWriter(out)
    writer.writerow(CSV_COLUMNS)
    for i in items:
        writer.writerow([i.finding_id, i.jurisdiction, i.agency, i.year, i.severity_name, i.code, i.title, i.message,
                         "新发现" if i.kind == "new" else "此前已报告", i.site_url, i.source_url or ""])
    return out.getvalue()


NUMERALS = "一二三四五六七八九十"


def sections(*present: str) -> dict[str, str]:
    """The digest's section headings that are present, numbered in sequence (一、二、…)."""
    return {key: NUMERALS[n] for n, key in enumerate(present)}


def render(content: DigestContent) -> DigestContent:
    env = template_env()
    numbered = sections("new", *(["standing"] if content.standing else []), "counts")
    values = {"office": content.office, "as_of": content.as_of, "subject": content.subject, "new": content.new,
              "standing": content.standing, "counts": content.counts, "no": numbered}
    content.text = env.get_template("email/digest.txt.j2").render(**values)
    content.html = env.get_template("email/digest.html.j2").render(**values)
    content.csv = _csv(content.new + content.standing)
    return content


def build_content(store: Store, registry: Registry, evaluation: Evaluation, office: Office,
                  site_url: str | None, data: RunData | None = None) -> DigestContent:
    data = data or RunData.read(store, evaluation)
    new, standing = _items(store, registry, office, site_url, data)
    day = evaluation.as_of.isoformat()
    subject = (f"【年报核查】{office.name}：新发现{len(new)}项问题（截至{day}）" if new
               else f"【年报核查】{office.name}：无新问题（截至{day}）")
    return render(DigestContent(office.name, day, subject, new, standing,
                                _counts(registry, office, new + standing, data)))


def message(content: dict[str, Any], digest_id: int, recipient: str, sender: str) -> EmailMessage:
    """The email for one recipient; the same digest always gives the same Message-ID."""
    msg = EmailMessage()
    msg["Subject"] = content["subject"]
    msg["From"] = sender
    msg["To"] = recipient
    msg["Date"] = formatdate(localtime=False)
    token = hashlib.sha1(f"{digest_id}:{recipient}".encode()).hexdigest()[:12]
    msg["Message-ID"] = f"<nianbao.digest.{digest_id}.{token}@nianbao.local>"
    msg.set_content(content["text"])
    msg.add_alternative(content["html"], subtype="html")
    # UTF-8 with a BOM, so that spreadsheet programs on Chinese Windows open it as UTF-8
    msg.add_attachment(content["csv"].encode("utf-8-sig"), maintype="text", subtype="csv",
                       filename=f"年报核查-{content['office']}-{content['as_of']}.csv", params={"charset": "utf-8"})
    return msg


def create_digest(store: Store, office: Office, content: DigestContent) -> int:
    """Record the digest, the findings it carries and a pending delivery per recipient, atomically."""
    stored = {k: v for k, v in asdict(content).items() if k in ("office", "as_of", "subject", "text", "html", "csv")}
    return store.create_digest(office.name, office.recipients, stored, created_at=now_iso(),
                               items=[(i.finding_id, i.kind) for i in content.new + content.standing],
                               new=len(content.new), standing=len(content.standing))


# --------------------------------------------------------------------------- delivery


def _write_eml(outbox: Path, prefix: str, office: str, recipient: str, msg: EmailMessage) -> str:
    """One message as an .eml file, written whole (a temporary file renamed into place)."""
    outbox.mkdir(parents=True, exist_ok=True)
    safe = "".join(ch if ch.isalnum() or ch in "-_.@" else "_" for ch in f"{office}-{recipient}")
    path = outbox / f"{prefix}-{safe}.eml"
    fd, tmp = tempfile.mkstemp(dir=outbox, prefix=".tmp-")
    with os.fdopen(fd, "wb") as fh:
        fh.write(msg.as_bytes())
    os.replace(tmp, path)
    return str(path)


def _write_outbox(store: Store, outbox: Path, delivery: dict[str, Any], msg: EmailMessage) -> str:
    path = _write_eml(outbox, f"digest-{delivery['digest_id']:05d}", delivery["office"], delivery["recipient"], msg)
    store.update_delivery(delivery["id"], {"status": "written", "path": str(path), "sent_at": now_iso(),
                                           "attempts": delivery["attempts"] + 1})
    return str(path)


def _connect(smtp: SmtpConfig) -> smtplib.SMTP:
    cls = smtplib.SMTP_SSL if smtp.ssl else smtplib.SMTP
    conn = cls(smtp.host, smtp.port, timeout=smtp.timeout)
    if smtp.starttls and not smtp.ssl:
        conn.starttls()
    if smtp.username:
        conn.login(smtp.username, smtp.password or "")
    return conn


CLAIM_LEASE = timedelta(minutes=15)  # a claim older than this, by a process not known alive, is stale


def _owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}"


def _alive(owner: str | None) -> bool:
    """Whether the process that claimed a delivery may still be sending it."""
    if not owner or ":" not in owner:
        return False
    host, pid = owner.rsplit(":", 1)
    if host != socket.gethostname():
        return True  # another machine's: only the lease can tell
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError):
        return False
    except PermissionError:
        return True
    return True


def recover_claims(store: Store) -> int:
    """Deliveries a crashed sender left claimed. ``sending``: the final dot never left, so the
    server dropped the message: pending again. ``committing``: the dot may have gone: counted as
    sent, never sent twice. Returns how many were recovered."""
    stale = datetime.now(UTC) - CLAIM_LEASE

    def decide(row: dict[str, Any]) -> dict[str, Any] | None:
        claimed = datetime.fromisoformat(row["claimed_at"]) if row["claimed_at"] else stale
        if _alive(row["claimed_by"]) and claimed > stale:
            return None
        if row["status"] == "sending":
            return {"status": "pending", "claimed_by": None, "last_error": "上次发送中断（邮件未完成），将重发"}
        return {"status": "sent", "sent_at": now_iso(), "claimed_by": None,
                "last_error": "上次发送在提交时中断：按已发送处理，不再重发"}

    return store.settle_claims(decide)


def _send_two_phase(conn: smtplib.SMTP, msg: EmailMessage, sender: str, recipient: str,
                    before_commit: Callable[[], None]) -> str | None:
    """Send one message, calling ``before_commit`` just before the final dot that makes the
    server accept it; returns the server's refusal, or None when accepted."""
    buffer = io.BytesIO()
    BytesGenerator(buffer, policy=msg.policy.clone(linesep="\r\n")).flatten(msg)
    data = re.sub(rb"(?m)^\.", b"..", buffer.getvalue())  # dot-stuffing (RFC 5321 4.5.2)
    if not data.endswith(b"\r\n"):
        data += b"\r\n"
    conn.ehlo_or_helo_if_needed()
    code, reply = conn.mail(sender)
    if code != 250:
        return f"MAIL {code} {reply!r}"
    code, reply = conn.rcpt(recipient)
    if code not in (250, 251):
        conn.rset()
        return f"{recipient}: {code} {reply!r}"
    code, reply = conn.docmd("DATA")
    if code != 354:
        conn.rset()
        return f"DATA {code} {reply!r}"
    conn.send(data)
    before_commit()
    conn.send(b".\r\n")
    code, reply = conn.getreply()
    return None if code == 250 else f"{code} {reply!r}"


def deliver(store: Store, registry: Registry, offices: set[str], outcomes: dict[str, Outcome],
            outbox: Path | None, attempted: set[int]) -> None:
    """Send (or write) every pending delivery of these offices not yet tried in this run.

    Each delivery is claimed first (two senders at once never send one twice) and sent in two
    phases (a crash leaves it either surely unsent, and it is sent again, or possibly sent, and
    it is not): each message reaches its recipient once."""
    recover_claims(store)
    pending = [d for d in store.pending_deliveries(offices) if d["id"] not in attempted]
    attempted.update(d["id"] for d in pending)
    if not pending:
        return
    sender = registry.smtp.sender if registry.smtp else DEFAULT_SENDER
    conn: smtplib.SMTP | None = None
    down: str | None = None
    for d in pending:
        outcome = outcomes.setdefault(d["office"], Outcome(d["office"]))
        if d["digest_id"] != outcome.digest_id:
            outcome.retried += 1
        msg = message(json.loads(d["message"]), d["digest_id"], d["recipient"], sender)
        if outbox is not None:
            outcome.written.append(_write_outbox(store, outbox, d, msg))
            continue
        if registry.smtp is None:
            raise DigestError("未配置 smtp：请在配置文件中设置 smtp，或改用 --outbox 目录")
        if not store.claim_delivery(d["id"], _owner(), now_iso()):
            continue  # another sender took it
        error = down
        if error is None:
            try:
                conn = conn or _connect(registry.smtp)
                error = _send_two_phase(conn, msg, sender, d["recipient"],
                                        lambda delivery_id=d["id"]: store.update_delivery(delivery_id, {"status": "committing"}))
            except (TimeoutError, smtplib.SMTPException, OSError) as exc:
                down = error = f"{type(exc).__name__}: {exc}"
                conn = None
        attempts = d["attempts"] + 1
        if error is None:
            store.update_delivery(d["id"], {"status": "sent", "sent_at": now_iso(), "attempts": attempts, "last_error": None,
                                  "claimed_by": None})
            outcome.sent.append(d["recipient"])
        else:
            status = "abandoned" if attempts >= MAX_ATTEMPTS else "failed"
            store.update_delivery(d["id"], {"status": status, "attempts": attempts, "last_error": error[:500],
                                  "claimed_by": None})
            outcome.failed[d["recipient"]] = error
    if conn is not None:
        with contextlib.suppress(smtplib.SMTPException):
            conn.quit()


def check_sending(registry: Registry, site_url: str | None = None) -> None:
    """Everything a send needs, checked before anything is judged or written: an SMTP server, its
    password in the environment, and the site's public address for the links."""
    where = registry.path or "配置文件"
    if registry.smtp is None:
        raise DigestError(f"{where}: smtp: 未配置 SMTP 服务器，无法发送（或改用 --outbox 目录预览）")
    if registry.smtp.password_env and os.environ.get(registry.smtp.password_env) is None:
        raise DigestError(f"{where}: smtp.password_env: 环境变量 {registry.smtp.password_env} 未设置"
                          f"（SMTP 密码从该变量读取）")
    if not (site_url or registry.site_url):
        raise DigestError(f"{where}: site.base_url: 未设置网站的公开地址，邮件中的链接无从指向"
                          "（在配置文件中设置 site.base_url，或使用 --site-url）")


def digest_offices(registry: Registry, office: str | None = None) -> list[Office]:
    """The offices a digest run is for; a clear error before anything is judged or written."""
    if office is not None and registry.office(office) is None:
        raise DigestError(f"配置中没有名为“{office}”的政务公开办")
    offices = [o for o in ([registry.office(office)] if office else list(registry.offices)) if o is not None]
    if not offices:
        raise DigestError("配置中没有任何政务公开办（offices），无从发送摘要")
    return offices


def run_digests(store: Store, registry: Registry, as_of: date | None = None, office: str | None = None,
                outbox: str | Path | None = None, site_url: str | None = None,
                evaluation: Evaluation | None = None, preview: bool = False, dry_run: bool = False) -> list[Outcome]:
    """Retry what is pending, then build and deliver a digest per office with news. ``evaluation``
    is the cycle's judgement (:func:`monitor.judge.assess.assess`); without one, judge here first.

    ``preview`` writes to ``outbox`` what would be sent and records nothing (a later send sends
    the same items); ``dry_run`` only counts. Neither sends nor records a digest."""
    offices = digest_offices(registry, office)
    if evaluation is None:
        evaluation, _ = judge(store, registry, as_of)
    if preview or dry_run:
        return _preview(store, registry, evaluation, offices, site_url or registry.site_url,
                        None if dry_run else outbox)
    names = {o.name for o in offices}
    outcomes: dict[str, Outcome] = {}
    box = Path(outbox) if outbox is not None else None
    attempted: set[int] = set()
    deliver(store, registry, names, outcomes, box, attempted)  # first, whatever an earlier run could not send
    site = site_url or registry.site_url
    data = RunData.read(store, evaluation)
    for o in offices:
        content = build_content(store, registry, evaluation, o, site, data)
        outcome = outcomes.setdefault(o.name, Outcome(o.name))
        outcome.standing = len(content.standing)
        if not content.new:
            continue  # nothing new: no mail
        outcome.digest_id = create_digest(store, o, content)
        outcome.new = len(content.new)
    deliver(store, registry, names, outcomes, box, attempted)
    return list(outcomes.values())


def _preview(store: Store, registry: Registry, evaluation: Evaluation, offices: list[Office], site: str | None,
             outbox: str | Path | None) -> list[Outcome]:
    """What a send would carry, office by office: written as .eml files (or only counted)."""
    sender = registry.smtp.sender if registry.smtp else DEFAULT_SENDER
    outcomes = []
    data = RunData.read(store, evaluation)
    for o in offices:
        content = build_content(store, registry, evaluation, o, site, data)
        outcome = Outcome(o.name, new=len(content.new), standing=len(content.standing))
        outcomes.append(outcome)
        if content.new and outbox is not None:
            stored = {k: v for k, v in asdict(content).items() if k in ("office", "as_of", "subject", "text", "html", "csv")}
            for recipient in o.recipients:
                outcome.written.append(_write_preview(Path(outbox), o.name, recipient,
                                                      message(stored, 0, recipient, sender)))
    return outcomes


def _write_preview(outbox: Path, office: str, recipient: str, msg: EmailMessage) -> str:
    return _write_eml(outbox, "preview", office, recipient, msg)


# --------------------------------------------------------------------------- operator alerts

HEALTH_OFFICE = "运维（抓取健康）"


def run_health_digest(store: Store, registry: Registry, outbox: str | Path | None = None,
                      as_of: date | None = None, assessed: bool = False, preview: bool = False,
                      dry_run: bool = False) -> Outcome | None:
    """Email the operator what is newly wrong with the crawler itself; never sent to offices.
    ``assessed``: the cycle has already brought the alerts up to date (otherwise done here);
    ``preview``/``dry_run`` as for :func:`run_digests`."""
    if not registry.operator:
        return None
    if not assessed:
        sync_alerts(store, portal_health(store))
    outcomes: dict[str, Outcome] = {}
    box = Path(outbox) if outbox is not None else None
    attempted: set[int] = set()
    if not (preview or dry_run):
        deliver(store, registry, {HEALTH_OFFICE}, outcomes, box, attempted)
    rows = store.open_health_alerts()
    new = [r for r in rows if r["digest_id"] is None]
    standing = [r for r in rows if r["digest_id"] is not None]
    outcome = outcomes.setdefault(HEALTH_OFFICE, Outcome(HEALTH_OFFICE, standing=len(standing)))
    if new:
        day = (as_of or date.today()).isoformat()
        items = [{"title": ALERT_TITLES[r["kind"]], "message": r["message"]} for r in new]
        old = [{"title": ALERT_TITLES[r["kind"]], "message": r["message"]} for r in standing]
        subject = f"【Nianbao 运维】抓取健康告警 {len(new)} 项（截至{day}）"
        env = template_env()
        values = {"as_of": day, "subject": subject, "alerts": items, "standing": old}
        out = io.StringIO()
        writer = SafeWriter(out)
        writer.writerow(("门户网站", "告警", "说明", "首次发现"))
        for r in new + standing:
            writer.writerow((r["url"], ALERT_TITLES[r["kind"]], r["message"], r["first_seen"]))
        content = {"office": HEALTH_OFFICE, "as_of": day, "subject": subject,
                   "text": env.get_template("email/health.txt.j2").render(**values),
                   "html": env.get_template("email/health.html.j2").render(**values), "csv": out.getvalue()}
        outcome.new = len(new)
        if preview or dry_run:
            sender = registry.smtp.sender if registry.smtp else DEFAULT_SENDER
            if box is not None and not dry_run:
                outcome.written += [_write_preview(box, HEALTH_OFFICE, r, message(content, 0, r, sender))
                                    for r in registry.operator]
            return outcome
        outcome.digest_id = store.create_digest(HEALTH_OFFICE, registry.operator, content, created_at=now_iso(),
                                                alert_ids=[r["id"] for r in new], new=len(new), standing=len(standing))
    deliver(store, registry, {HEALTH_OFFICE}, outcomes, box, attempted)
    return outcome
