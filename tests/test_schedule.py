"""Schedules in words, and `nianbao jobs` before any service ran (no database created)."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from monitor.cli import main
from monitor.service import JobSpec
from monitor.service.schedule import describe


@pytest.mark.parametrize("spec,words", [
    (JobSpec("c", "crawl", "0 1 * * *", seasonal=True, jitter=3 * 3600),
     "每天 01:00（1–4 月），其余月份每周一 01:00（随机延后至多 3 小时）"),
    (JobSpec("j", "judge", "30 5 * * *"), "每天 05:30"),
    (JobSpec("d", "digest", "0 8 * * mon"), "每周一 08:00"),
    (JobSpec("d", "digest", "0 8 * * 1-5"), "每周一至周五 08:00"),
    (JobSpec("s", "site", "0 6 1 * *"), "每月 1 日 06:00"),
    (JobSpec("s", "site", "0 6 * 1-4 *"), "每天 06:00（1–4 月）"),
    (JobSpec("t", "judge", every=3600), "每 1 小时"),
    (JobSpec("t", "judge", "*/5 * * * *"), "cron “*/5 * * * *”"),
])
def test_schedules_in_words(spec: JobSpec, words: str) -> None:
    assert describe(spec) == words


def test_jobs_before_the_service_ever_ran(tmp_path) -> None:
    db = tmp_path / "never.db"
    result = CliRunner().invoke(main, ["jobs", "--config", "config/nianbao.example.yaml", "--db", str(db)])
    assert result.exit_code == 0, result.output
    assert "核查：judge：每天 05:30" in result.output and "下次运行：20" in result.output
    assert not db.exists()
