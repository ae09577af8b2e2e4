"""Bad input is a 4xx (or, on the forward protocol, a refused entry or a closed connection),
never a 500, never a stalled worker: OTLP/JSON of the wrong shape, records nested past what
can be stored, bad EventTimes in a chunk, bodies of many gzip members, and connections that
send nothing. Each test ends by showing that the collector still stores a good request."""

from __future__ import annotations

import asyncio
import gzip
import io
import re
import time
from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import asyncpg
import msgpack
import orjson
import pytest

from loglens.collector.server import Collector
from tests.conftest import settings_for_tests
from tests.forward_client import ForwardClient, event_time, message, new_chunk, pack, packed_forward

T0 = 1_767_225_600
JSON = {"Content-Type": "application/json"}
NDJSON = {"Content-Type": "application/x-ndjson"}


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


async def post(
    http: aiohttp.ClientSession, collector: Collector, path: str, body: bytes, headers: dict[str, str]
) -> tuple[int, Any]:
    data = io.BytesIO(body) if len(body) > 1024 * 1024 else body  # aiohttp warns of large raw bytes
    async with http.post(
        f"http://127.0.0.1:{collector.ports.otlp_http}{path}", data=data, headers=headers
    ) as answer:
        text = await answer.read()
        return answer.status, orjson.loads(text) if answer.content_type == "application/json" else text


async def messages(db: asyncpg.Connection) -> list[str]:
    return list(await db.fetchval("SELECT coalesce(array_agg(message ORDER BY message), '{}') FROM logs"))


async def still_stores(
    http: aiohttp.ClientSession, collector: Collector, db: asyncpg.Connection, text: str
) -> None:
    status, answer = await post(http, collector, "/logs", orjson.dumps({"logs": [{"message": text}]}), JSON)
    assert (status, answer["count"]) == (200, 1)
    assert text in await messages(db)


def nested(depth: int, leaf: Any = "deep") -> Any:
    value = leaf
    for _ in range(depth):
        value = [value]
    return value


def nested_json(depth: int) -> bytes:
    return b"[" * depth + b'"deep"' + b"]" * depth


# --- defect 5: OTLP/JSON elements that are not objects ------------------------------------


@pytest.mark.parametrize(
    ("document", "reason"),
    [
        ({"resourceLogs": [1, 2]}, "resourceLogs[0] must be an object, not a number"),
        ({"resourceLogs": {"a": 1}}, "resourceLogs must be an array, not an object"),
        ({"resourceLogs": [{"scopeLogs": "x"}]}, "resourceLogs[0].scopeLogs must be an array, not a string"),
        ({"resourceLogs": [{"scopeLogs": [None]}]}, "resourceLogs[0].scopeLogs[0] must be an object, not null"),
        (
            {"resourceLogs": [{"scopeLogs": [{"logRecords": [{"body": {}}, "r"]}]}]},
            "resourceLogs[0].scopeLogs[0].logRecords[1] must be an object, not a string",
        ),
    ],
)
async def test_otlp_json_of_the_wrong_shape_is_a_400_that_says_where(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection, document: Any, reason: str
) -> None:
    status, answer = await post(http, collector, "/v1/logs", orjson.dumps(document), JSON)

    assert status == 400
    assert reason in answer["error"]
    await still_stores(http, collector, db, "after a wrong shape")


# --- defect 5: JSON and NDJSON nested past what can be stored ------------------------------


@pytest.mark.parametrize("depth", [255, 300, 1_000])
async def test_a_json_record_nested_too_deep_is_refused_alone(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection, depth: int
) -> None:
    body = b'{"logs": [{"message": "kept"}, {"message": "deep", "payload": ' + nested_json(depth) + b"}]}"

    status, answer = await post(http, collector, "/logs", body, JSON)

    assert (status, answer["status"], answer["count"]) == (200, "partial", 1)
    assert answer["rejected"] == [
        {"index": 1, "error": "the record nests arrays or maps more than 254 levels deep"}
    ]
    assert await messages(db) == ["kept"]
    await still_stores(http, collector, db, "after a deep record")


