"""Named queries for the judge's change feed (``monitor.judge.feed``) and for a publisher that
redoes only what changed since it last published (``monitor.publish.site``)."""

from __future__ import annotations

import json
import secrets
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import sqlite_utils

KEEP_CYCLES = 100  # cycles whose changes are kept (~3 months of daily cycles): a site further behind starts over
ChangeKey = tuple[str | None, str | None, int | None, int | None]  # (jurisdiction, agency, year, report id)


class FeedQueries:
    db: sqlite_utils.Database

    def judge_cycle(self) -> tuple[int, str] | None:
        """The latest judging cycle and its token; None before the first judgement."""
        row = self.db.execute("select cycle, token from judge_cycles order by cycle desc limit 1").fetchone()
        return (row[0], row[1]) if row else None

    def judged_row_digests(self) -> dict[str, bytes]:
        """Each status row's digest as last judged, by its key."""
        return dict(self.db.execute("select key, digest from judged_rows"))

    def record_judge_cycle(self, upserts: dict[str, bytes], removed: Iterable[str], changes: set[ChangeKey]
                           ) -> tuple[str, int]:
        """Store a judgement's row digests and what it changed, as the next cycle; call inside the
        judgement's transaction. The first judgement has nothing to compare with: its changes are
        not logged, and no publisher's mark reaches past it. Returns (token, cycle)."""
        latest = self.judge_cycle()
        cycle, token = (latest[0] if latest else 0) + 1, secrets.token_hex(8)
        self.db.execute("insert into judge_cycles (cycle, token, logged) values (?, ?, ?)",
                        [cycle, token, int(latest is not None)])
        self.db.execute("delete from judged_rows where key in (select value from json_each(?))",
                        [_json_list(removed)])
        self.db.conn.executemany("insert or replace into judged_rows (key, digest) values (?, ?)", upserts.items())
        if latest is not None:
            self.db.conn.executemany(
                "insert into judge_changes (cycle, jurisdiction, agency, year, report_id) values (?, ?, ?, ?, ?)",
                ((cycle, *change) for change in changes))
        for table in ("judge_changes", "judge_cycles"):
            self.db.execute(f"delete from {table} where cycle <= ?", [cycle - KEEP_CYCLES])
        return token, cycle

    def judge_changes_since(self, cycle: int, token: str) -> list[ChangeKey] | None:
        """What the judgements after ``cycle`` (whose token must be ``token``) changed, each key
        once; None when that is not known: the cycle is not this store's (another store, one
        restored from a copy, or pruned), or a later cycle's changes were not logged."""
        if self.db.execute("select 1 from judge_cycles where cycle = ? and token = ?", [cycle, token]).fetchone() \
                is None:
            return None
        later, logged = self.db.execute("select count(*), coalesce(sum(logged), 0) from judge_cycles where cycle > ?",
                                        [cycle]).fetchone()
        if later != logged:
            return None
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
        that crawl did not see, or that no crawl covers (the latter with None): the reports whose
        page is not "online" by the site's rule (``monitor.publish.site._seen``; the same crawls as
        :meth:`Store.latest_crawls`), found in SQL rather than by a pass over every report."""
        return list(self.db.execute(
            "with latest as (select portal_id, max(started_at) as crawled from crawl_runs "
            "where status in ('finished', 'incomplete') and portal_id is not null group by portal_id) "
            "select r.id, r.last_seen, l.crawled from reports r left join latest l on l.portal_id = r.portal_id "
            "where l.crawled is null or r.last_seen < l.crawled order by r.id"))


def _json_list(items: Iterable[Any]) -> str:
    return json.dumps(list(items), ensure_ascii=False)


__all__ = ["KEEP_CYCLES", "ChangeKey", "FeedQueries"]
