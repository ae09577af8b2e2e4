"""The supervisor of ``loglens up``'s collector workers, with real processes and faults: a worker
killed with SIGKILL, killed while the database is away, killed while its replacement starts; a
restart on the same ports right after a stop under load; what /health and ``loglens status`` say.

Every test ends by sending logs after the fault and finding them stored."""

from __future__ import annotations

import asyncio
import functools
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import asyncpg
import grpc
import orjson
import psutil
import pytest

from loglens.collector.server import Collector
from loglens.collector.workers import BACKOFF_MAX_S, _ensure_free, serve_collectors
from loglens.database.embedded import EmbeddedPostgres
from loglens.database.migrate import migrate
from loglens.errors import LoglensError
from tests.conftest import (
    LoglensProcess,
    eventually,
    free_port,
    free_port_udp_too,
    listens,
    serving,
    settings_for_tests,
    start_loglens,
    start_loglens_like,
    stop_loglens,
    worker_processes,
)
from tests.otlp_payloads import record, request

WORKERS = 2
EXPORT = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
BACK_WITHIN_S = 5.0
RESTART_MARGIN_S = 5.0  # the acceptance: workers back within 5 s of any kill


def start(dsn: str, tmp_path: Path, *args: str, like: LoglensProcess | None = None) -> LoglensProcess:
    """``loglens up`` with two workers; ``like`` starts it again on the ports of a stopped one."""
    env = {"LOGLENS_COLLECTOR_WORKERS": str(WORKERS), "LOGLENS_DATA_DIR": str(tmp_path / "data")}
    if like is None:
        return start_loglens(dsn, tmp_path, *args, env=env)
    return start_loglens_like(like, dsn, tmp_path, *args, env=env)


@pytest.fixture
def loglens_workers(dsn: str, tmp_path: Path) -> Iterator[LoglensProcess]:
    running = start(dsn, tmp_path)
    yield running
    stop_loglens(running)


def health(running: LoglensProcess) -> tuple[int, dict[str, object]]:
    try:
        with urllib.request.urlopen(f"{running.http_url}/health", timeout=5) as response:
            return response.status, orjson.loads(response.read())
    except urllib.error.HTTPError as answer:
        return answer.code, orjson.loads(answer.read())


