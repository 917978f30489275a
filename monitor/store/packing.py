"""Large text columns kept compressed: a version's text, its parsed tables and its prose.

They are most of a report's bytes in the database (the tables' JSON alone ~25 KB a report) and are
read only when a report page is drawn or two reports are compared, so they are stored as zlib
blobs and unpacked by the store's named queries. Rows written before compression (plain text)
read as they are; migration 013 packs them.
"""

from __future__ import annotations

import json
import zlib
from typing import Any

PACKED_COLUMNS = ("text", "tables", "prose")
LEVEL = 6  # zlib's default: level 9 costs the crawl twice the CPU for ~5 % fewer bytes


def pack(value: str | None) -> bytes | None:
    return None if value is None else zlib.compress(value.encode("utf-8"), LEVEL)


def unpack(value: bytes | str | None) -> str | None:
    if isinstance(value, bytes):
        return zlib.decompress(value).decode("utf-8")
    return value


def pack_json(value: Any) -> bytes:
    """JSON as compact as it reads (no spaces, CJK as itself), then compressed."""
    return zlib.compress(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"), LEVEL)
