"""Collector CPU per record, stage by stage, in this process: what each receiver does with the
same bodies ``bench/ingest.py`` sends, each stage timed alone with ``time.process_time``.

- decode: inflate and parse the body (protobuf, JSON, msgpack) into Python objects;
- map: those objects → row tuples (``collector/ingest.py``'s mapping, as the server runs it);
- encode: the rows → PostgreSQL's binary COPY format (asyncpg's per-value encoding: the CPU this
  process spends in ``copy_records_to_table``);
- COPY: PostgreSQL's own CPU for the same COPY (its backend process's user + system time).

The JSON path is also timed with cyclic garbage collection left running, beside the pause the
server makes (``ingest.collections_paused``): the cost of not pausing it.

When the native extension (``loglens.collector.native``) is present and on, its decode-and-encode
of OTLP and its row encoder are timed too, beside the Python path.
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import importlib
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import ModuleType
from typing import TypeVar

import asyncpg
import psutil

from loglens.collector.batcher import Batcher
from loglens.collector.ingest import Ingest, collections_paused
from loglens.collector.ingest import Prepared as Mapping
from loglens.collector.mapping import json_api, otlp
from loglens.collector.receivers.forward import protocol
from loglens.collector.rows import COLUMNS, Col, Row
from loglens.collector.storage.copy import register_writer_codecs
from loglens.collector.storage.partitions import Partitions, day_of
from loglens.collector.storage.writer import LogWriter

FRAME_LIMIT = 32 * 1024 * 1024
MAX_MESSAGE_CHARS = 32_768
CREATED_AT = Col.created_at.value


@dataclass
class Stages:
    """µs of CPU per record for each stage; None where it was not measured."""

    records: int
    decode: float
    map: float
    encode: float
    copy: float
    # decode + map of each body in turn, as served (GC paused) and with the GC left running
    json_gc_paused: float | None = None
    json_gc_running: float | None = None
    native_decode_map_encode: float | None = None
    native_encode: float | None = None

    def collector(self) -> float:
        return self.decode + self.map + self.encode


def native_module() -> ModuleType | None:
    """The native extension's package when it is importable and switched on (LOGLENS_NATIVE)."""
    if os.environ.get("LOGLENS_NATIVE", "").lower() in ("off", "0", "false", "no"):
        return None
    try:
        module = importlib.import_module("loglens.collector.native")
    except ImportError:
        return None
    enabled = getattr(module, "enabled", None)
    with contextlib.suppress(Exception):
        if callable(enabled) and enabled():
            return module
    return None


def native_state() -> str:
    """ "on" or "off", and why, for the report."""
    try:
        module = importlib.import_module("loglens.collector.native")
    except ImportError:
        return "off (no loglens.collector.native in this checkout)"
    if native_module() is None:
        reason = ""
        status = getattr(module, "status", None)
        with contextlib.suppress(Exception):
            reason = str(status().reason) if callable(status) else ""
        return f"off{f' ({reason})' if reason else ''}"
    return "on"


T = TypeVar("T")
REPEAT = 3


def _cpu_us(function: Callable[[], T], repeat: int = REPEAT) -> tuple[float, T]:
    """CPU µs ``function`` takes in this process (the best of ``repeat`` runs), and its result."""
    best = float("inf")
    for _ in range(repeat):
        gc.collect()
        started = time.process_time()
        result = function()
        best = min(best, time.process_time() - started)
    return best * 1e6, result


@contextlib.contextmanager
def _gc_running() -> Iterator[None]:
    """The collector's own GC pauses made no-ops: collection runs as it would without them."""
    enabled = gc.isenabled()
    gc.enable()
    original = gc.disable
    gc.disable = lambda: None
    try:
        yield
    finally:
        gc.disable = original
        if not enabled:
            gc.disable()


def _ingest() -> Ingest:
    """An Ingest for its mapping methods only: its batcher is never started nor written to."""
    batcher = Batcher(
        LogWriter("postgresql:///unused", 1),
        batch_rows=1,
        flush_interval_s=1,
        max_pending_rows=1,
        commit_timeout_s=1,
        writers=1,
    )
    return Ingest(batcher, MAX_MESSAGE_CHARS)


def _rows(mapped: list[Mapping]) -> list[Row]:
    return [row for mapping in mapped for row in mapping[0]]


