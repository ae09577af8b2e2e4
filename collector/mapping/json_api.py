"""The plain JSON API's bodies → records, and records → rows.

Accepted bodies: ``{"logs": [record, ...]}``, a JSON array of records, a single record, or
NDJSON (one record a line). A record is mapped as every shipper's is (``shipper.py``): the
columns' own names and the usual aliases (``msg``, ``@timestamp``, ``levelname``, ``userId``...),
the rest into ``metadata``. Only a message is required. A time is Unix seconds (or
milliseconds, microseconds, nanoseconds, told apart by size), ISO-8601, or absent (arrival
time). Enum columns are case-insensitive; a value outside an enum is kept in ``metadata``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import orjson

from loglens.collector.mapping import shipper
from loglens.collector.mapping.shipper import parse_time_us, strict_dumps
from loglens.collector.rows import Row

__all__ = [
    "BodyError",
    "Lines",
    "Parsed",
    "decode_reason",
    "load_document",
    "map_record",
    "ndjson_lines",
    "parse_body",
    "parse_time_us",
]


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


@dataclass(frozen=True)
class Lines:
    """An NDJSON body's lines, for a reader that pairs them (the Elasticsearch bulk API)."""

    lines: list[tuple[int, str]]  # (its number in the body, its text), blank lines left out
    slow: frozenset[int]
    had_invalid_utf8: bool

    def load(self, number: int, line: str) -> Any:
        """The line's JSON as ``parse_body`` reads it; ``ValueError``/``RecursionError`` if none."""
        return _load_line(line, not self.had_invalid_utf8 and number not in self.slow)


def ndjson_lines(body: bytes) -> Lines:
    try:
        text, had_invalid_utf8 = body.decode("utf-8"), False
    except UnicodeDecodeError:
        text, had_invalid_utf8 = body.decode("utf-8", "surrogateescape"), True
    slow = frozenset() if had_invalid_utf8 else _lines_for_python(body)
    lines = [(number, line) for number, line in enumerate(text.split("\n")) if line.strip()]
    return Lines(lines, slow, had_invalid_utf8)


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


def load_document(text: str) -> Any:
    """One JSON document as Python's parser reads it (one request, one record: no need for speed)."""
    return _loads(text)


def decode_reason(error: ValueError | RecursionError) -> str:
    """What is wrong with a JSON text, in a line."""
    return _decode_reason(error)


def _decode_reason(error: ValueError | RecursionError) -> str:
    if isinstance(error, RecursionError):
        return "it nests arrays or objects too deeply"
    return str(error.args[0] if error.args else error)[:120]


def map_record(record: Any, received_us: int, check_utf8: bool) -> Row:
    """One record → one row, by the shippers' mapping (``shipper.py``, strict: a record needs a
    message); ``ValueError`` says why the record is refused."""
    if not isinstance(record, dict):
        raise ValueError("a log record must be a JSON object")
    if check_utf8:
        try:
            strict_dumps(record)
        except orjson.JSONEncodeError:
            raise ValueError("the record contains bytes that are not valid UTF-8") from None
    return shipper.map_record(record, received_us, strict=True)
