"""Shared fixtures: the five seed reports and helpers to alter their numbers in place."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
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
