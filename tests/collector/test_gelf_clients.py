"""The GELF receiver on loopback with a real client, graypy (PyPI's GELF logging handlers):
10,000 records over UDP (zlib-compressed, a tenth of them large enough to be chunked) and
10,000 over TCP (NUL-delimited), each stored once with its service, level, time to the
microsecond and message, in one process and from ``loglens up``'s workers; the counters in
/health; datagrams as Docker's gelf driver sends them (gzip, zlib or plain, whole or chunked);
TCP through a database outage and past an idle timeout; the settings that turn it off."""

from __future__ import annotations

import asyncio
import datetime as dt
import gzip
import logging
import random
import socket
import string
import time
import zlib
from typing import Any

import aiohttp
import asyncpg
import graypy
import orjson
import pydantic
import pytest

from loglens.collector.receivers.gelf_framing import CHUNK_MAGIC
from loglens.collector.server import Collector
from loglens.database.embedded import EmbeddedPostgres
from tests.collector.test_syslog_receiver import rows_reach, running
from tests.conftest import LoglensProcess, settings_for_tests

COUNT = 10_000
CHUNKED_EVERY = 10  # every tenth message carries a payload that needs several chunks
LEVELS = [
    (logging.DEBUG, "DEBUG"),
    (logging.INFO, "INFO"),
    (logging.WARNING, "WARN"),
    (logging.ERROR, "ERROR"),
    (logging.CRITICAL, "FATAL"),
]
T0 = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(minutes=10)


def sent_at(index: int) -> dt.datetime:
    """Each record's own time, not on a whole second (microseconds apart)."""
    return T0 + dt.timedelta(microseconds=123_457 + index * 1_001)


def filler(index: int) -> str:
    """A payload that zlib cannot squeeze under graypy's 1420-byte chunk (random letters)."""
    rng = random.Random(index)
    return "".join(rng.choices(string.ascii_letters + string.digits, k=6000))


def message_of(run: str, index: int) -> str:
    text = f"{run} message {index}"
    return f"{text} {filler(index)}" if index % CHUNKED_EVERY == 0 else text


class Stamp(logging.Filter):
    """Gives each record the time the test expects back (LogRecord.created, which graypy sends)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.created = sent_at(int(getattr(record, "seq", 0))).timestamp()
        return True


def send_with_graypy(handler: logging.Handler, run: str) -> None:
    handler.addFilter(Stamp())
    logger = logging.getLogger(f"gelf.{run}")
    logger.propagate = False
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        for index in range(COUNT):
            level, _ = LEVELS[index % len(LEVELS)]
            logger.log(level, "%s", message_of(run, index), extra={"service": f"svc-{index % 5}", "seq": index})
    finally:
        logger.removeHandler(handler)
        handler.close()


async def health(collector: Collector) -> dict[str, Any]:
    async with (
        aiohttp.ClientSession() as session,
        session.get(f"http://127.0.0.1:{collector.ports.otlp_http}/health") as answer,
    ):
        body: dict[str, Any] = await answer.json()
        return body


async def settled(collector: Collector, transport: str, count: int, within_s: float = 60.0) -> dict[str, int]:
    """The transport's counters once ``count`` messages are received and each is accounted for."""
    deadline = time.monotonic() + within_s
    while True:
        counters: dict[str, int] = (await health(collector))["gelf"][transport]
        accounted = sum(counters[key] for key in ("stored", "malformed", "too_large", "dropped"))
        accounted += counters.get("incomplete", 0)
        if (counters["received"] >= count and accounted == counters["received"]) or time.monotonic() > deadline:
            return counters
        await asyncio.sleep(0.05)


async def assert_stored_once(db: asyncpg.Connection, run: str) -> None:
    rows = await db.fetch(
        "SELECT message, service, level::text AS level, created_at, metadata FROM logs WHERE message LIKE $1",
        f"{run} message %",
    )
    assert len(rows) == COUNT
    by_message = {row["message"]: row for row in rows}
    assert len(by_message) == COUNT, "every record once"
    for index in range(COUNT):
        row = by_message[message_of(run, index)]
        assert row["service"] == f"svc-{index % 5}"
        assert row["level"] == LEVELS[index % len(LEVELS)][1]
        assert row["created_at"] == sent_at(index)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
