"""Live tail: new logs matching a filter, polled every half second, sent in batches.

A row is new when it is past the cursor, the (created_at, id) of the newest row seen. Rows do
not always commit in that order: the collector's writers commit batches concurrently, and
an application's clock or exporter may hand loglens a record a little after its timestamp.
So each poll also lists the ids of the last ``LOOKBACK`` seconds (ids only, a few bytes
each) and fetches the ones not seen yet. A record that arrives more than ``LOOKBACK`` after
its own timestamp (a Fluentd chunk held in a buffer for a minute, say) is stored and shown by
the explorer, but not in the tail.

Backpressure: a poll sends at most ``BATCH_CAP`` rows, and the next poll starts only when
the client has taken the batch (the socket's send waits for its buffer to drain). A client
that falls behind, or a burst of thousands of rows in half a second, gets the newest
``BATCH_CAP`` rows and the number of those skipped, never an ever-growing backlog.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from loglens.agent.database import ReadOnlyDatabase
from loglens.agent.explore import LIST_COLUMNS, LogFilter, Params, row_json

POLL_S = 0.5
BATCH_CAP = 1000
LOOKBACK = dt.timedelta(seconds=5)
BACKFILL_ROWS = 50
BACKFILL_WINDOW = dt.timedelta(hours=1)
MAX_ID = 2**63 - 1


@dataclass
class Batch:
    items: list[dict[str, Any]]
    skipped: int = 0


@dataclass
class Tail:
    database: ReadOnlyDatabase
    where: LogFilter
    cursor: tuple[dt.datetime, int] = (dt.datetime.min.replace(tzinfo=dt.UTC), 0)
    seen: dict[int, dt.datetime] = field(default_factory=dict)  # ids at or after the lookback floor

    async def start(self) -> Batch:
        """The newest ``BACKFILL_ROWS`` rows of the last hour; the tail continues from now."""
        now = dt.datetime.now(dt.UTC)
        params = Params()
        conditions = self.where.conditions(params, timed=False)
        records = await self.database.fetch_trusted(
            f"SELECT {LIST_COLUMNS} FROM logs WHERE {conditions} "
            f"AND created_at >= {params.add(now - BACKFILL_WINDOW)} AND created_at <= {params.add(now)} "
            f"ORDER BY created_at DESC, id DESC LIMIT {BACKFILL_ROWS}",
            *params.values,
        )
        self.cursor = (now, MAX_ID)
        # Rows of the lookback window count as seen: a late one is one that commits after now.
        for row_id, created_at in await self._ids_in_window(now - LOOKBACK):
            self.seen[row_id] = created_at
        return Batch([row_json(record) for record in reversed(records)])

    async def poll(self) -> Batch:
        now = dt.datetime.now(dt.UTC)
        floor = min(self.cursor[0], now) - LOOKBACK
        fresh, skipped = await self._past_cursor()
        late = await self._late(floor)
        rows = sorted(late + fresh, key=lambda record: (record["created_at"], record["id"]))
        rows = [record for record in rows if record["id"] not in self.seen]
        for record in rows:
            self.seen[record["id"]] = record["created_at"]
        if fresh:
            newest = max((record["created_at"], record["id"]) for record in fresh)
            # A row from a clock running ahead must not carry the cursor into the future:
            # rows stamped before it would all look late.
            self.cursor = min(newest, (now, MAX_ID))
        self.seen = {row_id: created_at for row_id, created_at in self.seen.items() if created_at >= floor}
        return Batch([row_json(record) for record in rows], skipped)

    async def _past_cursor(self) -> tuple[list[Any], int]:
        params = Params()
        since, last_id = params.add(self.cursor[0]), params.add(self.cursor[1])
        conditions = (
            f"{self.where.conditions(params, timed=False)} AND created_at >= {since} "
            f"AND (created_at, id) > ({since}::timestamptz, {last_id}::bigint)"
        )
        records = list(
            await self.database.fetch_trusted(
                f"SELECT {LIST_COLUMNS} FROM logs WHERE {conditions} "
                f"ORDER BY created_at DESC, id DESC LIMIT {BATCH_CAP + 1}",
                *params.values,
            )
        )
        if len(records) <= BATCH_CAP:
            return records, 0
        oldest = records[BATCH_CAP - 1]
        before = f"({params.add(oldest['created_at'])}::timestamptz, {params.add(oldest['id'])}::bigint)"
        counted = await self.database.fetch_trusted(
            f"SELECT count(*) AS n FROM logs WHERE {conditions} AND (created_at, id) < {before}",
            *params.values,
        )
        return records[:BATCH_CAP], int(counted[0]["n"])

    async def _ids_in_window(self, floor: dt.datetime) -> list[tuple[int, dt.datetime]]:
        params = Params()
        conditions = self.where.conditions(params, timed=False)
        cursor = f"({params.add(self.cursor[0])}::timestamptz, {params.add(self.cursor[1])}::bigint)"
        records = await self.database.fetch_trusted(
            f"SELECT id, created_at FROM logs WHERE {conditions} "
            f"AND created_at >= {params.add(floor)} AND (created_at, id) <= {cursor}",
            *params.values,
        )
        return [(record["id"], record["created_at"]) for record in records]

    async def _late(self, floor: dt.datetime) -> list[Any]:
        """Rows at or before the cursor, within the lookback, that committed after it passed them."""
        unseen = [row_id for row_id, _ in await self._ids_in_window(floor) if row_id not in self.seen]
        if not unseen:
            return []
        return list(
            await self.database.fetch_trusted(
                f"SELECT {LIST_COLUMNS} FROM logs "
                "WHERE created_at >= $1 AND id = ANY($2::bigint[]) AND NOT deleted",
                floor,
                unseen[:BATCH_CAP],
            )
        )
