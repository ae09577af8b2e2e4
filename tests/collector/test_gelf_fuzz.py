"""A fuzz corpus of hostile GELF: chunks (shuffled, duplicated, missing, with absurd counts and
sequence numbers), compression (zlib, gzip, truncated, bombs) and JSON (cut, flipped, not
objects, without short_message). The decoder (receivers/gelf_framing.py and mapping/gelf.py) never
raises anything but its refusals and every row it makes is one PostgreSQL stores; the TCP framing
never loses its place; then the corpus goes to a real receiver over UDP and TCP, where every
message is a row or counted, nothing is logged as an error, and a good message is still stored
afterwards. The corpus is seeded: the same every run."""

from __future__ import annotations

import asyncio
import gzip
import logging
import os
import random
import socket
import time
import zlib
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest

from loglens.collector.mapping.gelf import map_message
from loglens.collector.receivers.gelf_framing import (
    CHUNK_MAGIC,
    MAX_CHUNKS,
    NulSplitter,
    Reassembler,
    payload_json,
)
from loglens.collector.rows import COLUMNS, Col, problem_with
from loglens.errors import MalformedPayloadError, PayloadTooLargeError
from loglens.logs_table import LEVELS
from tests.collector.test_syslog_receiver import running

LIMIT = 64 * 1024
MESSAGES = 5_000
SENT = 2_000
NOW_US = 1_796_306_400_000_000  # 2026-12-03T14:00:00Z

SEEDS: list[dict[str, Any]] = [
    {"version": "1.1", "host": "h", "short_message": "hello", "timestamp": 1796306000.25, "level": 3},
    {"version": "1.0", "host": "h", "short_message": "graypy", "facility": "f", "file": "a.py", "line": 1},
    {"short_message": "x", "_service": "s", "_trace_id": "t", "_user_id": 7, "_id": "gone"},
    {"version": "1.1", "short_message": "", "full_message": "only the full one"},
    {"version": "1.1", "short_message": "docker", "_container_name": "/c", "_tag": "t", "_image_name": "i"},
    {"version": "1.1", "short_message": "nested", "_kubernetes": {"labels": {"app": "k"}}, "_metadata": [1]},
    {"version": "1.1", "short_message": "odd values", "timestamp": -1, "level": "verbose", "host": 5},
    {"version": "1.1", "short_message": "big", "_blob": "y" * 3000},
]
HOSTILE = [
    b"",
    b"{",
    b"}",
    b"null",
    b"[]",
    b'{"short_message": null}',
    b'{"short_message": "a\\u0000b"}',
    b'{"short_message": "\\ud800"}',
    b'{"version": 1.1, "short_message": "number version"}',
    b'{"short_message": "x", "timestamp": 1e400}',
    b'{"short_message": "x", "timestamp": "not a time"}',
    b'{"short_message": "x", "level": 1e30}',
    b"[" * 5000 + b"]" * 5000,
    b'{"short_message": "deep", "_x": ' + b"[" * 300 + b"]" * 300 + b"}",
    b"\x78\x9c",
    b"\x78\x9c" + os.urandom(40),
    b"\x1f\x8b",
    b"\x1f\x8b\x08\x00" + os.urandom(30),
    CHUNK_MAGIC,
    CHUNK_MAGIC + b"\x00" * 8,
    CHUNK_MAGIC + b"\x00" * 8 + b"\x00\x00",
    CHUNK_MAGIC + b"\x01" * 8 + b"\x05\x02{}",
    CHUNK_MAGIC + b"\x02" * 8 + b"\x00\xff{}",
    zlib.compress(b"\x00" * (4 * LIMIT)),  # a bomb, small as sent
    gzip.compress(b" " * (4 * LIMIT)),
]


def encodings(rng: random.Random, payload: bytes) -> list[bytes]:
    """The datagrams of one message: plain, zlib or gzip, whole or in chunks (shuffled, some
    duplicated or missing now and then)."""
    kind = rng.randrange(3)
    body = payload if kind == 0 else zlib.compress(payload) if kind == 1 else gzip.compress(payload)
    if rng.random() < 0.5:
        return [body]
    size = rng.choice([16, 100, 1000])
    pieces = [body[start : start + size] for start in range(0, len(body), size)] or [b""]
    count = len(pieces)
    if count > MAX_CHUNKS:
        return [body]
    message_id = rng.randbytes(8)
    chunks = [CHUNK_MAGIC + message_id + bytes([sequence, count]) + piece for sequence, piece in enumerate(pieces)]
    rng.shuffle(chunks)
    if rng.random() < 0.1:
        chunks.append(rng.choice(chunks))
    if rng.random() < 0.1 and count > 1:
        chunks.pop()
    return chunks


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 3)):
        at = rng.randrange(len(out) + 1)
        kind = rng.randrange(4)
        if kind == 0:
            del out[at:]
        elif kind == 1 and out:
            out[rng.randrange(len(out))] = rng.randrange(256)
        elif kind == 2:
            out[at:at] = rng.choice([b"\xff", b"\x00", b'"', b"{", b"}", b"\\u0000", b",", b":", b"\x1e\x0f"])
        else:
            del out[at : at + rng.randint(1, 20)]
    return bytes(out)


