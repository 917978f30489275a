"""Each digest reaches each recipient once: two senders at once, and a sender killed at any point.

A real SMTP server (aiosmtpd) on 127.0.0.1 that takes a moment over each message, as a real one
does — the moment in which a sender that is killed cannot know whether the server has the mail.
"""

from __future__ import annotations

import asyncio
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller

from demo.server import free_port
from tests.conftest import ROOT
from tests.test_monitor import CONFIG as MONITOR_CONFIG
from tests.test_monitor import db  # noqa: F401 - the fixture: a private copy of the crawled world

pytestmark = pytest.mark.e2e  # crawls, served portals, browsers or subprocesses

RECIPIENTS = [f"r{n:02d}@example.gov.cn" for n in range(40)]
# the monitor tests' jurisdictions, one office with many recipients
CONFIG = MONITOR_CONFIG.split("offices:")[0].replace("{", "{{").replace("}", "}}") + """offices:
  - name: 演示市政务公开办
    jurisdictions: [演示市]
    recipients: [{recipients}]
smtp:
  host: 127.0.0.1
  port: {port}
  sender: "Nianbao 年报监测 <nianbao@example.org>"
  timeout: 5
site:
  base_url: https://nianbao.example.org/
"""


class SlowInbox:
    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.received: Counter[str] = Counter()

    async def handle_DATA(self, server, session, envelope):
        for rcpt in envelope.rcpt_tos:  # filed on the final dot, as a mail server queues it …
            self.received[rcpt] += 1
        await asyncio.sleep(self.delay)  # … and only then answers 250: a sender killed now cannot know
        return "250 Message accepted"


def _digest(path: Path, config: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "monitor.cli", "digest", "--db", str(path), "--config", str(config),
                             "--send", "--as-of", "2026-04-15"], cwd=ROOT, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE)


def _setup(tmp_path: Path, delay: float) -> tuple[SlowInbox, Controller, Path]:
    inbox = SlowInbox(delay)
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    config = tmp_path / "nianbao.yaml"
    config.write_text(CONFIG.format(recipients=", ".join(RECIPIENTS), port=controller.port), encoding="utf-8")
    return inbox, controller, config


def _statuses(path: Path) -> Counter[str]:
    con = sqlite3.connect(path)
    try:
        return Counter(s for (s,) in con.execute("select status from deliveries"))
    finally:
        con.close()


def test_two_digest_runs_at_once_send_each_message_once(db: Path, tmp_path: Path) -> None:  # noqa: F811
    inbox, controller, config = _setup(tmp_path, 0.005)
    try:
        runs = [_digest(db, config), _digest(db, config)]
        for run in runs:
            run.wait(timeout=120)
    finally:
        controller.stop()
    assert inbox.received == Counter(dict.fromkeys(RECIPIENTS, 1))
    assert _statuses(db) == Counter(sent=len(RECIPIENTS))


def test_a_sender_killed_anywhere_still_delivers_each_message_once(db: Path, tmp_path: Path) -> None:  # noqa: F811
    inbox, controller, config = _setup(tmp_path, 0.02)
    rng = random.Random(20261129)
    kills = 0
    try:
        for _ in range(15):
            if _statuses(db).get("sent") == len(RECIPIENTS):
                break
            run = _digest(db, config)
            time.sleep(rng.uniform(0.6, 2.0))
            if run.poll() is None:
                run.send_signal(signal.SIGKILL)
                kills += 1
            run.wait(timeout=60)
        final = _digest(db, config)
        final.wait(timeout=120)
    finally:
        controller.stop()
    assert kills >= 3  # the senders really were killed mid-way
    assert inbox.received == Counter(dict.fromkeys(RECIPIENTS, 1))
    assert _statuses(db) == Counter(sent=len(RECIPIENTS))
