"""The plain JSON API's records → rows: fields named as the columns, the rest into metadata.

Accepted bodies: ``{"logs": [record, ...]}``, a JSON array of records, a single record, or
NDJSON (one record a line). Only ``message`` is required. ``created_at`` is Unix seconds
(or milliseconds/microseconds, told apart by size), ISO-8601, or absent (arrival time).
Enum columns are case-insensitive; a value outside an enum is kept in ``metadata``.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from typing import Any

import orjson

from loglens import logs_table
from loglens.collector.rows import (
    COLUMNS,
    Row,
    duration_thousandths,
    environment_from_text,
    jsonable_number,
    level_from_text,
    numbers_as_text,
    own_bytes,
)
from loglens.logs_table import LOG_TYPES, METHODS

# Fields named as a text column, message aside (it is required): taken as they come.
TEXT_COLUMNS = tuple(name for name in COLUMNS if logs_table.COLUMN[name].is_text and name != "message")
# Columns the database assigns: a record's values for them are dropped.
IGNORED = frozenset(column.name for column in logs_table.COLUMNS if not column.written)
KNOWN = frozenset(logs_table.NAMES)
MIN_PLAUSIBLE_US = 946_684_800_000_000  # 2000-01-01
MAX_FUTURE_US = 24 * 3600 * 1_000_000


class BodyError(ValueError):
    """The body as a whole cannot be read as JSON records."""


@dataclass
class Parsed:
    records: list[Any] = field(default_factory=list)
    # records that failed to parse on their own (NDJSON lines): position -> reason
    unreadable: dict[int, str] = field(default_factory=dict)
    had_invalid_utf8: bool = False


def parse_body(body: bytes, ndjson: bool) -> Parsed:
    """Split a body into records; an undecodable body raises ``BodyError``."""
    text: str | None = None
    had_invalid_utf8 = False
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        # Keep the undecodable bytes as lone surrogates so that the records that hold them can
        # be refused one by one, and the rest stored.
        text = body.decode("utf-8", "surrogateescape")
        had_invalid_utf8 = True
    if not ndjson:
        try:
            document = _loads(text) if had_invalid_utf8 else _orjson_else_python(body, text)
        except (ValueError, RecursionError) as error:  # orjson.JSONDecodeError is a ValueError
            if "\n" not in text.strip():
                deep = isinstance(error, RecursionError) or "depth limit" in str(error)
                raise BodyError("the body is not valid JSON" + (": it nests too deeply" if deep else "")) from None
        else:
            return Parsed(records=_records_of(document), had_invalid_utf8=had_invalid_utf8)
    return _parse_ndjson(text, body, had_invalid_utf8)


def _orjson_else_python(body: bytes, text: str) -> Any:
    """The document, by orjson; by Python's parser if orjson refuses a number (1e400, NaN)."""
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError as error:
        if "depth limit" in str(error):
            raise  # too deep for jsonb as well
        try:
            return _loads(text)
        except (ValueError, RecursionError):
            raise error from None


def _loads(text: str) -> Any:
    """Python's JSON parser, for what orjson does not read (lone surrogates, NDJSON lines). It
    takes NaN and Infinity, which JSON lacks: they are kept as the text they were sent as."""
    return json.loads(text, parse_constant=str)


def _records_of(document: Any) -> list[Any]:
    if isinstance(document, dict) and "logs" in document:
        logs = document["logs"]
        if not isinstance(logs, list):
            raise BodyError('"logs" must be an array of log records')
        return logs
    if isinstance(document, list):
        return document
    if isinstance(document, dict):
        return [document]
    raise BodyError('expected {"logs": [...]}, an array of records, or NDJSON')


# Bytes that are decimal digits as b"0", the rest as b" ": a run of _LONG_DIGITS in the image
# may be a number orjson reads otherwise than Python (see _lines_for_python).
_DIGITS_IMAGE = bytes(ord("0") if ord("0") <= byte <= ord("9") else ord(" ") for byte in range(256))
_LONG_DIGITS = b"0" * 19
# A line with more opening brackets than this may nest deeper than Python's parser goes.
_MAX_BRACKETS = 254


def _lines_for_python(body: bytes) -> frozenset[int]:
    """The lines (numbered as ``split("\\n")`` numbers them) that orjson might read otherwise than
    Python's parser: orjson makes an integer past 64 bits a float, Python keeps it, and such an
    integer has 19 digits in a row (a line holding them elsewhere, in a hex id, merely goes the
    slow way)."""
    image = body.translate(_DIGITS_IMAGE)
    lines: set[int] = set()
    found = image.find(_LONG_DIGITS)
    while found >= 0:
        lines.add(body.count(b"\n", 0, found))
        end_of_line = body.find(b"\n", found)
        found = -1 if end_of_line < 0 else image.find(_LONG_DIGITS, end_of_line)
    return frozenset(lines)


def _load_line(line: str, by_orjson: bool) -> Any:
    """One NDJSON line, as Python's parser reads it (``_loads``), by orjson where they agree (3x
    faster): orjson takes deeper nesting than Python's parser (which stops near its recursion
    limit) and refuses NaN, Infinity, 1e400 and lone surrogates, which Python's takes."""
    if by_orjson and line.count("[") + line.count("{") <= _MAX_BRACKETS:
        try:
            return orjson.loads(line)
        except orjson.JSONDecodeError:
            pass  # Python's parser says what is wrong, or reads what orjson does not
    return _loads(line)


