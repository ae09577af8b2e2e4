"""The syslog receiver on loopback: Python's logging.handlers.SysLogHandler over UDP and TCP
(10,000 records each), RFC 5425 TLS with a certificate made here, malformed frames that are
counted and dropped without ending the connection, the counters in /health, and the settings
that turn it off or refuse half a TLS setup."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import logging.handlers
import socket
import ssl
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import pydantic
import pytest

from loglens.collector.server import Collector
from loglens.database.embedded import EmbeddedPostgres
from loglens.errors import ConfigurationError
from tests.conftest import LoglensProcess, settings_for_tests
from tests.syslog_clients import assert_stored_once, records, self_signed

COUNT = 10_000
PYTHON_LEVELS = [
    (logging.DEBUG, "DEBUG"),
    (logging.INFO, "INFO"),
    (logging.WARNING, "WARN"),
    (logging.ERROR, "ERROR"),
    (logging.CRITICAL, "FATAL"),
]


@contextlib.asynccontextmanager
async def running(dsn: str, **overrides: Any) -> AsyncIterator[Collector]:
    collector = Collector(settings_for_tests(**overrides), dsn)
    try:
        await collector.start()
        yield collector
    finally:
        await collector.stop()


async def rows_reach(db: asyncpg.Connection, count: int, within_s: float = 60.0) -> None:
    """Wait until the table holds ``count`` rows (or the deadline passes: the test's asserts say what is wrong)."""
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if await db.fetchval("SELECT count(*) FROM logs") >= count:
            return
        await asyncio.sleep(0.05)


async def health(collector: Collector) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{collector.ports.otlp_http}/health") as answer,
    ):
        body: dict[str, Any] = await answer.json()
        return body


def send_with_syslog_handler(port: int, socktype: socket.SocketKind, run: str) -> None:
    handler = logging.handlers.SysLogHandler(address=("127.0.0.1", port), socktype=socktype)
    handler.setFormatter(logging.Formatter("%(name)s[%(process)d]: %(message)s"))
    loggers = [logging.getLogger(f"{run}.svc-{index}") for index in range(5)]
    for logger in loggers:
        logger.propagate = False
        logger.setLevel(logging.DEBUG)
        logger.addHandler(handler)
    try:
        for index in range(COUNT):
            level, _ = PYTHON_LEVELS[index % len(PYTHON_LEVELS)]
            loggers[index % len(loggers)].log(level, "%s message %d", run, index)
    finally:
        for logger in loggers:
            logger.removeHandler(handler)
        handler.close()


@pytest.mark.parametrize("socktype", [socket.SOCK_DGRAM, socket.SOCK_STREAM], ids=["udp", "tcp"])
async def test_python_syslog_handler(
    collector: Collector, db: asyncpg.Connection, socktype: socket.SocketKind
) -> None:
    run = f"python-{socktype.name}"
    port = collector.ports.syslog_udp if socktype == socket.SOCK_DGRAM else collector.ports.syslog
    before = dt.datetime.now(dt.UTC)
    await asyncio.to_thread(send_with_syslog_handler, port, socktype, run)
    after = dt.datetime.now(dt.UTC)
    await rows_reach(db, COUNT)
    rows = await db.fetch("SELECT message, service, level::text AS level, created_at, metadata FROM logs")
    assert len(rows) == COUNT
    by_message = {row["message"]: row for row in rows}
    assert len(by_message) == COUNT, "every record once"
    for index in range(COUNT):
        row = by_message[f"{run} message {index}"]
        assert row["service"] == f"{run}.svc-{index % 5}"
        assert row["level"] == PYTHON_LEVELS[index % len(PYTHON_LEVELS)][1]
        # SysLogHandler sends no time: the arrival's, between the first send and the commit.
        assert before <= row["created_at"] <= after + dt.timedelta(seconds=30)
    counters = (await health(collector))["syslog"]["udp" if socktype == socket.SOCK_DGRAM else "tcp"]
    assert (counters["received"], counters["stored"], counters["malformed"], counters["dropped"]) == (
        COUNT,
        COUNT,
        0,
        0,
    )


