"""The fault suite's parts: loads of real clients that remember what they sent and what was
acknowledged, a real ``loglens up`` with two workers, its faults, and the tally.

Every record carries a unique marker, ``<run> <protocol> <sequence>``, in its message; the
tally counts the stored rows per marker with a direct connection to PostgreSQL, so a record
stored twice shows as a duplicate and an acknowledged one not stored as missing.

The loads:

- JSON: aiohttp clients POSTing /logs, each request with an ``Idempotency-Key``, a new
  connection per request (so that the kernel spreads them over the workers), resent with the
  same key and body after any error, 429 or 503, or a 5 s timeout, until acknowledged (200);
- OTLP: the OpenTelemetry Python SDK (``logging`` through its LoggingHandler, its
  BatchLogRecordProcessor and OTLP/HTTP exporter); a batch counts as acknowledged when the
  exporter returns SUCCESS, and a batch it gave up on is exported again, as an application
  with a persistent queue does (the SDK itself drops it);
- forward: PackedForward chunks with a chunk id (tests/forward_client.py), acknowledged by
  ``{"ack": <chunk>}``, resent with the same id on a new connection after an error or a
  missing ack; a new connection every few chunks, to reach every worker.

Each load stops taking new records when told to and then resends what is still
unacknowledged, for at most ``RESEND_WITHIN_S``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import os
import signal
import socket
import sys
import threading
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp
import asyncpg
import orjson
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http._log_exporter import OTLPLogExporter
from opentelemetry.instrumentation.logging.handler import LoggingHandler
from opentelemetry.sdk._logs import LoggerProvider, ReadableLogRecord
from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExportResult
from opentelemetry.sdk.resources import Resource

from tests.conftest import LoglensProcess, eventually, serving, start_loglens, start_loglens_like
from tests.forward_client import ForwardClient, new_chunk, packed_forward

WORKERS = 2
RESEND_WITHIN_S = 90.0  # how long a client keeps resending one unacknowledged request
CLIENT_TIMEOUT_S = 5.0  # what a client waits for an answer before it sends again
PORT_ATTEMPTS = 3
RETRY_PAUSE_S = 0.2


def start(
    dsn: str, tmp_path: Path, *args: str, like: LoglensProcess | None = None, env: dict[str, str] | None = None
) -> LoglensProcess:
    """``loglens up`` with two workers, in a process group of its own (so that the whole
    group can be killed); ``like`` starts it again on the ports of a stopped one."""
    env = {"LOGLENS_COLLECTOR_WORKERS": str(WORKERS), "LOGLENS_DATA_DIR": str(tmp_path / "data"), **(env or {})}
    if like is not None:
        return start_loglens_like(like, dsn, tmp_path, *args, env=env, new_session=True)
    for attempt in range(PORT_ATTEMPTS):
        try:
            return start_loglens(dsn, tmp_path, *args, env=env, new_session=True)
        except RuntimeError as error:
            # tests/conftest.py's free_port counts from 20000 in every pytest process: another test
            # session on this machine may take a port it handed out before loglens binds it (seen:
            # "cannot listen on 127.0.0.1:20004: Address already in use" in the lock test, while
            # tests/agent ran beside it). Other ports then; any other failure is the test's.
            if "Address already in use" not in str(error) or attempt == PORT_ATTEMPTS - 1:
                raise
            sys.stderr.write(f"faults: a port was taken by another process; starting on others ({error})\n")
    raise AssertionError("unreachable")


async def wait_until_serving(running: LoglensProcess, within_s: float = 15.0) -> set[int]:
    await eventually(lambda: len(serving(running)) == WORKERS, within_s=within_s)
    return serving(running)


def replaced(running: LoglensProcess, victim: int) -> bool:
    """The worker ``victim`` is gone and every worker slot serves again."""
    now = serving(running)
    return victim not in now and len(now) == WORKERS


def kill_group(running: LoglensProcess) -> None:
    """kill -9 of loglens's whole process group: the parent and every worker at once."""
    os.killpg(running.process.pid, signal.SIGKILL)
    running.process.wait(timeout=10)


def stop(running: LoglensProcess) -> None:
    """SIGTERM, then the group's kill if it does not stop (nothing of it is left behind)."""
    if running.process.poll() is None:
        running.process.terminate()
        try:
            running.process.wait(timeout=30)
        except Exception:
            kill_group(running)
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(running.process.pid, signal.SIGKILL)