def loglens_status(running: LoglensProcess, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LOGLENS_")}
    environment["LOGLENS_DATA_DIR"] = str(tmp_path / "data")
    return subprocess.run(
        [sys.executable, "-m", "loglens.cli", "status", "--otlp-http-port", str(running.http_port)],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def send_and_count(running: LoglensProcess, dsn: str, requests: int = 20) -> None:
    """Send ``requests`` JSON requests, each on a connection of its own (so that the kernel spreads
    them over the workers), every one acknowledged; then find every record stored."""
    tag = uuid.uuid4().hex
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(force_close=True)) as session:
        for number in range(requests):
            body = {"logs": [{"message": f"{tag} {number} {n}"} for n in range(5)]}
            async with session.post(f"{running.http_url}/logs", json=body) as response:
                assert response.status == 200, await response.text()
    connection = await asyncpg.connect(dsn)
    try:
        stored = await connection.fetchval("SELECT count(*) FROM logs WHERE message LIKE $1", f"{tag} %")
    finally:
        await connection.close()
    assert stored == requests * 5


async def wait_until_serving(running: LoglensProcess, count: int, within_s: float) -> set[int]:
    await eventually(lambda: len(serving(running)) == count, within_s=within_s)
    return serving(running)


async def test_a_killed_worker_is_back_within_5_s_and_the_others_are_untouched(
    loglens_workers: LoglensProcess, dsn: str
) -> None:
    running = loglens_workers
    before = await wait_until_serving(running, WORKERS, within_s=10)
    victim, *others = sorted(before)
    os.kill(victim, signal.SIGKILL)
    killed_at = time.monotonic()
    await eventually(lambda: victim not in serving(running) and len(serving(running)) == WORKERS, BACK_WITHIN_S)
    back_after = time.monotonic() - killed_at
    after = serving(running)
    assert set(others) <= after, "a healthy worker was restarted too"
    assert victim not in after
    await send_and_count(running, dsn)
    assert re.search(rf"collector worker \d \(pid {victim}\) was killed by SIGKILL", running.output())
    assert "is serving again" in running.output()
    sys.stderr.write(f"killed worker back in {back_after:.2f} s\n")


async def test_a_worker_killed_while_its_replacement_starts_is_back(
    loglens_workers: LoglensProcess, dsn: str
) -> None:
    running = loglens_workers
    before = await wait_until_serving(running, WORKERS, within_s=10)
    victim, survivor = sorted(before)
    os.kill(victim, signal.SIGKILL)

    def replacement() -> psutil.Process | None:
        fresh = [p for p in worker_processes(running) if p.pid not in before]
        return fresh[0] if fresh else None

    await eventually(lambda: replacement() is not None, within_s=BACK_WITHIN_S)
    starting = replacement()
    assert starting is not None
    assert not listens(starting, running.http_port), "the replacement served already: not killed while starting"
    starting.kill()
    killed_at = time.monotonic()
    await eventually(lambda: len(serving(running) - {victim, starting.pid}) == WORKERS, within_s=BACK_WITHIN_S)
    sys.stderr.write(f"worker killed while starting back in {time.monotonic() - killed_at:.2f} s\n")
    assert survivor in serving(running)
    assert len(serving(running)) == WORKERS
    assert f"(pid {starting.pid}) was killed by SIGKILL while starting" in running.output()
    await send_and_count(running, dsn)


def replaced(running: LoglensProcess, victim: int) -> bool:
    """``victim`` is gone and every worker serves again."""
    now = serving(running)
    return victim not in now and len(now) == WORKERS


def started_since(running: LoglensProcess, seen: set[int]) -> bool:
    """A worker process not among ``seen`` has started."""
    return any(p.pid not in seen for p in worker_processes(running))


async def retry_later_answers(running: LoglensProcess, requests: int = 20) -> list[tuple[int, str | None]]:
    """``requests`` JSON requests, each on a connection of its own (spread over the workers):
    the status and Retry-After of each."""
    answers = []
    async with aiohttp.ClientSession(
        connector=aiohttp.TCPConnector(force_close=True), timeout=aiohttp.ClientTimeout(total=5)
    ) as session:
        for number in range(requests):
            body = {"logs": [{"message": f"during the outage {number}"}]}
            async with session.post(f"{running.http_url}/logs", json=body) as response:
                await response.read()
                answers.append((response.status, response.headers.get("Retry-After")))
    return answers


async def test_a_worker_killed_during_a_database_outage_is_back_within_5_s_answering_503(
    own_postgres: EmbeddedPostgres, own_dsn: str, tmp_path: Path
) -> None:
    """Each worker in turn is killed while PostgreSQL is stopped: each is back, listening, within
    5 s, and once both were replaced every request (whichever worker takes it, a replacement) is
    answered 503 with Retry-After, gRPC UNAVAILABLE: no start fails, none waits for the database.
    Before, a worker started during an outage failed to start until the database returned."""
    running = start(own_dsn, tmp_path)
    try:
        before = await wait_until_serving(running, WORKERS, within_s=10)
        await asyncio.to_thread(own_postgres.stop)
        backs = []
        for victim in sorted(before):
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            await eventually(functools.partial(replaced, running, victim), BACK_WITHIN_S)
            backs.append(time.monotonic() - killed_at)
        answers = await retry_later_answers(running)
        answered_s = time.monotonic() - killed_at
        replacements = serving(running)
        sys.stderr.write(
            f"workers killed during the outage back in {', '.join(f'{s:.2f}' for s in backs)} s; "
            f"the replacements answered {len(answers)} requests 503 {answered_s:.2f} s after the last kill\n"
        )
        assert not replacements & before, "every worker serving now is a replacement"
        assert answers == [(503, "2")] * len(answers), answers
        assert answered_s < BACK_WITHIN_S, f"alive and answering {answered_s:.2f} s after the kill"
        async with grpc.aio.insecure_channel(f"127.0.0.1:{running.grpc_port}") as channel:
            export = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
            with pytest.raises(grpc.aio.AioRpcError) as refused:
                await export(request(record(body="during the outage")).SerializeToString(), timeout=5)
            assert refused.value.code() == grpc.StatusCode.UNAVAILABLE
        assert "could not start" not in running.output()
        assert len(re.findall(r"is serving again", running.output())) == WORKERS

        # What users see meanwhile: every worker serving, the database away.
        code, answer = health(running)
        assert code == 503
        assert answer["workers"] == {"expected": WORKERS, "alive": WORKERS}
        assert "PostgreSQL" in str(answer["database"])

        await asyncio.to_thread(own_postgres.start)
        await eventually(lambda: health(running)[0] == 200, within_s=10)
        assert serving(running) == replacements, "the replacements serve on, the database back"
        status = loglens_status(running, tmp_path)
        assert status.returncode == 0, status.stdout + status.stderr
        assert f"workers: {WORKERS} of {WORKERS} serving" in status.stdout
        await send_and_count(running, own_dsn)
    finally:
        stop_loglens(running)


async def test_a_worker_that_keeps_failing_to_start_is_retried_with_backoff(
    loglens_workers: LoglensProcess, dsn: str, tmp_path: Path
) -> None:
    """A worker killed, then each of its replacements killed before it serves: it is started again
    after 0.5, 1, 2, 4 s..., the healthy worker left alone, and what users see says 1 of 2; left
    alone, it serves again."""
    running = loglens_workers
    before = await wait_until_serving(running, WORKERS, within_s=10)
    victim, survivor = sorted(before)
    os.kill(victim, signal.SIGKILL)
    seen = set(before)

    def failures() -> list[float]:
        """The pauses the supervisor announced after failed starts, in order."""
        found = re.findall(r"while starting; starting it again in ([\d.]+) s", running.output())
        return [float(pause) for pause in found]

    for failed in range(1, 4):
        await eventually(functools.partial(started_since, running, seen), within_s=BACKOFF_MAX_S)
        starting = next(p for p in worker_processes(running) if p.pid not in seen)
        seen.add(starting.pid)
        assert not listens(starting, running.http_port), (
            "the replacement served already: not killed while starting"
        )
        starting.kill()
        await eventually(lambda: len(failures()) >= failed, within_s=10)  # noqa: B023 (awaited here)
    assert failures() == [1.0, 2.0, 4.0]  # the first kill, after serving, was the first failure (0.5 s)
    assert serving(running) == {survivor}, "the healthy worker must be left alone"
    code, answer = health(running)
    assert (code, answer["workers"]) == (200, {"expected": WORKERS, "alive": WORKERS - 1}), answer
    status = loglens_status(running, tmp_path)
    assert status.returncode == 1, status.stdout + status.stderr
    assert f"workers: {WORKERS - 1} of {WORKERS} serving" in status.stdout
    assert re.search(
        r"worker \d \(pid \d+\): waiting .*last failure: was killed by SIGKILL while starting", status.stdout
    )
    after = await wait_until_serving(running, WORKERS, within_s=BACKOFF_MAX_S + 10)
    assert survivor in after
    assert not after & (seen - {survivor}), "a replacement that was not killed serves"
    await send_and_count(running, dsn)


async def test_health_and_status_report_workers_expected_and_alive(
    loglens_workers: LoglensProcess, dsn: str, tmp_path: Path
) -> None:
    running = loglens_workers
    await wait_until_serving(running, WORKERS, within_s=10)
    code, answer = health(running)
    assert code == 200
    assert answer["status"] == "ok"
    assert answer["workers"] == {"expected": WORKERS, "alive": WORKERS}
    status = loglens_status(running, tmp_path)
    assert status.returncode == 0, status.stdout + status.stderr
    assert f"loglens collector: ok\n  workers: {WORKERS} of {WORKERS} serving" in status.stdout
    assert len(re.findall(r"worker \d \(pid \d+\): serving", status.stdout)) == WORKERS
    await send_and_count(running, dsn)
    stop_loglens(running)
    assert running.process.returncode == 0
    status = loglens_status(running, tmp_path)
    assert status.returncode == 3
    assert "not running" in status.stdout


def time_wait_on(port: int) -> int:
    return sum(
        1
        for c in psutil.net_connections(kind="tcp")
        if c.status == psutil.CONN_TIME_WAIT and c.laddr and c.laddr.port == port
    )


async def test_loglens_starts_again_on_the_same_ports_right_after_a_stop_under_load(
    dsn: str, tmp_path: Path
) -> None:
    began = time.monotonic()
    first = start(dsn, tmp_path)
    first_start_s = time.monotonic() - began
    await wait_until_serving(first, WORKERS, within_s=10)
    # A load of connections, kept open: the server closes them when it stops, which leaves
    # them in TIME-WAIT on its ports.
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200)) as session:

        async def post(number: int) -> int:
            body = {"logs": [{"message": f"load {number}"}]}
            async with session.post(f"{first.http_url}/logs", json=body) as response:
                return response.status

        assert set(await asyncio.gather(*(post(n) for n in range(200)))) == {200}
        channels = [grpc.aio.insecure_channel(f"127.0.0.1:{first.grpc_port}") for _ in range(20)]
        for channel in channels:
            export = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
            await export(request(record(body="load")).SerializeToString())
        # gRPC clients close first when the server says GOAWAY: their side keeps the TIME-WAIT
        # (test_every_listener_binds_over_connections_in_time_wait covers the gRPC port).
        tcp_ports = (first.forward_port, first.agent_port)
        idle = [socket.create_connection(("127.0.0.1", port)) for port in tcp_ports for _ in range(20)]
        try:
            first.process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(first.process.wait, 30)
        finally:
            for connection in idle:
                connection.close()
            for channel in channels:
                await channel.close()
    assert first.process.returncode == 0, first.output()
    # The precondition of the test: every TCP port of the last run has connections in TIME-WAIT.
    await eventually(lambda: all(time_wait_on(port) > 0 for port in (first.http_port, *tcp_ports)), 5)

    stopped_at = time.monotonic()
    second = start(dsn, tmp_path, like=first)
    try:
        restart_s = time.monotonic() - stopped_at
        sys.stderr.write(
            f"first start {first_start_s:.2f} s, restart {restart_s:.2f} s "
            f"with {time_wait_on(first.http_port)} connections in TIME-WAIT\n"
        )
        # As fast as a first start: nothing waits for the minute of TIME-WAIT any more (the margin
        # is for a busy machine; the 2 s of the acceptance are what it takes on an idle one).
        assert restart_s < first_start_s + RESTART_MARGIN_S
        await wait_until_serving(second, WORKERS, within_s=10)
        await send_and_count(second, dsn)
    finally:
        stop_loglens(second)


