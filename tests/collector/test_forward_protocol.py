"""Fluentd forward protocol: the four event modes, EventTime, acks after commit, resends,
pipelining over many connections, and the UDP heartbeat."""

from __future__ import annotations

import asyncio
import datetime as dt
import socket

import asyncpg
import orjson

from loglens.collector.server import Collector
from tests.conftest import wait_for
from tests.forward_client import (
    ForwardClient,
    event_time,
    forward,
    message,
    new_chunk,
    pack,
    packed_forward,
)

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


def at(seconds: int, microseconds: int = 0) -> dt.datetime:
    return dt.datetime.fromtimestamp(seconds, dt.UTC) + dt.timedelta(microseconds=microseconds)


async def test_message_mode_is_acknowledged_after_it_is_stored(
    collector: Collector, db: asyncpg.Connection
) -> None:
    client = await ForwardClient.connect(collector.ports.forward)
    chunk = new_chunk()
    record = {"message": "payment declined", "level": "error", "user_id": "u-42", "order": 17}
    await client.send(message("app.payment-api", event_time(T0, 123_456_789), record, chunk))

    assert await client.acks(1) == [chunk]
    row = await db.fetchrow("SELECT * FROM logs")
    assert row is not None
    assert (row["service"], row["level"], row["message"], row["user_id"]) == (
        "payment-api",
        "ERROR",
        "payment declined",
        "u-42",
    )
    assert row["created_at"] == at(T0, 123_456), "EventTime keeps the sub-second part"
    assert orjson.loads(row["metadata"]) == {"order": 17, "fluent.tag": "app.payment-api"}
    await client.close()


async def test_forward_mode_stores_every_entry_with_its_own_time(
    collector: Collector, db: asyncpg.Connection
) -> None:
    client = await ForwardClient.connect(collector.ports.forward)
    chunk = new_chunk()
    entries = [[T0 + n, {"msg": f"entry {n}", "severity": "warning"}] for n in range(3)]
    await client.send(forward("svc.inventory.audit", entries, chunk))

    assert await client.acks(1) == [chunk]
    rows = await db.fetch("SELECT created_at, message, level, service FROM logs ORDER BY created_at")
    assert [(r["created_at"], r["message"], r["level"], r["service"]) for r in rows] == [
        (at(T0 + n), f"entry {n}", "WARN", "inventory") for n in range(3)
    ]
    await client.close()


async def test_packed_forward_as_bin_and_as_the_str_of_old_fluentd(
    collector: Collector, db: asyncpg.Connection
) -> None:
    client = await ForwardClient.connect(collector.ports.forward)
    first, second = new_chunk(), new_chunk()
    await client.send(
        packed_forward("app.web", [[event_time(T0, 5_000), {"log": "GET / 200\n"}]] * 2, first),
        packed_forward("app.web", [[T0, {"log": "GET /health 200"}]], second, as_str=True),
    )

    assert sorted(await client.acks(2)) == sorted([first, second])
    assert await db.fetchval("SELECT array_agg(message ORDER BY message) FROM logs") == [
        "GET / 200",
        "GET / 200",
        "GET /health 200",
    ]
    await client.close()


async def test_compressed_packed_forward_of_several_gzip_members(
    collector: Collector, db: asyncpg.Connection
) -> None:
    """Fluentd's compressed chunks are one gzip member per write, concatenated."""
    client = await ForwardClient.connect(collector.ports.forward)
    chunk = new_chunk()
    entries = [[event_time(T0 + n), {"message": f"line {n}", "level": "debug"}] for n in range(500)]
    await client.send(packed_forward("app.batch-worker", entries, chunk, gzip_members=3))

    assert await client.acks(1) == [chunk]
    assert await db.fetchval("SELECT count(*) FROM logs WHERE level = 'DEBUG'") == 500
    assert await db.fetchval("SELECT count(DISTINCT message) FROM logs") == 500
    assert await db.fetchval("SELECT min(created_at) FROM logs") == at(T0)
    await client.close()


async def test_integer_float_and_missing_times(collector: Collector, db: asyncpg.Connection) -> None:
    client = await ForwardClient.connect(collector.ports.forward)
    chunk = new_chunk()
    before = dt.datetime.now(dt.UTC)
    entries = [
        [T0, {"message": "integer seconds"}],
        [T0 + 0.25, {"message": "float seconds"}],
        [0, {"message": "zero means now"}],
        [None, {"message": "nil means now"}],
        [[event_time(T0, 1_000), {"fluentbit": "metadata"}], {"message": "fluent bit 2 format"}],
    ]
    await client.send(forward("app.clock", entries, chunk))
    assert await client.acks(1) == [chunk]

    times = dict(await db.fetch("SELECT message, created_at FROM logs"))
    assert times["integer seconds"] == at(T0)
    assert times["float seconds"] == at(T0, 250_000)
    assert times["fluent bit 2 format"] == at(T0, 1)
    assert times["zero means now"] >= before - dt.timedelta(seconds=1)
    assert times["nil means now"] >= before - dt.timedelta(seconds=1)
    metadata = await db.fetchval("SELECT metadata FROM logs WHERE message = 'fluent bit 2 format'")
    assert orjson.loads(metadata)["fluent.metadata"] == {"fluentbit": "metadata"}
    await client.close()