# --- what each load sent and was told ------------------------------------------------------


@dataclass
class Tally:
    protocol: str
    sent: set[int] = field(default_factory=set)
    acked: set[int] = field(default_factory=set)
    answers: Counter[str] = field(default_factory=Counter)  # status codes and errors seen
    given_up: int = 0  # records still unacknowledged when the client stopped resending

    def unexpected(self) -> dict[str, int]:
        """Answers a well-behaved server never gives these clients: any other 4xx, 500."""
        expected = {"200", "429", "503", "ack", "error", "timeout"}
        return {answer: count for answer, count in self.answers.items() if answer not in expected}


class _ClientsLoad:
    """``clients`` asyncio tasks, each running ``_run`` until told to stop; ``_next`` numbers
    the requests (each of ``records`` records) across them."""

    def __init__(self, protocol: str, tag: str, *, clients: int, records: int, pause_s: float) -> None:
        self.tag = tag
        self.tally = Tally(protocol)
        self._clients, self._records, self._pause_s = clients, records, pause_s
        self._stop = asyncio.Event()
        self._next = 0
        self._tasks: list[asyncio.Task[None]] = []

    def start(self) -> None:
        self._tasks = [asyncio.create_task(self._run()) for _ in range(self._clients)]

    async def finish(self) -> Tally:
        """Stop taking new records; wait until the rest is acknowledged or given up on."""
        self._stop.set()
        await asyncio.gather(*self._tasks)
        return self.tally

    def abandon(self) -> None:
        """Stop at once (a test that failed before its tally)."""
        self._stop.set()
        for task in self._tasks:
            task.cancel()

    async def _run(self) -> None:
        raise NotImplementedError


class JsonLoad(_ClientsLoad):
    def __init__(self, url: str, tag: str, *, clients: int = 4, records: int = 20, pause_s: float = 0.02) -> None:
        super().__init__("json", tag, clients=clients, records=records, pause_s=pause_s)
        self.url = f"{url}/logs"

    async def _run(self) -> None:
        timeout = aiohttp.ClientTimeout(total=CLIENT_TIMEOUT_S)
        connector = aiohttp.TCPConnector(force_close=True)
        async with aiohttp.ClientSession(connector=connector, timeout=timeout) as session:
            while not self._stop.is_set():
                number, self._next = self._next, self._next + 1
                await self._send(session, number)
                await asyncio.sleep(self._pause_s)  # the load's pace

    async def _send(self, session: aiohttp.ClientSession, number: int) -> None:
        sequences = range(number * self._records, (number + 1) * self._records)
        body = orjson.dumps(
            {"logs": [{"message": f"{self.tag} json {s}", "service": "faults"} for s in sequences]}
        )
        headers = {"Content-Type": "application/json", "Idempotency-Key": f"{self.tag}-json-{number}"}
        self.tally.sent.update(sequences)
        give_up_at = time.monotonic() + RESEND_WITHIN_S
        while True:
            try:
                async with session.post(self.url, data=body, headers=headers) as response:
                    await response.read()
                    self.tally.answers[str(response.status)] += 1
                    if response.status == 200:
                        self.tally.acked.update(sequences)
                        return
            except TimeoutError:
                self.tally.answers["timeout"] += 1
            except aiohttp.ClientError:
                self.tally.answers["error"] += 1
            if time.monotonic() > give_up_at:
                self.tally.given_up += len(sequences)
                return
            await asyncio.sleep(RETRY_PAUSE_S)


