"""What the web client's explorer reads: filtered log pages, volume histograms, facet counts.

Every query here is one of a few fixed texts with ``$n`` placeholders: values from a request
are validated (levels and environments against the enums, lengths, times) and passed as
parameters, never spliced into SQL. Everything runs through ``ReadOnlyDatabase``: as
``loglens_reader``, read-only, with the agent's statement timeout.

    GET /logs           a page of logs, newest first; ``cursor`` continues after the last row
    GET /logs/{id}      one log in full (``?at=<created_at>`` finds its day partition)
    GET /stats/volume   counts per time bucket, by level, for the range
    GET /stats/facets   counts per level, service and environment

Filters, all optional: ``from`` and ``to`` (ISO-8601; the last 24 hours by default), ``level``,
``service``, ``environment`` (repeated, or comma-separated), ``q`` (text in the message, case
insensitive), ``trace_id``, ``user_id``. A facet's counts ignore its own filter, so that the
other values of a facet stay visible (and selectable) while one is chosen.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import asyncpg
from multidict import MultiDict, MultiMapping

from loglens import logs_table
from loglens.agent.database import ReadOnlyDatabase, json_value
from loglens.logs_table import ENVIRONMENTS, LEVELS, MAX_CHARS

DEFAULT_RANGE = dt.timedelta(hours=24)
MAX_RANGE = dt.timedelta(days=400)
MAX_VALUES = 50  # per filter
MAX_TEXT = 500
DEFAULT_PAGE = 100
MAX_PAGE = 500
MESSAGE_CHARS = 2000  # a list row's message is cut here; GET /logs/{id} has the rest
MAX_SERVICES_LISTED = 50
TARGET_BUCKETS = 60
BUCKET_STEPS_S = (
    1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800
)  # fmt: skip
BUCKET_ORIGIN = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)  # a Monday, so that week buckets start on Mondays


def _selected(name: str) -> str:
    if name == "message":
        return "{message}"  # LIST_COLUMNS cuts it, FULL_COLUMNS does not; both add its length
    return f"{name}::text AS {name}" if logs_table.COLUMN[name].labels else name


# Every column but deleted (every row shown has deleted = false), enums as their labels' text.
COLUMNS = ", ".join(_selected(name) for name in logs_table.LISTING_ORDER if name != "deleted")
LIST_COLUMNS = COLUMNS.format(
    message=f"left(message, {MESSAGE_CHARS}) AS message, char_length(message) AS message_length"
)
FULL_COLUMNS = COLUMNS.format(message="message, char_length(message) AS message_length")


class BadRequestError(ValueError):
    """A parameter the explorer cannot use; the message says which and why."""


@dataclass(frozen=True)
class LogFilter:
    start: dt.datetime
    end: dt.datetime
    levels: tuple[str, ...] = ()
    services: tuple[str, ...] = ()
    environments: tuple[str, ...] = ()
    text: str | None = None
    trace_id: str | None = None
    user_id: str | None = None

    def conditions(self, params: Params, *, without: str | None = None, timed: bool = True) -> str:
        """The WHERE clause; ``without`` leaves one facet's own filter out."""
        parts = ["NOT deleted"]
        if timed:
            parts.append(f"created_at >= {params.add(self.start)} AND created_at < {params.add(self.end)}")
        parts += self.value_conditions(params, without=without)
        return " AND ".join(parts)

    def value_conditions(self, params: Params, *, without: str | None = None) -> list[str]:
        parts = []
        if self.levels and without != "level":
            parts.append(f"level = ANY({params.add(list(self.levels))}::text[]::log_level[])")
        if self.services and without != "service":
            parts.append(f"service = ANY({params.add(list(self.services))}::text[])")
        if self.environments and without != "environment":
            parts.append(f"environment = ANY({params.add(list(self.environments))}::text[]::environment[])")
        if self.text:
            parts.append(f"message ILIKE {params.add('%' + escape_like(self.text) + '%')} ESCAPE '\\'")
        if self.trace_id:
            parts.append(f"trace_id = {params.add(self.trace_id)}")
        if self.user_id:
            parts.append(f"user_id = {params.add(self.user_id)}")
        return parts


@dataclass
class Params:
    """Positional parameters, numbered as they are added."""

    values: list[Any] = field(default_factory=list)

    def add(self, value: Any) -> str:
        self.values.append(value)
        return f"${len(self.values)}"