async def test_the_ack_waits_for_the_commit(collector: Collector, dsn: str, db: asyncpg.Connection) -> None:
    blocker = await asyncpg.connect(dsn)
    transaction = blocker.transaction()
    await transaction.start()
    await blocker.execute("LOCK TABLE logs IN ACCESS EXCLUSIVE MODE")
    client = await ForwardClient.connect(collector.ports.forward)
    chunk = new_chunk()
    await client.send(message("app.api", T0, {"message": "held back"}, chunk))

    assert await client.nothing_within(0.5), "no ack while the rows cannot be committed"
    await transaction.commit()
    await blocker.close()
    assert await client.acks(1) == [chunk]
    assert await db.fetchval("SELECT count(*) FROM logs") == 1
    await client.close()


async def test_a_chunk_resent_after_its_ack_was_lost_is_stored_once(
    collector: Collector, db: asyncpg.Connection
) -> None:
    chunk = new_chunk()
    frame = packed_forward("app.orders", [[T0, {"message": f"order {n}"}] for n in range(10)], chunk)

    # The client sends, then the connection dies before it reads the ack.
    lost = await ForwardClient.connect(collector.ports.forward)
    await lost.send(frame)
    await lost.acks(1)
    await lost.close()
    assert await db.fetchval("SELECT count(*) FROM logs") == 10

    # So it sends the chunk again, on a new connection, and gets its ack.
    again = await ForwardClient.connect(collector.ports.forward)
    await again.send(frame)
    assert await again.acks(1) == [chunk]
    # And twice more on one connection, pipelined.
    await again.send(frame, frame)
    assert await again.acks(2) == [chunk, chunk]
    await again.close()

    assert await db.fetchval("SELECT count(*) FROM logs") == 10
    assert await db.fetchval("SELECT count(DISTINCT message) FROM logs") == 10


async def test_pipelined_chunks_over_many_connections(collector: Collector, db: asyncpg.Connection) -> None:
    async def one_connection(number: int) -> list[str]:
        client = await ForwardClient.connect(collector.ports.forward)
        chunks = [new_chunk() for _ in range(20)]
        frames = [
            packed_forward(
                f"app.client-{number}", [[T0, {"message": f"c{number} f{f} e{e}"}] for e in range(50)], chunk
            )
            for f, chunk in enumerate(chunks)
        ]
        await client.send(*frames)
        acknowledged = await client.acks(len(chunks))
        await client.close()
        assert sorted(acknowledged) == sorted(chunks)
        return acknowledged

    acknowledged = await asyncio.gather(*(one_connection(n) for n in range(8)))

    assert sum(len(chunks) for chunks in acknowledged) == 160
    assert await db.fetchval("SELECT count(*) FROM logs") == 8 * 20 * 50
    assert await db.fetchval("SELECT count(DISTINCT service) FROM logs") == 8


async def test_frames_without_a_chunk_are_stored_and_not_answered(
    collector: Collector, db: asyncpg.Connection
) -> None:
    client = await ForwardClient.connect(collector.ports.forward)
    await client.send(*(message("app.chatty", T0, {"message": f"line {n}"}) for n in range(1000)))

    assert await client.nothing_within(0.3)
    await client.close()
    assert await wait_for("SELECT count(*) FROM logs", db, 1000) == 1000


async def test_a_bad_entry_is_refused_alone_and_the_chunk_acknowledged(
    collector: Collector, db: asyncpg.Connection
) -> None:
    client = await ForwardClient.connect(collector.ports.forward)
    chunk = new_chunk()
    entries = [[T0, {"message": "fine"}], [T0, "not a map"], ["no", "pair", "here"], [T0, {"message": "ok"}]]
    await client.send(forward("app.mixed", entries, chunk))

    assert await client.acks(1) == [chunk], "resending could never store the bad entries"
    assert await db.fetchval("SELECT array_agg(message ORDER BY message) FROM logs") == ["fine", "ok"]
    await client.close()


async def test_a_nil_frame_is_a_tcp_heartbeat(collector: Collector) -> None:
    client = await ForwardClient.connect(collector.ports.forward)
    chunk = new_chunk()
    await client.send(pack(None), message("app.api", T0, {"message": "after the heartbeat"}, chunk))
    assert await client.acks(1) == [chunk]
    await client.close()


async def test_the_udp_heartbeat_is_answered(collector: Collector) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as udp:
        udp.settimeout(5)
        udp.sendto(b"\x00", ("127.0.0.1", collector.ports.forward))
        answer, _ = await asyncio.to_thread(udp.recvfrom, 16)
    assert answer == b"\x00"
