"""Deduplication never drops what it has not seen, and no key poisons a batch.

A Fluentd chunk id or an ``Idempotency-Key`` names a request so that its resend is stored
once. Clients do not keep ids unique across processes (fluent-logger-golang built with Go
before 1.20 seeds its generator alike in every process), so a replay is a request with the
same id *and* the same content: a different chunk under a used id is stored and acknowledged,
a different JSON body under a used key is refused with 422. Ids are bytes: one that is not
valid UTF-8 is stored and answered like any other, and never fails the requests batched with it.
"""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import msgpack
import orjson
import pytest

from loglens.collector.server import Collector
from tests.conftest import LoglensProcess, settings_for_tests, start_loglens, stop_loglens
from tests.forward_client import ForwardClient, forward, message, new_chunk, packed_forward
from tests.node_client import send_with_node

T0 = 1_767_225_600  # 2026-01-01T00:00:00Z


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def batching_collector(dsn: str) -> AsyncIterator[Collector]:
    """A collector that gathers for 300 ms: requests sent together commit in one batch."""
    running = Collector(settings_for_tests(flush_interval_ms=300), dsn)
    await running.start()
    yield running
    await running.stop()


async def messages(db: asyncpg.Connection) -> list[str]:
    return [record["message"] for record in await db.fetch("SELECT message FROM logs ORDER BY message")]


async def send_chunk(port: int, frame: bytes, chunk: str) -> None:
    """Send one frame on a connection of its own and wait for its ack."""
    client = await ForwardClient.connect(port)
    try:
        await client.send(frame)
        assert await client.acks(1) == [chunk]
    finally:
        await client.close()


def chunk_frames(mode: str, chunk: str, sender: str) -> bytes:
    entries = [[T0 + n, {"message": f"{sender} record {n}", "user_id": sender}] for n in range(5)]
    if mode == "Message":
        return message("app.collide", T0, {"message": f"{sender} record 0", "user_id": sender}, chunk)
    if mode == "Forward":
        return forward("app.collide", entries, chunk)
    members = 1 if mode == "CompressedPackedForward" else 0
    return packed_forward("app.collide", entries, chunk, gzip_members=members)


# --- forward: chunk ids that collide ----------------------------------------------------------


@pytest.mark.parametrize("mode", ["Message", "Forward", "PackedForward", "CompressedPackedForward"])
async def test_two_different_chunks_under_one_id_are_both_stored_and_a_resend_once(
    collector: Collector, db: asyncpg.Connection, mode: str
) -> None:
    port = collector.ports.forward
    chunk = new_chunk()
    first, second = chunk_frames(mode, chunk, "alpha"), chunk_frames(mode, chunk, "beta")
    per_chunk = 1 if mode == "Message" else 5

    await send_chunk(port, first, chunk)
    await send_chunk(port, second, chunk)  # another client, same id, other records

    stored = await messages(db)
    assert len(stored) == 2 * per_chunk, "the second chunk was acknowledged, so it must be stored"
    assert {m.split()[0] for m in stored} == {"alpha", "beta"}

    # Both clients lost their ack and send again, at once: acknowledged, not stored twice.
    await asyncio.gather(send_chunk(port, first, chunk), send_chunk(port, second, chunk))
    assert await messages(db) == stored


async def test_two_different_chunks_under_one_id_in_one_batch_are_both_stored(
    batching_collector: Collector, db: asyncpg.Connection
) -> None:
    port = batching_collector.ports.forward
    chunk = new_chunk()
    frames = [chunk_frames("PackedForward", chunk, sender) for sender in ("alpha", "beta", "gamma")]

    await asyncio.gather(*(send_chunk(port, frame, chunk) for frame in frames), send_chunk(port, frames[0], chunk))

    assert await db.fetchval("SELECT count(*) FROM logs") == 15
    assert await db.fetchval("SELECT count(DISTINCT message) FROM logs") == 15


@pytest.fixture
def quick_loglens(dsn: str, tmp_path: Path) -> Iterator[LoglensProcess]:
    """``loglens up`` committing every 5 ms: Go's and Node's clients wait for an ack per record."""
    running = start_loglens(dsn, tmp_path, env={"LOGLENS_FLUSH_INTERVAL_MS": "5"})
    yield running
    stop_loglens(running)