def escape_like(text: str) -> str:
    r"""``text`` matched literally by LIKE/ILIKE with ``ESCAPE '\'``."""
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# --- parsing requests ---------------------------------------------------------------------------


def parse_filter(query: MultiMapping[str], now: dt.datetime | None = None) -> LogFilter:
    now = now or dt.datetime.now(dt.UTC)
    end = parse_time(query.get("to"), "to") or now
    start = parse_time(query.get("from"), "from") or end - DEFAULT_RANGE
    if start >= end:
        raise BadRequestError('"from" must be before "to"')
    if end - start > MAX_RANGE:
        raise BadRequestError(f"the time range can be at most {MAX_RANGE.days} days")
    return LogFilter(
        start=start,
        end=end,
        levels=_choices(query, "level", LEVELS, upper=True),
        services=_strings(query, "service", MAX_CHARS["service"]),
        environments=_choices(query, "environment", ENVIRONMENTS),
        text=_string(query, "q", MAX_TEXT),
        trace_id=_string(query, "trace_id", MAX_CHARS["trace_id"]),
        user_id=_string(query, "user_id", MAX_CHARS["user_id"]),
    )


def filter_from_json(document: Mapping[str, Any]) -> LogFilter:
    """The tail's filters, sent as JSON: the same names as the query string, lists for lists."""
    pairs: list[tuple[str, str]] = []
    for name in ("level", "service", "environment", "q", "trace_id", "user_id"):
        value = document.get(name)
        values = value if isinstance(value, list) else [] if value is None else [value]
        for item in values:
            if not isinstance(item, str):
                raise BadRequestError(f'"{name}" must be a string or a list of strings')
            pairs.append((name, item))
    now = dt.datetime.now(dt.UTC)
    return replace(parse_filter(MultiDict(pairs), now), start=now - DEFAULT_RANGE, end=now)


def parse_time(value: str | None, name: str) -> dt.datetime | None:
    if value is None or not value.strip():
        return None
    text = value.strip()
    try:
        # A "+" of an offset left unencoded in a query string arrives as a space.
        moment = dt.datetime.fromisoformat(text.replace(" ", "+") if "T" in text else text)
    except ValueError:
        raise BadRequestError(f'"{name}" must be an ISO-8601 time, like 2025-01-31T12:00:00Z') from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment


def _values(query: MultiMapping[str], name: str) -> list[str]:
    values = [part.strip() for raw in query.getall(name, []) for part in raw.split(",")]
    values = [value for value in values if value]
    if len(values) > MAX_VALUES:
        raise BadRequestError(f'at most {MAX_VALUES} values of "{name}"')
    return list(dict.fromkeys(values))


def _choices(query: MultiMapping[str], name: str, allowed: Sequence[str], upper: bool = False) -> tuple[str, ...]:
    values = [value.upper() if upper else value.lower() for value in _values(query, name)]
    unknown = [value for value in values if value not in allowed]
    if unknown:
        raise BadRequestError(f"unknown {name} {unknown[0]!r}; one of {', '.join(allowed)}")
    return tuple(values)


def _strings(query: MultiMapping[str], name: str, max_chars: int) -> tuple[str, ...]:
    values = _values(query, name)
    if any(len(value) > max_chars for value in values):
        raise BadRequestError(f'"{name}" values are at most {max_chars} characters')
    return tuple(values)


def _string(query: MultiMapping[str], name: str, max_chars: int) -> str | None:
    value = query.get(name)
    if value is None or not value.strip():
        return None
    if len(value) > max_chars:
        raise BadRequestError(f'"{name}" is at most {max_chars} characters')
    if "\x00" in value:
        raise BadRequestError(f'"{name}" cannot contain NUL characters')
    return value.strip() if name != "q" else value


def parse_limit(query: MultiMapping[str], default: int, maximum: int) -> int:
    try:
        limit = int(query.get("limit", default))
    except ValueError:
        raise BadRequestError('"limit" must be an integer') from None
    return max(1, min(limit, maximum))


# --- cursors: where a page ended -----------------------------------------------------------------