async def test_a_json_body_nested_past_the_decoders_limit_is_a_400(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    body = b'{"logs": [{"message": "deep", "payload": ' + nested_json(1_200) + b"}]}"

    status, answer = await post(http, collector, "/logs", body, JSON)

    assert (status, answer["error"]) == (400, "the body is not valid JSON: it nests too deeply")
    await still_stores(http, collector, db, "after a deep body")


@pytest.mark.parametrize("depth", [300, 1_200, 100_000])
async def test_an_ndjson_line_nested_too_deep_is_refused_alone(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection, depth: int
) -> None:
    deep_line = b'{"message": "deep", "payload": ' + nested_json(depth) + b"}"
    body = b'{"message": "first"}\n' + deep_line + b'\n{"message": "last"}\n'

    status, answer = await post(http, collector, "/logs", body, NDJSON)

    assert (status, answer["status"], answer["count"]) == (200, "partial", 2)
    assert [rejection["index"] for rejection in answer["rejected"]] == [1]
    assert "deep" in answer["rejected"][0]["error"]
    assert await messages(db) == ["first", "last"]
    await still_stores(http, collector, db, "after a deep line")


async def test_a_deep_record_with_invalid_utf8_is_refused_alone(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    # Bytes that are not UTF-8 send the body through the standard library's decoder.
    body = b'[{"message": "kept \xff"}, {"message": "deep", "payload": ' + nested_json(2_000) + b"}]"

    status, answer = await post(http, collector, "/logs", body, JSON)

    assert status == 400  # not readable as a whole: nested past the decoder
    assert "not valid JSON" in answer["error"]
    await still_stores(http, collector, db, "after deep invalid UTF-8")


# --- defect 6: a forward chunk with one bad entry is stored and acknowledged ---------------


async def closing(client: ForwardClient) -> list[Any]:
    client.writer.write_eof()
    answers = await client.closed_by_server()
    await client.close()
    return answers


def deep_entry(depth: int) -> bytes:
    """[T0, {"message": "deep", "payload": [[[...]]]}], packed by hand: msgpack-python's packer
    stops at 512 levels, the forward protocol does not."""
    return (
        b"\x92" + pack(T0) + b"\x82" + pack("message") + pack("deep") + pack("payload") + b"\x91" * depth + b"\xc0"
    )


@pytest.mark.parametrize("depth", [254, 300, 1_000, 1_100, 100_000])
async def test_a_packed_chunk_with_one_deep_record_stores_the_rest_and_is_acknowledged(
    collector: Collector, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture, depth: int
) -> None:
    client = await ForwardClient.connect(collector.ports.forward)
    chunk = new_chunk()
    stream = pack([T0, {"message": "before"}]) + deep_entry(depth) + pack([T0, {"message": "after"}])

    await client.send(pack(["app.deep", stream, {"chunk": chunk}]))

    assert await client.acks(1) == [chunk]
    assert await messages(db) == ["after", "before"]
    assert re.search(r"record 1: the (record|entry) nests arrays or maps more than (254|1024) levels", caplog.text)
    chunk = new_chunk()
    await client.send(message("app.after", T0, {"message": "next chunk"}, chunk))
    assert await client.acks(1) == [chunk]
    await client.close()
    assert await messages(db) == ["after", "before", "next chunk"]


async def test_a_forward_mode_chunk_with_one_deep_record_is_acknowledged(
    collector: Collector, db: asyncpg.Connection
) -> None:
    client = await ForwardClient.connect(collector.ports.forward)
    chunk = new_chunk()
    frame = pack(["app.deep", [[T0, {"message": "kept"}], [T0, {"payload": nested(400)}]], {"chunk": chunk}])

    await client.send(frame)

    assert await client.acks(1) == [chunk]
    assert await closing(client) == []
    assert await messages(db) == ["kept"]


def bad_event_time(size: int) -> msgpack.ExtType:
    return msgpack.ExtType(0, bytes(size))


@pytest.mark.parametrize("size", [0, 4, 7, 9, 16])
async def test_a_bad_event_time_refuses_its_entry_not_the_chunk(
    collector: Collector, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture, size: int
) -> None:
    client = await ForwardClient.connect(collector.ports.forward)
    packed_chunk, forward_chunk, message_chunk = new_chunk(), new_chunk(), new_chunk()
    entries = [
        [event_time(T0), {"message": "packed 1"}],
        [bad_event_time(size), {"message": "bad time"}],
        [event_time(T0, 5), {"message": "packed 2"}],
    ]

    await client.send(
        packed_forward("app.time", entries, packed_chunk),
        pack(["app.time", entries, {"chunk": forward_chunk}]),
        message("app.time", bad_event_time(size), {"message": "bad time alone"}, message_chunk),
    )

    assert sorted(await client.acks(3)) == sorted([packed_chunk, forward_chunk, message_chunk])
    assert f"an EventTime (msgpack extension type 0) holds 8 bytes, not {size}" in caplog.text
    await client.send(message("app.time", event_time(T0), {"message": "after"}, chunk := new_chunk()))
    assert await client.acks(1) == [chunk]
    await client.close()
    assert await messages(db) == ["after", "packed 1", "packed 1", "packed 2", "packed 2"]


async def test_a_packed_entry_with_a_bad_msgpack_timestamp_is_refused_alone(
    collector: Collector, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    client = await ForwardClient.connect(collector.ports.forward)
    chunk = new_chunk()
    # [<extension type -1 of 3 bytes>, {"m": "x"}]: a Timestamp is 4, 8 or 12 bytes.
    bad = b"\x92\xc7\x03\xffabc" + pack({"message": "bad timestamp"})
    stream = pack([T0, {"message": "before"}]) + bad + pack([T0, {"message": "after"}])

    await client.send(pack(["app.ts", stream, {"chunk": chunk}]))

    assert await client.acks(1) == [chunk]
    assert "record 1: the entry holds a msgpack Timestamp (extension type -1)" in caplog.text
    assert await closing(client) == []
    assert await messages(db) == ["after", "before"]


# --- defect 8: a body of many gzip members, and one that is slow to decode -----------------


def empty_gzip_members(total_bytes: int) -> bytes:
    member = gzip.compress(b"")
    return member * (total_bytes // len(member))


async def test_a_body_of_many_empty_gzip_members_is_refused_in_linear_time(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    # 4 MB of 20-byte members: 210,000 of them (8.7 s when each member copied the rest).
    body = empty_gzip_members(4 * 1024 * 1024)
    started = time.monotonic()

    status, _ = await post(http, collector, "/logs", body, {**JSON, "Content-Encoding": "gzip"})

    assert status == 400
    assert time.monotonic() - started < 3.0
    await still_stores(http, collector, db, "after many members")


async def test_other_clients_are_answered_while_a_large_body_is_decoded(
    collector: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    heavy = asyncio.create_task(
        post(http, collector, "/logs", empty_gzip_members(8 * 1024 * 1024), {**JSON, "Content-Encoding": "gzip"})
    )
    latencies = []
    async with aiohttp.ClientSession() as other:
        while not heavy.done():
            started = time.monotonic()
            async with other.get(f"http://127.0.0.1:{collector.ports.otlp_http}/health") as answer:
                assert answer.status == 200
            latencies.append(time.monotonic() - started)

    assert (await heavy)[0] == 400
    assert len(latencies) >= 2, "the heavy body was decoded before anyone else asked"
    assert max(latencies) < 1.0, f"the other client waited {max(latencies):.1f} s"
    await still_stores(http, collector, db, "after a heavy body")


# --- defect 8: connections that send nothing are closed on every port ---------------------

IDLE_S = 0.5


@pytest.fixture
async def impatient(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(settings_for_tests(idle_timeout_s=IDLE_S), dsn)
    await running.start()
    yield running
    await running.stop()


async def closed_within(port: int, data: bytes, seconds: float) -> tuple[bytes, float]:
    """Connect, send ``data``, and wait for the server to close; return what it sent and when."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    started = time.monotonic()
    writer.write(data)
    await writer.drain()
    received = b""
    try:
        async with asyncio.timeout(seconds):
            while chunk := await reader.read(65536):
                received += chunk
    except ConnectionResetError:
        pass
    finally:
        writer.close()
    return received, time.monotonic() - started


@pytest.mark.parametrize(
    ("port_name", "data"),
    [
        ("otlp_http", b""),
        ("otlp_http", b"POST /logs HTTP/1.1\r\nHost: x\r\nContent-Ty"),
        ("otlp_grpc", b""),
        ("otlp_grpc", b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"),
        ("forward", b""),
        ("forward", b"\x93\xa5app.x"),
    ],
    ids=[
        "http-silent",
        "http-half-headers",
        "grpc-silent",
        "grpc-preface-only",
        "forward-silent",
        "forward-half-frame",
    ],
)
async def test_a_connection_that_sends_nothing_is_closed(
    impatient: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection, port_name: str, data: bytes
) -> None:
    port = getattr(impatient.ports, port_name)

    _, after = await closed_within(port, data, seconds=IDLE_S + 10)

    assert after < IDLE_S + 5, f"still open {after:.1f} s after it went quiet"
    await still_stores(http, impatient, db, f"after an idle {port_name} connection")


async def test_a_body_that_stalls_is_answered_408_and_closed(
    impatient: Collector, http: aiohttp.ClientSession, db: asyncpg.Connection
) -> None:
    head = b"POST /logs HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n"

    received, after = await closed_within(impatient.ports.otlp_http, head + b'{"logs": [', seconds=IDLE_S + 20)

    assert received.startswith(b"HTTP/1.1 408"), received[:80]
    assert after < IDLE_S + 5
    await still_stores(http, impatient, db, "after a stalled body")


async def test_a_forward_client_that_keeps_sending_is_not_closed(
    impatient: Collector, db: asyncpg.Connection
) -> None:
    client = await ForwardClient.connect(impatient.ports.forward)
    for n in range(4):  # four times the idle timeout, one frame every half of it
        chunk = new_chunk()
        await client.send(message("app.steady", T0, {"message": f"steady {n}"}, chunk))
        assert await client.acks(1) == [chunk]
        await asyncio.sleep(IDLE_S / 2)  # the pace of the client, not a wait for the server
    await client.close()
    assert await messages(db) == [f"steady {n}" for n in range(4)]