@pytest.mark.parametrize("event_mode", ["Message", "PackedForward"])
async def test_node_senders_whose_chunk_ids_collide_store_every_event_once(
    quick_loglens: LoglensProcess, db: asyncpg.Connection, event_mode: str
) -> None:
    senders, per_sender = 3, 150

    def records(sender: int) -> list[dict[str, Any]]:
        return [
            {"label": "checkout", "data": {"message": f"node {sender} event {n}", "user_id": str(sender)}}
            for n in range(per_sender)
        ]

    results = await asyncio.gather(
        *(
            send_with_node(quick_loglens.forward_port, records(s), event_mode=event_mode, colliding_chunk_ids=True)
            for s in range(senders)
        )
    )

    assert [r.errors for r in results] == [[]] * senders
    assert [r.acknowledged for r in results] == [per_sender] * senders
    # Acknowledged means committed: every event is there, once.
    assert await db.fetchval("SELECT count(*) FROM logs") == senders * per_sender
    assert await db.fetchval("SELECT count(DISTINCT message) FROM logs") == senders * per_sender


# --- forward: fluent-logger-golang, the client the defect was found with -----------------------


async def test_go_fluent_logger_processes_with_acks_store_every_event_once(
    go_sender: Path, quick_loglens: LoglensProcess, db: asyncpg.Connection
) -> None:
    senders, per_sender = 3, 300
    processes = [
        await asyncio.create_subprocess_exec(
            str(go_sender),
            str(quick_loglens.forward_port),
            f"go{n}",
            str(per_sender),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        for n in range(senders)
    ]
    outputs = await asyncio.wait_for(asyncio.gather(*(p.communicate() for p in processes)), timeout=120)

    answers = [orjson.loads(stdout.strip().splitlines()[-1]) for stdout, _ in outputs]
    assert [a["errors"] for a in answers] == [[]] * senders, [stderr.decode()[-2000:] for _, stderr in outputs]
    assert [a["acknowledged"] for a in answers] == [per_sender] * senders
    per_sender_stored = dict(await db.fetch("SELECT user_id, count(DISTINCT message) FROM logs GROUP BY 1"))
    assert per_sender_stored == {f"go{n}": per_sender for n in range(senders)}
    assert await db.fetchval("SELECT count(*) FROM logs") == senders * per_sender, "and none twice"
    # The point of the test: the processes did send the same chunk ids for different records.
    assert await _colliding_chunk_ids(db) > 0


async def _colliding_chunk_ids(db: asyncpg.Connection) -> int:
    """Chunk ids remembered under more than one content (receipt key: fluent:<id> NUL <digest>)."""
    value = await db.fetchval(
        "SELECT count(*) FROM (SELECT substring(key FROM 1 FOR length(key) - 17) FROM ingest_receipts "
        "WHERE substring(key FROM 1 FOR 7) = 'fluent:'::bytea GROUP BY 1 HAVING count(*) > 1) AS shared"
    )
    return int(value)


# --- the JSON API: one Idempotency-Key, one body ----------------------------------------------


async def post(
    http: aiohttp.ClientSession, collector: Collector, body: bytes | dict[str, Any], **headers: str
) -> tuple[int, dict[str, Any], bool]:
    data = body if isinstance(body, bytes) else orjson.dumps(body)
    all_headers = {"Content-Type": "application/json", **{k.replace("_", "-"): v for k, v in headers.items()}}
    async with http.post(
        f"http://127.0.0.1:{collector.ports.otlp_http}/logs", data=data, headers=all_headers
    ) as response:
        return response.status, await response.json(), response.headers.get("Idempotent-Replayed") == "true"


async def test_a_key_reused_with_the_same_body_is_a_replay_stored_once(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    body = orjson.dumps({"logs": [{"message": "charge 1"}, {"message": "charge 2"}]})

    first = await post(http, collector, body, Idempotency_Key="order-7")
    again = await post(http, collector, body, Idempotency_Key="order-7")
    # The same content gzipped is the same request.
    zipped = await post(http, collector, gzip.compress(body), Idempotency_Key="order-7", Content_Encoding="gzip")

    assert first == (200, {"status": "ok", "count": 2, "rejected": []}, False)
    assert again == zipped == (200, {"status": "ok", "count": 2, "rejected": []}, True)
    assert await messages(db) == ["charge 1", "charge 2"]


async def test_a_key_reused_with_another_body_is_refused_with_422_and_nothing_is_stored(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    original = {"logs": [{"message": "charge 1"}, {"message": "charge 2"}]}
    other = {"logs": [{"message": "refund 1"}]}
    assert (await post(http, collector, original, Idempotency_Key="order-8"))[0] == 200

    status, answer, replayed = await post(http, collector, other, Idempotency_Key="order-8")

    assert (status, replayed) == (422, False)
    assert answer["status"] == "error"
    assert "Idempotency-Key" in answer["error"]
    assert "different" in answer["error"]
    assert await messages(db) == ["charge 1", "charge 2"], "nothing of the second body, the first intact"
    # Recovered: the original still replays, and the other body under a key of its own is stored.
    assert await post(http, collector, original, Idempotency_Key="order-8") == (
        200,
        {"status": "ok", "count": 2, "rejected": []},
        True,
    )
    assert (await post(http, collector, other, Idempotency_Key="order-9"))[:2] == (
        200,
        {"status": "ok", "count": 1, "rejected": []},
    )
    assert await messages(db) == ["charge 1", "charge 2", "refund 1"]


async def test_concurrent_bodies_under_one_key_store_exactly_one(
    batching_collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    bodies = [{"logs": [{"message": f"{name} {n}"} for n in range(3)]} for name in ("red", "blue")]

    answers = await asyncio.gather(
        *(post(http, batching_collector, bodies[n % 2], Idempotency_Key="race-2") for n in range(6))
    )

    stored = await messages(db)
    assert len(stored) == 3
    winner = 0 if stored[0].startswith("red") else 1
    statuses = [status for status, _, _ in answers]
    assert [statuses[n] for n in range(6) if n % 2 == winner] == [200] * 3
    assert [statuses[n] for n in range(6) if n % 2 != winner] == [422] * 3


# --- keys that are not UTF-8 ------------------------------------------------------------------


async def raw_post(port: int, body: bytes, idempotency_key: bytes) -> tuple[int, dict[str, str], Any]:
    """POST /logs with header bytes as given (aiohttp's client would encode them as UTF-8)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(
        b"POST /logs HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nConnection: close\r\n"
        b"Content-Length: %d\r\nIdempotency-Key: %s\r\n\r\n%s" % (len(body), idempotency_key, body)
    )
    await writer.drain()
    response = await asyncio.wait_for(reader.read(), timeout=15)
    writer.close()
    head, _, payload = response.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    return int(status_line.split()[1]), headers, orjson.loads(payload)


async def health(http: aiohttp.ClientSession, collector: Collector) -> tuple[int, str]:
    async with http.get(f"http://127.0.0.1:{collector.ports.otlp_http}/health") as response:
        return response.status, (await response.json())["status"]


async def test_a_key_that_is_not_utf8_is_stored_alone_and_fails_nobody_else(
    batching_collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    port = batching_collector.ports.otlp_http
    odd_body = orjson.dumps({"logs": [{"message": "odd key"}]})
    others = [{"logs": [{"message": f"neighbour {n}"}]} for n in range(5)]
    chunk = new_chunk()

    odd, answers, _ = await asyncio.gather(
        raw_post(port, odd_body, b"key-\xff-1"),
        asyncio.gather(
            *(post(http, batching_collector, body, Idempotency_Key=f"n-{n}") for n, body in enumerate(others))
        ),
        send_chunk(
            batching_collector.ports.forward,
            packed_forward("app.neighbour", [[T0, {"message": "forward neighbour"}]], chunk),
            chunk,
        ),
    )

    assert odd[0] == 200, odd
    assert odd[2] == {"status": "ok", "count": 1, "rejected": []}
    assert [status for status, _, _ in answers] == [200] * 5, "the neighbours in its batch committed"
    assert await db.fetchval("SELECT count(*) FROM logs") == 1 + 5 + 1
    assert await health(http, batching_collector) == (200, "ok")
    # The key is remembered as its bytes: a resend replays, a key differing in that byte is another.
    status, headers, answer = await raw_post(port, odd_body, b"key-\xff-1")
    assert (status, headers.get("idempotent-replayed"), answer["count"]) == (200, "true", 1)
    status, headers, _ = await raw_post(port, odd_body, b"key-\xfe-1")
    assert (status, headers.get("idempotent-replayed")) == (200, None)
    assert await db.fetchval("SELECT count(*) FROM logs WHERE message = 'odd key'") == 2


async def test_a_key_too_long_is_refused_alone(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    port = collector.ports.otlp_http
    status, _, answer = await raw_post(port, b'{"logs": [{"message": "long key"}]}', b"\xff" * 201)
    assert status == 400
    assert "Idempotency-Key" in answer["error"]
    assert await db.fetchval("SELECT count(*) FROM logs") == 0
    assert (await post(http, collector, {"logs": [{"message": "fine"}]}, Idempotency_Key="k" * 200))[0] == 200
    assert await messages(db) == ["fine"]


async def test_a_chunk_id_that_is_not_utf8_is_acknowledged_exactly_and_fails_nobody_else(
    batching_collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    odd_id = b"chunk-\xff-1"
    # A msgpack str (as Fluentd sends chunk ids) holding bytes that are not UTF-8.
    odd_frame = msgpack.packb(["app.odd", T0, {"message": "odd chunk"}, {"chunk": odd_id}], use_bin_type=False)

    async def send_odd() -> Any:
        client = await ForwardClient.connect(batching_collector.ports.forward)
        client.unpacker = msgpack.Unpacker(raw=True)
        try:
            await client.send(odd_frame)
            return await client.receive()
        finally:
            await client.close()

    chunks = [new_chunk() for _ in range(3)]
    ack, *_ = await asyncio.gather(
        send_odd(),
        *(
            send_chunk(
                batching_collector.ports.forward,
                packed_forward("app.neighbour", [[T0, {"message": f"forward neighbour {n}"}]], chunk),
                chunk,
            )
            for n, chunk in enumerate(chunks)
        ),
        post(http, batching_collector, {"logs": [{"message": "json neighbour"}]}, Idempotency_Key="j-1"),
    )

    assert ack == {b"ack": odd_id}, "the ack echoes the chunk id byte for byte"
    assert await db.fetchval("SELECT count(*) FROM logs") == 1 + 3 + 1
    assert await health(http, batching_collector) == (200, "ok")
    # Its resend (ack lost) is recognised: acknowledged again, stored once.
    assert await send_odd() == {b"ack": odd_id}
    assert await db.fetchval("SELECT count(*) FROM logs WHERE message = 'odd chunk'") == 1


@pytest.mark.parametrize(
    ("chunk", "reason"),
    [
        (12345, 'the "chunk" option must be a string, not int'),
        ("c" * 300, 'the "chunk" option is 300 characters long'),
    ],
)
async def test_a_malformed_chunk_id_refuses_its_chunk_alone_with_the_reason_logged(
    batching_collector: Collector,
    http: aiohttp.ClientSession,
    db: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
    chunk: Any,
    reason: str,
) -> None:
    port = batching_collector.ports.forward
    bad = bytes(msgpack.packb(["app.bad", T0, {"message": "bad chunk id"}, {"chunk": chunk}]))
    good = new_chunk()

    async def send_bad() -> list[Any]:
        client = await ForwardClient.connect(port)
        try:
            await client.send(bad)
            return await client.closed_by_server()
        finally:
            await client.close()

    closed_with, *_ = await asyncio.gather(
        send_bad(),
        send_chunk(port, packed_forward("app.neighbour", [[T0, {"message": "forward neighbour"}]], good), good),
        post(http, batching_collector, {"logs": [{"message": "json neighbour"}]}, Idempotency_Key="j-2"),
    )

    assert closed_with == [], "closed without an ack"
    assert any(reason in record.getMessage() for record in caplog.records), "and the reason logged"
    assert await messages(db) == ["forward neighbour", "json neighbour"]
    assert await health(http, batching_collector) == (200, "ok")
    # The client fixed: its chunk under a well-formed id is stored.
    fixed = new_chunk()
    await send_chunk(port, message("app.bad", T0, {"message": "bad chunk id"}, fixed), fixed)
    assert await messages(db) == ["bad chunk id", "forward neighbour", "json neighbour"]
