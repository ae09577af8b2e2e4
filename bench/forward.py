"""End-to-end ingest through the Fluentd forward protocol against PostgreSQL's own limit.

1. Generates the demo scenarios' logs as Fluentd events: one tag per service
   (``app.<service>``), the time as EventTime, the other fields as the record, packed into
   PackedForward chunks of 1000 records with a chunk id each, as Fluentd's out_forward sends.
2. Runs a real ``loglens up`` on a fresh embedded PostgreSQL and sends every chunk over
   several connections, each waiting for its chunk's ack before the next (out_forward with
   ``require_ack_response``); a chunk counts once acknowledged, i.e. committed.
3. Loads the same rows into the same table with ``psql \\copy``: the rate PostgreSQL itself
   sustains on this machine, measured in the same run.

    python -m bench.forward [--records 200000] [--connections 8]
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import struct
import tempfile
import time
import uuid
from collections import defaultdict
from pathlib import Path
from typing import Any

import asyncpg
import msgpack

from bench.ingest import MISSION_LOGS_PER_S, peak_rss_mb, raw_copy_rate, start_server
from bench.report import Report
from loglens.database.embedded import EmbeddedPostgres
from loglens.database.migrate import migrate
from loglens.demo import scenario

CHUNK_RECORDS = 1000


def event_time(iso: str) -> msgpack.ExtType:
    moment = dt.datetime.fromisoformat(iso)
    seconds = int(moment.timestamp())
    return msgpack.ExtType(0, struct.pack(">II", seconds, moment.microsecond * 1000))


def build_chunks(count: int) -> tuple[list[tuple[str, bytes]], int]:
    """PackedForward frames of up to 1000 records with their chunk ids; and the record count."""
    now = dt.datetime.now(dt.UTC)
    by_service: dict[str, list[bytes]] = defaultdict(list)
    for record in scenario.Gen(dict(scenario.DEFAULT_VOCAB), seed=11, now=now).all(count):
        fields: dict[str, Any] = {key: value for key, value in record.items() if value is not None}
        time_ = event_time(fields.pop("created_at"))
        service = fields.pop("service")
        by_service[service].append(msgpack.packb([time_, fields], use_bin_type=True))
    chunks, total = [], 0
    for service, entries in by_service.items():
        for start in range(0, len(entries), CHUNK_RECORDS):
            part = entries[start : start + CHUNK_RECORDS]
            chunk = uuid.uuid4().hex
            option = {"chunk": chunk, "size": len(part)}
            frame = msgpack.packb([f"app.{service}", b"".join(part), option], use_bin_type=True)
            chunks.append((chunk, frame))
            total += len(part)
    return chunks, total


async def send_all(chunks: list[tuple[str, bytes]], port: int, connections: int) -> float:
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in chunks:
        queue.put_nowait(item)

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        unpacker = msgpack.Unpacker(raw=False)
        try:
            while not queue.empty():
                chunk, frame = queue.get_nowait()
                writer.write(frame)
                await writer.drain()
                while True:
                    answer = next(iter(unpacker), None)
                    if answer is not None:
                        break
                    data = await reader.read(65536)
                    if not data:
                        raise RuntimeError("the collector closed the connection without an ack")
                    unpacker.feed(data)
                if answer != {"ack": chunk}:
                    raise RuntimeError(f"unexpected answer {answer!r}")
        finally:
            writer.close()
            await writer.wait_closed()

    started = time.perf_counter()
    await asyncio.gather(*(connection() for _ in range(connections)))
    return time.perf_counter() - started


async def measure(records: int, connections: int, report: Report) -> None:
    work = Path(tempfile.mkdtemp(prefix="llf-"))
    server = EmbeddedPostgres(work)
    dsn = server.start()
    try:
        connection = await asyncpg.connect(dsn)
        await migrate(connection)
        chunks, sent = build_chunks(records)
        loglens = start_server(dsn, work / "loglens.log")
        try:
            elapsed = await send_all(chunks, loglens.forward_port, connections)
            rss = peak_rss_mb(loglens.process.pid)
        finally:
            loglens.process.terminate()
            loglens.process.wait(30)
        stored = await connection.fetchval("SELECT count(*) FROM logs")
        if stored != sent:
            raise RuntimeError(f"{sent} records acknowledged but {stored} stored")
        end_to_end = stored / elapsed
        raw_copy = await raw_copy_rate(server, connection, work)
    finally:
        server.stop()

    report.section(
        "Ingest: Fluentd forward, PackedForward chunks of 1000, one ack awaited per connection "
        "(acknowledged = committed)"
    )
    report.row("records", f"{stored:,} in {len(chunks):,} chunks, {connections} connections")
    report.row("end to end", f"{end_to_end:,.0f} logs/s")
    report.row("raw psql \\copy", f"{raw_copy:,.0f} logs/s (same rows, same table and indexes)")
    report.row(
        "ratio",
        f"{end_to_end / raw_copy:.2f} x raw copy; {end_to_end / MISSION_LOGS_PER_S:.1f} x the "
        f"mission's {MISSION_LOGS_PER_S:,} logs/s",
    )
    report.row("server peak RSS", f"{rss:.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    report = Report()
    asyncio.run(measure(args.records, args.connections, report))
    report.print()


if __name__ == "__main__":
    main()
