"""The digest as an office works with it, through the real CLI and a real SMTP server on 127.0.0.1:
ids in the mail are the ids `nianbao ack` takes, a preview consumes nothing, a send needs what a
send needs, and a command run without --config judges with the configuration in use."""

from __future__ import annotations

import email
import email.policy
import os
import re
import subprocess
import sys
from datetime import date

import pytest
from aiosmtpd.controller import Controller

from demo.server import free_port
from monitor.store import open_store
from tests.conftest import ROOT
from tests.stores import Published, build_store, write_config

pytestmark = pytest.mark.e2e  # the CLI in subprocesses

AS_OF = "2024-06-01"


def cli(*args: str, env: dict[str, str] | None = None, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True, cwd=ROOT,
                            timeout=120, env={**os.environ, **(env or {})})
    if check:
        assert result.returncode == 0, result.stderr[-2000:]
    return result


class Inbox:
    def __init__(self) -> None:
        self.messages: list[email.message.EmailMessage] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content, policy=email.policy.default))
        return "250 OK"


@pytest.fixture
def smtp():
    inbox, port = Inbox(), free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, port
    controller.stop()


@pytest.fixture
def db(tmp_path):
    path = tmp_path / "n.db"
    build_store(path, [
        Published("青川县", "青川县教育局", 2022, date(2023, 1, 10), seed=1),
        Published("青川县", "青川县教育局", 2023, date(2024, 2, 20), seed=2),  # late
        Published("青川县", "青川县卫生健康局", 2022, date(2023, 1, 12), seed=3),  # 2023 missing
    ]).close()
    return path


def _text(msg: email.message.EmailMessage) -> str:
    return msg.get_body(("plain",)).get_content()


def _ids(text: str) -> list[int]:
    return [int(n) for n in re.findall(r"^问题 (\d+) ", text, re.M)]


def test_digest_ack_and_the_next_digest(db, tmp_path, smtp) -> None:
    inbox, port = smtp
    config = write_config(tmp_path / "nianbao.yaml", smtp_port=port)
    cli("digest", "--db", str(db), "--config", str(config), "--send", "--office", "青川县政务公开办", "--as-of", AS_OF)
    first = _text(inbox.messages[0])
    ids = _ids(first)
    store = open_store(db)
    tracked = {r["id"]: r for r in store.open_tracked_findings()}
    store.close()
    assert ids and set(ids) == set(tracked)  # every item numbered by its finding id, and nothing else
    assert "一、新发现的问题" in first and "二、统计" in first  # no standing items yet: numbered in sequence
    assert "https://nianbao.example.org/" in first and "file://" not in first
    acked = next(i for i in ids if tracked[i]["code"] == "MISSING")
    out = cli("ack", str(acked), "--note", "已督促", "--db", str(db)).stdout
    assert tracked[acked]["agency"] in out
    # something new happens, and the office hears only of that; the acknowledged item is standing
    build_store(db, [Published("青川县", "青川县卫生健康局", 2023, date(2024, 6, 20), seed=4)],
                seen_at="2024-06-20T00:00:00+00:00").close()
    cli("digest", "--db", str(db), "--send", "--office", "青川县政务公开办", "--as-of", "2024-07-01")  # no --config
    second = _text(inbox.messages[1])
    new_part, standing_part = second.split("二、此前已报告")
    assert acked not in _ids(new_part)
    assert re.search(rf"^问题 {acked} .*（已确认：已督促）", standing_part, re.M)
    assert _ids(new_part) and not set(_ids(new_part)) & set(ids)