def otlp_stages(bodies: list[bytes]) -> tuple[list[Row], float, float, float | None]:
    """Rows, µs of decode and map (all bodies), and the native path's µs if it is on."""
    ingest = _ingest()
    inflate_us, raw = _cpu_us(lambda: [gzip.decompress(body) for body in bodies])
    parse_us, decoded = _cpu_us(lambda: [otlp.decode_protobuf(body) for body in raw])
    map_us, mapped = _cpu_us(lambda: [ingest._map_otlp(request) for request in decoded])
    native_us = None
    native = native_module()
    decode_otlp = getattr(native, "decode_otlp", None)
    if callable(decode_otlp):
        received = time.time_ns() // 1000
        with contextlib.suppress(Exception):
            native_us = (
                inflate_us + _cpu_us(lambda: [decode_otlp(body, received, MAX_MESSAGE_CHARS) for body in raw])[0]
            )
    return _rows(mapped), inflate_us + parse_us, map_us, native_us


def json_stages(bodies: list[bytes]) -> tuple[list[Row], float, float, float, float]:
    """Rows, µs of decode and map as the server runs them, and of both together as served
    (GC paused) and with GC left running, alternately."""
    ingest = _ingest()
    received = time.time_ns() // 1000

    def parse(body: bytes) -> json_api.Parsed:
        with collections_paused():
            return json_api.parse_body(gzip.decompress(body), True)

    def map_one(p: json_api.Parsed) -> Mapping:
        return ingest._map_json(p.records, p.unreadable, p.had_invalid_utf8, received)

    decode_us, parsed = _cpu_us(lambda: [parse(body) for body in bodies])
    map_us, mapped = _cpu_us(lambda: [map_one(p) for p in parsed])

    def both() -> list[Mapping]:
        return [map_one(parse(body)) for body in bodies]

    paused, running = float("inf"), float("inf")
    for _ in range(REPEAT):
        paused = min(paused, _cpu_us(both, 1)[0])
        with _gc_running():
            running = min(running, _cpu_us(both, 1)[0])
    return _rows(mapped), decode_us, map_us, paused, running


def forward_stages(frames: list[bytes]) -> tuple[list[Row], float, float]:
    ingest = _ingest()

    def decode() -> list[protocol.Request]:
        requests: list[protocol.Request] = []
        unpacker = protocol.new_unpacker(FRAME_LIMIT)
        for frame_bytes in frames:
            unpacker.feed(frame_bytes)
            with collections_paused():
                requests.extend(protocol.decode(frame, FRAME_LIMIT) for frame in unpacker)
        return requests

    decode_us, requests = _cpu_us(decode)
    map_us, mapped = _cpu_us(lambda: [ingest._map_fluent(r.events, r.unreadable) for r in requests])
    return _rows(mapped), decode_us, map_us


async def copy_stages(dsn: str, rows: list[Row]) -> tuple[float, float, float | None]:
    """µs of this process's CPU (asyncpg's encoding) and of PostgreSQL's backend for a binary COPY
    of ``rows`` into ``logs`` (emptied after), and of the native encoder if it is on."""
    connection = await asyncpg.connect(dsn)
    try:
        await register_writer_codecs(connection)
        backend = psutil.Process(int(await connection.fetchval("SELECT pg_backend_pid()")))
        partitions = Partitions()
        await partitions.load(connection)
        await partitions.ensure(connection, {day_of(row[CREATED_AT]) for row in rows})
        before = backend.cpu_times()
        started = time.process_time()
        for start in range(0, len(rows), 10_000):
            await connection.copy_records_to_table("logs", records=rows[start : start + 10_000], columns=COLUMNS)
        encode_us = (time.process_time() - started) * 1e6
        after = backend.cpu_times()
        copy_us = ((after.user - before.user) + (after.system - before.system)) * 1e6
        await connection.execute("TRUNCATE logs")
    finally:
        await connection.close()
    native_us = None
    encode_rows = getattr(native_module(), "encode_rows", None)
    if callable(encode_rows):
        with contextlib.suppress(Exception):
            native_us = _cpu_us(lambda: [encode_rows(rows[s : s + 1000]) for s in range(0, len(rows), 1000)])[0]
    return encode_us, copy_us, native_us
