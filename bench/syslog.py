"""The syslog part of ``bench/ingest.py``: the demo scenarios' logs as RFC 5424 messages (time to
the microsecond, the service as APP-NAME, the level as severity, the host, the trace and user ids
as structured data), octet-counted as rsyslog's and syslog-ng's TCP outputs send them, in bodies of
1000 messages written over several connections, each closed cleanly after its last.

Syslog has no acknowledgement: the run ends when every message is committed (the table is
polled), so the rate is the whole path's, with no answer latency to report.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Any

SEVERITY = {"FATAL": 2, "ERROR": 3, "WARN": 4, "INFO": 6, "DEBUG": 7, "TRACE": 7}
BODY_MESSAGES = 1000
LOCAL0 = 16


def message(record: dict[str, Any]) -> bytes:
    host = (record.get("metadata") or {}).get("host") or "-"
    ids = " ".join(
        f'{name}="{record[key]}"' for key, name in (("trace_id", "trace"), ("user_id", "user")) if record.get(key)
    )
    data = f"[app {ids}]" if ids else "-"
    pri = LOCAL0 * 8 + SEVERITY.get(record["level"], 6)
    frame = f"<{pri}>1 {record['created_at']} {host} {record['service']} - - {data} {record['message']}".encode()
    return b"%d %s" % (len(frame), frame)


def build_bodies(records: list[dict[str, Any]]) -> list[bytes]:
    """The records as octet-counted RFC 5424 frames, 1000 to a body (one write)."""
    frames = [message(record) for record in records]
    return [b"".join(frames[start : start + BODY_MESSAGES]) for start in range(0, len(frames), BODY_MESSAGES)]


async def send_bodies(
    bodies: list[bytes], port: int, connections: int, stored: Callable[[], Awaitable[int]], expected: int
) -> None:
    """Every body over ``connections`` TCP connections, then wait until ``expected`` rows are
    committed (``stored()`` counts them)."""
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def connection() -> None:
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not queue.empty():
                writer.write(queue.get_nowait())
                await writer.drain()
        finally:
            writer.close()
            await writer.wait_closed()

    await asyncio.gather(*(connection() for _ in range(connections)))
    deadline = time.monotonic() + 120
    while (count := await stored()) < expected:
        if time.monotonic() > deadline:
            raise RuntimeError(f"syslog: {expected} messages sent, {count} stored after 120 s")
        await asyncio.sleep(0.01)
