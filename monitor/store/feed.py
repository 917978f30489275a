"""Named queries for the judge's change feed (``monitor.judge.feed``) and for a publisher that
redoes only what changed since it last published (``monitor.publish.site``)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils

FEED_TOKEN, FEED_CYCLE, FEED_FROM = "judge_feed", "judge_cycle", "judge_feed_from"
KEEP_CYCLES = 400  # cycles whose changes are kept: a publisher further behind starts over
ChangeKey = tuple[str | None, str | None, int | None, int | None]  # (jurisdiction, agency, year, report id)


class FeedQueries:
    db: sqlite_utils.Database

    def judge_feed(self) -> tuple[str, int, int] | None:
        """(token, latest cycle, first cycle whose changes are all logged), or None before the
        first judgement. The token is this store's own: a publisher's mark from another store (or
        one restored from a copy made before) does not match."""
        values = dict(self.db.execute("select key, value from settings where key in (?, ?, ?)",
                                      [FEED_TOKEN, FEED_CYCLE, FEED_FROM]))
        token, cycle, first = values.get(FEED_TOKEN), values.get(FEED_CYCLE), values.get(FEED_FROM)
        if token is None or cycle is None or first is None:
            return None
        return token, int(cycle), int(first)

    def judged_row_digests(self) -> dict[str, bytes]:
        """Each status row's digest as last judged, by its key."""
        return dict(self.db.execute("select key, digest from judged_rows"))

    def record_judge_cycle(self, upserts: dict[str, bytes], removed: Iterable[str], changes: set[ChangeKey],
                           baseline: bool) -> tuple[str, int]:
        """Store a judgement's row digests and what it changed, as the next cycle; call inside the
        judgement's transaction. Without a ``baseline`` (the first judgement, or one after the
        digests were lost) the changes are unknown: publishers built before it start over.
        Returns (token, cycle)."""
        feed = self.judge_feed()
        token = feed[0] if feed else secrets.token_hex(8)
        cycle = (feed[1] if feed else 0) + 1
        first = feed[2] if feed and baseline else cycle + 1
        first = max(first, cycle - KEEP_CYCLES + 1)
        self.db.execute("delete from judged_rows where key in (select value from json_each(?))",
                        [_json_list(removed)])
        self.db.conn.executemany("insert or replace into judged_rows (key, digest) values (?, ?)", upserts.items())
        if baseline:
            self.db.conn.executemany(
                "insert into judge_changes (cycle, jurisdiction, agency, year, report_id) values (?, ?, ?, ?, ?)",
                ((cycle, *change) for change in changes))
        self.db.execute("delete from judge_changes where cycle < ?", [first])
        self.db.conn.executemany(
            "insert into settings (key, value, updated_at) values (?, ?, strftime('%Y-%m-%dT%H:%M:%S+00:00', 'now')) "
            "on conflict (key) do update set value = excluded.value, updated_at = excluded.updated_at",
            [(FEED_TOKEN, token), (FEED_CYCLE, str(cycle)), (FEED_FROM, str(first))])
        return token, cycle

    def judge_changes_since(self, cycle: int) -> list[ChangeKey]:
        """What the judgements after ``cycle`` changed (each key once)."""
        return list(self.db.execute("select distinct jurisdiction, agency, year, report_id from judge_changes "
                                    "where cycle > ?", [cycle]))

    # ------------------------------------------------------------------ for a publisher

    def report_revs(self) -> Iterator[tuple[int, int]]:
        """(id, revision stamp) of every report, by id."""
        return self.db.execute("select id, rev from reports order by id")

    def report_ids_of(self, keys: Iterable[tuple[str, str, int]]) -> list[int]:
        """The reports filed under these (jurisdiction, agency, year) keys (one at most each)."""
        return [row[0] for row in self.db.execute(
            "select r.id from json_each(?) k join reports r on r.jurisdiction = json_extract(k.value, '$[0]') "
            "and r.agency = json_extract(k.value, '$[1]') and r.year = json_extract(k.value, '$[2]')",
            [_json_list(list(k) for k in keys)])]

    def report_keys(self, ids: list[int]) -> list[tuple[str, str, int]]:
        """The (jurisdiction, agency, year) of these reports."""
        return [tuple(row) for row in self.db.execute(
            "select jurisdiction, agency, year from reports where id in (select value from json_each(?))",
            [json.dumps(ids)])]

    def unseen_reports(self) -> list[tuple[int, str, str | None]]:
        """(id, last seen, start of its portal's latest crawl that went through) of every report
        that crawl did not see, or that no crawl covers (the latter with None)."""
        return list(self.db.execute(
            "with latest as (select portal_id, max(started_at) as crawled from crawl_runs "
            "where status in ('finished', 'incomplete') and portal_id is not null group by portal_id) "
            "select r.id, r.last_seen, l.crawled from reports r left join latest l on l.portal_id = r.portal_id "
            "where l.crawled is null or r.last_seen < l.crawled order by r.id"))


def _json_list(items: Iterable[Any]) -> str:
    return json.dumps(list(items), ensure_ascii=False)


__all__ = ["KEEP_CYCLES", "ChangeKey", "FeedQueries"]
