"""A fuzz corpus of hostile syslog frames: the parser (collector/mapping/syslog.py) never raises
anything but its one refusal, every row it makes is one PostgreSQL stores, and the framing
(receivers/syslog_framing.py) never loses its place; then the corpus goes to a real receiver over
TCP and UDP, where every message is a row or a counted refusal, nothing is logged as an error, and
a good message is still stored afterwards.

The corpus is seeded (the same every run): good RFC 5424 and RFC 3164 messages truncated, with
bytes flipped and inserted, invalid UTF-8, NULs, huge and absurd PRIs, counts and timestamps,
structured data cut anywhere, unbalanced brackets and quotes, and long runs of one character.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
from typing import Any

import aiohttp
import asyncpg
import orjson
import pytest

from loglens.collector.mapping.syslog import map_message
from loglens.collector.receivers.syslog_framing import FrameSplitter
from loglens.collector.rows import COLUMNS, Col, problem_with
from loglens.logs_table import LEVELS
from tests.collector.test_syslog_receiver import running

FRAMES = 20_000
SENT_FRAMES = 3_000
LIMIT = 4096
NOW_US = 1_796_306_400_000_000  # 2026-12-03T14:00:00Z

SEEDS = [
    b"<34>1 2003-10-11T22:14:15.003Z mymachine.example.com su - ID47 - \xef\xbb\xbf'su root' failed",
    b'<165>1 2003-10-11T22:14:15.003Z host evntslog 12 ID47 [exampleSDID@32473 iut="3" eventSource="A\\"pp'
    b'\\]" eventID="1011"][examplePriority@32473 class="high"] An application event',
    b"<34>Oct 11 22:14:15 mymachine su[99]: 'su root' failed for lonvick on /dev/pts/8",
    b"<30>Dec  3 13:58:01 sshd[812]: Accepted publickey for root",
    b"<28>2026-12-03T13:58:01.250001+09:00 host app[9]: slow query",
    b"<14>Dec 03 2026 13:58:01.5 host app: with a year",
    b"<11>payment-api[4242]: charge failed\x00",
    b"plain line without anything",
]
HOSTILE = [
    b"<",
    b"<>",
    b"<1",
    b"<999999999999999999999>1 x",
    b"<-1>x",
    b"<191>",
    b"<192>1 - - - - - -",
    b"<00>x",
    b"<14>1",
    b"<14>1 ",
    b"<14>1 9999-99-99T99:99:99.9999999999Z h a p m - x",
    b"<14>1 2026-12-03T14:00:00+99:99 h a p m - x",
    b"<14>1 2026-12-03T14:00:00.Z h a p m - x",
    b"<14>1 - - - - - [",
    b"<14>1 - - - - - [a",
    b'<14>1 - - - - - [a b="',
    b'<14>1 - - - - - [a b="\\',
    b'<14>1 - - - - - [a b="c"',
    b'<14>1 - - - - - [a b="c"]x',
    b"<14>1 - - - - - [a b=c] x",
    b"<14>1 - - - - - " + b"[a]" * 5000,
    b"<14>1 - - - - - [a " + b'b="c" ' * 3000 + b"]",
    b"<14>Feb 30 25:61:61 h a: x",
    b"<14>Jan  0 00:00:00 h a: x",
    b"<14>Dec 31 23:59:59.9999999999 h a: x",
    b"<14>" + b"a" * 4000 + b"[1]: x",
    b"<14>a[" + b"9" * 100 + b"]: x",
    b"<14>" + b":" * 1000,
    b"<14>" + b"[" * 1000,
    b"\xef\xbb\xbf<14>1 - - - - - - x",
    b"<14>1 - - - - - - \xef\xbb\xbf",
    b"\x00<14>x",
    b"\xff\xfe\xfd",
    b"\xed\xa0\x80",
    b" " * 100 + b"x",
]


def mutate(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        kind = rng.randrange(6)
        at = rng.randrange(len(out) + 1)
        if kind == 0:
            del out[at:]
        elif kind == 1 and out:
            out[rng.randrange(len(out))] = rng.randrange(256)
        elif kind == 2:
            out[at:at] = rng.choice(
                [b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\\", b'"', b"]", b"[", b"<", b">"]
            )
        elif kind == 3:
            out[at:at] = bytes([rng.randrange(256)]) * rng.choice([1, 10, 300])
        elif kind == 4:
            out[at:at] = rng.choice([b" ", b"-", b"=", b"1 ", b":", b"[1]", b"T", b"Z", b"+09:00"])
        else:
            del out[at : at + rng.randint(1, 20)]
    return bytes(out)


def corpus(count: int, seed: int = 5424) -> list[bytes]:
    rng = random.Random(seed)
    frames = list(HOSTILE)
    while len(frames) < count:
        frames.append(mutate(rng, rng.choice(SEEDS + HOSTILE)))
    return frames


def test_the_parser_makes_a_storable_row_or_refuses() -> None:
    refused = 0
    for frame in corpus(FRAMES):
        try:
            row = map_message(frame, NOW_US)
        except ValueError:
            refused += 1
            assert not frame.rstrip(b"\r\n\x00").decode("utf-8", "replace").replace("\ufeff", "").strip()
            continue
        assert len(row) == len(COLUMNS)
        assert problem_with(row) is None, frame
        assert row[Col.level] in LEVELS
        assert isinstance(row[Col.created_at], int)
        assert isinstance(row[Col.message], str)
        assert row[Col.message], frame
        assert isinstance(orjson.loads(row[Col.metadata]), dict)
    assert refused < FRAMES // 10


@pytest.mark.parametrize("seed", range(5))
def test_the_framing_never_loses_its_place(seed: int) -> None:
    """Hostile frames between good ones, in both framings, fed in random pieces: every good
    frame after them is found."""
    rng = random.Random(seed)
    good = [f"<14>app: good {index}".encode() for index in range(200)]
    hostiles = corpus(300, seed)
    stream = bytearray()
    for frame in good:
        hostile = hostiles[rng.randrange(len(hostiles))]
        # Newline-framed, a message cannot hold a terminator, nor start like an octet count
        # (RFC 6587 leaves "12 <14>…" ambiguous); octet-counted, it holds anything after its
        # PRI (the "<" is how a count is told from a line that starts with a number).
        line = hostile.replace(b"\n", b" ").replace(b"\x00", b" ").lstrip(b"0123456789")
        line += b"\n"
        counted = b"%d %s" % (len(hostile), hostile) if hostile.startswith(b"<") else line
        stream += rng.choice([line, counted])
        stream += rng.choice([frame + b"\n", frame + b"\x00", b"%d %s" % (len(frame), frame)])
    splitter = FrameSplitter(LIMIT)
    found: list[bytes] = []
    position = 0
    while position < len(stream):
        step = rng.randint(1, 500)
        found += splitter.feed(bytes(stream[position : position + step]))
        position += step
    found += splitter.finish()
    assert [frame for frame in found if frame in set(good)] == good
    assert all(len(frame) <= LIMIT for frame in found)


async def health(port: int) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(f"http://127.0.0.1:{port}/health") as answer:
        body: dict[str, Any] = await answer.json()
        return body


async def settled(port: int, transport: str, within_s: float = 30.0) -> dict[str, int]:
    """The transport's counters once every message received is stored or counted."""
    deadline = time.monotonic() + within_s
    while True:
        counters: dict[str, int] = (await health(port))["syslog"][transport]
        accounted = counters["stored"] + counters["malformed"] + counters["dropped"]
        if (counters["received"] and accounted == counters["received"]) or time.monotonic() > deadline:
            return counters
        await asyncio.sleep(0.05)