async def test_the_collector_that_cannot_serve_at_all_says_so_instead_of_pretending(
    own_postgres: EmbeddedPostgres,
) -> None:
    dsn = own_postgres.dsn
    await asyncio.to_thread(own_postgres.stop)  # no worker can open its writer
    overrides = {
        "host": "127.0.0.1",
        "otlp_http_port": free_port(),
        "otlp_grpc_port": free_port(),
        "forward_port": free_port(),
        "syslog_port": free_port_udp_too(),
        "gelf_port": free_port_udp_too(),
        "collector_workers": WORKERS,
    }
    settings = settings_for_tests(**overrides)
    began = time.monotonic()
    with pytest.raises(
        LoglensError, match=r"the collector cannot serve: none of its 2 workers started .*could not"
    ):
        async with serve_collectors(settings, overrides, dsn):
            pytest.fail("the collector pretended to serve")
    assert time.monotonic() - began < 30
    # Nothing is left listening.
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", overrides["otlp_http_port"]))
    # And once the database is back, the same collector serves.
    await asyncio.to_thread(own_postgres.start)
    connection = await asyncpg.connect(dsn)
    try:
        await migrate(connection)
    finally:
        await connection.close()
    async with serve_collectors(settings, overrides, dsn) as ports, aiohttp.ClientSession() as session:
        url = f"http://127.0.0.1:{ports.otlp_http}/logs"
        async with session.post(url, json={"logs": [{"message": "after"}]}) as response:
            assert response.status == 200
    connection = await asyncpg.connect(dsn)
    try:
        assert await connection.fetchval("SELECT count(*) FROM logs WHERE message = 'after'") == 1
    finally:
        await connection.close()