async def test_tls_with_octet_counting(dsn: str, db: asyncpg.Connection, tmp_path: Path) -> None:
    cert, key = self_signed(tmp_path)
    async with running(dsn, syslog_tls_port=0, syslog_tls_cert=cert, syslog_tls_key=key) as collector:
        assert collector.ports.syslog_tls not in (0, collector.ports.syslog)
        context = ssl.create_default_context(cafile=str(cert))
        sent = records("tls", COUNT)
        _, writer = await asyncio.open_connection(
            "127.0.0.1", collector.ports.syslog_tls, ssl=context, server_hostname="localhost"
        )
        for message in sent:
            frame = message.rfc5424()
            writer.write(b"%d %s" % (len(frame), frame))
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        await assert_stored_once(db, sent, sub_second=True, structured=True)
        assert (await health(collector))["syslog"]["tls"]["stored"] == COUNT


async def test_a_client_without_tls_on_the_tls_port_stores_nothing(
    dsn: str, db: asyncpg.Connection, tmp_path: Path
) -> None:
    cert, key = self_signed(tmp_path)
    async with running(dsn, syslog_tls_port=0, syslog_tls_cert=cert, syslog_tls_key=key) as collector:
        reader, writer = await asyncio.open_connection("127.0.0.1", collector.ports.syslog_tls)
        writer.write(b"<14>app: in the clear\n")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(), 10) == b"", "the server ends the failed handshake"
        writer.close()
        good = records("after", 1)[0].rfc5424()
        _, plain = await asyncio.open_connection("127.0.0.1", collector.ports.syslog)
        plain.write(good + b"\n")
        plain.close()
        await rows_reach(db, 1)
        assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["after message 0"]


async def test_malformed_frames_are_counted_and_the_connection_goes_on(dsn: str, db: asyncpg.Connection) -> None:
    async with running(dsn, syslog_max_message_bytes=1024) as collector:
        _, writer = await asyncio.open_connection("127.0.0.1", collector.ports.syslog)
        writer.write(b"<14>app: first\n")
        writer.write(b"<14>app: " + b"x" * 2000 + b"\n")  # too large, newline-framed
        writer.write(b"3000 <14>" + b"y" * 2995)  # too large, octet-counted: skipped by its count
        writer.write(b"\n\x00\r\n")  # nothing: not a message
        writer.write(b"<14>app: second\n")
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        await rows_reach(db, 2)
        assert await db.fetchval("SELECT array_agg(message ORDER BY id) FROM logs") == ["first", "second"]
        tcp = (await health(collector))["syslog"]["tcp"]
        assert (tcp["received"], tcp["stored"], tcp["malformed"]) == (4, 2, 2)

        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        udp.sendto(b"z" * 2000, ("127.0.0.1", collector.ports.syslog_udp))
        udp.sendto(b"\x00\n", ("127.0.0.1", collector.ports.syslog_udp))  # empty: refused by the mapping
        udp.sendto(b"<14>app: third", ("127.0.0.1", collector.ports.syslog_udp))
        udp.close()

        async def udp_counts() -> dict[str, int]:
            counters: dict[str, int] = (await health(collector))["syslog"]["udp"]
            return counters

        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            counters = await udp_counts()
            if counters["stored"] + counters["malformed"] >= 3:
                break
            await asyncio.sleep(0.05)
        assert (counters["received"], counters["stored"], counters["malformed"]) == (3, 1, 2)


async def test_it_can_be_turned_off(dsn: str) -> None:
    async with running(dsn, syslog_enabled=False) as collector:
        assert (collector.ports.syslog, collector.ports.syslog_udp) == (0, 0)
        assert "syslog" not in await health(collector)


