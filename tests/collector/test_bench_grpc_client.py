"""The bench's OTLP/gRPC client (``bench/grpc_raw.py``: bodies gzipped ahead, sent over plain
HTTP/2) is answered by the collector exactly as grpcio's calls are: what it sends is stored, once."""

from __future__ import annotations

import gzip
import random

import asyncpg

from bench import grpc_raw
from bench.ingest import EXPORT
from loglens.collector.server import Collector
from tests.otlp_payloads import record, request


async def test_pre_gzipped_calls_are_stored_once_each(collector: Collector, db: asyncpg.Connection) -> None:
    connection = grpc_raw.GrpcConnection("127.0.0.1", collector.ports.otlp_grpc)
    await connection.open()
    try:
        for batch in range(3):
            # Larger than the first flow-control window (64 KiB) once gzipped: WINDOW_UPDATEs are needed.
            records = [record(f"call {batch} record {n} {random.getrandbits(128):x}") for n in range(3000)]
            body = request(*records).SerializeToString()
            await connection.export(EXPORT, gzip.compress(body, compresslevel=1))
    finally:
        await connection.close()
    assert await db.fetchval("SELECT count(*) FROM logs") == 9000
    assert await db.fetchval("SELECT count(DISTINCT message) FROM logs") == 9000
