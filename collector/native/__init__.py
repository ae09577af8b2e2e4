"""The native ingest path: OTLP protobuf straight to binary COPY rows, and rows to COPY, in C.

``_native.c`` decodes an ``ExportLogsServiceRequest`` in one walk over its wire format into the
binary COPY tuples of exactly the rows ``mapping/otlp.py`` makes (with ``rows.py``'s and
``storage/copy.py``'s encodings), with the same refusals; and it encodes the row tuples of the
other paths as binary COPY, byte for byte what asyncpg sends. Whatever it does not handle
(array or kvlist values, rare fields, anything malformed) it hands back (``None``): that request
takes the Python path, which stays the reference. ``tests/collector/test_native_fuzz.py`` holds
the two to each other on random and mutated bodies.

It is optional by construction: built by ``pip install -e .`` / ``make up`` where a C compiler
exists, absent elsewhere; ``LOGLENS_NATIVE`` (``auto``, ``on``, ``off``) chooses. A module built
from another version of the source than the one beside it is not used (no stale ``.so``).
"""

from __future__ import annotations

import hashlib
import importlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Literal

import orjson

from loglens import logs_table
from loglens.collector import rows as rows_module
from loglens.collector.mapping import otlp
from loglens.collector.rows import COLUMNS, Row
from loglens.errors import ConfigurationError

log = logging.getLogger(__name__)

Mode = Literal["auto", "on", "off"]
SOURCE = Path(__file__).with_name("_native.c")


@dataclass(frozen=True, slots=True)
class EncodedRows:
    """Rows as binary COPY tuples (no header or trailer), ready for ``COPY ... (FORMAT binary)``.

    ``offsets[i]`` is where row ``i`` starts in ``data``; a row in ``problems`` (what
    ``rows.problem_with`` says, or text that is not UTF-8) has no bytes: it is never sent."""

    data: bytes
    offsets: list[int]
    problems: dict[int, str]
    days: frozenset[int]

    def __len__(self) -> int:
        return len(self.offsets)

    @property
    def held_bytes(self) -> int:
        """What it holds while it waits (the bytes, and a list entry and an int per row)."""
        return len(self.data) + 40 * len(self.offsets)

    def row(self, position: int) -> memoryview:
        end = self.offsets[position + 1] if position + 1 < len(self.offsets) else len(self.data)
        return memoryview(self.data)[self.offsets[position] : end]

    def rows(self, positions: Iterable[int]) -> bytes:
        return b"".join(self.row(position) for position in positions)


@dataclass(frozen=True, slots=True)
class DecodedRequest:
    """A request decoded natively: its rows, their positions among its records, the refusals."""

    rows: EncodedRows
    positions: list[int]
    refused: list[tuple[int, str]]
    records: int


@dataclass(frozen=True, slots=True)
class NativeStatus:
    enabled: bool
    reason: str  # why it is on or off, in a sentence

    def as_dict(self) -> dict[str, object]:
        return {"enabled": self.enabled, "reason": self.reason}


def _tables_agree(module: ModuleType) -> str | None:
    """Why the compiled tables differ from the Python mapping's, or None when they agree."""
    tables = module.tables()
    expected = {
        "attribute_slots": otlp.ATTRIBUTE_SLOTS,
        "resource_columns": otlp.RESOURCE_COLUMNS,
        "columns": COLUMNS,
        "max_chars": rows_module.MAX_CHARS,
        "severity_levels": otlp.LEVEL_BY_SEVERITY_NUMBER,
        "min_plausible_us": otlp.MIN_PLAUSIBLE_US,
        "max_future_us": otlp.MAX_FUTURE_US,
        "max_duration_thousandths": rows_module.MAX_DURATION_THOUSANDTHS,
        "labels": {
            "levels": logs_table.LEVELS,
            "log_types": logs_table.LOG_TYPES,
            "environments": logs_table.ENVIRONMENTS,
            "methods": logs_table.METHODS,
        },
    }
    for name, value in expected.items():
        if tables[name] != value:
            return f"its {name} differ from the Python mapping's"
    return None


def _load() -> tuple[ModuleType | None, str]:
    try:
        module = importlib.import_module("loglens.collector.native._native")
    except ImportError as error:
        return None, f"the native extension is not built ({error}); run `pip install -e .` with a C compiler"
    if SOURCE.exists():
        built_from = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
        if built_from != module.SOURCE_HASH:
            return None, "the native extension was built from an older _native.c (stale); `make up` rebuilds it"
    disagreement = _tables_agree(module)
    if disagreement is not None:
        return None, f"the native extension is out of date: {disagreement}"
    rows_ = rows_module
    module.configure(rows_.level_from_text, rows_.environment_from_text, rows_.duration_thousandths, orjson.dumps)
    return module, "the native extension is built and current"


_module, _load_reason = _load()
_active: ModuleType | None = None
_ON = "on: OTLP protobuf is decoded and rows are encoded natively"
_status = NativeStatus(False, f"off: {_load_reason}" if _module is None else "off: not configured yet")


def configure(mode: Mode) -> NativeStatus:
    """Turn the native path on or off for this process; ``on`` without the extension raises."""
    global _active, _status
    if mode == "off":
        _active, _status = None, NativeStatus(False, "off (LOGLENS_NATIVE=off): the Python path serves")
    elif _module is not None:
        _active, _status = _module, NativeStatus(True, _ON)
    elif mode == "on":
        raise ConfigurationError(f"LOGLENS_NATIVE=on, but {_load_reason} (or set LOGLENS_NATIVE=auto)")
    else:
        _active, _status = None, NativeStatus(False, f"off: {_load_reason}; the Python path serves")
    return _status


def status() -> NativeStatus:
    """Whether the native path is on in this process, and why (what /health reports)."""
    return _status


def module_file() -> str | None:
    """Where the extension in use was loaded from."""
    return None if _module is None else _module.__file__


def available() -> bool:
    return _module is not None


def enabled() -> bool:
    return _active is not None


def decode_otlp(
    body: bytes, received_us: int, max_message_chars: int, *, keep_problem_rows: bool = False
) -> DecodedRequest | None:
    """The request's rows, or None when the native path is off or does not handle this body.

    ``keep_problem_rows`` encodes the rows the writer will refuse too (for the differential tests)."""
    module = _active
    if module is None:
        return None
    decoded = module.decode_otlp(body, received_us, max_message_chars, keep_problem_rows)
    if decoded is None:
        return None
    data, offsets, positions, refused, problems, days, records, text_bytes = decoded
    del text_bytes  # the batcher counts the encoded bytes themselves (held_bytes)
    return DecodedRequest(EncodedRows(data, offsets, problems, days), positions, refused, records)


def encode_rows(rows: list[Row]) -> EncodedRows | None:
    """The rows as binary COPY, or None when the native path is off or a row holds a value of a
    type it does not encode (asyncpg encodes those, as it always did)."""
    module = _active
    if module is None or not rows:
        return None
    encoded = module.encode_rows(rows)
    if encoded is None:
        return None
    data, offsets, problems, days, _text_bytes = encoded
    return EncodedRows(data, offsets, problems, days)