def test_half_a_tls_setup_is_refused(tmp_path: Path) -> None:
    with pytest.raises(pydantic.ValidationError, match="missing: LOGLENS_SYSLOG_TLS_KEY"):
        settings_for_tests(syslog_tls_port=6514, syslog_tls_cert=tmp_path / "cert.pem")
    with pytest.raises(
        pydantic.ValidationError, match="missing: LOGLENS_SYSLOG_TLS_PORT, LOGLENS_SYSLOG_TLS_CERT"
    ):
        settings_for_tests(syslog_tls_key=tmp_path / "key.pem")


async def test_an_unreadable_certificate_stops_the_start(dsn: str, tmp_path: Path) -> None:
    missing = tmp_path / "nowhere.pem"
    with pytest.raises(ConfigurationError, match="cannot load the syslog TLS certificate"):
        async with running(dsn, syslog_tls_port=0, syslog_tls_cert=missing, syslog_tls_key=missing):
            pass


async def test_loglens_up_serves_syslog_from_every_worker(
    loglens_up: LoglensProcess, db: asyncpg.Connection
) -> None:
    """The real ``loglens up``: its collector workers share the syslog port, TCP and UDP."""
    await asyncio.gather(
        asyncio.to_thread(send_with_syslog_handler, loglens_up.syslog_port, socket.SOCK_STREAM, "up-tcp"),
        asyncio.to_thread(send_with_syslog_handler, loglens_up.syslog_port, socket.SOCK_DGRAM, "up-udp"),
    )
    await rows_reach(db, 2 * COUNT)
    counts = dict(
        await db.fetch("SELECT split_part(message, ' ', 1), count(DISTINCT message) FROM logs GROUP BY 1")
    )
    assert counts == {"up-tcp": COUNT, "up-udp": COUNT}
    assert await db.fetchval("SELECT count(*) FROM logs") == 2 * COUNT
    assert "loglens is up" in loglens_up.output()
    assert f"syslog 127.0.0.1:{loglens_up.syslog_port} (TCP, UDP)" in loglens_up.output()


async def test_what_tcp_delivered_during_an_outage_is_stored_once_the_database_is_back(
    own_postgres: EmbeddedPostgres, own_dsn: str
) -> None:
    """Syslog has no acks to withhold: the receiver keeps what it read and retries until it commits."""
    async with running(own_dsn, commit_timeout_s=1.0) as collector:
        await asyncio.to_thread(own_postgres.stop)
        own_postgres._started_here = False  # stopped by hand; start() below starts it again
        sent = records("outage", 2_000)
        _, writer = await asyncio.open_connection("127.0.0.1", collector.ports.syslog)
        for message in sent:
            writer.write(message.rfc5424() + b"\n")
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            tcp = (await health(collector))["syslog"]["tcp"]
            if tcp["received"] == len(sent):
                break
            await asyncio.sleep(0.05)
        assert (tcp["received"], tcp["stored"], tcp["dropped"]) == (len(sent), 0, 0)
        await asyncio.to_thread(own_postgres.start)
        db = await asyncpg.connect(own_dsn)
        try:
            await assert_stored_once(db, sent, sub_second=True, structured=True)
        finally:
            await db.close()


async def test_a_quiet_connection_stays_open_and_a_stalled_frame_is_closed(
    dsn: str, db: asyncpg.Connection
) -> None:
    """Between frames a syslog daemon may be quiet for hours: closing then would lose its next message."""
    async with running(dsn, idle_timeout_s=0.3) as collector:
        reader, writer = await asyncio.open_connection("127.0.0.1", collector.ports.syslog)
        writer.write(b"<14>app: before the quiet\n")
        await writer.drain()
        await rows_reach(db, 1)
        with pytest.raises(TimeoutError):  # three idle timeouts long: still open
            await asyncio.wait_for(reader.read(1), 1.0)
        writer.write(b"<14>app: after the quiet\n<14>app: cut off")
        await writer.drain()
        assert await asyncio.wait_for(reader.read(1), 10) == b"", "a frame stalled past the timeout is closed"
        writer.close()
        await rows_reach(db, 3)
        messages = await db.fetchval("SELECT array_agg(message ORDER BY id) FROM logs")
        assert messages == ["before the quiet", "after the quiet", "cut off"]
