"""Several collector processes sharing the receivers' ports.

Decoding OTLP and building rows is Python work bound to one core per process, so ``loglens up``
runs one collector process per core (``LOGLENS_COLLECTOR_WORKERS``), each listening on the
same ports with SO_REUSEPORT: the kernel spreads connections over them. Each worker has its
own batcher and writer connections; what they share is the database, where idempotency keys
keep a replayed request from being stored twice whichever worker it reaches.

The parent supervises: it waits until every worker listens, restarts one that dies, and on
shutdown asks each to stop, which commits what it accepted.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import AsyncIterator
from multiprocessing.context import SpawnProcess
from typing import Any

from loglens.collector.server import Collector, Ports
from loglens.errors import LoglensError
from loglens.settings import Settings

log = logging.getLogger(__name__)

START_TIMEOUT_S = 60.0
STOP_TIMEOUT_S = 30.0
RESTART_PAUSE_S = 1.0

_spawn = multiprocessing.get_context("spawn")


def worker_count(configured: int) -> int:
    """0 means one per available core, at most 8."""
    if configured > 0:
        return configured
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


@contextlib.asynccontextmanager
async def serve_collectors(settings: Settings, overrides: dict[str, Any], dsn: str) -> AsyncIterator[Ports]:
    """The receivers for as long as the block lasts: one collector in this process, or worker
    processes sharing the ports; ``overrides`` are the command line's settings, passed on to them."""
    count = worker_count(settings.collector_workers)
    ports = (settings.otlp_http_port, settings.otlp_grpc_port, settings.forward_port)
    if count == 1 or 0 in ports:
        collector = Collector(settings, dsn)
        try:
            try:
                bound = await collector.start()
            except OSError as error:  # a port in use: the receivers say which, and what to check
                raise LoglensError(str(error)) from None
            yield bound
        finally:
            await collector.stop()
        return
    for port in ports:
        _ensure_free(settings.host, port)
    # The forward port's UDP twin answers Fluentd's heartbeat.
    _ensure_free(settings.host, settings.forward_port, socket.SOCK_DGRAM)
    workers = CollectorWorkers(overrides, dsn, count)
    await asyncio.to_thread(workers.start)
    log.info("%d collector workers listening", count)
    supervising = asyncio.create_task(workers.supervise())
    try:
        yield Ports(*ports)
    finally:
        supervising.cancel()
        await asyncio.to_thread(workers.stop)


def _ensure_free(host: str, port: int, kind: socket.SocketKind = socket.SOCK_STREAM) -> None:
    """Workers share ports with SO_REUSEPORT, which would also let a second loglens share them:
    check that nobody listens there first."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise LoglensError(
                f"cannot listen on {'UDP ' if kind == socket.SOCK_DGRAM else ''}{host}:{port}: "
                f"{error.strerror}; is loglens already running?"
            ) from None


class CollectorWorkers:
    def __init__(self, overrides: dict[str, Any], dsn: str, count: int) -> None:
        self._overrides = overrides
        self._dsn = dsn
        self._count = count
        self._processes: dict[int, SpawnProcess] = {}
        self._ready: Any = _spawn.Queue()
        self._stopping = False

    def start(self) -> None:
        for index in range(self._count):
            self._spawn_worker(index)
        self._wait_until_listening(set(range(self._count)))

    async def supervise(self) -> None:
        """Restart workers that die, until ``stop``."""
        while not self._stopping:
            await asyncio.sleep(0.5)
            for index, process in list(self._processes.items()):
                if not process.is_alive() and not self._stopping:
                    log.error("collector worker %d exited with %s; restarting it", index, process.exitcode)
                    await asyncio.sleep(RESTART_PAUSE_S)
                    self._spawn_worker(index)
                    await asyncio.to_thread(self._wait_until_listening, {index})

    def stop(self) -> None:
        self._stopping = True
        for process in self._processes.values():
            if process.is_alive() and process.pid is not None:
                os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for index, process in self._processes.items():
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.error("collector worker %d did not stop in %.0f s; killing it", index, STOP_TIMEOUT_S)
                process.kill()
                process.join()

    def _spawn_worker(self, index: int) -> None:
        process = _spawn.Process(
            target=_worker_main,
            args=(self._overrides, self._dsn, index, self._ready),
            name=f"loglens-collector-{index}",
            daemon=False,
        )
        process.start()
        self._processes[index] = process

    def _wait_until_listening(self, pending: set[int]) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while pending:
            try:
                status, index, detail = self._ready.get(timeout=max(0.1, deadline - time.monotonic()))
            except Exception:
                self.stop()
                raise LoglensError(
                    f"collector workers {sorted(pending)} did not start in {START_TIMEOUT_S:.0f} s"
                ) from None
            if status == "failed":
                self.stop()
                raise LoglensError(f"collector worker {index} could not start: {detail}")
            pending.discard(index)


def _worker_main(overrides: dict[str, Any], dsn: str, index: int, ready: Any) -> None:
    from loglens.logging_setup import configure_logging

    configure_logging(prefix=f"[collector {index}] ")
    asyncio.run(_serve_worker(overrides, dsn, index, ready))


async def _serve_worker(overrides: dict[str, Any], dsn: str, index: int, ready: Any) -> None:
    collector = Collector(Settings(**overrides), dsn, reuse_port=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await collector.start()
    except Exception as error:
        ready.put(("failed", index, str(error) or type(error).__name__))
        with contextlib.suppress(Exception):
            await collector.stop()
        return
    ready.put(("ready", index, None))
    try:
        await stop.wait()
    finally:
        await collector.stop()
