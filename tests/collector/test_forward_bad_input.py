"""Bad input on a forward connection closes that connection, with its reason logged; the
other connections go on, and nothing that was acknowledged is lost."""

from __future__ import annotations

import contextlib
import struct
import zlib
from collections.abc import AsyncIterator

import asyncpg
import pytest

from loglens.collector.server import Collector
from tests.conftest import settings_for_tests
from tests.forward_client import ForwardClient, message, new_chunk, pack, packed_forward

T0 = 1_767_225_600
LIMIT = 256 * 1024


@pytest.fixture
async def small_collector(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(settings_for_tests(max_body_bytes=LIMIT, max_message_chars=16 * 1024), dsn)
    await running.start()
    yield running
    await running.stop()


class Steady:
    """A well-behaved client on its own connection, sending before and after the bad one."""

    def __init__(self, client: ForwardClient) -> None:
        self.client = client
        self.acknowledged: list[str] = []

    @classmethod
    async def connect(cls, collector: Collector) -> Steady:
        return cls(await ForwardClient.connect(collector.ports.forward))

    async def close(self) -> None:
        await self.client.close()

    async def send(self, text: str) -> None:
        chunk = new_chunk()
        await self.client.send(message("app.steady", T0, {"message": text}, chunk))
        assert await self.client.acks(1) == [chunk]
        self.acknowledged.append(text)


async def bad_connection_is_closed(collector: Collector, *data: bytes, then_eof: bool = False) -> list[object]:
    """Send ``data`` on a new connection (then end the stream); return what the server sent
    before closing it."""
    bad = await ForwardClient.connect(collector.ports.forward)
    with contextlib.suppress(ConnectionError):
        await bad.send(*data)
        if then_eof:
            bad.writer.write_eof()
    answers = await bad.closed_by_server()
    await bad.close()
    return answers


async def stored(db: asyncpg.Connection) -> list[str]:
    return list(await db.fetchval("SELECT coalesce(array_agg(message ORDER BY message), '{}') FROM logs"))


async def test_garbage_bytes(
    collector: Collector, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    steady = await Steady.connect(collector)
    await steady.send("a before")
    chunk = new_chunk()
    good_frame = message("app.bad", T0, {"message": "b received before the garbage"}, chunk)

    answers = await bad_connection_is_closed(collector, good_frame + b"\xc1\xc1 not msgpack at all")

    assert answers == [{"ack": chunk}], "the frame before the garbage is whole: stored and acknowledged"
    assert "not valid forward-protocol msgpack" in caplog.text
    await steady.send("c after")
    await steady.close()
    assert await stored(db) == ["a before", "b received before the garbage", "c after"]


async def test_a_frame_cut_short_by_the_end_of_the_stream(
    collector: Collector, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    steady = await Steady.connect(collector)
    await steady.send("a before")
    frame = packed_forward("app.cut", [[T0, {"message": f"lost {n}"}] for n in range(100)], new_chunk())

    answers = await bad_connection_is_closed(collector, frame[: len(frame) // 2], then_eof=True)

    assert answers == []
    assert "closed the connection in the middle of a frame" in caplog.text
    await steady.send("b after")
    await steady.close()
    assert await stored(db) == ["a before", "b after"]


async def test_a_frame_announcing_a_huge_array(
    collector: Collector, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    steady = await Steady.connect(collector)
    await steady.send("a before")

    # [tag, <array of 4 294 967 295 entries>: only its 5-byte header is ever sent
    answers = await bad_connection_is_closed(collector, b"\x92" + pack("app.huge") + b"\xdd\xff\xff\xff\xff")

    assert answers == []
    assert "announces more data than allowed" in caplog.text
    await steady.send("b after")
    await steady.close()
    assert await stored(db) == ["a before", "b after"]


async def test_a_frame_announcing_a_huge_packed_stream(
    small_collector: Collector, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    steady = await Steady.connect(small_collector)
    await steady.send("a before")

    # [tag, <bin of 4 GiB>, ...: memory stays bounded by the limit however much follows
    header = b"\x93" + pack("app.huge") + b"\xc6" + struct.pack(">I", 0xFFFFFFFF)
    answers = await bad_connection_is_closed(small_collector, header, *[bytes(64 * 1024)] * 8)

    assert answers == []
    assert f"larger than the limit of {LIMIT} bytes" in caplog.text
    await steady.send("b after")
    await steady.close()
    assert await stored(db) == ["a before", "b after"]


async def test_a_gzip_bomb(
    small_collector: Collector, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    steady = await Steady.connect(small_collector)
    await steady.send("a before")
    # 128 MiB of zeros deflate to about 130 kB: a frame within the limit, 500 times it inflated.
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    bomb = b"".join(compressor.compress(bytes(16 * 1024 * 1024)) for _ in range(8)) + compressor.flush()
    frame = pack(["app.bomb", bomb, {"compressed": "gzip", "chunk": new_chunk()}])
    assert len(frame) < LIMIT

    answers = await bad_connection_is_closed(small_collector, frame)

    assert answers == []
    assert "inflates past the limit" in caplog.text
    await steady.send("b after")
    await steady.close()
    assert await stored(db) == ["a before", "b after"]


@pytest.mark.parametrize(
    ("frame", "reason"),
    [
        (pack({"tag": "app.x", "message": "a map"}), "must be an array"),
        (pack(["app.x", True, {"message": "x"}]), "second element of a forward frame"),
        (pack([42, 1, {"message": "x"}]), "the tag (first element of a frame) must be a string"),
        (pack(["app.x", 1, {"message": "x"}, "not a map"]), "the option (last element of a frame)"),
        (pack(["app.x", b"\x92\x01", {"compressed": "zstd"}]), '"compressed" option'),
        (pack(["app.x", b"\x92\x01\x81", {}]), "end in the middle of an entry"),
        (b'["app.x", 1767225600, {"message": "json"}]', "the client sent JSON"),
    ],
)
async def test_frames_of_the_wrong_shape(
    collector: Collector,
    db: asyncpg.Connection,
    caplog: pytest.LogCaptureFixture,
    frame: bytes,
    reason: str,
) -> None:
    steady = await Steady.connect(collector)

    answers = await bad_connection_is_closed(collector, frame)

    assert answers == []
    assert reason in caplog.text
    await steady.send("still served")
    await steady.close()
    assert await stored(db) == ["still served"]
