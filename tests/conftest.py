"""Shared fixtures: a real embedded PostgreSQL for the session, a fresh database per test,
and loglens servers on loopback (in this process, or as a real ``loglens up`` process)."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import asyncpg
import psutil
import pytest

from loglens.collector.server import Collector
from loglens.database.embedded import EmbeddedPostgres
from loglens.database.migrate import migrate
from loglens.settings import Settings

TEMPLATE = "loglens_template"
_database_numbers = itertools.count()


@pytest.fixture(scope="session")
def embedded_postgres() -> Iterator[EmbeddedPostgres]:
    # A short path: the server's Unix socket lives under it.
    data_dir = Path(tempfile.mkdtemp(prefix="llt-"))
    server = EmbeddedPostgres(data_dir)
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
async def template_database(embedded_postgres: EmbeddedPostgres) -> str:
    admin = await asyncpg.connect(embedded_postgres.dsn_for("postgres", "postgres"))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {TEMPLATE}")
        await admin.execute(f"CREATE DATABASE {TEMPLATE}")
    finally:
        await admin.close()
    connection = await asyncpg.connect(embedded_postgres.dsn_for("postgres", TEMPLATE))
    try:
        await migrate(connection)
    finally:
        await connection.close()
    return TEMPLATE


@pytest.fixture
async def dsn(embedded_postgres: EmbeddedPostgres, template_database: str) -> AsyncIterator[str]:
    """A freshly migrated, empty database of its own for one test."""
    name = f"test_{os.getpid()}_{next(_database_numbers)}"
    admin = await asyncpg.connect(embedded_postgres.dsn_for("postgres", "postgres"))
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template_database}")
    finally:
        await admin.close()
    yield embedded_postgres.dsn_for("postgres", name)
    admin = await asyncpg.connect(embedded_postgres.dsn_for("postgres", "postgres"))
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
async def db(dsn: str) -> AsyncIterator[asyncpg.Connection]:
    """A connection to the test's database, for asserting on what was stored."""
    connection = await asyncpg.connect(dsn)
    yield connection
    await connection.close()


@pytest.fixture
def own_postgres() -> Iterator[EmbeddedPostgres]:
    """A server of the test's own, so that it can be stopped without disturbing other tests."""
    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="lld-")))
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def own_dsn(own_postgres: EmbeddedPostgres) -> str:
    """The migrated database of ``own_postgres``."""
    connection = await asyncpg.connect(own_postgres.dsn)
    try:
        await migrate(connection)
    finally:
        await connection.close()
    return own_postgres.dsn


def settings_for_tests(**overrides: object) -> Settings:
    values: dict[str, object] = {
        "host": "127.0.0.1",
        "otlp_http_port": 0,
        "otlp_grpc_port": 0,
        "forward_port": 0,
        "syslog_port": 0,
        "gelf_port": 0,
        # A developer's own Slack app (SLACK_* in the environment) must not join the tests.
        "slack_bot_token": None,
        "slack_app_token": None,
        "slack_signing_secret": None,
    }
    values.update(overrides)
    return Settings(**values)  # type: ignore[arg-type]


GO_SENDER = Path(__file__).parent / "go" / "fluent_sender.go"
# Debian's golang-github-fluent-fluent-logger-golang-dev installs the library here (make deps).
GO_PATH = Path("/usr/share/gocode")


