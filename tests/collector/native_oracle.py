"""The Python path as the oracle of the native one: the same body through both, compared.

``python_outcome`` runs what the collector runs without the extension (protobuf's runtime,
``mapping/otlp.py``, the long-message refusals of ``ingest.py``, ``rows.problem_with``) and
encodes its rows as asyncpg does with the codecs of ``storage/copy.py`` (``reference_tuple``);
``native_outcome`` runs the extension. ``difference`` says how two outcomes differ, if they do.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import cast

from google.protobuf.message import DecodeError

from loglens.collector import native
from loglens.collector.batcher import Batcher
from loglens.collector.ingest import Ingest, _positions_of_rows
from loglens.collector.mapping import otlp
from loglens.collector.rows import COLUMNS, UNIX_EPOCH_TO_PG_EPOCH_US, Col, Row, problem_with
from loglens.collector.storage.copy import encode_thousandths
from loglens.collector.storage.partitions import day_of

NULL = struct.pack("!i", -1)


def reference_field(position: int, value: object) -> bytes:
    """One value as asyncpg sends it in a binary COPY with storage/copy.py's codecs."""
    if value is None:
        return NULL
    if position == Col.created_at:
        assert isinstance(value, int)
        data = struct.pack("!q", value - UNIX_EPOCH_TO_PG_EPOCH_US)
    elif position == Col.duration_ms:
        assert isinstance(value, int)
        data = encode_thousandths(value)
    elif position == Col.metadata:
        assert isinstance(value, bytes)
        data = b"\x01" + value
    else:
        assert isinstance(value, str)
        data = value.encode("utf-8")
    return struct.pack("!i", len(data)) + data


def reference_tuple(row: Row) -> bytes:
    return struct.pack("!h", len(COLUMNS)) + b"".join(reference_field(p, v) for p, v in enumerate(row))


@dataclass(frozen=True)
class Outcome:
    data: bytes
    offsets: list[int]
    positions: list[int]
    refused: list[tuple[int, str]]
    problems: dict[int, str]
    days: frozenset[int]
    records: int


def python_outcome(body: bytes, received_us: int, max_message_chars: int) -> Outcome | None:
    """What the Python path makes of the body; None when protobuf's runtime refuses it (a 400)."""
    try:
        request = otlp.decode_protobuf(body)
    except DecodeError:
        return None
    mapped = otlp.map_request(request, received_us)
    positions = _positions_of_rows(mapped.records, mapped.rejected)
    ingest = Ingest(cast(Batcher, None), max_message_chars)
    rows, positions, refused = ingest._refuse_long_messages(mapped.rows, positions, mapped.rejected)
    problems: dict[int, str] = {}
    data = bytearray()
    offsets = []
    for index, row in enumerate(rows):
        offsets.append(len(data))
        problem = problem_with(row)
        data += reference_tuple(row)  # the native side keeps these rows too, to compare them
        if problem is not None:
            problems[index] = problem
    days = frozenset(day_of(row[Col.created_at]) for row in rows)
    return Outcome(bytes(data), offsets, positions, sorted(refused), problems, days, mapped.records)


def native_outcome(body: bytes, received_us: int, max_message_chars: int) -> Outcome | None:
    """What the extension makes of the body; None when it does not handle it."""
    decoded = native.decode_otlp(body, received_us, max_message_chars, keep_problem_rows=True)
    if decoded is None:
        return None
    rows = decoded.rows
    refused = sorted(decoded.refused)
    return Outcome(rows.data, rows.offsets, decoded.positions, refused, rows.problems, rows.days, decoded.records)


def difference(python: Outcome, native_: Outcome) -> str | None:
    for name in ("records", "positions", "refused", "problems", "offsets", "days"):
        if getattr(python, name) != getattr(native_, name):
            return f"{name}: python {getattr(python, name)!r} != native {getattr(native_, name)!r}"
    if python.data != native_.data:
        at = (
            next(i for i, (a, b) in enumerate(zip(python.data, native_.data, strict=False)) if a != b)
            if any(a != b for a, b in zip(python.data, native_.data, strict=False))
            else min(len(python.data), len(native_.data))
        )
        return (
            f"data differ at byte {at}: python {python.data[max(0, at - 40) : at + 40]!r} "
            f"!= native {native_.data[max(0, at - 40) : at + 40]!r}"
        )
    return None


def compare(body: bytes, received_us: int, max_message_chars: int) -> tuple[str, str | None]:
    """("python-only" | "native" | "refused", a difference or None) for one body."""
    native_ = native_outcome(body, received_us, max_message_chars)
    python = python_outcome(body, received_us, max_message_chars)
    if native_ is None:
        return ("refused" if python is None else "python-only"), None
    if python is None:
        return "native", "protobuf's runtime refuses this body, the native decoder accepted it"
    return "native", difference(python, native_)