def encode_cursor(created_at: dt.datetime, row_id: int) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{row_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[dt.datetime, int]:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, row_id = text.split("|")
        created_at = dt.datetime.fromisoformat(moment)
        if created_at.tzinfo is None:
            raise ValueError
        return created_at, int(row_id)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadRequestError('"cursor" is not one this server gave') from None


# --- the queries -------------------------------------------------------------------------------


def row_json(record: asyncpg.Record) -> dict[str, Any]:
    return {key: json_value(value) for key, value in record.items()}


class Explorer:
    def __init__(self, database: ReadOnlyDatabase) -> None:
        self.database = database

    async def page(self, where: LogFilter, limit: int, cursor: str | None = None) -> dict[str, Any]:
        params = Params()
        sql = f"SELECT {LIST_COLUMNS} FROM logs WHERE {where.conditions(params)}"
        if cursor:
            created_at, row_id = decode_cursor(cursor)
            sql += f" AND (created_at, id) < ({params.add(created_at)}, {params.add(row_id)})"
        sql += f" ORDER BY created_at DESC, id DESC LIMIT {params.add(limit + 1)}"
        records = await self.database.fetch_trusted(sql, *params.values)
        more = len(records) > limit
        records = records[:limit]
        last = records[-1] if more else None
        return {
            "items": [row_json(record) for record in records],
            "next_cursor": encode_cursor(last["created_at"], last["id"]) if last is not None else None,
        }

    async def one(self, row_id: int, created_at: dt.datetime) -> dict[str, Any] | None:
        records = await self.database.fetch_trusted(
            f"SELECT {FULL_COLUMNS} FROM logs WHERE created_at = $1 AND id = $2 AND NOT deleted",
            created_at,
            row_id,
        )
        return row_json(records[0]) if records else None

    async def volume(self, where: LogFilter) -> dict[str, Any]:
        step = bucket_seconds(where.end - where.start)
        width = dt.timedelta(seconds=step)
        params = Params()
        bucket = f"date_bin({params.add(width)}::interval, created_at, {params.add(BUCKET_ORIGIN)}::timestamptz)"
        records = await self.database.fetch_trusted(
            f"SELECT {bucket} AS bucket, level::text AS level, count(*) AS n FROM logs "
            f"WHERE {where.conditions(params)} GROUP BY 1, 2",
            *params.values,
        )
        first = bin_start(where.start, step)
        count = int((where.end - first).total_seconds() // step) + 1
        buckets = [first + i * width for i in range(count)]
        if buckets and buckets[-1] >= where.end:
            buckets.pop()
        index = {moment: i for i, moment in enumerate(buckets)}
        series: dict[str, list[int]] = {}
        for record in records:
            position = index.get(record["bucket"])
            if position is None:
                continue
            series.setdefault(record["level"], [0] * len(buckets))[position] += int(record["n"])
        return {
            "from": where.start.isoformat(),
            "to": where.end.isoformat(),
            "bucket_seconds": step,
            "buckets": [moment.isoformat() for moment in buckets],
            "levels": {level: series[level] for level in LEVELS if level in series},
            "total": sum(sum(counts) for counts in series.values()),
        }

    async def facets(self, where: LogFilter) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for facet, limit in (("level", len(LEVELS)), ("service", MAX_SERVICES_LISTED), ("environment", 10)):
            params = Params()
            column = f"{facet}::text" if facet != "service" else "service"
            records = await self.database.fetch_trusted(
                f"SELECT {column} AS value, count(*) AS n FROM logs "
                f"WHERE {where.conditions(params, without=facet)} AND {facet} IS NOT NULL "
                f"GROUP BY 1 ORDER BY 2 DESC, 1 LIMIT {params.add(limit)}",
                *params.values,
            )
            result[facet] = [{"value": record["value"], "count": int(record["n"])} for record in records]
        result["level"].sort(key=lambda item: LEVELS.index(item["value"]))
        result["total"] = sum(item["count"] for item in result["level"])
        return result


def bucket_seconds(span: dt.timedelta) -> int:
    """The smallest of the usual bucket widths that cuts ``span`` into at most ~TARGET_BUCKETS."""
    seconds = span.total_seconds()
    for step in BUCKET_STEPS_S:
        if seconds / step <= TARGET_BUCKETS:
            return step
    return BUCKET_STEPS_S[-1]


def bin_start(moment: dt.datetime, step: int) -> dt.datetime:
    """The start of ``moment``'s bucket, as PostgreSQL's date_bin computes it."""
    offset = (moment - BUCKET_ORIGIN).total_seconds()
    return BUCKET_ORIGIN + dt.timedelta(seconds=(offset // step) * step)
