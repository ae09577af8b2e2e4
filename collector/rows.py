"""The shape of one row of ``logs`` as the receivers hand it to the batcher.

A row is a plain tuple in ``COLUMNS`` order, the cheapest thing to build per record and what
binary COPY consumes. Three columns carry pre-encoded values so that the hot path never
builds ``datetime`` or ``Decimal`` objects (each costs microseconds per row):

- ``created_at``: integer microseconds since the Unix epoch;
- ``duration_ms``: integer thousandths of a millisecond (``NUMERIC(10,3)`` is exact to that);
- ``metadata``: the JSON document as UTF-8 bytes, or ``None``.

``storage/copy.py`` registers the codecs that turn these into PostgreSQL's binary format.
"""

from __future__ import annotations

import enum
import math
from typing import Any

COLUMNS: tuple[str, ...] = (
    "created_at",
    "level",
    "log_type",
    "service",
    "environment",
    "service_version",
    "trace_id",
    "span_id",
    "user_id",
    "session_id",
    "error_type",
    "message",
    "stack_trace",
    "path",
    "method",
    "action_type",
    "function_name",
    "file_path",
    "duration_ms",
    "metadata",
)
Row = tuple[Any, ...]


class Col(enum.IntEnum):
    """Positions in a row, for code that reads rows back (tests, dedup, diagnostics)."""

    created_at = 0
    level = 1
    log_type = 2
    service = 3
    environment = 4
    service_version = 5
    trace_id = 6
    span_id = 7
    user_id = 8
    session_id = 9
    error_type = 10
    message = 11
    stack_trace = 12
    path = 13
    method = 14
    action_type = 15
    function_name = 16
    file_path = 17
    duration_ms = 18
    metadata = 19


LEVELS = ("TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL")
LOG_TYPES = ("BACKEND", "FRONTEND", "MOBILE", "IOT", "WORKER")
ENVIRONMENTS = ("production", "staging", "development", "test", "local")
METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS")

# VARCHAR limits of the schema (migrations/0001_logs.sql); a longer value would fail the whole
# COPY, so the mappers refuse the one record instead.
MAX_CHARS: dict[str, int] = {
    "service": 100,
    "service_version": 50,
    "trace_id": 64,
    "span_id": 16,
    "user_id": 100,
    "session_id": 100,
    "error_type": 200,
    "path": 2048,
    "action_type": 100,
    "function_name": 200,
    "file_path": 500,
}
LIMITED_POSITIONS: tuple[tuple[int, str, int], ...] = tuple(
    (COLUMNS.index(name), name, limit) for name, limit in MAX_CHARS.items()
)
TEXT_POSITIONS: tuple[int, ...] = tuple(COLUMNS.index(name) for name in (*MAX_CHARS, "message", "stack_trace"))

# NUMERIC(10,3) holds |x| < 10^7 ms, in thousandths.
MAX_DURATION_THOUSANDTHS = 10**10 - 1

UNIX_EPOCH_TO_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds


def level_from_text(text: str) -> str | None:
    """A level from the many names loggers use ("warning", "err", "critical", ...)."""
    return _LEVEL_NAMES.get(text.strip().upper())


_LEVEL_NAMES = {
    **{name: name for name in LEVELS},
    "WARNING": "WARN",
    "ERR": "ERROR",
    "CRITICAL": "FATAL",
    "CRIT": "FATAL",
    "EMERG": "FATAL",
    "EMERGENCY": "FATAL",
    "ALERT": "FATAL",
    "PANIC": "FATAL",
    "NOTICE": "INFO",
    "INFORMATION": "INFO",
    "INFORMATIONAL": "INFO",
    "VERBOSE": "DEBUG",
    "FINE": "DEBUG",
    "FINER": "TRACE",
    "FINEST": "TRACE",
    "SEVERE": "ERROR",
    "DBG": "DEBUG",
    "TRC": "TRACE",
    "WRN": "WARN",
    "INF": "INFO",
    "FTL": "FATAL",
    "ERRO": "ERROR",
    "WARNN": "WARN",
}

_ENVIRONMENT_NAMES = {
    **{name: name for name in ENVIRONMENTS},
    "prod": "production",
    "prd": "production",
    "live": "production",
    "stage": "staging",
    "stg": "staging",
    "dev": "development",
    "develop": "development",
    "testing": "test",
    "qa": None,
    "local": "local",
    "localhost": "local",
}


def environment_from_text(text: str) -> str | None:
    """The environment enum value for common spellings ("prod", "stg", "dev"), else None."""
    return _ENVIRONMENT_NAMES.get(text.strip().lower())


def duration_thousandths(value: Any) -> int | None:
    """A duration in milliseconds (a number, or a number in a string) as the thousandths
    ``duration_ms`` stores; None when it is not a finite number that NUMERIC(10,3) holds."""
    if value.__class__ is float or value.__class__ is int:
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value)
        except ValueError:
            return None
    elif isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value)
    else:
        return None
    if not math.isfinite(number):
        return None
    thousandths = round(number * 1000)
    return thousandths if abs(thousandths) <= MAX_DURATION_THOUSANDTHS else None


def problem_with(row: Row) -> str | None:
    """Why PostgreSQL would refuse this row, or None. Cheap: lengths and NUL bytes only."""
    for position, name, limit in LIMITED_POSITIONS:
        value = row[position]
        if value is not None and len(value) > limit:
            return f"{name} is {len(value)} characters long; the limit is {limit}"
    for position in TEXT_POSITIONS:
        value = row[position]
        if value is not None and "\x00" in value:
            return f"{COLUMNS[position]} contains a NUL character (\\u0000), which PostgreSQL cannot store"
    metadata = row[Col.metadata]
    if metadata is not None and b"\\u0000" in metadata:
        return "metadata contains a NUL character (\\u0000), which PostgreSQL cannot store"
    return None