async def test_graypy(collector: Collector, db: asyncpg.Connection, transport: str) -> None:
    run = f"graypy-{transport}"
    if transport == "udp":
        handler: logging.Handler = graypy.GELFUDPHandler("127.0.0.1", collector.ports.gelf_udp)
    else:
        handler = graypy.GELFTCPHandler("127.0.0.1", collector.ports.gelf)
    await asyncio.to_thread(send_with_graypy, handler, run)
    counters = await settled(collector, transport, COUNT)
    await assert_stored_once(db, run)
    assert (counters["received"], counters["stored"], counters["malformed"], counters["dropped"]) == (
        COUNT,
        COUNT,
        0,
        0,
    )
    assert counters["too_large"] == 0
    if transport == "udp":
        assert counters["chunks"] >= 3 * COUNT // CHUNKED_EVERY, "the large messages came in chunks"
        assert (counters["incomplete"], counters["partial_messages"], counters["partial_bytes"]) == (0, 0, 0)
    row = await db.fetchrow("SELECT metadata FROM logs WHERE message = $1", message_of(run, 1))
    assert row is not None
    assert '"host.name"' in row["metadata"]
    assert f'"facility": "gelf.{run}"' in row["metadata"]


async def test_gelf_off(dsn: str) -> None:
    async with running(dsn, gelf_enabled=False) as collector:
        assert (collector.ports.gelf, collector.ports.gelf_udp) == (0, 0)
        assert "gelf" not in await health(collector)


def test_a_port_shared_with_syslog_is_refused() -> None:
    with pytest.raises(pydantic.ValidationError, match="LOGLENS_GELF_PORT must differ from LOGLENS_SYSLOG_PORT"):
        settings_for_tests(gelf_port=5514, syslog_port=5514)
    assert settings_for_tests(gelf_port=5514, syslog_port=5514, syslog_enabled=False).gelf_port == 5514


async def test_loglens_up_serves_gelf_from_every_worker(
    loglens_up: LoglensProcess, db: asyncpg.Connection
) -> None:
    """The real ``loglens up``: its collector workers share the GELF port, TCP and UDP (the chunks
    of one message come from one socket, so the kernel hands them all to one worker)."""
    udp = graypy.GELFUDPHandler("127.0.0.1", loglens_up.gelf_port)
    tcp = graypy.GELFTCPHandler("127.0.0.1", loglens_up.gelf_port)
    await asyncio.gather(
        asyncio.to_thread(send_with_graypy, udp, "up-udp"), asyncio.to_thread(send_with_graypy, tcp, "up-tcp")
    )
    await rows_reach(db, 2 * COUNT)
    await assert_stored_once(db, "up-udp")
    await assert_stored_once(db, "up-tcp")
    assert await db.fetchval("SELECT count(*) FROM logs") == 2 * COUNT
    assert f"GELF 127.0.0.1:{loglens_up.gelf_port} (TCP, UDP)" in loglens_up.output()


async def test_what_tcp_delivered_during_an_outage_is_stored_once_the_database_is_back(
    own_postgres: EmbeddedPostgres, own_dsn: str
) -> None:
    """GELF has no acks to withhold: the receiver keeps what it read and retries until it commits."""
    async with running(own_dsn, commit_timeout_s=1.0) as collector:
        await asyncio.to_thread(own_postgres.stop)
        own_postgres._started_here = False  # stopped by hand; start() below starts it again
        sent = 2_000
        _, writer = await asyncio.open_connection("127.0.0.1", collector.ports.gelf)
        for index in range(sent):
            writer.write(orjson.dumps({"short_message": f"outage {index}", "timestamp": 1.79e9 + index}) + b"\0")
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        deadline = time.monotonic() + 15
        tcp = (await health(collector))["gelf"]["tcp"]
        while tcp["received"] < sent and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
            tcp = (await health(collector))["gelf"]["tcp"]
        assert (tcp["received"], tcp["stored"], tcp["dropped"]) == (sent, 0, 0)
        await asyncio.to_thread(own_postgres.start)
        db = await asyncpg.connect(own_dsn)
        try:
            await rows_reach(db, sent)
            assert (
                await db.fetchval("SELECT count(DISTINCT message) FROM logs WHERE message LIKE 'outage %'") == sent
            )
            assert await db.fetchval("SELECT count(*) FROM logs") == sent
        finally:
            await db.close()
        assert (await health(collector))["gelf"]["tcp"]["stored"] == sent


