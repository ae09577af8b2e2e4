"""Collector CPU per record, stage by stage, in this process: what each receiver does with the
same bodies ``bench/ingest.py`` sends, each stage timed alone with ``time.process_time``.

- decode: inflate and parse the body (protobuf, JSON, msgpack) into Python objects;
- map: those objects → row tuples (``collector/ingest.py``'s mapping, as the server runs it);
- encode: the rows → PostgreSQL's binary COPY format (asyncpg's per-value encoding: the CPU this
  process spends in ``copy_records_to_table``);
- COPY: PostgreSQL's own CPU for the same COPY (its backend process's user + system time).

The JSON path is also timed with cyclic garbage collection left running, beside the pause the
server makes (``ingest.collections_paused``): the cost of not pausing it.

With the native extension built (and ``LOGLENS_NATIVE`` not ``off``), its one walk of OTLP
protobuf into COPY rows and its encoder of the other paths' rows are timed too, beside the Python
path (measured with the native path switched off in this process).
"""

from __future__ import annotations

import contextlib
import gc
import gzip
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

import asyncpg
import psutil

from loglens.collector import native
from loglens.collector.batcher import Batcher
from loglens.collector.ingest import Ingest, collections_paused
from loglens.collector.ingest import Prepared as Mapping
from loglens.collector.mapping import json_api, otlp
from loglens.collector.native import Mode
from loglens.collector.receivers.forward import protocol
from loglens.collector.receivers.gelf_framing import NulSplitter
from loglens.collector.receivers.syslog_framing import FrameSplitter
from loglens.collector.rows import COLUMNS, Col, Row
from loglens.collector.storage.copy import register_writer_codecs
from loglens.collector.storage.partitions import Partitions, day_of
from loglens.collector.storage.writer import LogWriter
from loglens.errors import ConfigurationError

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
    # OTLP: the gzip part of decode, and the native path's one walk (parse + map + encode) after it
    inflate: float | None = None
    native_walk: float | None = None
    # JSON and forward: the native encoding of the rows the Python mapping made
    native_encode: float | None = None

    def collector(self) -> float:
        return self.decode + self.map + self.encode

    def native(self) -> tuple[float, float, float] | None:
        """decode, map, encode with the native path on: OTLP's walk counts as its encode (it
        makes the COPY rows), the other paths map in Python and encode natively."""
        if self.inflate is not None and self.native_walk is not None:
            return self.inflate, 0.0, self.native_walk
        if self.native_encode is not None:
            return self.decode, self.map, self.native_encode
        return None


def _native_wanted() -> Mode:
    """What a server started from this checkout would be told (``LOGLENS_NATIVE``, default auto)."""
    return "off" if os.environ.get("LOGLENS_NATIVE", "auto").lower() == "off" else "auto"


@contextlib.contextmanager
def native_path() -> Iterator[bool]:
    """The native path on in this process for the block, if it is built and wanted; off after it:
    the Python stages are measured with it off (the mappings then return row tuples)."""
    try:
        try:
            status = native.configure(_native_wanted())
        except ConfigurationError:
            status = native.status()
        yield status.enabled
    finally:
        native.configure("off")


def native_state() -> str:
    """ "on" or "off" and why, for the report."""
    with native_path() as enabled:
        return "on" if enabled else native.status().reason


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


def otlp_stages(bodies: list[bytes]) -> tuple[list[Row], float, float, float, float | None]:
    """Rows, µs of decode (inflate and parse) and map (all bodies) on the Python path, and the
    native path's µs for parse + map + encode in its one walk (after the same inflate), if on."""
    ingest = _ingest()
    inflate_us, raw = _cpu_us(lambda: [gzip.decompress(body) for body in bodies])
    parse_us, decoded = _cpu_us(lambda: [otlp.decode_protobuf(body) for body in raw])
    map_us, mapped = _cpu_us(lambda: [ingest._map_otlp(request) for request in decoded])
    native_us = None
    with native_path() as enabled:
        if enabled:
            received = time.time_ns() // 1000
            native_us = _cpu_us(lambda: [native.decode_otlp(body, received, MAX_MESSAGE_CHARS) for body in raw])[0]
    return _rows(mapped), inflate_us + parse_us, map_us, inflate_us, native_us


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


def syslog_stages(bodies: list[bytes]) -> tuple[list[Row], float, float]:
    """Rows, µs of decode (the TCP stream split into messages) and map (messages → rows)."""
    ingest = _ingest()
    splitter = FrameSplitter(FRAME_LIMIT)
    decode_us, messages = _cpu_us(lambda: [splitter.feed(body) for body in bodies])
    map_us, mapped = _cpu_us(lambda: [ingest._map_syslog(frames) for frames in messages])
    return _rows(mapped), decode_us, map_us


def gelf_stages(bodies: list[bytes]) -> tuple[list[Row], float, float]:
    """Rows, µs of decode (the TCP stream split at its NULs) and map (JSON messages → rows)."""
    ingest = _ingest()
    splitter = NulSplitter(FRAME_LIMIT)
    decode_us, messages = _cpu_us(lambda: [splitter.feed(body) for body in bodies])
    map_us, mapped = _cpu_us(lambda: [ingest._map_gelf(frames) for frames in messages])
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
    with native_path() as enabled:
        if enabled:
            chunks = [rows[start : start + 1000] for start in range(0, len(rows), 1000)]
            native_us = _cpu_us(lambda: [native.encode_rows(chunk) for chunk in chunks])[0]
    return encode_us, copy_us, native_us
