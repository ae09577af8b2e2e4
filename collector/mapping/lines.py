"""A shipper's line (a Loki entry, a Splunk HEC raw line) → a record for the shippers' mapping.

A line that is a JSON object is read as the record it is (``shipper.py``); its own keys win,
and the line itself is the message when the object has none of the message keys. Any other
line is the message as it is. What the protocol knows besides the line (its time, its stream's
labels, HEC's envelope) fills only what the record lacks: ``fill``.
"""

from __future__ import annotations

from typing import Any

import orjson

from loglens.collector.mapping.shipper import NAMES

_COLUMN_KEYS = {column: frozenset(keys) for column, keys in NAMES.items()}
# The keys shipper.py reads a host from (kept as host.name).
HOST_KEYS = frozenset(("host", "HOST", "hostname"))


def record_of_line(line: str) -> dict[str, Any]:
    """The record a line says: its JSON object, or ``{"message": line}``."""
    if line.startswith("{") and line.rstrip().endswith("}"):
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError:
            record = None
        if record.__class__ is dict:
            if not has(record, "message"):
                record["message"] = line
            return record
    return {"message": line}


def has(record: dict[str, Any], column: str) -> bool:
    """Whether the record holds a key the mapping reads for ``column`` (``NAMES``)."""
    keys = _COLUMN_KEYS[column]
    return any(key in keys for key in record)


def fill(record: dict[str, Any], column: str, value: Any) -> None:
    """``value`` for ``column`` unless the record has its own."""
    if value is not None and not has(record, column):
        record[column] = value


def add_metadata(record: dict[str, Any], values: dict[str, Any], own_key: str) -> None:
    """``values`` into the row's ``metadata`` under their own names (the mapping's ``metadata``
    key merges a dict as it is); under ``own_key`` when the record has a ``metadata`` of its own."""
    if values:
        record["metadata" if "metadata" not in record else own_key] = values
