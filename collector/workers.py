"""Several collector processes sharing the receivers' ports, and the supervisor that keeps them up.

Decoding OTLP and building rows is Python work bound to one core per process, so ``loglens up``
runs one collector process per core (``LOGLENS_COLLECTOR_WORKERS``), each listening on the
same ports with SO_REUSEPORT: the kernel spreads connections over them. Each worker has its
own batcher and writer connections; what they share is the database, where idempotency keys
keep a replayed request from being stored twice whichever worker it reaches.

The parent supervises, and never gives up while loglens runs: a worker that dies, fails to
start or does not report ready in time is started again after a pause that doubles from 0.5 s
to 10 s and starts over once a worker has served for a minute; the other workers are left
alone. Every death, failure and return is logged with its cause. Only at startup does loglens
give up: when no worker at all can serve (PostgreSQL unreachable then included), it stops and
says why (``LoglensError``), rather than run with every ingest port refusing. Once loglens
runs, a worker started again does not need the database to serve: one killed during an outage
is back within a second or two, answering 503 with Retry-After until PostgreSQL returns
(``Collector.start(require_database=False)``), rather than failing to start until then while
the kernel still sends it no connections.

What the parent knows reaches users two ways, both written by the parent only:

* a shared array (one slot per worker: the pid of a worker that serves, else 0), which every
  worker's ``GET /health`` reads for ``"workers": {"expected": N, "alive": M}``: whichever
  worker the kernel picks gives the same answer;
* a status file, ``<data dir>/status/collector-<OTLP/HTTP port>.json``, replaced atomically at
  every change: each worker's pid, state, restarts and last failure. ``loglens status`` reads
  it when nothing answers on the port, so that "loglens runs, its collector cannot start:
  <cause>" is told apart from "loglens is not running".

Each worker talks to the parent through a pipe of its own (``ready`` or ``failed: cause``),
never a queue shared by all: a worker killed while writing to a shared queue would hold its
lock forever and silence every later one.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import multiprocessing
import os
import signal
import socket
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.context import SpawnProcess
from pathlib import Path
from typing import Any

import orjson

from loglens.collector.server import Collector, Ports
from loglens.errors import LoglensError
from loglens.settings import Settings

log = logging.getLogger(__name__)

READY_TIMEOUT_S = 60.0  # a worker that has not reported ready by then is killed and started again
STARTUP_DEADLINE_S = 60.0  # loglens gives up when no worker serves by then...
STARTUP_ATTEMPTS = 3  # ...or when every worker failed this many times in a row with none serving
STOP_TIMEOUT_S = 30.0
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 10.0
BACKOFF_RESET_S = 60.0  # a worker that served this long starts its backoff over when it dies
TICK_S = 0.05
PARENT_CHECK_S = 1.0

_spawn = multiprocessing.get_context("spawn")

WorkerCounts = Callable[[], dict[str, int]]


def worker_count(configured: int) -> int:
    """0 means one per available core, at most 8."""
    if configured > 0:
        return configured
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:
        cores = os.cpu_count() or 1
    return max(1, min(cores, 8))


def status_path(settings: Settings) -> Path:
    """Where the supervisor of the collector on ``settings``' OTLP/HTTP port describes its workers."""
    return settings.data_dir / "status" / f"collector-{settings.otlp_http_port}.json"


def backoff_s(failures: int) -> float:
    """The pause before the next start of a worker that failed ``failures`` times in a row."""
    return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2.0 ** max(0, failures - 1))


