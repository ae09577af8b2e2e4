"""Splunk HTTP Event Collector bodies → records for the shippers' mapping.

``/services/collector/event``: JSON objects one after another (not an array; whitespace
between them or none), each ``{"time": <epoch s>, "host", "source", "sourcetype", "index",
"event": <text or object>, "fields": {...}}``. An ``event`` object is the record
(``shipper.py``): with none of the message keys, its ``line`` (Docker's splunk driver; its
``tag`` the service when the line names none) or else its compact JSON is the message;
``log_level`` (splunk-hec-handler's) is its level when it names none. An ``event`` text is
the message as it is. Then, filling only what the event lacks: ``time`` its time, ``host`` its
host, the indexed ``fields`` their keys (a field the event has a key of its own for is kept as
``fields.<key>``); ``source``, ``sourcetype`` and ``index`` go to ``metadata`` (``splunk``
when the event has a ``metadata`` of its own).

``/services/collector/raw``: lines, each a record by ``lines.py`` (a JSON object read as the
record, any other line the message), with the query's ``host``, ``source``, ``sourcetype``,
``index`` as for an event.

A body that cannot be read is refused as a whole (``HecBodyError``, with the number of the
event at fault, as HEC answers it): nothing of it is stored.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from loglens.collector.mapping import lines
from loglens.collector.mapping.shipper import dumps, parse_time_us

# HEC's answers: (code, text).
SUCCESS = (0, "Success")
TOKEN_REQUIRED = (2, "Token is required")
INVALID_AUTHORIZATION = (3, "Invalid authorization")
INVALID_TOKEN = (4, "Invalid token")
NO_DATA = (5, "No data")
INVALID_FORMAT = (6, "Invalid data format")
SERVER_BUSY = (9, "Server is busy")
EVENT_REQUIRED = (12, "Event field is required")
EVENT_BLANK = (13, "Event field cannot be blank")
INDEXED_FIELDS = (15, "Error in handling indexed fields")
HEALTHY = (17, "HEC is healthy")
UNHEALTHY = (18, "HEC is unhealthy, queues are full")

ENVELOPE_METADATA = ("source", "sourcetype", "index")
_SPACE = " \t\n\r"
_decoder = json.JSONDecoder(parse_constant=str)  # NaN and Infinity kept as their text


class HecBodyError(ValueError):
    """The body cannot be read: HEC's code and text, the event at fault (from 0), and why."""

    def __init__(self, answer: tuple[int, str], event: int | None, reason: str) -> None:
        super().__init__(reason)
        self.code, self.text = answer
        self.event = event


@dataclass(frozen=True)
class Envelope:
    """What HEC knows of an event besides the event: from its JSON object, or the raw query."""

    time: Any = None
    host: Any = None
    fields: Any = None
    metadata: dict[str, Any] | None = None


def parse_events(body: bytes) -> list[dict[str, Any]]:
    """The records of an ``/event`` body."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HecBodyError(INVALID_FORMAT, 0, f"the body is not UTF-8 (byte {error.start})") from None
    records: list[dict[str, Any]] = []
    position = _skip_space(text, 0)
    if position == len(text):
        raise HecBodyError(NO_DATA, None, "the body is empty")
    while position < len(text):
        number = len(records)
        try:
            value, position = _decoder.raw_decode(text, position)
        except (ValueError, RecursionError):
            raise HecBodyError(INVALID_FORMAT, number, f"event {number} is not a JSON object") from None
        if not isinstance(value, dict):
            raise HecBodyError(INVALID_FORMAT, number, f"event {number} is not a JSON object")
        records.append(event_record(number, value))
        position = _skip_space(text, position)
    return records


def _skip_space(text: str, position: int) -> int:
    while position < len(text) and text[position] in _SPACE:
        position += 1
    return position


def event_record(number: int, envelope: dict[str, Any]) -> dict[str, Any]:
    if "event" not in envelope:
        raise HecBodyError(EVENT_REQUIRED, number, f'event {number} has no "event" field')
    event = envelope["event"]
    if event is None or event == "" or event == {}:
        raise HecBodyError(EVENT_BLANK, number, f'event {number}: its "event" field is blank')
    fields = envelope.get("fields")
    if fields is not None and not isinstance(fields, dict):
        raise HecBodyError(INDEXED_FIELDS, number, f'event {number}: "fields" must be an object')
    metadata = {key: envelope[key] for key in ENVELOPE_METADATA if envelope.get(key) is not None}
    found = Envelope(envelope.get("time"), envelope.get("host"), fields, metadata)
    return with_envelope(_event_as_record(event), found)


def _event_as_record(event: Any) -> dict[str, Any]:
    if isinstance(event, str):
        return {"message": event}
    if not isinstance(event, dict):
        return {"message": dumps(event).decode()}
    record = dict(event)
    if not lines.has(record, "message"):
        line = record.pop("line", None)
        if isinstance(line, dict):  # Docker's splunk driver, splunk-format json: the line parsed
            record = {**record, **line}
        elif line is not None:
            record["message"] = line if isinstance(line, str) else dumps(line).decode()
        if line is not None and isinstance(record.get("tag"), str) and not lines.has(record, "service"):
            record["service"] = record.pop("tag")  # the driver's tag ({{.Name}}; the container's ID by default)
        if not lines.has(record, "message"):
            record["message"] = dumps(event).decode()
    if not lines.has(record, "level") and "log_level" in record:
        record["level"] = record.pop("log_level")
    return record


def with_envelope(record: dict[str, Any], envelope: Envelope) -> dict[str, Any]:
    """The record with what its envelope knows filling what it lacks."""
    if envelope.time is not None and not lines.has(record, "created_at"):
        time_us = parse_time_us(envelope.time)
        if time_us is not None:
            record["created_at"] = time_us
    if envelope.host is not None and not any(key in lines.HOST_KEYS for key in record):
        record["host"] = envelope.host
    for key, value in (envelope.fields or {}).items():
        record[f"fields.{key}" if key in record else key] = value
    if envelope.metadata:
        lines.add_metadata(record, envelope.metadata, "splunk")
    return record


def parse_raw(body: bytes, envelope: Envelope) -> list[dict[str, Any]]:
    """The records of a ``/raw`` body: one a line, blank lines left out."""
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise HecBodyError(INVALID_FORMAT, 0, f"the body is not UTF-8 (byte {error.start})") from None
    # (split at newlines only: str.splitlines would also split a line at \x0b, \x1c or U+2028)
    records = [
        with_envelope(lines.record_of_line(line.rstrip("\r")), envelope)
        for line in text.split("\n")
        if line.strip()
    ]
    if not records:
        raise HecBodyError(NO_DATA, None, "the body is empty")
    return records
