"""What a site build knew, kept beside its pages so the next build can start from it.

``manifest.json`` says which inputs each page was drawn from; this file says where those inputs
stood: the judgement (the store's feed token and cycle), each report's revision stamp, the reports
their portal's latest crawl did not see, and each jurisdiction's summary digest. With it, a
rebuild reads what moved since (the judge's change feed, stamps that differ, crawls that moved)
and passes over those reports and jurisdictions only; without it, or when anything in it does not
fit, the rebuild digests every page's inputs as a first build does. It is written and removed with
the manifest, so the two always describe the same site.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

STATE = "build-state.json"
FORMAT = 2


@dataclass
class BuildState:
    key: str  # the digest key the pages were drawn with (templates and drawing code)
    year: int | None  # the year the overview defaulted to, as asked
    feed: tuple[str, int] | None  # (token, cycle) of the judgement the site was built from
    ids: np.ndarray  # every report's id, ascending
    revs: np.ndarray  # and its revision stamp
    unseen: dict[int, dict[str, Any]]  # what the pages of reports not seen by their portal's latest crawl say
    jurisdictions: dict[str, dict[str, str]]  # each jurisdiction's summary digests (hex), by page kind

    def write(self, folder: Path) -> None:
        data = {"format": FORMAT, "key": self.key, "year": self.year, "feed": self.feed,
                "ids": _pack(self.ids), "revs": _pack(self.revs),
                "unseen": {str(rid): seen for rid, seen in sorted(self.unseen.items())},
                "jurisdictions": self.jurisdictions}
        (folder / STATE).write_text(json.dumps(data, ensure_ascii=False, sort_keys=True), encoding="utf-8")

    @classmethod
    def read(cls, folder: Path) -> BuildState | None:
        """The state a live site was built with; None when there is none that this code can use."""
        try:
            data = json.loads((folder / STATE).read_text(encoding="utf-8"))
            if data.get("format") != FORMAT:
                return None
            feed = data["feed"]
            ids, revs = _unpack(data["ids"]), _unpack(data["revs"])
            if len(ids) != len(revs) or (len(ids) > 1 and not bool(np.all(ids[1:] > ids[:-1]))):
                return None
            return cls(str(data["key"]), data["year"], (str(feed[0]), int(feed[1])) if feed else None, ids, revs,
                       {int(rid): dict(seen) for rid, seen in data["unseen"].items()},
                       {str(name): {str(part): str(d) for part, d in parts.items()}
                        for name, parts in data["jurisdictions"].items()})
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return None


def _pack(values: np.ndarray) -> str:
    return base64.b64encode(np.ascontiguousarray(values, dtype="<i8").tobytes()).decode("ascii")


def _unpack(text: str) -> np.ndarray:
    return np.frombuffer(base64.b64decode(text, validate=True), dtype="<i8").astype(np.int64)