@contextlib.asynccontextmanager
async def serve_collectors(settings: Settings, overrides: dict[str, Any], dsn: str) -> AsyncIterator[Ports]:
    """The receivers for as long as the block lasts: one collector in this process, or worker
    processes sharing the ports; ``overrides`` are the command line's settings, passed on to them."""
    count = worker_count(settings.collector_workers)
    ports = (settings.otlp_http_port, settings.otlp_grpc_port, settings.forward_port)
    syslog_ports = _syslog_ports(settings)
    gelf_ports = (settings.gelf_port,) if settings.gelf_enabled else ()
    if count == 1 or 0 in ports or 0 in syslog_ports or 0 in gelf_ports:
        collector = Collector(settings, dsn, workers=lambda: {"expected": 1, "alive": 1})
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
    # The forward port's UDP twin answers Fluentd's heartbeat; syslog listens on TCP and UDP.
    _ensure_free(settings.host, settings.forward_port, socket.SOCK_DGRAM)
    for port in syslog_ports:
        _ensure_free(settings.host, port)
    if settings.syslog_enabled:
        _ensure_free(settings.host, settings.syslog_port, socket.SOCK_DGRAM)
    for port in gelf_ports:  # GELF listens on TCP and UDP
        _ensure_free(settings.host, port)
        _ensure_free(settings.host, port, socket.SOCK_DGRAM)
    workers = CollectorWorkers(overrides, dsn, count, status_file=status_path(settings))
    await workers.start()
    supervising = asyncio.create_task(workers.supervise(), name="loglens-collector-supervisor")
    try:
        syslog, tls = (settings.syslog_port, settings.syslog_tls_port or 0) if settings.syslog_enabled else (0, 0)
        gelf = settings.gelf_port if settings.gelf_enabled else 0
        yield Ports(*ports, syslog=syslog, syslog_udp=syslog, syslog_tls=tls, gelf=gelf, gelf_udp=gelf)
    finally:
        supervising.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await supervising
        await asyncio.to_thread(workers.stop)


def _syslog_ports(settings: Settings) -> tuple[int, ...]:
    """The syslog receiver's TCP ports (its UDP port has the number of the first)."""
    if not settings.syslog_enabled:
        return ()
    tls = (settings.syslog_tls_port,) if settings.syslog_tls and settings.syslog_tls_port is not None else ()
    return (settings.syslog_port, *tls)


