"""Shared fixtures: the five seed reports and helpers to alter their numbers in place."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

# two test processes, one core each: OCR in a test process uses one thread
os.environ.setdefault("NIANBAO_OCR_THREADS", "1")

ROOT = Path(__file__).parent.parent
FIXTURES = Path(__file__).parent / "fixtures"
FAST = ["-s", "DOWNLOAD_DELAY=0", "-s", "AUTOTHROTTLE_ENABLED=0", "-s", "NIANBAO_RETRY_BACKOFF_BASE=0.05"]
TODAY = date.today().isoformat()
SEED_DIR = FIXTURES / "seeds"
SEEDS = {p.name[:3]: p for p in sorted(SEED_DIR.glob("*.txt"))}

# A number cell as printed in the seeds; digits inside labels ("1.属于…", "保留4位小数") are not.
NUMBER = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\d.位])")


def seed_text(name: str) -> str:
    return SEEDS[name].read_text(encoding="utf-8")


def set_number(text: str, anchor: str, index: int, new: str, last: bool = False) -> str:
    """Replace the ``index``-th number printed after ``anchor`` (a regex) with ``new``."""
    matches = list(re.finditer(anchor, text))
    assert matches, f"anchor {anchor!r} not in text"
    start = (matches[-1] if last else matches[0]).end()
    for n, m in enumerate(NUMBER.finditer(text, start)):
        if n == index:
            return text[: m.start()] + new + text[m.end():]
    raise AssertionError(f"fewer than {index + 1} numbers after {anchor!r}")


def add_to_number(text: str, anchor: str, index: int, delta: int, last: bool = False) -> str:
    matches = list(re.finditer(anchor, text))
    start = (matches[-1] if last else matches[0]).end()
    for n, m in enumerate(NUMBER.finditer(text, start)):
        if n == index:
            return text[: m.start()] + str(int(m.group()) + delta) + text[m.end():]
    raise AssertionError(f"fewer than {index + 1} numbers after {anchor!r}")


@pytest.fixture(params=sorted(SEEDS))
def seed_name(request: pytest.FixtureRequest) -> str:
    return request.param


def nianbao(*args: str, check: bool = True, timeout: int = 300) -> subprocess.CompletedProcess[str]:
    """Run the real command line in a subprocess."""
    result = subprocess.run([sys.executable, "-m", "monitor.cli", *args], capture_output=True, text=True,
                            timeout=timeout, cwd=ROOT)
    if check:
        assert result.returncode == 0, result.stderr[-3000:]
    return result


@pytest.fixture(scope="session")
def world_db(tmp_path_factory):
    """The fixture world crawled twice (between the crawls one report's page was corrected).

    Shared read-only by the monitor and site tests; a test that writes works on a copy.
    """
    from demo.server import serve
    from demo.world import fixture_world

    world = fixture_world()
    db = tmp_path_factory.mktemp("world") / "nianbao.db"
    with serve(world):
        args = ["crawl", "--db", str(db), *FAST] + [a for p in world.portals for a in ("--portal", p.url)]
        nianbao(*args)
        portal = world.portal("xuecheng")
        page = next(e.url for e in portal.expected if e.text_source == "html" and e.year == 2024
                    and e.agency.endswith("局"))
        portal.resources[page].body = portal.resources[page].body.replace("存在的主要问题：".encode(), "存在的问题：".encode())
        nianbao(*args, "-s", "NIANBAO_REVALIDATE_DAYS=0")
    return db
