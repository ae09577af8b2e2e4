"""µs of collector CPU per record, native path against the Python path, on SDK-shaped OTLP records.

``python -m tests.collector.native_speed`` prints, per record (median of several runs):

- decode + map: the Python path (protobuf's runtime, mapping/otlp.py, the long-message check) and
  the native one (decode_otlp: parse, map, checks and binary COPY encoding in one walk);
- COPY encoding: this process's CPU while COPYing the rows into an embedded PostgreSQL, asyncpg
  encoding the tuples (copy_records_to_table) against sending natively encoded rows
  (copy_to_table, format binary); and encode_rows alone (the tuples of the other paths).

(The figures of the whole collector, end to end, are bench/'s.)
"""

from __future__ import annotations

import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import asyncpg

from loglens.collector import native
from loglens.collector.ingest import _positions_of_rows
from loglens.collector.mapping import otlp
from loglens.collector.rows import Row
from loglens.collector.storage.copy import BatchRows, copy_rows, register_writer_codecs
from loglens.database.embedded import EmbeddedPostgres
from loglens.database.migrate import migrate
from tests.otlp_payloads import record, request

RECORDS = 1000
RUNS = 9


def sdk_body(records: int) -> bytes:
    """A request as the OpenTelemetry Python SDK sends one, records of a web service."""
    resource = {
        "service.name": "payment-api", "service.version": "2.4.1", "deployment.environment.name": "production",
        "telemetry.sdk.language": "python", "telemetry.sdk.name": "opentelemetry",
        "telemetry.sdk.version": "1.30.0", "host.name": "web-3",
    }  # fmt: skip
    items = [
        record(
            f"GET /api/orders/{n} answered",
            9 if n % 10 else 17,
            {
                "http.request.method": "GET",
                "http.route": "/api/orders/{id}",
                "url.path": f"/api/orders/{n}",
                "http.response.status_code": 200 if n % 10 else 500,
                "user.id": f"user_{n % 97:04d}",
                "duration_ms": 12.5 + n % 40,
                "code.function.name": "get_order",
                "thread.name": "worker-1",
            },
            trace_id=n.to_bytes(16, "big"),
            span_id=n.to_bytes(8, "big"),
        )
        for n in range(1, records + 1)
    ]
    return request(*items, resource=resource).SerializeToString()


def per_record_us(work: Callable[[], object], records: int, repeat: int = 10) -> float:
    times = []
    for _ in range(RUNS):
        started = time.perf_counter()
        for _ in range(repeat):
            work()
        times.append((time.perf_counter() - started) / repeat)
    return statistics.median(times) / records * 1e6


def python_decode_and_map(body: bytes) -> list[Row]:
    mapped = otlp.map_request(otlp.decode_protobuf(body), time.time_ns() // 1000)
    _positions_of_rows(mapped.records, mapped.rejected)
    return mapped.rows


async def copy_cpu_us(dsn: str, rows: list[Row]) -> tuple[float, float]:
    """This process's CPU per row COPYing the rows: asyncpg's encoding, then native bytes."""
    connection = await asyncpg.connect(dsn)
    try:
        await register_writer_codecs(connection)
        await connection.execute("CREATE TABLE IF NOT EXISTS logs_p_all PARTITION OF logs DEFAULT")
        encoded = native.encode_rows(rows)
        assert encoded is not None
        figures = []
        for tuples in (True, False):
            times = []
            for _ in range(RUNS):
                started = time.process_time()
                if tuples:
                    await copy_rows(connection, rows)
                else:
                    await BatchRows([encoded]).copy(connection)
                times.append(time.process_time() - started)
                await connection.execute("TRUNCATE logs")
            figures.append(statistics.median(times) / len(rows) * 1e6)
        return figures[0], figures[1]
    finally:
        await connection.close()


def main() -> int:
    status = native.configure("on")
    body = sdk_body(RECORDS)
    rows = python_decode_and_map(body)
    python_us = per_record_us(lambda: python_decode_and_map(body), RECORDS)
    native_us = per_record_us(lambda: native.decode_otlp(body, time.time_ns() // 1000, 1 << 20), RECORDS)
    encode_us = per_record_us(lambda: native.encode_rows(rows), RECORDS)
    big = rows * 20
    with tempfile.TemporaryDirectory(prefix="llspeed-") as data_dir:
        server = EmbeddedPostgres(Path(data_dir))
        server.start()
        try:
            dsn = server.dsn_for("postgres", "postgres")

            async def measure() -> tuple[float, float]:
                connection = await asyncpg.connect(dsn)
                try:
                    await migrate(connection)
                finally:
                    await connection.close()
                return await copy_cpu_us(dsn, big)

            asyncpg_us, binary_us = asyncio.run(measure())
        finally:
            server.stop()
    lines = [
        f"native: {status.reason}; {RECORDS} records of {len(body) // RECORDS} B, median of {RUNS} runs",
        f"decode + map, Python path (protobuf runtime + mapping/otlp.py):   {python_us:6.2f} µs/record",
        f"decode + map + checks + COPY encoding, native (decode_otlp):      {native_us:6.2f} µs/record",
        f"COPY, client CPU, asyncpg encoding the tuples:                    {asyncpg_us:6.2f} µs/row",
        f"COPY, client CPU, natively encoded rows sent as binary COPY:      {binary_us:6.2f} µs/row",
        f"encode_rows alone (row tuples -> binary COPY, the other paths):   {encode_us:6.2f} µs/row",
        f"Python path total {python_us + asyncpg_us:.2f} µs/record; native {native_us + binary_us:.2f} µs/record "
        f"({(python_us + asyncpg_us) / (native_us + binary_us):.1f}x)",
    ]
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