@pytest.fixture(scope="session")
def go_sender(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """tests/go/fluent_sender.go built offline against Debian's fluent-logger-golang."""
    go = shutil.which("go")
    if go is None or not (GO_PATH / "src/github.com/fluent/fluent-logger-golang").is_dir():
        raise RuntimeError(
            "the Go test client needs Debian's golang-go and golang-github-fluent-fluent-logger-golang-dev: "
            "run `make deps` once"
        )
    out = tmp_path_factory.mktemp("go") / "fluent_sender"
    environment = {
        **os.environ,
        "GOPATH": str(GO_PATH),
        "GO111MODULE": "off",  # the library from GOPATH, no module download
        "GOPROXY": "off",
        "GOCACHE": str(out.parent / "cache"),
    }
    build = [go, "build", "-o", str(out), GO_SENDER.name]
    subprocess.run(build, cwd=GO_SENDER.parent, env=environment, check=True, timeout=180)
    return out


@pytest.fixture
async def collector(dsn: str) -> AsyncIterator[Collector]:
    """The collector running in this process on free loopback ports."""
    running = Collector(settings_for_tests(), dsn)
    await running.start()
    yield running
    await running.stop()


# Ports for servers the tests start, below the kernel's ephemeral range (32768-60999 here): a
# port the kernel hands out with bind(0) can be taken by any outgoing connection before the
# server binds it, which made a test fail now and then with "address already in use".
_TEST_PORTS = itertools.count(20_000)


def free_port() -> int:
    """A loopback port nothing listens on, not handed out before in this run."""
    for port in _TEST_PORTS:
        if port >= 32_000:
            break
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    with socket.socket() as probe:  # the reserved range is used up: fall back to the kernel's choice
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def free_port_udp_too() -> int:
    """A free port (``free_port``) whose UDP twin is free as well, for syslog."""
    while True:
        port = free_port()
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port


@dataclass
class LoglensProcess:
    process: subprocess.Popen[str]
    http_port: int
    grpc_port: int
    forward_port: int
    agent_port: int
    log_path: Path
    syslog_port: int = 0
    gelf_port: int = 0

    @property
    def http_url(self) -> str:
        return f"http://127.0.0.1:{self.http_port}"

    @property
    def agent_url(self) -> str:
        return f"http://127.0.0.1:{self.agent_port}"

    def output(self) -> str:
        return self.log_path.read_text()


def start_loglens(
    dsn: str | None,
    tmp_path: Path,
    *extra_args: str,
    env: dict[str, str] | None = None,
    ports: tuple[int, int] | None = None,
    command: tuple[str, ...] = ("up",),
    new_session: bool = False,
) -> LoglensProcess:
    """Run the real ``loglens up`` (or ``command``, e.g. ``("serve", "slack")``) against ``dsn``, or
    its embedded server, and wait until it serves.

    ``ports`` (OTLP/HTTP, OTLP/gRPC) restarts a server where a stopped one listened;
    ``new_session`` puts it in a process group of its own (tests/faults kill the whole group)."""
    http_port, grpc_port = ports or (free_port(), free_port())
    forward_port, agent_port = free_port(), free_port()
    syslog_port = free_port_udp_too()
    gelf_port = free_port_udp_too()
    log_path = tmp_path / f"loglens-{http_port}-{time.monotonic_ns()}.log"
    environment = {key: value for key, value in os.environ.items() if not key.startswith(("LOGLENS_", "SLACK_"))}
    if dsn is not None:
        environment["LOGLENS_DATABASE_URL"] = dsn
    environment.update(env or {})
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "loglens.cli",
                *command,
                "--otlp-http-port",
                str(http_port),
                "--otlp-grpc-port",
                str(grpc_port),
                "--forward-port",
                str(forward_port),
                "--agent-port",
                str(agent_port),
                "--syslog-port",
                str(syslog_port),
                "--gelf-port",
                str(gelf_port),
                *extra_args,
            ],
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=new_session,
        )
    running = LoglensProcess(
        process, http_port, grpc_port, forward_port, agent_port, log_path, syslog_port, gelf_port
    )
    deadline = time.monotonic() + 60
    while "loglens is up" not in running.output():
        if process.poll() is not None:
            raise RuntimeError(f"loglens up exited with {process.returncode}:\n{running.output()}")
        if time.monotonic() > deadline:
            process.kill()
            raise TimeoutError(f"loglens up did not come up:\n{running.output()}")
        time.sleep(0.05)
    return running


def start_loglens_like(
    like: LoglensProcess,
    dsn: str | None,
    tmp_path: Path,
    *extra_args: str,
    env: dict[str, str] | None = None,
    new_session: bool = False,
) -> LoglensProcess:
    """``start_loglens`` again on every port of the stopped ``like``."""
    again = start_loglens(
        dsn,
        tmp_path,
        f"--forward-port={like.forward_port}",
        f"--agent-port={like.agent_port}",
        f"--syslog-port={like.syslog_port}",
        f"--gelf-port={like.gelf_port}",
        *extra_args,
        env=env,
        ports=(like.http_port, like.grpc_port),
        new_session=new_session,
    )
    again.forward_port, again.agent_port, again.syslog_port = like.forward_port, like.agent_port, like.syslog_port
    again.gelf_port = like.gelf_port
    return again


def worker_processes(running: LoglensProcess) -> list[psutil.Process]:
    """The collector worker processes of ``running`` (multiprocessing's spawned children)."""
    found = []
    for child in psutil.Process(running.process.pid).children():
        try:
            if any("spawn_main" in part for part in child.cmdline()):
                found.append(child)
        except psutil.NoSuchProcess:
            continue
    return found


def listens(process: psutil.Process, port: int) -> bool:
    try:
        connections = process.net_connections(kind="tcp")
    except psutil.NoSuchProcess:
        return False
    return any(c.status == psutil.CONN_LISTEN and c.laddr.port == port for c in connections)


def serving(running: LoglensProcess) -> set[int]:
    """Pids of the workers that listen on every TCP port of the collector."""
    ports = (running.http_port, running.grpc_port, running.forward_port)
    return {p.pid for p in worker_processes(running) if all(listens(p, port) for port in ports)}


def stop_loglens(running: LoglensProcess) -> None:
    if running.process.poll() is None:
        running.process.terminate()
        try:
            running.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            running.process.kill()
            running.process.wait()


@pytest.fixture
def loglens_up(dsn: str, tmp_path: Path) -> Iterator[LoglensProcess]:
    running = start_loglens(dsn, tmp_path)
    yield running
    stop_loglens(running)


async def wait_for(
    condition_query: str, connection: asyncpg.Connection, expected: object, within_s: float = 15.0
) -> object:
    """Poll a query until it returns ``expected`` (the SDKs export in the background)."""
    deadline = time.monotonic() + within_s
    value = None
    while time.monotonic() < deadline:
        value = await connection.fetchval(condition_query)
        if value == expected:
            return value
        await asyncio.sleep(0.1)
    return value


async def eventually(condition: Callable[[], bool], within_s: float = 10.0) -> None:
    """Wait until ``condition()`` holds, for state that gives no event to wait on."""
    deadline = time.monotonic() + within_s
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("the condition did not hold in time")
        await asyncio.sleep(0.01)