def test_a_preview_consumes_nothing_and_a_dry_run_writes_nothing(db, tmp_path, smtp) -> None:
    inbox, port = smtp
    config = write_config(tmp_path / "nianbao.yaml", smtp_port=port)
    outbox = tmp_path / "outbox"
    args = ["digest", "--db", str(db), "--config", str(config), "--as-of", AS_OF, "--office", "青川县政务公开办"]
    dry = cli(*args, "--send", "--dry-run").stdout
    assert "演练" in dry and inbox.messages == []
    for _ in range(2):
        preview = cli(*args, "--outbox", str(outbox)).stdout
        assert "预览" in preview and "没有新内容" not in preview
    previews = list(outbox.glob("*.eml"))
    assert len(previews) == 1
    previewed = _ids(_text(email.message_from_bytes(previews[0].read_bytes(), policy=email.policy.default)))
    cli(*args, "--send")
    assert _ids(_text(inbox.messages[0])) == previewed  # the send carries what the preview showed


def test_a_send_says_what_it_lacks_before_doing_anything(db, tmp_path) -> None:
    config = write_config(tmp_path / "nianbao.yaml", smtp_port=1)
    text = config.read_text(encoding="utf-8")
    no_site = tmp_path / "no-site.yaml"
    no_site.write_text(text.replace("site:\n  base_url: https://nianbao.example.org/\n", ""), encoding="utf-8")
    result = cli("digest", "--db", str(db), "--config", str(no_site), "--send", check=False)
    assert result.returncode == 1 and "site.base_url" in result.stderr and "Traceback" not in result.stderr
    password = tmp_path / "password.yaml"
    password.write_text(text + "  username: nianbao\n  password_env: NIANBAO_TEST_SMTP_PASSWORD\n", encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k != "NIANBAO_TEST_SMTP_PASSWORD"}
    result = subprocess.run([sys.executable, "-m", "monitor.cli", "digest", "--db", str(db), "--config", str(password),
                             "--send"], capture_output=True, text=True, cwd=ROOT, timeout=120, env=environment)
    assert result.returncode == 1 and "NIANBAO_TEST_SMTP_PASSWORD" in result.stderr
    store = open_store(db)
    assert store.open_tracked_findings() == []  # refused before judging
    store.close()


def test_judging_without_config_keeps_what_the_configured_judgement_opened(db, tmp_path) -> None:
    config = write_config(tmp_path / "nianbao.yaml")
    first = cli("judge", "--db", str(db), "--config", str(config), "--as-of", AS_OF).stdout
    again = cli("judge", "--db", str(db), "--as-of", AS_OF)
    assert "已解决 0" in again.stdout, (first, again.stdout)
    assert str(config.resolve()) in again.stderr
    config.unlink()
    gone = cli("judge", "--db", str(db), "--as-of", AS_OF, check=False)
    assert gone.returncode == 1 and "--config" in gone.stderr and "Traceback" not in gone.stderr


def test_the_service_checks_the_smtp_password_at_start(db, tmp_path) -> None:
    config = write_config(tmp_path / "nianbao.yaml", smtp_port=1)
    config.write_text(config.read_text(encoding="utf-8") + "  username: nianbao\n  password_env: NIANBAO_TEST_SMTP_PASSWORD\n"
                      "schedule:\n  send: true\n", encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k != "NIANBAO_TEST_SMTP_PASSWORD"}
    for command in (["serve"], ["run"]):
        result = subprocess.run([sys.executable, "-m", "monitor.cli", *command, "--db", str(db), "--config", str(config)],
                                capture_output=True, text=True, cwd=ROOT, timeout=120, env=environment)
        assert result.returncode == 1 and "NIANBAO_TEST_SMTP_PASSWORD" in result.stderr, result.stderr[-500:]
        assert "Traceback" not in result.stderr and "服务启动" not in result.stdout


def test_a_mistyped_database_path_is_an_error_not_a_new_empty_database(tmp_path) -> None:
    missing = tmp_path / "typo.db"
    for command in (["status"], ["health"], ["judge"], ["site", "--out", str(tmp_path / "site")],
                    ["digest", "--outbox", str(tmp_path / "box")], ["ack", "1", "--note", "x"],
                    ["export", "reports"]):
        result = cli(*command, "--db", str(missing), check=False)
        assert result.returncode in (1, 2), (command, result.stdout, result.stderr)
        assert str(missing) in result.stderr and "Traceback" not in result.stderr, command
    assert not missing.exists()