async def test_workers_of_a_killed_loglens_stop_and_free_the_ports_for_the_next(dsn: str, tmp_path: Path) -> None:
    first = start(dsn, tmp_path)
    workers = {p.pid for p in worker_processes(first)}
    assert len(workers) == WORKERS
    first.process.kill()  # SIGKILL: the parent cannot stop its workers itself
    first.process.wait()

    def gone() -> bool:
        return not any(psutil.pid_exists(pid) and psutil.Process(pid).status() != "zombie" for pid in workers)

    await eventually(gone, within_s=10)
    second = start(dsn, tmp_path, like=first)
    try:
        await wait_until_serving(second, WORKERS, within_s=10)
        await send_and_count(second, dsn)
    finally:
        stop_loglens(second)


def has_time_wait(port: int) -> bool:
    return time_wait_on(port) > 0


def leave_in_time_wait(port: int) -> None:
    """A connection to ``port`` that the listening side closed first: its socket stays in
    TIME-WAIT on ``port`` for a minute after the listener is gone, as after a loglens stopped."""
    with socket.socket() as listener:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen()
        client = socket.create_connection(("127.0.0.1", port))
        accepted, _ = listener.accept()
        accepted.close()
        client.recv(1)  # the server's FIN
        client.close()


async def test_every_listener_binds_over_connections_in_time_wait(dsn: str) -> None:
    ports = {
        "otlp_http_port": free_port(),
        "otlp_grpc_port": free_port(),
        "forward_port": free_port(),
        "syslog_port": free_port_udp_too(),
        "gelf_port": free_port_udp_too(),
    }
    for port in ports.values():
        leave_in_time_wait(port)
        await eventually(functools.partial(has_time_wait, port), within_s=5)
        with socket.socket() as plain, pytest.raises(OSError, match="in use"):
            plain.bind(("127.0.0.1", port))  # what the pre-check did, and failed on
        _ensure_free("127.0.0.1", port)
    collector = Collector(settings_for_tests(**ports), dsn)
    await collector.start()
    try:
        assert collector.ports.otlp_grpc == ports["otlp_grpc_port"]
        async with aiohttp.ClientSession() as session:
            url = f"http://127.0.0.1:{ports['otlp_http_port']}/logs"
            async with session.post(url, json={"logs": [{"message": "over TIME-WAIT"}]}) as response:
                assert response.status == 200
    finally:
        await collector.stop()
    with socket.socket() as listener:  # a port that is listened on is still refused
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", ports["forward_port"]))
        listener.listen()
        with pytest.raises(LoglensError, match="is loglens already running"):
            _ensure_free("127.0.0.1", ports["forward_port"])