def _ensure_free(host: str, port: int, kind: socket.SocketKind = socket.SOCK_STREAM) -> None:
    """Workers share ports with SO_REUSEPORT, which would also let a second loglens share them:
    check that nobody listens there first. SO_REUSEADDR, as every listener of loglens has: the
    connections of a loglens that just stopped linger in TIME-WAIT for a minute, and must not
    keep the next one from starting; a socket that listens still makes this bind fail."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            raise LoglensError(
                f"cannot listen on {'UDP ' if kind == socket.SOCK_DGRAM else ''}{host}:{port}: "
                f"{error.strerror}; is loglens already running?"
            ) from None


@dataclass
class _Worker:
    """One slot: the process that holds it now, and what happened to it."""

    index: int
    process: SpawnProcess | None = None
    channel: Connection | None = None  # the parent's end of this process's pipe
    state: str = "waiting"  # starting, serving, waiting (to be started again)
    since: float = field(default_factory=time.monotonic)
    started_at: float = 0.0
    retry_at: float = 0.0
    failures: int = 0  # in a row, since it last served for BACKOFF_RESET_S
    restarts: int = 0
    last_error: str | None = None
    served: bool = False


class CollectorWorkers:
    def __init__(self, overrides: dict[str, Any], dsn: str, count: int, status_file: Path | None = None) -> None:
        self._overrides = overrides
        self._dsn = dsn
        self._count = count
        self._workers = [_Worker(index) for index in range(count)]
        # The pid of each worker that serves, 0 for none; read by the workers' /health. Raw: a
        # lock that a killed worker held would never be released.
        self._serving: Any = _spawn.RawArray("q", count)
        self._status_file = status_file
        self._status_error_logged = False
        self._stopping = False
        self._started_at = time.time()
        # Past startup (``start`` returned): workers started from then on serve without the database.
        self._running = False

    @property
    def alive(self) -> int:
        return sum(1 for worker in self._workers if worker.state == "serving")

    async def start(self) -> None:
        """Start every worker; return once each has served or failed once and one serves.
        Raises ``LoglensError`` when none can serve: then loglens must not pretend to run."""
        began = time.monotonic()
        for worker in self._workers:
            self._spawn(worker)
        self._write_status()
        while True:
            self._tick()
            settled = all(worker.served or worker.failures > 0 for worker in self._workers)
            if self.alive == self._count or (self.alive > 0 and settled):
                break
            hopeless = all(worker.failures >= STARTUP_ATTEMPTS for worker in self._workers)
            if self.alive == 0 and (hopeless or time.monotonic() - began > STARTUP_DEADLINE_S):
                causes = sorted({w.last_error for w in self._workers if w.last_error}) or ["no cause reported"]
                await asyncio.to_thread(self.stop)
                raise LoglensError(
                    f"the collector cannot serve: none of its {self._count} workers started in "
                    f"{time.monotonic() - began:.0f} s; {'; '.join(causes)}"
                )
            await asyncio.sleep(TICK_S)
        self._running = True
        if self.alive < self._count:
            log.warning(
                "collector: %d of %d workers serving; the others are being restarted", self.alive, self._count
            )
        else:
            log.info("%d collector workers listening", self._count)

    async def supervise(self) -> None:
        """Keep every worker serving until ``stop``: this loop must outlive any one failure."""
        while not self._stopping:
            try:
                self._tick()
            except Exception:
                log.exception("the collector supervisor failed a round; it goes on")
                await asyncio.sleep(1.0)
            await asyncio.sleep(TICK_S)

    def stop(self) -> None:
        self._stopping = True
        for worker in self._workers:
            process = worker.process
            if process is not None and process.is_alive() and process.pid is not None:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_TIMEOUT_S
        for worker in self._workers:
            process = worker.process
            if process is None:
                continue
            process.join(max(0.0, deadline - time.monotonic()))
            if process.is_alive():
                log.error("collector worker %d did not stop in %.0f s; killing it", worker.index, STOP_TIMEOUT_S)
                process.kill()
                process.join()
            self._serving[worker.index] = 0
            if worker.channel is not None:
                worker.channel.close()
        if self._status_file is not None:
            with contextlib.suppress(OSError):
                self._status_file.unlink()

    # --- the state machine, one round every TICK_S -------------------------------------------

    def _tick(self) -> None:
        now = time.monotonic()
        changed = False
        for worker in self._workers:
            if self._stopping:
                return
            if worker.state == "starting":
                changed |= self._check_starting(worker, now)
            elif worker.state == "serving":
                changed |= self._check_serving(worker, now)
            elif now >= worker.retry_at:
                self._spawn(worker)
                changed = True
        if changed:
            self._write_status()

    def _check_starting(self, worker: _Worker, now: float) -> bool:
        assert worker.process is not None
        assert worker.channel is not None
        message: tuple[str, str | None] | None = None
        if worker.channel.poll():
            try:
                message = worker.channel.recv()
            except (EOFError, OSError):
                message = None  # the pipe closed: the process died before a word
        if message is not None and message[0] == "ready":
            self._serving[worker.index] = worker.process.pid or 0
            if worker.failures or worker.restarts:
                log.warning(
                    "collector worker %d is serving again (pid %s, %.1f s after it was started)",
                    worker.index,
                    worker.process.pid,
                    now - worker.started_at,
                )
            worker.state, worker.since, worker.served = "serving", now, True
            return True
        if message is not None:
            self._kill(worker)
            self._failed(worker, now, f"could not start: {message[1]}")
            return True
        if not worker.process.is_alive():
            self._failed(worker, now, f"{_exit_cause(worker.process.exitcode)} while starting")
            return True
        if now - worker.started_at > READY_TIMEOUT_S:
            self._kill(worker)
            self._failed(worker, now, f"did not report ready in {READY_TIMEOUT_S:.0f} s; killed")
            return True
        return False

    def _check_serving(self, worker: _Worker, now: float) -> bool:
        assert worker.process is not None
        if worker.process.is_alive():
            return False
        self._serving[worker.index] = 0
        if now - worker.since >= BACKOFF_RESET_S:
            worker.failures = 0
        cause = _exit_cause(worker.process.exitcode)
        self._failed(worker, now, f"{cause} after serving {now - worker.since:.0f} s")
        return True

    def _failed(self, worker: _Worker, now: float, cause: str) -> None:
        worker.failures += 1
        worker.last_error = cause
        delay = backoff_s(worker.failures)
        worker.state, worker.since, worker.retry_at = "waiting", now, now + delay
        pid = worker.process.pid if worker.process is not None else None
        log.error(
            "collector worker %d (pid %s) %s; starting it again in %.1f s (failure %d in a row)",
            worker.index,
            pid,
            cause,
            delay,
            worker.failures,
        )
        if worker.channel is not None:
            worker.channel.close()
            worker.channel = None

    def _spawn(self, worker: _Worker) -> None:
        now = time.monotonic()
        if worker.process is not None:
            worker.restarts += 1
            worker.process.join(0)  # reap it
            with contextlib.suppress(ValueError):
                worker.process.close()
        receiving, sending = _spawn.Pipe(duplex=False)
        process = _spawn.Process(
            target=_worker_main,
            args=(
                self._overrides,
                self._dsn,
                worker.index,
                sending,
                self._serving,
                os.getpid(),
                not self._running,  # at startup, a worker that cannot reach the database fails
            ),
            name=f"loglens-collector-{worker.index}",
            daemon=False,
        )
        try:
            process.start()
        except OSError as error:  # fork refused: out of memory or processes; try again later
            receiving.close()
            sending.close()
            worker.process = None
            self._failed(worker, now, f"could not be started: {error}")
            return
        finally:
            sending.close()  # the child has its own copy: the pipe reads EOF when it dies
        worker.process, worker.channel = process, receiving
        worker.state, worker.since, worker.started_at = "starting", now, now
        if worker.restarts:
            log.info(
                "collector worker %d: starting it again (pid %s, restart %d)",
                worker.index,
                process.pid,
                worker.restarts,
            )

    @staticmethod
    def _kill(worker: _Worker) -> None:
        if worker.process is not None and worker.process.is_alive():
            worker.process.kill()
            worker.process.join(5)

    def _write_status(self) -> None:
        if self._status_file is None:
            return
        now, wall = time.monotonic(), time.time()
        document = {
            "pid": os.getpid(),
            "started_at": self._started_at,
            "updated_at": wall,
            "expected": self._count,
            "alive": self.alive,
            "workers": [
                {
                    "index": w.index,
                    "pid": w.process.pid if w.process is not None else None,
                    "state": w.state,
                    "since": round(wall - (now - w.since), 3),
                    "restarts": w.restarts,
                    "failures_in_a_row": w.failures,
                    "last_error": w.last_error,
                    "next_start_at": round(wall + w.retry_at - now, 3) if w.state == "waiting" else None,
                }
                for w in self._workers
            ],
        }
        try:
            self._status_file.parent.mkdir(parents=True, exist_ok=True)
            partial = self._status_file.with_suffix(".tmp")
            partial.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
            os.replace(partial, self._status_file)
        except OSError as error:
            if not self._status_error_logged:  # the supervisor goes on without it
                log.warning("cannot write the collector's status file %s: %s", self._status_file, error)
                self._status_error_logged = True


def _exit_cause(code: int | None) -> str:
    if code is None:
        return "stopped"
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"was killed by {signal.Signals(-code).name}"
        return f"was killed by signal {-code}"
    return f"exited with code {code}"


def read_status(path: Path) -> dict[str, Any] | None:
    """The status file of a supervisor that still runs, else None."""
    try:
        document: dict[str, Any] = orjson.loads(path.read_bytes())
        os.kill(int(document["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError, orjson.JSONDecodeError):
        return None
    return document


# --- in each worker process --------------------------------------------------------------------


def _worker_main(
    overrides: dict[str, Any],
    dsn: str,
    index: int,
    channel: Connection,
    serving: Any,
    parent: int,
    require_database: bool,
) -> None:
    from loglens.logging_setup import configure_logging

    configure_logging(prefix=f"[collector {index}] ")
    asyncio.run(_serve_worker(overrides, dsn, channel, serving, parent, require_database))


async def _serve_worker(
    overrides: dict[str, Any], dsn: str, channel: Connection, serving: Any, parent: int, require_database: bool
) -> None:
    def counts() -> dict[str, int]:
        return {"expected": len(serving), "alive": sum(1 for pid in serving if pid)}

    collector = Collector(Settings(**overrides), dsn, reuse_port=True, workers=counts)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        await collector.start(require_database=require_database)
    except Exception as error:
        with contextlib.suppress(OSError):
            channel.send(("failed", f"{type(error).__name__}: {error}" if str(error) else type(error).__name__))
        with contextlib.suppress(Exception):
            await collector.stop()
        return
    # Everything loaded so far lives as long as the worker: out of the collector's sight, so that
    # the collections after each request's burst of allocations (ingest.collections_paused)
    # never walk it again (a full collection of it took milliseconds, every few requests).
    gc.collect()
    gc.freeze()
    channel.send(("ready", None))
    orphaned = asyncio.create_task(_until_orphaned(parent, stop))
    try:
        await stop.wait()
    finally:
        orphaned.cancel()
        await collector.stop()


async def _until_orphaned(parent: int, stop: asyncio.Event) -> None:
    """A worker whose supervisor is gone (killed with SIGKILL) stops, committing what it accepted,
    instead of holding the ports that the next ``loglens up`` needs."""
    while os.getppid() == parent:  # noqa: ASYNC110 (no event tells a process that its parent died)
        await asyncio.sleep(PARENT_CHECK_S)
    log.error("the loglens process that started this worker is gone; stopping")
    stop.set()
