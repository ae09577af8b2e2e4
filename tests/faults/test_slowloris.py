"""Slowloris under JSON, OTLP and forward load: hundreds of connections sending HTTP headers
and forward frames a byte at a time (reconnecting when loglens closes them), and connections
that send nothing at all. loglens keeps serving everyone else at once, loses nothing
acknowledged, and closes the silent connections after LOGLENS_IDLE_TIMEOUT_S."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import time
from collections import Counter
from pathlib import Path

import aiohttp

from tests.conftest import LoglensProcess, eventually
from tests.faults.harness import (
    acked_counts,
    acknowledged_more,
    assert_delivery,
    finish,
    new_tag,
    proves_recovery,
    start,
    stop,
    under_load,
    wait_until_serving,
)

IDLE_TIMEOUT_S = 3.0
SLOW_HTTP, SLOW_FORWARD = 200, 100
SILENT_PER_PORT = 30
BYTE_EVERY_S = 0.5
PROBES = 20
PROBE_WITHIN_S = 2.0  # what one JSON request may take beside the attack (~0.01 s idle)


def _slow_bytes(port_kind: str) -> bytes:
    """What a slow connection dribbles: headers that never end, or a frame that never ends."""
    if port_kind == "http":
        head = b"POST /logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        return head + b"".join(b"X-Slow-%d: a\r\n" % n for n in range(10_000))
    # A forward frame: fixarray of 3, a tag, then a str of 1 MiB that never arrives.
    return b"\x93\xa4slow\xdb\x00\x10\x00\x00" + b"a" * 1_000_000


class Slowloris:
    def __init__(self, running: LoglensProcess) -> None:
        self.running = running
        self.stopping = asyncio.Event()
        self.connected: set[int] = set()
        self.closed_by_server = Counter[str]()
        self.silent_closed_after: list[float] = []
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        numbers = itertools.count()
        http, forward = ("http", self.running.http_port), ("forward", self.running.forward_port)
        targets = [http] * SLOW_HTTP + [forward] * SLOW_FORWARD
        self._tasks = [asyncio.create_task(self._dribble(next(numbers), kind, port)) for kind, port in targets]
        for port in (self.running.http_port, self.running.forward_port, self.running.grpc_port):
            self._tasks += [asyncio.create_task(self._silent(port)) for _ in range(SILENT_PER_PORT)]

    async def stop(self) -> None:
        self.stopping.set()
        await asyncio.gather(*self._tasks)

    async def _dribble(self, number: int, kind: str, port: int) -> None:
        data = _slow_bytes(kind)
        while not self.stopping.is_set():
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            except OSError:
                self.closed_by_server[f"{kind} refused"] += 1
                continue
            self.connected.add(number)
            try:
                for offset in range(len(data)):
                    if self.stopping.is_set():
                        return
                    writer.write(data[offset : offset + 1])
                    await writer.drain()
                    try:  # the pace of the attack, unless loglens closes the connection first
                        if not await asyncio.wait_for(reader.read(4096), BYTE_EVERY_S):
                            self.closed_by_server[kind] += 1
                            break
                    except TimeoutError:
                        continue
                    # An answer (408) is followed by the close; wait for it.
            except OSError:
                self.closed_by_server[kind] += 1
            finally:
                writer.close()
                with contextlib.suppress(OSError):
                    await writer.wait_closed()

    async def _silent(self, port: int) -> None:
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        opened = time.monotonic()
        try:
            async with asyncio.timeout(IDLE_TIMEOUT_S + 15):
                while await reader.read(4096):
                    pass  # whatever the server says before it closes (gRPC's settings frame)
            self.silent_closed_after.append(time.monotonic() - opened)
        except TimeoutError:
            pass
        except OSError:
            self.silent_closed_after.append(time.monotonic() - opened)
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


async def _probe(url: str) -> float:
    """The slowest of ``PROBES`` JSON requests on new connections, each acknowledged."""
    slowest = 0.0
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        for number in range(PROBES):
            began = time.monotonic()
            async with session.post(f"{url}/logs", json={"logs": [{"message": f"probe {number}"}]}) as response:
                assert response.status == 200, await response.text()
            slowest = max(slowest, time.monotonic() - began)
    return slowest


async def test_slowloris_beside_load_leaves_the_others_served(dsn: str, tmp_path: Path) -> None:
    began = time.monotonic()
    running = start(dsn, tmp_path, env={"LOGLENS_IDLE_TIMEOUT_S": str(IDLE_TIMEOUT_S)})
    attack = Slowloris(running)
    try:
        await wait_until_serving(running)
        tag = new_tag()
        async with under_load(running, tag) as loads:
            await acknowledged_more(loads, by=100)
            attack.start()
            await eventually(lambda: len(attack.connected) == SLOW_HTTP + SLOW_FORWARD, within_s=20)
            during = acked_counts(loads)
            slowest = await _probe(running.http_url)
            await acknowledged_more(loads, during, by=300)
            await eventually(lambda: len(attack.silent_closed_after) == 3 * SILENT_PER_PORT, IDLE_TIMEOUT_S + 15)
            await attack.stop()
            silent_s = max(attack.silent_closed_after)
            outcomes = await finish(
                f"slowloris ({SLOW_HTTP + SLOW_FORWARD} slow connections, closed by loglens "
                f"{dict(attack.closed_by_server)}; {3 * SILENT_PER_PORT} silent ones closed after at most "
                f"{silent_s:.1f} s; slowest of {PROBES} requests beside them {slowest:.2f} s)",
                dsn,
                tag,
                loads,
                time.monotonic() - began,
            )
        assert slowest < PROBE_WITHIN_S
        assert silent_s < IDLE_TIMEOUT_S + 10
        assert attack.closed_by_server["http"] >= SLOW_HTTP, "headers that never end held their connections"
        assert_delivery(outcomes)
        await proves_recovery(running, dsn)
    finally:
        attack.stopping.set()
        stop(running)