def _parse_ndjson(text: str, body: bytes, had_invalid_utf8: bool) -> Parsed:
    parsed = Parsed(had_invalid_utf8=had_invalid_utf8)
    # A body that is not UTF-8 (lone surrogates in text) is Python's parser's throughout.
    slow = frozenset() if had_invalid_utf8 else _lines_for_python(body)
    lines = [(number, line) for number, line in enumerate(text.split("\n")) if line.strip()]
    for index, (number, line) in enumerate(lines):
        try:
            parsed.records.append(_load_line(line, not had_invalid_utf8 and number not in slow))
        except (ValueError, RecursionError) as error:
            parsed.records.append(None)
            parsed.unreadable[index] = f"line {index + 1} is not valid JSON: {_decode_reason(error)}"
    if lines and len(parsed.unreadable) == len(lines):
        raise BodyError("no line of the body is valid JSON")
    return parsed


def _decode_reason(error: ValueError | RecursionError) -> str:
    if isinstance(error, RecursionError):
        return "it nests arrays or objects too deeply"
    return str(error.args[0] if error.args else error)[:120]


def map_record(record: Any, received_us: int, check_utf8: bool) -> Row:
    """One record → one row; ``ValueError`` says why the record is refused."""
    if not isinstance(record, dict):
        raise ValueError("a log record must be a JSON object")
    if check_utf8:
        try:
            _dumps(record)
        except orjson.JSONEncodeError:
            raise ValueError("the record contains bytes that are not valid UTF-8") from None
    message = record.get("message")
    if message is None or message == "":
        raise ValueError('"message" is required')
    if not isinstance(message, str):
        number = jsonable_number(message)  # infinity, NaN and the longest integers: their text
        message = number if number.__class__ is str else _dumps(message).decode()

    extra: dict[str, Any] = {}
    given_metadata = record.get("metadata")
    if isinstance(given_metadata, dict):
        extra.update(given_metadata)
    elif given_metadata is not None:
        extra["metadata"] = given_metadata
    for key, value in record.items():
        if key not in KNOWN:
            extra[key] = value

    texts = {name: _text(record.get(name)) for name in TEXT_COLUMNS}
    return (
        _created_us(record.get("created_at"), received_us, extra),
        _enum(record.get("level"), "level", extra, _level) or "INFO",
        _enum(record.get("log_type"), "log_type", extra, _log_type) or "BACKEND",
        texts["service"],
        _enum(record.get("environment"), "environment", extra, environment_from_text),
        texts["service_version"],
        texts["trace_id"],
        texts["span_id"],
        texts["user_id"],
        texts["session_id"],
        texts["error_type"],
        message,
        texts["stack_trace"],
        texts["path"],
        _enum(record.get("method"), "method", extra, _method),
        texts["action_type"],
        texts["function_name"],
        texts["file_path"],
        _duration(record.get("duration_ms"), extra),
        own_bytes(_dumps(extra)) if extra else None,
    )


def _dumps(value: Any) -> bytes:
    """JSON bytes of a record's values; a number orjson cannot write (an integer past 64 bits,
    from NDJSON) as its text rather than the record refused for it."""
    try:
        return orjson.dumps(value)
    except orjson.JSONEncodeError:
        return orjson.dumps(numbers_as_text(value))


def _text(value: Any) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return _dumps(value).decode() if isinstance(value, list | dict) else str(value)


def _level(text: str) -> str | None:
    return level_from_text(text)


def _log_type(text: str) -> str | None:
    upper = text.strip().upper()
    return upper if upper in LOG_TYPES else None


def _method(text: str) -> str | None:
    upper = text.strip().upper()
    return upper if upper in METHODS else None


def _enum(value: Any, name: str, extra: dict[str, Any], normalise: Any) -> str | None:
    if value is None:
        return None
    result: str | None = normalise(value) if isinstance(value, str) else None
    if result is None:
        extra[name] = jsonable_number(value)  # outside the enum: kept, never a reason to lose the log
    return result


def _duration(value: Any, extra: dict[str, Any]) -> int | None:
    if value is None:
        return None
    thousandths = duration_thousandths(value)
    if thousandths is None:
        extra["duration_ms"] = jsonable_number(value)  # not a duration a column can hold: kept as it came
    return thousandths


def _created_us(value: Any, received_us: int, extra: dict[str, Any]) -> int:
    if value is None or value == "":
        return received_us
    unix_us = parse_time_us(value)
    if unix_us is None or not MIN_PLAUSIBLE_US <= unix_us <= received_us + MAX_FUTURE_US:
        extra["original_created_at"] = jsonable_number(value)
        return received_us
    return unix_us


def parse_time_us(value: Any) -> int | None:
    """Unix microseconds from Unix seconds, milliseconds or microseconds, or ISO-8601 text."""
    # (an integer is compared as it is: past 1.8e308 it has no float to test for finiteness)
    if (isinstance(value, int) and not isinstance(value, bool)) or (
        isinstance(value, float) and math.isfinite(value)
    ):
        magnitude = abs(value)
        # seconds (1.7e9), milliseconds (1.7e12) and microseconds (1.7e15) are told apart by size
        scale = 1_000_000 if magnitude < 1e11 else 1_000 if magnitude < 1e14 else 1
        return int(value * scale)
    if isinstance(value, str):
        return _iso_us(value)
    return None


def _iso_us(text: str) -> int | None:
    try:
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return int(moment.timestamp()) * 1_000_000 + moment.microsecond
