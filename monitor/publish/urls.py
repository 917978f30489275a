"""Paths of the static site's pages: one place, so digests, the site and tests agree.

Paths are stable across builds: a report page is named by the report's database id, a
jurisdiction page by its name (percent-encoded in links).
"""

from __future__ import annotations

import hashlib
import re
from urllib.parse import quote


def report_path(report_id: int) -> str:
    return f"reports/{report_id}.html"


def jurisdiction_path(name: str) -> str:
    """A jurisdiction's page, named after it; a name with characters unfit for a file name
    (crawled text can hold anything) gets them replaced and a short hash to stay unique."""
    safe = re.sub(r"[^\w\u4e00-\u9fff-]", "_", name)[:60] or "_"
    if safe != name:
        safe += "-" + hashlib.sha1(name.encode()).hexdigest()[:8]
    return f"jurisdictions/{safe}.html"


def link(base_url: str | None, path: str) -> str:
    """An absolute link to a site page (or the bare path when no base URL is configured)."""
    encoded = quote(path)
    if not base_url:
        return encoded
    return base_url.rstrip("/") + "/" + encoded