class ForwardLoad(_ClientsLoad):
    def __init__(
        self,
        port: int,
        tag: str,
        *,
        clients: int = 4,
        records: int = 20,
        per_connection: int = 5,
        pause_s: float = 0.02,
    ) -> None:
        super().__init__("forward", tag, clients=clients, records=records, pause_s=pause_s)
        self.port = port
        self._per_connection = per_connection

    async def _run(self) -> None:
        client: ForwardClient | None = None
        sent_on_connection = 0
        try:
            while not self._stop.is_set():
                number, self._next = self._next, self._next + 1
                client = await self._send(client, number)
                sent_on_connection += 1
                if client is not None and sent_on_connection >= self._per_connection:
                    await client.close()
                    client, sent_on_connection = None, 0
                await asyncio.sleep(self._pause_s)
        finally:
            if client is not None:
                await client.close()

    async def _send(self, client: ForwardClient | None, number: int) -> ForwardClient | None:
        sequences = range(number * self._records, (number + 1) * self._records)
        now = int(time.time())
        entries = [[now, {"message": f"{self.tag} forward {s}", "service": "faults"}] for s in sequences]
        chunk = new_chunk()
        frame = packed_forward(f"faults.{self.tag}", entries, chunk)
        self.tally.sent.update(sequences)
        give_up_at = time.monotonic() + RESEND_WITHIN_S
        while True:
            try:
                if client is None:
                    client = await ForwardClient.connect(self.port)
                await client.send(frame)
                answer = await client.receive(within_s=CLIENT_TIMEOUT_S)
                if answer == {"ack": chunk}:
                    self.tally.answers["ack"] += 1
                    self.tally.acked.update(sequences)
                    return client
                self.tally.answers[f"unexpected answer {answer!r}"] += 1
            except TimeoutError:
                self.tally.answers["timeout"] += 1
            except (OSError, EOFError):
                self.tally.answers["error"] += 1
            if client is not None:  # a chunk without its ack is sent again on a new connection
                with contextlib.suppress(OSError):
                    await client.close()
                client = None
            if time.monotonic() > give_up_at:
                self.tally.given_up += len(sequences)
                return None
            await asyncio.sleep(RETRY_PAUSE_S)


class _ResendingExporter(OTLPLogExporter):
    """The SDK's OTLP/HTTP exporter; a batch it reports FAILURE for is exported again (for at
    most ``RESEND_WITHIN_S``) instead of dropped."""

    def __init__(self, tally: Tally, endpoint: str) -> None:
        super().__init__(endpoint=endpoint, compression=Compression.Gzip, timeout=CLIENT_TIMEOUT_S)
        self.tally = tally
        self.abandoned = False

    def export(self, batch: Sequence[ReadableLogRecord]) -> LogRecordExportResult:
        sequences = [int(str(item.log_record.body).rsplit(" ", 1)[1]) for item in batch]
        give_up_at = time.monotonic() + RESEND_WITHIN_S
        while True:
            result = super().export(batch)
            if result == LogRecordExportResult.SUCCESS:
                self.tally.answers["200"] += 1
                self.tally.acked.update(sequences)
                return result
            self.tally.answers["error"] += 1
            if time.monotonic() > give_up_at or self.abandoned or self._shutdown:
                self.tally.given_up += len(sequences)
                return result
            time.sleep(RETRY_PAUSE_S)


