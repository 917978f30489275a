"""Which Chromium Playwright drives: its own managed build where installed, else the system one.

Playwright's browser download does not work everywhere (no internet, Debian images). Set
``NIANBAO_CHROMIUM=/path/to/chromium`` to choose; otherwise a Playwright-managed Chromium wins
and Debian's ``/usr/bin/chromium`` is the fallback.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

SYSTEM_CHROMIUM = ("chromium", "chromium-browser", "google-chrome")
# Flags that keep a headless browser from reaching for the internet on its own.
QUIET_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic"]


def managed_browser_installed() -> bool:
    root = Path(os.environ.get("PLAYWRIGHT_BROWSERS_PATH") or Path.home() / ".cache" / "ms-playwright")
    return root.exists() and any(root.glob("chromium*"))


def chromium_executable() -> str | None:
    """The browser to launch, or None to let Playwright use its managed one."""
    explicit = os.environ.get("NIANBAO_CHROMIUM")
    if explicit:
        return explicit
    if managed_browser_installed():
        return None
    for name in SYSTEM_CHROMIUM:
        found = shutil.which(name)
        if found:
            return found
    return None


def playwright_launch_options() -> dict:
    options: dict = {"headless": True, "args": QUIET_ARGS}
    executable = chromium_executable()
    if executable:
        options["executable_path"] = executable
    return options
