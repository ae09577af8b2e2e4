"""The Fluentd forward protocol's part of ``bench/ingest.py``: the demo scenarios' logs as
Fluentd events, one tag per service (``app.<service>``), the time as EventTime, the other fields
as the record, packed into PackedForward chunks of 1000 records with a chunk id each, as
Fluentd's out_forward sends; and a sender that waits for each chunk's ack before its next
(out_forward with ``require_ack_response``): a chunk counts once acknowledged, i.e. committed.

    python -m bench.forward [--records 200000] [--connections 8]   (bench.ingest, forward only)
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import struct
import time
import uuid
from collections import defaultdict
from typing import Any

import msgpack

from bench.report import Report

CHUNK_RECORDS = 1000


def event_time(iso: str) -> msgpack.ExtType:
    moment = dt.datetime.fromisoformat(iso)
    seconds = int(moment.timestamp())
    return msgpack.ExtType(0, struct.pack(">II", seconds, moment.microsecond * 1000))


def build_chunks(records: list[dict[str, Any]]) -> tuple[list[tuple[str, bytes]], int]:
    """PackedForward frames of up to 1000 records with their chunk ids; and the record count."""
    by_service: dict[str, list[bytes]] = defaultdict(list)
    for record in records:
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


async def send_chunks(chunks: list[tuple[str, bytes]], port: int, connections: int) -> list[float]:
    """Send every chunk over ``connections`` connections, each awaiting its ack; each ack's latency."""
    queue: asyncio.Queue[tuple[str, bytes]] = asyncio.Queue()
    for item in chunks:
        queue.put_nowait(item)
    latencies: list[float] = []

    async def connection() -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        unpacker = msgpack.Unpacker(raw=False)
        try:
            while not queue.empty():
                chunk, frame = queue.get_nowait()
                started = time.perf_counter()
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
                latencies.append(time.perf_counter() - started)
        finally:
            writer.close()
            await writer.wait_closed()

    await asyncio.gather(*(connection() for _ in range(connections)))
    return latencies


def main() -> None:
    from bench import ingest

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    report = Report()
    asyncio.run(ingest.measure(args.records, args.connections, report, ("forward",)))
    report.print()


if __name__ == "__main__":
    main()
