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

from loglens import logs_table

# The columns a writer fills (the database assigns id and deleted), as the table lists them.
COLUMNS: tuple[str, ...] = tuple(name for name in logs_table.LISTING_ORDER if logs_table.COLUMN[name].written)
Row = tuple[Any, ...]


def _position(name: str) -> int:
    if name not in COLUMNS:
        raise RuntimeError(f"collector/rows.py's Col names {name!r}, a column loglens/logs_table.py does not list")
    return COLUMNS.index(name)


class Col(enum.IntEnum):
    """Positions in a row, for code that reads rows back (tests, dedup, diagnostics)."""

    created_at = _position("created_at")
    level = _position("level")
    log_type = _position("log_type")
    service = _position("service")
    environment = _position("environment")
    service_version = _position("service_version")
    trace_id = _position("trace_id")
    span_id = _position("span_id")
    user_id = _position("user_id")
    session_id = _position("session_id")
    error_type = _position("error_type")
    message = _position("message")
    stack_trace = _position("stack_trace")
    path = _position("path")
    method = _position("method")
    action_type = _position("action_type")
    function_name = _position("function_name")
    file_path = _position("file_path")
    duration_ms = _position("duration_ms")
    metadata = _position("metadata")


# VARCHAR limits of the schema; a longer value would fail the whole COPY, so the mappers refuse
# the one record instead. In row order, which is the order problem_with checks them in.
MAX_CHARS: dict[str, int] = {name: logs_table.MAX_CHARS[name] for name in COLUMNS if name in logs_table.MAX_CHARS}
LIMITED_POSITIONS: tuple[tuple[int, str, int], ...] = tuple(
    (COLUMNS.index(name), name, limit) for name, limit in MAX_CHARS.items()
)
_UNLIMITED_TEXT = tuple(name for name in COLUMNS if logs_table.COLUMN[name].is_text and name not in MAX_CHARS)
TEXT_POSITIONS: tuple[int, ...] = tuple(COLUMNS.index(name) for name in (*MAX_CHARS, *_UNLIMITED_TEXT))


def _max_duration_thousandths() -> int:
    """NUMERIC(10,3) holds |x| < 10^7 ms: 10^10 - 1 thousandths at most."""
    digits = logs_table.COLUMN["duration_ms"].digits
    if digits is None or digits[1] != 3:
        raise RuntimeError("duration_ms must be NUMERIC(p, 3): a row carries it in thousandths")
    precision, _ = digits
    return int(10**precision) - 1


MAX_DURATION_THOUSANDTHS = _max_duration_thousandths()

UNIX_EPOCH_TO_PG_EPOCH_US = 946_684_800_000_000  # 2000-01-01 in Unix microseconds


def own_bytes(data: bytes) -> bytes:
    """``data`` in an allocation of its own size, for the ``metadata`` a row keeps.

    orjson.dumps returns its result in a buffer of about 4 KB, however short (measured: 100,000
    results of 60 bytes took 412 MB of RSS, their copies 10 MB); a row waiting for its commit
    would hold ten times the memory its metadata needs."""
    return memoryview(data).tobytes()


def level_from_text(text: str) -> str | None:
    """A level from the many names loggers use ("warning", "err", "critical", ...)."""
    return _LEVEL_NAMES.get(text.strip().upper())


_LEVEL_NAMES: dict[str, str] = {
    **{name: name for name in logs_table.LEVELS},
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
    **{name: name for name in logs_table.ENVIRONMENTS},
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
    ``duration_ms`` stores; None when it is not a finite number that NUMERIC(10,3) holds (then
    the mappers keep it in ``metadata``: never a reason to refuse a record)."""
    try:
        if (
            value.__class__ is float
            or value.__class__ is int
            or isinstance(value, str)
            or (isinstance(value, int | float) and not isinstance(value, bool))
        ):
            number = float(value)  # an integer past 1.8e308 overflows
        else:
            return None
    except (ValueError, OverflowError):
        return None
    number *= 1000  # past 1.8e305 this overflows to infinity, refused with it
    if not math.isfinite(number):
        return None
    thousandths = round(number)
    return thousandths if abs(thousandths) <= MAX_DURATION_THOUSANDTHS else None


# The integers orjson writes; JSON itself has no infinity nor NaN.
MIN_JSON_INT, MAX_JSON_INT = -(2**63), 2**64 - 1


def jsonable_number(value: Any) -> Any:
    """``value`` as ``metadata`` can keep it: a number JSON has no form for (infinity, NaN) or
    orjson writes none of (an integer past 64 bits) as its text, anything else as it is."""
    if value.__class__ is float:
        return value if math.isfinite(value) else str(value)
    if value.__class__ is int and not MIN_JSON_INT <= value <= MAX_JSON_INT:
        return str(value)
    return value


def numbers_as_text(value: Any) -> Any:
    """``value`` with every number in it made JSON-able (``jsonable_number``), at any depth:
    for a document orjson refused to encode."""
    if value.__class__ is dict:
        return {key: numbers_as_text(item) for key, item in value.items()}
    if value.__class__ is list or value.__class__ is tuple:
        return [numbers_as_text(item) for item in value]
    return jsonable_number(value)


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