async def test_the_receiver_stores_or_counts_every_hostile_frame(
    dsn: str, db: asyncpg.Connection, caplog: pytest.LogCaptureFixture
) -> None:
    frames = corpus(SENT_FRAMES, seed=6587)
    caplog.set_level(logging.WARNING)
    async with running(dsn, syslog_max_message_bytes=LIMIT) as collector:
        _, writer = await asyncio.open_connection("127.0.0.1", collector.ports.syslog)
        rng = random.Random(1)
        for frame in frames:
            writer.write(rng.choice([frame + b"\n", b"%d %s" % (len(frame), frame), frame + b"\x00"]))
        writer.write(b"<14>app: the good one after the corpus\n")
        await writer.drain()
        writer.close()
        await writer.wait_closed()
        tcp = await settled(collector.ports.otlp_http, "tcp")
        assert tcp["received"] == tcp["stored"] + tcp["malformed"]
        assert tcp["dropped"] == 0

        udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for frame in frames:
            udp.sendto(frame, ("127.0.0.1", collector.ports.syslog_udp))
        udp.sendto(b"<14>app: the good datagram after the corpus", ("127.0.0.1", collector.ports.syslog_udp))
        udp.close()
        udp_counts = await settled(collector.ports.otlp_http, "udp")
        assert udp_counts["received"] == len(frames) + 1
        assert udp_counts["received"] == udp_counts["stored"] + udp_counts["malformed"]

        stored = await db.fetchval("SELECT count(*) FROM logs")
        assert stored == tcp["stored"] + udp_counts["stored"]
        good = await db.fetchval("SELECT count(*) FROM logs WHERE message LIKE 'the good % after the corpus'")
        assert good == 2
    errors = [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert not errors, errors[:3]