def corpus(count: int, seed: int = 1101) -> list[list[bytes]]:
    """``count`` messages, each as its datagrams: good ones, hostile ones, and either mutated."""
    rng = random.Random(seed)
    messages = [[hostile] for hostile in HOSTILE]
    while len(messages) < count:
        payload = orjson.dumps(rng.choice(SEEDS)) if rng.random() < 0.7 else rng.choice(HOSTILE)
        if rng.random() < 0.4:
            payload = mutate(rng, payload)
        datagrams = encodings(rng, payload)
        if rng.random() < 0.2:
            datagrams = [mutate(rng, datagram) for datagram in datagrams]
        messages.append(datagrams)
    return messages


def decode(reassembler: Reassembler, datagram: bytes, now: float) -> bytes | None:
    payload = reassembler.add(datagram, now) if datagram[:2] == CHUNK_MAGIC else datagram
    return None if payload is None else payload_json(payload, LIMIT)


def test_the_decoder_makes_a_storable_row_or_refuses() -> None:
    reassembler = Reassembler(LIMIT, 1024 * 1024)
    rows = refused = 0
    now = 0.0
    for datagrams in corpus(MESSAGES):
        now += 0.01
        for datagram in datagrams:
            try:
                payload = decode(reassembler, datagram, now)
                if payload is None:
                    continue
                row = map_message(payload, NOW_US)
            except (PayloadTooLargeError, MalformedPayloadError, ValueError):
                refused += 1
                continue
            assert len(row) == len(COLUMNS)
            problem = problem_with(row)
            if problem is not None:
                # Strict text as sent: the writer refuses this one row (the receiver counts it).
                assert "NUL character" in problem or "the limit is" in problem, problem
                refused += 1
                continue
            rows += 1
            assert row[Col.level] in LEVELS
            assert isinstance(row[Col.created_at], int)
            assert isinstance(row[Col.message], str)
            assert row[Col.message].strip()
    assert rows > MESSAGES // 3
    assert refused > MESSAGES // 20
    assert reassembler.held_bytes <= 1024 * 1024


def test_chunks_in_any_order_once() -> None:
    payload = zlib.compress(orjson.dumps({"short_message": random.Random(2).randbytes(3000).hex()}))
    pieces = [payload[start : start + 100] for start in range(0, len(payload), 100)]
    chunks = [
        CHUNK_MAGIC + b"12345678" + bytes([index, len(pieces)]) + piece for index, piece in enumerate(pieces)
    ]
    random.Random(3).shuffle(chunks)
    reassembler = Reassembler(LIMIT, LIMIT)
    results = [reassembler.add(chunk, 0.0) for chunk in [chunks[0], *chunks]]  # the first one twice
    assert len(chunks) > 20
    assert [result for result in results if result is not None] == [payload]
    assert (reassembler.counts.completed, reassembler.partial_messages, reassembler.held_bytes) == (1, 0, 0)


def test_an_incomplete_message_is_dropped_after_five_seconds_and_its_late_chunks_ignored() -> None:
    reassembler = Reassembler(LIMIT, LIMIT)
    assert reassembler.add(CHUNK_MAGIC + b"aaaaaaaa" + b"\x00\x02" + b'{"short_', 0.0) is None
    reassembler.expire(4.9)
    assert reassembler.counts.incomplete == 0
    reassembler.expire(5.0)
    assert (reassembler.counts.incomplete, reassembler.partial_messages, reassembler.held_bytes) == (1, 0, 0)
    assert reassembler.add(CHUNK_MAGIC + b"aaaaaaaa" + b"\x01\x02" + b'message": "x"}', 6.0) is None
    assert reassembler.partial_messages == 0


def test_partial_messages_are_bounded_in_memory() -> None:
    reassembler = Reassembler(LIMIT, 10_000)
    for index in range(100):
        reassembler.add(CHUNK_MAGIC + index.to_bytes(8, "big") + b"\x00\x02" + b"x" * 1000, 0.0)
        assert reassembler.held_bytes <= 10_000
    assert reassembler.counts.incomplete == 100 - reassembler.partial_messages
    assert reassembler.partial_messages == 10


