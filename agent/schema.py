"""What the model (and the offline planner) is told about ``logs``: columns, their meaning and
allowed values, read from the database's own catalog and comments, and what is in the data
right now — services, environments, error types, endpoints, versions, metadata keys with
example values, the time range. Nothing here names a service or an error: it is all read.

Profiling scans the table, so the result is cached for ``ttl_s`` and refreshed in the
background while the old one is served: only the very first question waits for it.

A question is never planned against a profile that cannot know what it asks about
(``SchemaCatalog.for_question``): before planning, the profile is refreshed when

- the question names something the profile lacks (a word that looks like a name — a service,
  an error type, a path: ``payment-api``, ``DatabaseConnectionTimeout``, ``/api/v1/x``) and rows
  arrived since the profile (or the profile is older than ``MISS_MAX_AGE_S``, for logs that
  arrive with old timestamps); or
- the table grew since the profile: it was empty and is not, or more than ``GROWTH`` of its rows
  are newer than the newest row profiled (logs sent to a freshly started loglens).

"Arrived since" is one bounded count of the rows newer than the profile's newest (the BRIN index
on ``created_at`` and the daily partitions keep it to the new rows). Such refreshes are
rate-limited — at most one per ``MIN_REFRESH_INTERVAL_S``, and never more often than ten times
the last profile's duration, so that they cost the database at most a tenth of its time — and
a question waits at most ``REFRESH_WAIT_S`` for one, then is planned with what there is (the
refresh goes on and serves the next question).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import math
import re
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from loglens import logs_table
from loglens.agent.database import ReadOnlyDatabase, json_value
from loglens.errors import LoglensError

log = logging.getLogger(__name__)

# Columns whose distinct values are worth knowing (low to medium cardinality), in the order the
# model is told about them.
PROFILED_COLUMNS = logs_table.names(
    "service",
    "environment",
    "log_type",
    "level",
    "error_type",
    "path",
    "service_version",
    "method",
    "action_type",
)
MAX_VALUES = 60
METADATA_SAMPLE_ROWS = 20_000
MAX_METADATA_KEYS = 60
MAX_EXAMPLES = 25

# Refreshing the profile for a question (see the module's docstring).
GROWTH = 0.10
MISS_MAX_AGE_S = 15.0
MIN_REFRESH_INTERVAL_S = 2.0
REFRESH_COST_FACTOR = 10.0
REFRESH_WAIT_S = 5.0

# Words written like names: ASCII runs with a hyphen, underscore, dot or slash inside, a path, or
# CamelCase. Ids, IPs and numbers are left out: the profile does not list them.
_TOKEN = re.compile(r"[A-Za-z0-9_./:-]+")
_NAME_LIKE = re.compile(r"^/?[A-Za-z0-9]+(?:[-_./][A-Za-z0-9]+)+/?$|^[A-Za-z][a-z0-9]*[A-Z][A-Za-z0-9]*$")
_NOT_A_NAME = re.compile(
    r"^(?:[0-9a-f]{12,}|[0-9a-f-]{32,36}|\d+(?:\.\d+){1,3}|[\d.:-]+|\d+[a-z]{1,3})$", re.IGNORECASE
)

CONVENTIONS = [
    "Rows with deleted = true are soft-deleted: always filter NOT deleted.",
    "\"Errors\" means level IN ('ERROR','FATAL'); a specific level means exactly that level.",
    "created_at is the event time (timestamptz, UTC); 'today' and 'yesterday' are UTC calendar days.",
    "Other attributes live in metadata (jsonb): read them with metadata->>'key', cast numbers with ::numeric.",
    "duration_ms is the request or operation duration in milliseconds.",
]


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    description: str
    values: list[str] | None = None  # enum labels


@dataclass(frozen=True)
class MetadataKey:
    key: str
    type: str  # jsonb type of its values: string, number, boolean, ...
    share: float  # fraction of sampled rows that have it
    examples: list[Any]


@dataclass
class Schema:
    table: str
    columns: list[Column]
    conventions: list[str]
    row_estimate: int = 0
    time_range: dict[str, str | None] = field(default_factory=dict)
    values: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # column -> [{value, count}]
    metadata_keys: list[MetadataKey] = field(default_factory=list)
    # service -> its versions, oldest first: [{value, count, first_seen, last_seen}] ("after the deploy")
    releases: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    profiled_at: float = 0.0

    def versions_of(self, service: str) -> list[str]:
        """The versions ``service`` logged, in the order they first appeared."""
        return [str(entry["value"]) for entry in self.releases.get(service, [])]

    def as_json(self) -> dict[str, Any]:
        document = asdict(self)
        document.pop("profiled_at")
        return document

    def distinct(self, column: str) -> list[str]:
        return [str(entry["value"]) for entry in self.values.get(column, [])]

    def describe(self) -> str:
        """A compact text for model instructions."""
        lines = [
            f"Table {self.table} (about {self.row_estimate:,} rows"
            + (f", {self.time_range.get('from')} to {self.time_range.get('to')}" if self.time_range else "")
            + "):"
        ]
        for column in self.columns:
            allowed = f" one of {', '.join(column.values)}" if column.values else ""
            lines.append(f"- {column.name} {column.type}{allowed}: {column.description}")
        for name, entries in self.values.items():
            if entries and name not in ("level",):
                shown = ", ".join(f"{entry['value']} ({entry['count']})" for entry in entries[:25])
                lines.append(f"Values of {name} (count): {shown}")
        if self.metadata_keys:
            lines.append("metadata keys (type, share of rows, examples):")
            lines += [
                f"- {key.key} ({key.type}, {key.share:.0%}): {', '.join(map(str, key.examples[:6]))}"
                for key in self.metadata_keys
            ]
        lines.append("Conventions:")
        lines += [f"- {rule}" for rule in self.conventions]
        return "\n".join(lines)


def names_in(question: str) -> list[str]:
    """The words of ``question`` written like names of things in logs, in order, each once."""
    found: list[str] = []
    for match in _TOKEN.finditer(question):
        word = match.group(0).strip(".:-")
        if len(word) >= 3 and _NAME_LIKE.match(word) and not _NOT_A_NAME.match(word) and word not in found:
            found.append(word)
    return found


def missing_names(schema: Schema, question: str) -> list[str]:
    """The names ``question`` gives that no profiled value (nor metadata key or example) has."""
    names = names_in(question)
    if not names:
        return []
    known = [str(entry["value"]).lower() for entries in schema.values.values() for entry in entries]
    for key in schema.metadata_keys:
        known.append(key.key.lower())
        known += [str(example).lower() for example in key.examples]
    return [name for name in names if not any(name.lower() in value for value in known)]


class SchemaCatalog:
    def __init__(
        self,
        database: ReadOnlyDatabase,
        ttl_s: float = 120.0,
        *,
        min_refresh_interval_s: float = MIN_REFRESH_INTERVAL_S,
        refresh_wait_s: float = REFRESH_WAIT_S,
    ) -> None:
        self._database = database
        self._ttl_s = ttl_s
        self._min_refresh_interval_s = min_refresh_interval_s
        self._refresh_wait_s = refresh_wait_s
        self._schema: Schema | None = None
        self._refreshing: asyncio.Task[Schema] | None = None
        self._profile_cost_s = 0.0
        self._asked_at = -math.inf  # when a question last started a refresh
        self.profiles = 0  # how many profiles were taken (for tests and the log)

    async def for_question(self, question: str) -> Schema:
        """The profile to plan ``question`` with: the cached one, unless the question names what it
        lacks or the table outgrew it (then refreshed first, within ``refresh_wait_s``)."""
        schema = await self.get()
        now = time.monotonic()
        if now - self._asked_at < max(self._min_refresh_interval_s, REFRESH_COST_FACTOR * self._profile_cost_s):
            return schema
        try:
            reason = await self._stale_for(schema, question)
        except (LoglensError, OSError) as error:  # the answer will meet the same problem and report it
            log.warning("could not check whether the profile is current: %s", error)
            return schema
        if reason is None:
            return schema
        log.info("refreshing the profile of the logs before planning: %s", reason)
        self._asked_at = now
        if self._refreshing is None:
            self._start_refresh()
        assert self._refreshing is not None
        try:
            return await asyncio.wait_for(asyncio.shield(self._refreshing), self._refresh_wait_s)
        except TimeoutError:
            log.info("the profile is still being refreshed; planning with the last one")
        except (LoglensError, OSError) as error:
            log.warning("could not refresh the profile of the logs table: %s", error)
        return self._schema or schema

    async def _stale_for(self, schema: Schema, question: str) -> str | None:
        missing = missing_names(schema, question)
        profiled_rows = schema.row_estimate if schema.time_range.get("to") else 0
        threshold = max(1, math.ceil(GROWTH * profiled_rows))
        newer = await self._rows_newer_than(schema, 1 if missing else threshold)
        if missing and (newer > 0 or time.monotonic() - schema.profiled_at > MISS_MAX_AGE_S):
            return f"the question names {', '.join(missing)}, which the profile does not have"
        if newer >= threshold:
            return f"at least {newer} rows arrived since the profile of {schema.row_estimate} rows"
        return None

    async def _rows_newer_than(self, schema: Schema, limit: int) -> int:
        """How many rows are newer than the newest the profile saw, counting up to ``limit``."""
        newest = schema.time_range.get("to")
        since = dt.datetime.fromisoformat(newest) if newest else dt.datetime.min.replace(tzinfo=dt.UTC)
        records = await self._database.fetch_trusted(
            "SELECT count(*) AS n FROM "
            "(SELECT 1 FROM logs WHERE NOT deleted AND created_at > $1 LIMIT $2) AS newer",
            since,
            limit,
        )
        return int(records[0]["n"])

    async def get(self) -> Schema:
        schema = self._schema
        if schema is None:
            if self._refreshing is None:
                self._start_refresh()
            assert self._refreshing is not None
            return await asyncio.shield(self._refreshing)
        if time.monotonic() - schema.profiled_at > self._ttl_s and self._refreshing is None:
            self._start_refresh()
        return schema

    def _start_refresh(self) -> None:
        self._refreshing = asyncio.create_task(self._refresh())
        # a refresh nobody waits for any more (the agent stopping) must not fail unheard
        self._refreshing.add_done_callback(_log_failure)

    @property
    def cached(self) -> Schema | None:
        """The last profile, without waiting (the offline planner runs inside a model call)."""
        return self._schema

    def forget(self) -> None:
        self._schema = None

    async def close(self) -> None:
        """Stop a profile still running: the connections it reads through are about to close."""
        refreshing = self._refreshing
        if refreshing is not None and not refreshing.done():
            refreshing.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await refreshing

    async def _refresh(self) -> Schema:
        started = time.monotonic()
        try:
            schema = await self._profile()
            self._schema = schema
            self.profiles += 1
            return schema
        finally:
            self._profile_cost_s = time.monotonic() - started
            self._refreshing = None

    async def _profile(self) -> Schema:
        started = time.perf_counter()
        schema = Schema(table=logs_table.TABLE, columns=await self._columns(), conventions=CONVENTIONS)
        schema.row_estimate = await self._row_estimate()
        schema.time_range, schema.values, schema.releases = await self._values()
        schema.metadata_keys = await self._metadata_keys(schema.row_estimate)
        schema.profiled_at = time.monotonic()
        log.info("profiled logs in %.0f ms", (time.perf_counter() - started) * 1000)
        return schema

    async def _columns(self) -> list[Column]:
        records = await self._database.fetch_trusted(
            """SELECT a.attname AS name, format_type(a.atttypid, a.atttypmod) AS type,
                      coalesce(col_description(a.attrelid, a.attnum), '') AS description,
                      (SELECT array_agg(e.enumlabel ORDER BY e.enumsortorder) FROM pg_enum e
                        WHERE e.enumtypid = a.atttypid) AS enum_values
                 FROM pg_attribute a
                WHERE a.attrelid = 'logs'::regclass AND a.attnum > 0 AND NOT a.attisdropped
                ORDER BY a.attnum"""
        )
        return [
            Column(r["name"], r["type"], r["description"], list(r["enum_values"]) if r["enum_values"] else None)
            for r in records
        ]

    async def _row_estimate(self) -> int:
        records = await self._database.fetch_trusted(
            "SELECT coalesce(sum(greatest(c.reltuples, 0)), 0)::bigint AS n FROM pg_inherits i "
            "JOIN pg_class c ON c.oid = i.inhrelid WHERE i.inhparent = 'logs'::regclass"
        )
        estimate = int(records[0]["n"])
        if estimate == 0:  # never analyzed: count, it is small or new
            estimate = int((await self._database.fetch_trusted("SELECT count(*) AS n FROM logs"))[0]["n"])
        return estimate

    async def _values(
        self,
    ) -> tuple[dict[str, str | None], dict[str, list[dict[str, Any]]], dict[str, list[dict[str, Any]]]]:
        # every profiled column alone, and each service's versions (when did each appear: the deploys)
        sets = ", ".join(f"({column})" for column in PROFILED_COLUMNS) + ", (service, service_version)"
        selected = ", ".join(f"{column}::text AS {column}" for column in PROFILED_COLUMNS)
        grouping = ", ".join(f"GROUPING({column}) AS g_{column}" for column in PROFILED_COLUMNS)
        records = await self._database.fetch_trusted(
            f"SELECT {selected}, {grouping}, count(*) AS n, min(created_at) AS first, max(created_at) AS last, "
            "min(left(message, 160)) AS sample "
            f"FROM logs WHERE NOT deleted GROUP BY GROUPING SETS ({sets}, ())"
        )
        values: dict[str, list[dict[str, Any]]] = {column: [] for column in PROFILED_COLUMNS}
        releases: dict[str, list[dict[str, Any]]] = {}
        time_range: dict[str, str | None] = {}
        for record in records:
            grouped = [column for column in PROFILED_COLUMNS if record[f"g_{column}"] == 0]
            if not grouped:
                time_range = {"from": json_value(record["first"]), "to": json_value(record["last"])}
                continue
            if len(grouped) == 2:
                if record["service"] is not None and record["service_version"] is not None:
                    releases.setdefault(record["service"], []).append(
                        {
                            "value": record["service_version"],
                            "count": record["n"],
                            "first_seen": json_value(record["first"]),
                            "last_seen": json_value(record["last"]),
                        }
                    )
                continue
            column = grouped[0]
            if record[column] is not None:
                values[column].append(
                    {"value": record[column], "count": record["n"], "last_seen": json_value(record["last"])}
                )
        for entries in values.values():
            entries.sort(key=lambda entry: -entry["count"])
            del entries[MAX_VALUES:]
        for versions in releases.values():
            versions.sort(key=lambda entry: entry["first_seen"])
            del versions[:-MAX_VALUES]
        return time_range, values, releases

    async def _metadata_keys(self, row_estimate: int) -> list[MetadataKey]:
        percent = min(100.0, max(0.01, 100.0 * METADATA_SAMPLE_ROWS / max(row_estimate, 1)))
        records = await self._database.fetch_trusted(
            f"""WITH sample AS (SELECT metadata FROM logs TABLESAMPLE SYSTEM ({percent:.4f})
                                 WHERE metadata IS NOT NULL LIMIT {METADATA_SAMPLE_ROWS}),
                     total AS (SELECT count(*) AS n FROM sample)
                SELECT e.key, jsonb_typeof(e.value) AS type, count(*)::float / (SELECT n FROM total) AS share,
                       (array_agg(DISTINCT e.value #>> '{{}}'))[1:{MAX_EXAMPLES}] AS examples
                  FROM sample, jsonb_each(sample.metadata) AS e
                 WHERE jsonb_typeof(e.value) IN ('string', 'number', 'boolean')
                 GROUP BY e.key, jsonb_typeof(e.value)
                 ORDER BY count(*) DESC
                 LIMIT {MAX_METADATA_KEYS}"""
        )
        return [
            MetadataKey(r["key"], r["type"], round(float(r["share"]), 3), list(r["examples"] or []))
            for r in records
        ]


def _log_failure(task: asyncio.Task[Schema]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("could not refresh the profile of the logs table: %s", task.exception())
