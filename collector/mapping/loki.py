"""Loki's push API body (JSON, or snappy-compressed protobuf) → records for the shippers' mapping.

``{"streams": [{"stream": {labels}, "values": [["<unix ns>", "line", {structured metadata}]]}]}``,
or ``logproto.PushRequest`` (``logproto/push.proto``), whose labels are Prometheus' text form
(``{job="api", level="error"}``). Every entry becomes one record (``lines.py``): a line that is
a JSON object is read as the record, any other line is the message. The stream's labels and the
entry's structured metadata (which wins over them) fill what the line lacks:

    service    service_name, service, app, job, container (the first present)
    level      level, severity, detected_level
    trace_id / span_id   trace_id, traceID / span_id, spanID
    created_at the entry's timestamp (nanoseconds)

and the rest (and those the line has a value of its own for) go to ``metadata`` under their
names (``loki.labels`` when the line has a ``metadata`` of its own). A body that does not say
streams of entries is refused as a whole (``PushBodyError``), as Loki refuses it: nothing of it
is stored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import cramjam
import orjson
from google.protobuf.message import DecodeError

from loglens.collector.mapping import lines
from loglens.collector.mapping.logproto import push_pb2

SERVICE_LABELS = ("service_name", "service", "app", "job", "container")
LEVEL_LABELS = ("level", "severity", "detected_level")
TRACE_LABELS = ("trace_id", "traceID")
SPAN_LABELS = ("span_id", "spanID")
_COLUMN_LABELS = (
    ("service", SERVICE_LABELS),
    ("level", LEVEL_LABELS),
    ("trace_id", TRACE_LABELS),
    ("span_id", SPAN_LABELS),
)

# One label of Prometheus' text form: name="value" with \\, \" and \n escaped in the value.
_LABEL = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_.]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*(,|$)', re.DOTALL)
_ESCAPES = {"\\\\": "\\", '\\"': '"', "\\n": "\n"}
_ESCAPED = re.compile(r"\\.")


class PushBodyError(ValueError):
    """The body is not a push request (answered 400, nothing stored)."""


@dataclass
class Push:
    records: list[dict[str, Any]] = field(default_factory=list)
    # Where each record came from: (stream, entry), both counted from 0, for the answer's reasons.
    origins: list[tuple[int, int]] = field(default_factory=list)

    def where(self, record: int) -> str:
        stream, entry = self.origins[record]
        return f"stream {stream}, entry {entry}"


def parse_json(body: bytes) -> Push:
    try:
        document = orjson.loads(body)
    except orjson.JSONDecodeError as error:
        raise PushBodyError(f"the body is not valid JSON: {error}") from None
    streams = document.get("streams") if isinstance(document, dict) else None
    if not isinstance(streams, list):
        raise PushBodyError('the body must be {"streams": [{"stream": {labels}, "values": [[ns, line], ...]}]}')
    push = Push()
    for number, stream in enumerate(streams):
        if not isinstance(stream, dict):
            raise PushBodyError(f"stream {number}: a stream must be an object")
        labels = _json_labels(number, stream.get("stream"))
        values = stream.get("values")
        if not isinstance(values, list):
            raise PushBodyError(f'stream {number}: "values" must be an array of [ns, line] pairs')
        for entry_number, value in enumerate(values):
            time_ns, line, metadata = _json_entry(number, entry_number, value)
            push.records.append(entry_record(labels, metadata, time_ns, line))
            push.origins.append((number, entry_number))
    return push


def _json_labels(number: int, labels: Any) -> dict[str, str]:
    if labels is None:
        return {}
    if not isinstance(labels, dict) or not all(isinstance(value, str) for value in labels.values()):
        raise PushBodyError(f'stream {number}: "stream" must be an object of label names and string values')
    return labels


def _json_entry(stream: int, entry: int, value: Any) -> tuple[int, str, dict[str, str]]:
    where = f"stream {stream}, entry {entry}"
    if not isinstance(value, list) or len(value) not in (2, 3):
        raise PushBodyError(f"{where}: an entry must be [ns, line] or [ns, line, {{structured metadata}}]")
    time_ns = _time_ns(value[0])
    if time_ns is None:
        raise PushBodyError(f"{where}: the timestamp must be Unix nanoseconds as a string of digits")
    line = value[1]
    if not isinstance(line, str):
        raise PushBodyError(f"{where}: the line must be a string")
    metadata = value[2] if len(value) == 3 else {}
    if not isinstance(metadata, dict):
        raise PushBodyError(f"{where}: the structured metadata must be an object")
    return time_ns, line, metadata


def _time_ns(value: Any) -> int | None:
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 20:
        return int(value)
    if isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return value
    return None


def parse_protobuf(body: bytes, limit: int) -> Push:
    """A snappy-compressed (block format) ``PushRequest``; ``limit``: the most bytes it may
    inflate to (the length a snappy block states is checked before it is inflated)."""
    try:
        size = cramjam.snappy.decompress_raw_len(body)
    except cramjam.DecompressionError:
        raise PushBodyError("the body is not snappy-compressed (block format) as Loki's protobuf is") from None
    if size > limit:
        raise PushBodyError(f"the body inflates to {size} bytes; the limit is {limit} (LOGLENS_MAX_BODY_BYTES)")
    try:
        raw = bytes(cramjam.snappy.decompress_raw(body))
        request = push_pb2.PushRequest.FromString(raw)
    except cramjam.DecompressionError:
        raise PushBodyError("the body is not valid snappy (block format)") from None
    except DecodeError as error:
        raise PushBodyError(f"the body is not a logproto.PushRequest: {error or 'undecodable'}") from None
    push = Push()
    for number, stream in enumerate(request.streams):
        labels = parse_labels(number, stream.labels)
        for entry_number, entry in enumerate(stream.entries):
            metadata = {pair.name: pair.value for pair in entry.structuredMetadata}
            time_ns = entry.timestamp.seconds * 1_000_000_000 + entry.timestamp.nanos
            push.records.append(entry_record(labels, metadata, time_ns, entry.line))
            push.origins.append((number, entry_number))
    return push


def parse_labels(number: int, text: str) -> dict[str, str]:
    """Prometheus' text form of labels, ``{name="value", ...}``."""
    inside = text.strip()
    if not (inside.startswith("{") and inside.endswith("}")):
        raise PushBodyError(f'stream {number}: labels must be written {{name="value", ...}}, not {text[:80]!r}')
    inside = inside[1:-1].strip()
    labels: dict[str, str] = {}
    position = 0
    while position < len(inside):
        found = _LABEL.match(inside, position)
        if found is None or found.end() == position:
            near = inside[position:][:20]
            raise PushBodyError(f"stream {number}: cannot read the labels {text[:80]!r} at {near!r}")
        name, value = found.group(1), found.group(2)
        labels[name] = _ESCAPED.sub(lambda escape: _ESCAPES.get(escape.group(0), escape.group(0)[1:]), value)
        position = found.end()
    return labels


def entry_record(labels: dict[str, str], metadata: dict[str, Any], time_ns: int, line: str) -> dict[str, Any]:
    """One entry's record: its line's, with the labels and metadata filling what it lacks."""
    record = lines.record_of_line(line)
    attributes = {**labels, **metadata} if metadata else labels
    used: list[str] = []
    for column, names in _COLUMN_LABELS:
        if lines.has(record, column):
            continue  # the line's own value wins; the labels stay in metadata
        for name in names:
            value = attributes.get(name)
            if value:
                record[column] = value
                used.append(name)
                break
    lines.fill(record, "created_at", time_ns)
    rest = {name: value for name, value in attributes.items() if name not in used} if used else attributes
    lines.add_metadata(record, rest, "loki.labels")
    return record