def test_chunks_past_the_limit_drop_their_message() -> None:
    reassembler = Reassembler(1000, 10 * LIMIT)
    for sequence in range(3):
        assert reassembler.add(CHUNK_MAGIC + b"bbbbbbbb" + bytes([sequence, 3]) + b"x" * 600, 0.0) is None
    assert (reassembler.counts.too_large, reassembler.held_bytes) == (1, 0)


@pytest.mark.parametrize("header", [bytes([0, 0]), bytes([0, MAX_CHUNKS + 1]), bytes([2, 2])])
def test_a_chunk_with_an_impossible_header_is_counted(header: bytes) -> None:
    reassembler = Reassembler(LIMIT, LIMIT)
    assert reassembler.add(CHUNK_MAGIC + b"cccccccc" + header + b"{}", 0.0) is None
    assert reassembler.counts.bad_chunks == 1


def test_a_bomb_costs_the_limit_and_no_more() -> None:
    bomb = zlib.compress(b"\x00" * (256 * 1024 * 1024))  # 256 MiB in about 250 KB
    began = time.process_time()
    with pytest.raises(PayloadTooLargeError):
        payload_json(bomb, LIMIT)
    assert time.process_time() - began < 0.5
    with pytest.raises(PayloadTooLargeError):
        payload_json(gzip.compress(b"\x00" * (4 * LIMIT)), LIMIT)


@pytest.mark.parametrize("seed", range(5))
def test_the_tcp_framing_never_loses_its_place(seed: int) -> None:
    rng = random.Random(seed)
    good = [orjson.dumps({"short_message": f"good {index}"}) for index in range(200)]
    stream = bytearray()
    for frame in good:
        if rng.random() < 0.3:
            stream += b"z" * rng.choice([LIMIT + 1, 3 * LIMIT]) + b"\x00"  # too large: skipped
        stream += rng.choice([b"", b"\x00", b"\r\n"]) + frame + b"\x00"
    splitter = NulSplitter(LIMIT)
    found: list[bytes] = []
    position = 0
    while position < len(stream):
        step = rng.randint(1, 5000)
        found += splitter.feed(bytes(stream[position : position + step]))
        position += step
    found += splitter.finish()
    assert found == good
    assert splitter.take_count() > 0


async def health(port: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/health") as answer:
        body: dict[str, Any] = await answer.json()
        return body


async def settled(port: int, transport: str, within_s: float = 30.0) -> dict[str, int]:
    """The transport's counters once every message received is stored or counted (and, for UDP,
    no partial message is left: each is completed or dropped as incomplete)."""
    deadline = time.monotonic() + within_s
    while True:
        counters: dict[str, int] = (await health(port))["gelf"][transport]
        accounted = sum(
            counters.get(key, 0) for key in ("stored", "malformed", "too_large", "dropped", "incomplete")
        )
        done = counters["received"] and accounted == counters["received"] and not counters.get("partial_messages")
        if done or time.monotonic() > deadline:
            return counters
        await asyncio.sleep(0.05)


async def test_the_receiver_stores_or_counts_every_hostile_message(
    dsn: str, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    messages = corpus(SENT, seed=12201)
    caplog.set_level(logging.WARNING)
    async with running(dsn, gelf_max_message_bytes=LIMIT) as collector:
        port = collector.ports.otlp_http
        _, writer = await asyncio.open_connection("127.0.0.1", collector.ports.gelf)
        for datagrams in messages:
            for datagram in datagrams:
                writer.write(datagram.replace(b"\x00", b" ") + b"\x00")
        writer.write(orjson.dumps({"short_message": "the good frame after the corpus"}) + b"\x00")
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        tcp = await settled(port, "tcp")
        assert tcp["received"] == tcp["stored"] + tcp["malformed"] + tcp["too_large"]
        assert tcp["dropped"] == 0

        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        target = ("127.0.0.1", collector.ports.gelf_udp)
        for datagrams in messages:
            for datagram in datagrams:
                udp.sendto(datagram, target)
        good = orjson.dumps({"short_message": "the good datagram after the corpus"})
        udp.sendto(gzip.compress(good), target)
        udp.close()
        # Incomplete chunked messages of the corpus are dropped 5 s after their first chunk.
        counts = await settled(port, "udp")
        assert counts["partial_messages"] == 0
        assert counts["incomplete"] > 0
        assert counts["too_large"] > 0
        assert counts["dropped"] == counts["kernel_dropped"] == 0
        assert counts["received"] == sum(counts[key] for key in ("stored", "malformed", "too_large", "incomplete"))

        stored = await db.fetchval("SELECT count(*) FROM logs")
        assert stored == tcp["stored"] + counts["stored"]
        found = await db.fetchval("SELECT count(*) FROM logs WHERE message LIKE 'the good % after the corpus'")
        assert found == 2
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not errors, errors[:3]