async def test_a_quiet_connection_stays_open_and_a_stalled_frame_is_closed(
    dsn: str, db: asyncpg.Connection
) -> None:
    async with running(dsn, idle_timeout_s=0.3) as collector:
        reader, writer = await asyncio.open_connection("127.0.0.1", collector.ports.gelf)
        writer.write(b'{"short_message": "before the quiet"}\0')
        await writer.drain()
        await rows_reach(db, 1)
        with pytest.raises(TimeoutError):  # three idle timeouts long: still open
            await asyncio.wait_for(reader.read(1), 1.0)
        writer.write(b'{"short_message": "after the quiet"}\0{"short_message": "cut off"}')
        await writer.drain()
        assert await asyncio.wait_for(reader.read(1), 10) == b"", "a frame stalled past the timeout is closed"
        writer.close()
        await rows_reach(db, 3)
        messages = await db.fetchval("SELECT array_agg(message ORDER BY id) FROM logs")
        assert messages == ["before the quiet", "after the quiet", "cut off"]


def datagrams_of(message: bytes, kind: int, rng: random.Random) -> list[bytes]:
    """One message as Docker's gelf driver may send it: plain, zlib or gzip (kind % 3), whole or
    in shuffled chunks of 512 bytes (kind // 3)."""
    body = (message, zlib.compress(message), gzip.compress(message))[kind % 3]
    if kind < 3:
        return [body]
    pieces = [body[start : start + 512] for start in range(0, len(body), 512)]
    message_id = rng.randbytes(8)
    chunks = [CHUNK_MAGIC + message_id + bytes([index, len(pieces)]) + piece for index, piece in enumerate(pieces)]
    rng.shuffle(chunks)
    return chunks


async def test_plain_zlib_gzip_whole_and_chunked_datagrams(collector: Collector, db: asyncpg.Connection) -> None:
    rng = random.Random(12201)
    sent = 1_200
    udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    target = ("127.0.0.1", collector.ports.gelf_udp)
    for index in range(sent):
        message = {
            "version": "1.1",
            "host": "docker-host",
            "short_message": f"datagram {index} " + filler(index)[: 100 + index % 3 * 1500],
            "timestamp": sent_at(index).timestamp(),
            "level": 3 + index % 5,
            "_container_name": f"/shop-api-{index % 3}",
            "_com.docker.compose.service": "shop-api",
        }
        for datagram in datagrams_of(orjson.dumps(message), index % 6, rng):
            udp.sendto(datagram, target)
    udp.close()
    counters = await settled(collector, "udp", sent)
    assert (counters["received"], counters["stored"], counters["incomplete"]) == (sent, sent, 0)
    assert counters["chunks"] > sent // 6 * 7, "a sixth in one chunk, a sixth in three, a sixth in five or so"
    rows = await db.fetch("SELECT message, service, level::text AS level, created_at FROM logs")
    assert len(rows) == sent
    by_index = {int(row["message"].split()[1]): row for row in rows}
    assert sorted(by_index) == list(range(sent))
    for index, row in by_index.items():
        assert row["service"] == "shop-api"
        assert row["level"] == ("ERROR", "WARN", "INFO", "INFO", "DEBUG")[index % 5]
        assert row["created_at"] == sent_at(index)
