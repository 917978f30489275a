"""Which Chromium Playwright drives: its own managed build where installed, else the system one.

Playwright's browser download does not work everywhere (no internet, Debian images). Set
``NIANBAO_CHROMIUM=/path/to/chromium`` to choose; otherwise a Playwright-managed Chromium wins
and Debian's ``/usr/bin/chromium`` is the fallback.
"""

from __future__ import annotations

import contextlib
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


# The next-page control of a list, in the forms portals use: link or button text, or a class.
NEXT_CONTROL_SCRIPT = r"""() => {
  const words = /^(下一页|下页|后页|后一页|next|›|»|>)$/i;
  const nodes = Array.from(document.querySelectorAll('a, button, span, li, input, div'));
  const visible = el => !!(el.offsetWidth || el.offsetHeight || el.getClientRects().length);
  const disabled = el => /disabled|disable|\bno\b|unable/i.test(el.className || '') || el.hasAttribute('disabled');
  for (const el of nodes) {
    const text = (el.tagName === 'INPUT' ? el.value : el.textContent || '').replace(/\s+/g, '');
    const classy = /(^|\s)(next|next-page|nextpage|layui-laypage-next)(\s|$)/i.test(el.className || '') && text.length <= 4;
    if ((words.test(text) || classy) && visible(el) && !disabled(el)) {
      if (el.children.length && el.tagName !== 'A' && el.tagName !== 'BUTTON') continue;
      el.setAttribute('data-nianbao-next', '1');
      return true;
    }
  }
  return false;
}"""
LIST_SIGNATURE_SCRIPT = "() => Array.from(document.querySelectorAll('a[href]')).map(a => a.href).join('\\n')"


async def browser_pages(page, max_clicks: int, settle_ms: int = 3000) -> list[str]:
    """Page a rendered list by clicking its next-page control until the links stop changing
    (or ``max_clicks``); returns the HTML of each state. The page never leaves its origin: a
    click that navigates elsewhere ends the walk."""
    snapshots = [await page.content()]
    origin = page.url.split("/", 3)[:3]
    signature = await page.evaluate(LIST_SIGNATURE_SCRIPT)
    for _ in range(max_clicks):
        if not await page.evaluate(NEXT_CONTROL_SCRIPT):
            break
        try:
            await page.click("[data-nianbao-next]", timeout=settle_ms)
        except Exception:  # Playwright raises its own error kinds; a failed click ends paging
            break
        changed = False
        for _ in range(settle_ms // 100):
            await page.wait_for_timeout(100)
            try:
                now = await page.evaluate(LIST_SIGNATURE_SCRIPT)
            except Exception:  # the page is navigating
                continue
            if now != signature:
                signature, changed = now, True
                break
        if not changed or page.url.split("/", 3)[:3] != origin:
            break
        with contextlib.suppress(Exception):  # a list that keeps polling: take it as it is
            await page.wait_for_load_state("networkidle", timeout=settle_ms)
        await page.evaluate("() => document.querySelectorAll('[data-nianbao-next]')"
                            ".forEach(el => el.removeAttribute('data-nianbao-next'))")
        snapshots.append(await page.content())
    return snapshots


async def confine_to_origin(page, request) -> None:
    """A page the browser renders for a list may load what its own portal serves, nothing else."""
    origin = request.url.split("/", 3)[:3]

    async def route(r) -> None:
        if r.request.url.split("/", 3)[:3] == origin or r.request.url.startswith(("data:", "blob:")):
            await r.continue_()
        else:
            await r.abort()

    await page.route("**/*", route)