class OtlpLoad:
    """Records logged with ``logging`` through the OpenTelemetry SDK, from a thread of its own."""

    def __init__(self, url: str, tag: str, *, pause_s: float = 0.002) -> None:
        self.tag = tag
        self.tally = Tally("otlp")
        self._pause_s = pause_s
        self._stopping = threading.Event()
        self._exporter = exporter = _ResendingExporter(self.tally, f"{url}/v1/logs")
        self._provider = LoggerProvider(resource=Resource.create({"service.name": "faults"}))
        self._provider.add_log_record_processor(
            BatchLogRecordProcessor(
                exporter, schedule_delay_millis=100, max_export_batch_size=100, max_queue_size=100_000
            )
        )
        self._logger = logging.getLogger(f"faults.{tag}")
        self._logger.setLevel(logging.INFO)
        self._logger.propagate = False
        self._handler = LoggingHandler(logger_provider=self._provider)
        self._logger.addHandler(self._handler)
        self._thread = threading.Thread(target=self._run, name=f"otlp-load-{tag}", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        sequence = 0
        while not self._stopping.is_set():
            self.tally.sent.add(sequence)
            self._logger.info("%s otlp %d", self.tag, sequence)
            sequence += 1
            time.sleep(self._pause_s)  # the load's pace

    async def finish(self) -> Tally:
        self._stopping.set()
        await asyncio.to_thread(self._thread.join, 10)
        # Exports what is queued, resending what fails (bounded by RESEND_WITHIN_S per batch).
        await asyncio.to_thread(self._provider.force_flush)
        await asyncio.to_thread(self._provider.shutdown)
        self._logger.removeHandler(self._handler)
        return self.tally

    def abandon(self) -> None:
        self._stopping.set()
        self._exporter.abandoned = True
        self._logger.removeHandler(self._handler)


Load = JsonLoad | ForwardLoad | OtlpLoad


def loads(running: LoglensProcess, tag: str, clients: int = 4) -> list[Load]:
    return [
        JsonLoad(running.http_url, tag, clients=clients),
        OtlpLoad(running.http_url, tag),
        ForwardLoad(running.forward_port, tag, clients=clients),
    ]


@contextlib.asynccontextmanager
async def under_load(running: LoglensProcess, tag: str, clients: int = 4) -> AsyncIterator[list[Load]]:
    """The three loads (``clients`` JSON and forward clients each, one OTLP SDK), started;
    abandoned if the test fails before it tallies them."""
    running_loads = loads(running, tag, clients)
    for load in running_loads:
        load.start()
    try:
        yield running_loads
    except BaseException:
        for load in running_loads:
            load.abandon()
        raise


def new_tag() -> str:
    return f"run{uuid.uuid4().hex[:12]}"


async def acknowledged_more(running_loads: list[Load], than: dict[str, int] | None = None, by: int = 100) -> None:
    """Wait until every load had ``by`` more records acknowledged (than at ``than``)."""
    before = than or {}

    def grown() -> bool:
        return all(len(load.tally.acked) >= before.get(load.tally.protocol, 0) + by for load in running_loads)

    await eventually(grown, within_s=60)


def acked_counts(running_loads: list[Load]) -> dict[str, int]:
    return {load.tally.protocol: len(load.tally.acked) for load in running_loads}


async def start_again(
    first: LoglensProcess, dsn: str, tmp_path: Path, tag: str, running_loads: list[Load], exited_at: float
) -> tuple[LoglensProcess, dict[str, int], float]:
    """With ``first`` stopped (its process exited at ``exited_at``, monotonic): loglens again on its
    ports at once (the clients resend meanwhile), serving; then every record ``first``
    acknowledged is found committed (clients never resend what was acknowledged, so none of them
    can be stored by the second). Returns the second, the acknowledged counts at the stop, and the
    seconds from ``first``'s exit to the second accepting connections: its OTLP/HTTP port's first
    accepted connection (a worker listening; then the others and the rest of loglens follow)."""
    acked_at_stop = {load.tally.protocol: set(load.tally.acked) for load in running_loads}
    accepted_at: list[float] = []
    # A thread notes when the port first accepts; start() waits in another until loglens says
    # it is up, while the loads go on meeting the stopped one.
    prober = threading.Thread(target=_first_accept, args=(first.http_port, accepted_at), daemon=True)
    prober.start()
    second = await asyncio.to_thread(functools.partial(start, dsn, tmp_path, like=first))
    try:
        await asyncio.to_thread(prober.join, 30)
        assert accepted_at, "the port of the started again loglens never accepted a connection"
        restart_s = accepted_at[0] - exited_at
        await wait_until_serving(second)
        missing = {
            protocol: len(acked - set(await stored_rows(dsn, tag, protocol)))
            for protocol, acked in acked_at_stop.items()
        }
        assert missing == {"json": 0, "otlp": 0, "forward": 0}, f"acknowledged before the stop, lost: {missing}"
    except BaseException:
        stop(second)
        raise
    return second, {protocol: len(acked) for protocol, acked in acked_at_stop.items()}, restart_s


def _first_accept(port: int, accepted_at: list[float], within_s: float = 30.0) -> None:
    """Connect to ``port`` until a connection is accepted (then closed at once); note when."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                accepted_at.append(time.monotonic())
                return
        except OSError:
            time.sleep(0.005)  # refused: nothing listens yet


# --- the tally ----------------------------------------------------------------------------


@dataclass
class Outcome:
    protocol: str
    sent: int
    acked: int
    stored: int  # distinct records stored
    missing: int  # acknowledged, not stored
    duplicated: int  # rows beyond the first of a record
    given_up: int
    unexpected: dict[str, int]
    retries: dict[str, int]  # the answers that made the client send again, by kind

    def line(self) -> str:
        retries = ", ".join(f"{kind} {count}" for kind, count in sorted(self.retries.items())) or "none"
        return (
            f"{self.protocol} sent {self.sent} / acknowledged {self.acked} / stored {self.stored} / "
            f"missing {self.missing} / duplicated {self.duplicated} (resent after: {retries})"
        )


async def stored_rows(dsn: str, tag: str, protocol: str) -> Counter[int]:
    connection = await asyncpg.connect(dsn)
    try:
        rows = await connection.fetch(
            "SELECT split_part(message, ' ', 3)::bigint AS sequence, count(*) AS n FROM logs "
            "WHERE message LIKE $1 GROUP BY 1",
            f"{tag} {protocol} %",
        )
    finally:
        await connection.close()
    return Counter({int(row["sequence"]): int(row["n"]) for row in rows})


async def outcome(dsn: str, tag: str, tally: Tally) -> Outcome:
    stored = await stored_rows(dsn, tag, tally.protocol)
    return Outcome(
        protocol=tally.protocol,
        sent=len(tally.sent),
        acked=len(tally.acked),
        stored=len(stored),
        missing=len(tally.acked - set(stored)),
        duplicated=sum(n - 1 for n in stored.values()),
        given_up=tally.given_up,
        unexpected=tally.unexpected(),
        retries={kind: n for kind, n in tally.answers.items() if kind not in ("200", "ack")},
    )


async def finish(
    scenario: str, dsn: str, tag: str, running_loads: list[Load], seconds: float
) -> dict[str, Outcome]:
    """Stop the loads, let them resend the unacknowledged, tally, and print the scenario's line."""
    tallies = await asyncio.gather(*(load.finish() for load in running_loads))
    outcomes = {tally.protocol: await outcome(dsn, tag, tally) for tally in tallies}
    parts = " | ".join(result.line() for result in outcomes.values())
    sys.stderr.write(f"\nfaults: {scenario} ({seconds:.0f} s): {parts}\n")
    return outcomes


def assert_delivery(outcomes: dict[str, Outcome], *, otlp_duplicates_allowed: bool = True) -> None:
    """The promise: nothing acknowledged missing; no duplicates where the protocol has keys
    (JSON's Idempotency-Key, forward's chunk id); every record acknowledged in the end; no
    answer outside the protocol's retry contract."""
    for result in outcomes.values():
        assert result.missing == 0, result
        assert result.acked == result.sent, result  # the clients' resending got everything in
        assert result.given_up == 0, result
        assert result.unexpected == {}, result
    assert outcomes["json"].duplicated == 0, outcomes["json"]
    assert outcomes["forward"].duplicated == 0, outcomes["forward"]
    if not otlp_duplicates_allowed:
        assert outcomes["otlp"].duplicated == 0, outcomes["otlp"]


async def assert_delivery_across_restart(outcomes: dict[str, Outcome], second: LoglensProcess, dsn: str) -> None:
    """After a stop and a start again: the JSON clients met the stopped loglens, the promise
    held through it, and the loglens started again stores new logs."""
    assert outcomes["json"].retries.get("error", 0) > 0, "no JSON client met the stopped loglens"
    assert_delivery(outcomes)
    await proves_recovery(second, dsn)


async def proves_recovery(running: LoglensProcess, dsn: str, requests: int = 10) -> None:
    """New logs after the fault: JSON requests on new connections and forward chunks, each
    acknowledged at the first try, then found stored."""
    tag = new_tag()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        for number in range(requests):
            body = {"logs": [{"message": f"{tag} json {number * 5 + n}"} for n in range(5)]}
            async with session.post(f"{running.http_url}/logs", json=body) as response:
                assert response.status == 200, await response.text()
    for number in range(requests):
        client = await ForwardClient.connect(running.forward_port)
        try:
            entries = [[int(time.time()), {"message": f"{tag} forward {number * 5 + n}"}] for n in range(5)]
            chunk = new_chunk()
            await client.send(packed_forward("faults.after", entries, chunk))
            assert await client.acks(1) == [chunk]
        finally:
            await client.close()
    for protocol in ("json", "forward"):
        stored = await stored_rows(dsn, tag, protocol)
        assert sorted(stored) == list(range(requests * 5)), (protocol, stored)
        assert set(stored.values()) == {1}
