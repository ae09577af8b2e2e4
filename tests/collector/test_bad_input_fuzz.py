"""A fuzz corpus of malformed bodies, sent to a real collector on loopback: no answer is a 5xx
(the database stays up here, so not even 503), no gRPC answer is INTERNAL, UNKNOWN or
UNAVAILABLE, nothing is logged as an error (aiohttp's "Error handling request", the forward
receiver's "unexpected error", an exception nobody retrieved), every forward connection ends,
and a good request is still stored afterwards.

Each protocol gets at least ``BODIES`` bodies, generated from good requests by seeded
mutations (the same corpus every run): truncation, byte flips and insertions, values of the
wrong type, deep nesting, huge lengths and counts, invalid UTF-8, NUL characters, gzip
garbage, truncated gzip, gzip bombs and many members, repeated keys; for Loki's protobuf,
snappy garbage and blocks claiming to inflate past the limit.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import logging
import random
import struct
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from typing import Any

import aiohttp
import asyncpg
import cramjam
import grpc
import msgpack
import orjson
import pytest

from loglens.collector.mapping.logproto import push_pb2
from loglens.collector.server import Collector
from tests.conftest import settings_for_tests
from tests.forward_client import ForwardClient, event_time, forward, message, new_chunk, pack, packed_forward
from tests.otlp_payloads import record, request

log = logging.getLogger(__name__)

BODIES = 2_000
CONCURRENCY = 16
LIMIT = 1024 * 1024  # the collector's body limit here: bombs and huge lengths cross it cheaply
T0 = 1_767_225_600

Body = tuple[bytes, dict[str, str]]  # body, extra headers


# --- mutations: bytes -> bytes ---------------------------------------------------------------


def truncate(rng: random.Random, data: bytes) -> bytes:
    return data[: rng.randrange(len(data))] if data else data


def flip(rng: random.Random, data: bytes) -> bytes:
    out = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        if out:
            out[rng.randrange(len(out))] = rng.randrange(256)
    return bytes(out)


def insert(rng: random.Random, data: bytes, what: bytes) -> bytes:
    at = rng.randrange(len(data) + 1)
    return data[:at] + what + data[at:]


def invalid_utf8(rng: random.Random, data: bytes) -> bytes:
    return insert(rng, data, rng.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x80\x80", b"\xf4\x90\x80\x80"]))


def nul(rng: random.Random, data: bytes) -> bytes:
    return insert(rng, data, rng.choice([b"\x00", b"\\u0000", b"\x00" * 100]))


def gzip_garbage(rng: random.Random, data: bytes) -> bytes:
    return rng.choice(
        [
            b"\x1f\x8b" + rng.randbytes(rng.randint(0, 200)),
            truncate(rng, gzip.compress(data)),
            flip(rng, gzip.compress(data)),
            gzip.compress(data) + b"\x1f\x8b\x08" + rng.randbytes(10),
            gzip.compress(b"") * rng.randint(1, 20_000),
            _BOMB,
            b"".join(gzip.compress(data[i : i + 7]) for i in range(0, len(data), 7)),
        ]
    )


_BOMB = gzip.compress(bytes(8 * LIMIT), compresslevel=9)  # 8 MB of zeros in about 8 kB


def mutate_bytes(rng: random.Random, data: bytes) -> bytes:
    return rng.choice([truncate, flip, invalid_utf8, nul])(rng, data)


# --- mutations of JSON documents ------------------------------------------------------------------

BIG = "big-integer"  # replaced, once dumped, by an integer past 64 bits (orjson dumps none)
WRONG_VALUES: list[Any] = [None, True, 0, -1, BIG, 1.5e308, "", "x" * 300, [], {}, [1, 2], {"a": 1}, [[[]]]]


def nested_json(depth: int) -> bytes:
    return b"[" * depth + b"0" + b"]" * depth


def wrong_type(rng: random.Random, document: Any) -> Any:
    """The document with one value (at any depth) replaced by one of another type."""
    if isinstance(document, dict) and document and rng.random() < 0.8:
        key = rng.choice(list(document))
        return {**document, key: wrong_type(rng, document[key])}
    if isinstance(document, list) and document and rng.random() < 0.8:
        at = rng.randrange(len(document))
        return [*document[:at], wrong_type(rng, document[at]), *document[at + 1 :]]
    return rng.choice(WRONG_VALUES)


def json_mutation(rng: random.Random, document: Any) -> bytes:
    kind = rng.randrange(7)
    if kind == 0:
        return orjson.dumps(wrong_type(rng, document)).replace(f'"{BIG}"'.encode(), str(2**70).encode())
    if kind == 1:  # deep nesting somewhere a value goes
        depth = rng.choice([64, 253, 254, 255, 256, 300, 1_000, 1_023, 1_024, 1_025, 1_100, 5_000, 60_000])
        text = orjson.dumps(document)
        at = text.find(b":") + 1 or 0
        return text[:at] + nested_json(depth) + b"," + text[at:] if at else nested_json(depth)
    if kind == 2:  # repeated keys, with values of other types
        text = orjson.dumps(document)
        return text.replace(b'{"', b'{"message":1,"message":[],"', 2) if b'{"' in text else text
    if kind == 3:  # huge numbers and strings
        number = rng.choice([b"1e99999", b"-1e400", b"123456789012345678901234567890", b"NaN", b"Infinity", b"-0"])
        return orjson.dumps(document).replace(b"1", number, 1)
    return mutate_bytes(rng, orjson.dumps(document))


# --- the good requests the corpus starts from --------------------------------------------------


def otlp_request_bytes(rng: random.Random) -> bytes:
    records = [
        record(
            rng.choice(["a message", {"message": "structured", "n": 1}, ["a", 1], b"bytes", 3.5, None]),
            severity=rng.randint(0, 30),
            attrs={"http.request.method": "get", "duration_ms": 1.5, "nested": {"a": [1, {"b": "c"}]}},
            trace_id=bytes(range(16)),
            span_id=bytes(range(8)),
        )
        for _ in range(rng.randint(1, 4))
    ]
    return request(*records, resource={"service.name": "fuzz", "os.type": "ios"}).SerializeToString()


def otlp_json_document(rng: random.Random) -> dict[str, Any]:
    value = rng.choice([{"stringValue": "hi"}, {"intValue": "12"}, {"kvlistValue": {"values": [{"key": "k"}]}}])
    return {
        "resourceLogs": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "fuzz"}}]},
                "scopeLogs": [
                    {
                        "scope": {"name": "fuzz"},
                        "logRecords": [
                            {
                                "timeUnixNano": str(T0 * 10**9),
                                "severityNumber": 9,
                                "body": value,
                                "attributes": [{"key": "user.id", "value": {"stringValue": "u1"}}],
                                "traceId": "0102030405060708090a0b0c0d0e0f10",
                                "spanId": "0102030405060708",
                            }
                        ],
                    }
                ],
            }
        ]
    }


def json_api_document(rng: random.Random) -> Any:
    records = [
        {"message": "fuzz", "level": "error", "created_at": T0, "metadata": {"a": [1, 2]}, "duration_ms": "1.5"}
        for _ in range(rng.randint(1, 3))
    ]
    return rng.choice([{"logs": records}, records, records[0]])


# --- protobuf: huge lengths, deep AnyValues, repeated fields ------------------------------------


def varint(value: int) -> bytes:
    out = bytearray()
    while True:
        byte, value = value & 0x7F, value >> 7
        out.append(byte | (0x80 if value else 0))
        if not value:
            return bytes(out)


def deep_any_value(depth: int) -> bytes:
    value = b"\x0a\x01x"  # AnyValue{string_value: "x"}
    for _ in range(depth):
        array = b"\x0a" + varint(len(value)) + value  # ArrayValue{values: [value]}
        value = b"\x2a" + varint(len(array)) + array  # AnyValue{array_value: array}
    log_record = b"\x2a" + varint(len(value)) + value  # LogRecord{body: value}
    scope = b"\x12" + varint(len(log_record)) + log_record  # ScopeLogs{log_records}
    resource = b"\x12" + varint(len(scope)) + scope  # ResourceLogs{scope_logs}
    return b"\x0a" + varint(len(resource)) + resource  # ExportLogsServiceRequest{resource_logs}


def protobuf_mutation(rng: random.Random, data: bytes) -> bytes:
    kind = rng.randrange(6)
    if kind == 0:  # a length field claiming far more than follows
        return b"\x0a" + varint(rng.choice([2**31, 2**32 - 1, 2**63, LIMIT * 4])) + data
    if kind == 1:
        return deep_any_value(rng.choice([10, 31, 32, 33, 49, 50, 51, 99, 100, 101, 500]))
    if kind == 2:  # repeated fields: the same message merged into itself
        return data * rng.randint(2, 5)
    return mutate_bytes(rng, data)


# --- msgpack frames: huge headers, deep records, bad EventTimes, repeated keys -----------------


def deep_msgpack(depth: int) -> bytes:
    return b"\x91" * depth + b"\xc0"


def raw_map(pairs: list[tuple[bytes, bytes]]) -> bytes:
    return b"\xdf" + struct.pack(">I", len(pairs)) + b"".join(key + value for key, value in pairs)


def good_frame(rng: random.Random) -> bytes:
    entries = [[event_time(T0, n), {"message": f"fuzz {n}", "level": "info", "n": n}] for n in range(3)]
    chunk = new_chunk() if rng.random() < 0.7 else None
    mode = rng.randrange(4)
    if mode == 0:
        return message("app.fuzz", T0, {"message": "fuzz"}, chunk)
    if mode == 1:
        return forward("app.fuzz", entries, chunk)
    return packed_forward("app.fuzz", entries, chunk, gzip_members=2 * (mode == 3))


def frame_mutation(rng: random.Random) -> bytes:
    kind = rng.randrange(9)
    chunk = {"chunk": new_chunk()}
    if kind == 0:  # a record nested at any depth, in a packed stream among good entries
        deep = (
            b"\x92"
            + pack(T0)
            + b"\x81"
            + pack("payload")
            + deep_msgpack(rng.choice([200, 254, 300, 1_023, 2_000]))
        )
        stream = pack([T0, {"message": "a"}]) + deep + pack([T0, {"message": "b"}])
        return pack(["app.fuzz", stream, chunk])
    if kind == 1:  # the same in Message mode (msgpack itself refuses past 1,024 levels)
        return (
            b"\x94"
            + pack("app.fuzz")
            + pack(T0)
            + b"\x81"
            + pack("p")
            + deep_msgpack(rng.choice([250, 1_021, 1_030]))
            + pack(chunk)
        )
    if kind == 2:  # EventTimes of every wrong size
        bad = [[event_time(T0), {"message": "ok"}], [pack_ext(0, rng.randrange(0, 20)), {"message": "x"}]]
        return (
            packed_forward("app.fuzz", bad, new_chunk())
            if rng.random() < 0.5
            else forward("app.fuzz", bad, new_chunk())
        )
    if kind == 3:  # huge announced lengths: array, map, str, bin
        header = rng.choice(
            [b"\xdd\xff\xff\xff\xff", b"\xdf\xff\xff\xff\xff", b"\xdb\xff\xff\xff\xff", b"\xc6\x7f\xff\xff\xff"]
        )
        return b"\x93" + pack("app.fuzz") + header + rng.randbytes(rng.randint(0, 64))
    if kind == 4:  # repeated keys, non-string keys, invalid UTF-8 and NULs in keys and values
        record_bytes = raw_map(
            [
                (pack("message"), pack("one")),
                (pack("message"), pack(2)),
                (pack(7), pack("int key")),
                (b"\xa2\xff\xfe", b"\xa3a\x00b"),
                (pack(b"bin key"), pack([1, None, b"\xff"])),
            ]
        )
        return b"\x94" + pack("app.fuzz") + pack(T0) + record_bytes + pack(chunk)
    if kind == 5:  # gzip garbage in a CompressedPackedForward
        return pack(["app.fuzz", gzip_garbage(rng, pack([T0, {"message": "z"}])), {"compressed": "gzip", **chunk}])
    if kind == 6:  # wrong types where the frame wants a tag, a time, entries, an option
        parts: list[Any] = ["app.fuzz", T0, {"message": "x"}, chunk]
        parts[rng.randrange(4)] = rng.choice([None, True, 1.5, -1, "s", b"b", [], {}, [[1, 2, 3]], 2**64 - 1])
        return pack(parts[: rng.randint(1, 5)])
    return mutate_bytes(rng, good_frame(rng))


def pack_ext(code: int, size: int) -> msgpack.ExtType:
    return msgpack.ExtType(code, bytes(size))


# --- the corpus, per protocol ------------------------------------------------------------------

PROTOBUF = {"Content-Type": "application/x-protobuf"}
JSON = {"Content-Type": "application/json"}
NDJSON = {"Content-Type": "application/x-ndjson"}


def with_encoding(rng: random.Random, body: bytes, headers: dict[str, str]) -> Body:
    """Now and then the body is (badly) gzipped, or claims an encoding it does not have."""
    roll = rng.random()
    if roll < 0.15:
        return gzip_garbage(rng, body), {**headers, "Content-Encoding": "gzip"}
    if roll < 0.2:
        return body, {**headers, "Content-Encoding": rng.choice(["gzip", "deflate", "br", "gzip, gzip"])}
    return body, headers


def otlp_protobuf_corpus(seed: int) -> list[Body]:
    rng = random.Random(seed)
    return [with_encoding(rng, protobuf_mutation(rng, otlp_request_bytes(rng)), PROTOBUF) for _ in range(BODIES)]


def otlp_json_corpus(seed: int) -> list[Body]:
    rng = random.Random(seed)
    return [with_encoding(rng, json_mutation(rng, otlp_json_document(rng)), JSON) for _ in range(BODIES)]


def json_api_corpus(seed: int) -> list[Body]:
    rng = random.Random(seed)
    bodies = []
    for _ in range(BODIES):
        if rng.random() < 0.3:  # NDJSON: good lines around a mutated one
            lines = [orjson.dumps({"message": "line"}), json_mutation(rng, {"message": "bad line"}), b"{}"]
            bodies.append(with_encoding(rng, b"\n".join(lines), NDJSON))
        else:
            bodies.append(with_encoding(rng, json_mutation(rng, json_api_document(rng)), JSON))
    return bodies


def bulk_lines(rng: random.Random) -> list[bytes]:
    """A good bulk body's lines: index, create, delete and update actions with their documents."""
    lines: list[bytes] = []
    for n in range(rng.randint(1, 6)):
        action = rng.choice(["index", "index", "create", "delete", "update"])
        meta: dict[str, Any] = rng.choice([{}, {"_index": "fuzz"}, {"_index": "fuzz", "_id": f"id-{n}"}])
        lines.append(orjson.dumps({action: meta}))
        if action != "delete":
            document = {"@timestamp": "2026-01-01T00:00:00.5Z", "message": f"bulk {n}", "log": {"level": "warn"}}
            lines.append(orjson.dumps({"doc": document} if action == "update" else document))
    return lines


def bulk_mutation(rng: random.Random) -> bytes:
    lines = bulk_lines(rng)
    kind = rng.randrange(5)
    at = rng.randrange(len(lines))
    if kind == 0:  # one line (an action or a document) mutated as JSON
        lines[at] = json_mutation(rng, orjson.loads(lines[at]))
    elif kind == 1:  # a line lost or repeated: the pairing of actions and documents breaks
        lines = lines[:at] + lines[at + 1 :] if rng.random() < 0.5 else lines[: at + 1] + lines[at:]
    elif kind == 2:  # an action of a wrong shape
        lines[at] = orjson.dumps(
            rng.choice(
                [{"index": [], "create": {}}, {"upsert": {}}, {"index": "logs"}, [], "index", {"index": None}]
            )
        )
    elif kind == 3:  # blank lines, CRLF, no final newline
        return rng.choice([b"\r\n", b"\n\n", b"\n \n"]).join(lines)
    else:
        return mutate_bytes(rng, b"\n".join(lines) + b"\n")
    return b"\n".join(lines) + b"\n"


def bulk_corpus(seed: int) -> list[Body]:
    rng = random.Random(seed)
    content_type = {"Content-Type": "application/x-ndjson"}
    return [with_encoding(rng, bulk_mutation(rng), content_type) for _ in range(BODIES)]


def loki_json_document(rng: random.Random) -> dict[str, Any]:
    line = rng.choice(["a plain line", '{"msg": "json line", "level": "warn", "ts": 1767225600.5}'] * 3 + [""])
    entry: list[Any] = [str(T0 * 10**9 + rng.randrange(10**9)), line]
    if rng.random() < 0.3:
        entry.append({"trace_id": "0102030405060708090a0b0c0d0e0f10", "pod": "p-1"})
    stream = {"stream": {"service_name": "fuzz", "level": "error", "env": "dev"}, "values": [entry, entry]}
    return {"streams": [stream] * rng.randint(1, 3)}


def loki_json_corpus(seed: int) -> list[Body]:
    rng = random.Random(seed)
    return [with_encoding(rng, json_mutation(rng, loki_json_document(rng)), JSON) for _ in range(BODIES)]


def loki_push_bytes(rng: random.Random) -> bytes:
    request = push_pb2.PushRequest()
    for number in range(rng.randint(1, 3)):
        labels = rng.choice(
            ['{job="fuzz", level="info"}', f'{{app="a{number}", x="q\\"u"}}', "{}"] * 3 + ["job=x"]
        )
        stream = request.streams.add(labels=labels, hash=number)
        for n in range(rng.randint(1, 4)):
            entry = stream.entries.add(line=rng.choice([f"line {n}", '{"message": "json", "level": "warn"}']))
            entry.timestamp.seconds, entry.timestamp.nanos = T0 + n, rng.randrange(10**9)
            entry.structuredMetadata.add(name="trace_id", value="0102030405060708090a0b0c0d0e0f10")
    return request.SerializeToString()


def snappy_mutation(rng: random.Random) -> bytes:
    """A PushRequest, mutated before snappy compresses it or after (garbage, a length it lacks)."""
    kind = rng.randrange(4)
    raw = loki_push_bytes(rng)
    if kind == 0:
        return bytes(cramjam.snappy.compress_raw(protobuf_mutation(rng, raw)))
    if kind == 1:
        return mutate_bytes(rng, bytes(cramjam.snappy.compress_raw(raw)))
    if kind == 2:  # a block claiming to inflate far past the limit
        return varint(rng.choice([LIMIT + 1, LIMIT * 64, 2**32 - 1])) + bytes(cramjam.snappy.compress_raw(raw))[1:]
    return rng.choice([raw, rng.randbytes(rng.randint(0, 300)), b""])  # not snappy at all


def loki_protobuf_corpus(seed: int) -> list[Body]:
    rng = random.Random(seed)
    return [(snappy_mutation(rng), PROTOBUF) for _ in range(BODIES)]


def hec_event(rng: random.Random) -> dict[str, Any]:
    event = rng.choice(["a plain event", {"message": "object", "log_level": "ERROR"}, {"line": "docker"}, 5])
    return {
        "time": T0 + 0.5,
        "host": "h",
        "source": "s",
        "sourcetype": "_json",
        "event": event,
        "fields": {"k": "v"},
    }


def hec_corpus(seed: int) -> list[Body]:
    """Concatenated events, one of them mutated as JSON, or the whole body as bytes."""
    rng = random.Random(seed)
    bodies = []
    for _ in range(BODIES):
        events = [orjson.dumps(hec_event(rng)) for _ in range(rng.randint(1, 4))]
        at = rng.randrange(len(events))
        if rng.random() < 0.7:
            events[at] = json_mutation(rng, orjson.loads(events[at]))
            body = rng.choice([b"", b"\n", b" \r\n"]).join(events)
        else:
            body = mutate_bytes(rng, b"".join(events))
        bodies.append(with_encoding(rng, body, JSON))
    return bodies


def hec_raw_corpus(seed: int) -> list[Body]:
    rng = random.Random(seed)
    lines = [b"a raw line", b'{"message": "json", "level": "warn"}', b"", b"{not json"]
    return [
        with_encoding(rng, mutate_bytes(rng, b"\n".join(rng.choices(lines, k=rng.randint(1, 5)))), {})
        for _ in range(BODIES)
    ]


def otlp_grpc_corpus(seed: int) -> list[tuple[bytes, grpc.Compression]]:
    """The OTLP/protobuf mutations as Export messages, a fifth of them gzip-compressed by the
    client (gRPC compresses whole messages: no garbage gzip reaches the server through a channel)."""
    rng = random.Random(seed)
    extra = [b"", b"\x00", b"\xff" * 64, rng.randbytes(4096)]
    bodies = [*extra, *(protobuf_mutation(rng, otlp_request_bytes(rng)) for _ in range(BODIES))]
    return [
        (body, grpc.Compression.Gzip if rng.random() < 0.2 else grpc.Compression.NoCompression) for body in bodies
    ]


def forward_corpus(seed: int) -> list[bytes]:
    rng = random.Random(seed)
    return [frame_mutation(rng) for _ in range(BODIES)]


# --- running it ------------------------------------------------------------------------------------


@pytest.fixture
async def fuzz_collector(dsn: str) -> AsyncIterator[Collector]:
    running = Collector(settings_for_tests(max_body_bytes=LIMIT, max_message_chars=64 * 1024), dsn)
    await running.start()
    yield running
    await running.stop()


@pytest.fixture
def errors_logged(caplog: pytest.LogCaptureFixture) -> Callable[[], list[str]]:

    def errors() -> list[str]:
        return [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.ERROR]

    return errors


async def send_all(
    fuzz_collector: Collector, path: str, corpus: list[Body]
) -> tuple[Counter[int], list[tuple[int, bytes, dict[str, str]]]]:
    statuses: Counter[int] = Counter()
    server_errors: list[tuple[int, bytes, dict[str, str]]] = []
    slots = asyncio.Semaphore(CONCURRENCY)
    url = f"http://127.0.0.1:{fuzz_collector.ports.otlp_http}{path}"
    async with aiohttp.ClientSession() as http:

        async def one(body: bytes, headers: dict[str, str]) -> None:
            async with slots, http.post(url, data=body, headers=headers) as answer:
                await answer.read()
                statuses[answer.status] += 1
                if answer.status >= 500:
                    server_errors.append((answer.status, body[:200], headers))

        await asyncio.gather(*(one(body, headers) for body, headers in corpus))
    return statuses, server_errors


async def good_request_is_stored(fuzz_collector: Collector, db: asyncpg.Connection, text: str) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.post(
            f"http://127.0.0.1:{fuzz_collector.ports.otlp_http}/logs", json={"logs": [{"message": text}]}
        ) as answer,
    ):
        assert answer.status == 200
    assert await db.fetchval("SELECT count(*) FROM logs WHERE message = $1", text) == 1


@pytest.mark.parametrize(
    ("path", "corpus"),
    [
        ("/v1/logs", otlp_protobuf_corpus),
        ("/v1/logs", otlp_json_corpus),
        ("/logs", json_api_corpus),
        ("/loki/api/v1/push", loki_json_corpus),
        ("/loki/api/v1/push", loki_protobuf_corpus),
        ("/services/collector/event", hec_corpus),
        ("/services/collector/raw?host=h&sourcetype=t", hec_raw_corpus),
    ],
    ids=["otlp-protobuf", "otlp-json", "json-api", "loki-json", "loki-protobuf", "hec-event", "hec-raw"],
)
async def test_no_malformed_http_body_is_answered_5xx(
    fuzz_collector: Collector,
    db: asyncpg.Connection,
    errors_logged: Callable[[], list[str]],
    path: str,
    corpus: Callable[[int], list[Body]],
) -> None:
    bodies = corpus(14)
    assert len(bodies) >= BODIES

    started = time.monotonic()
    statuses, server_errors = await send_all(fuzz_collector, path, bodies)

    assert server_errors == [], f"{len(server_errors)} answers 5xx, the first: {server_errors[:3]}"
    assert sum(statuses.values()) == len(bodies)
    assert statuses[400] > len(bodies) // 4, f"the corpus should be mostly refused: {statuses}"
    assert errors_logged() == []
    log.info("%s: %d bodies in %.1f s, answers %s", path, len(bodies), time.monotonic() - started, dict(statuses))
    await good_request_is_stored(fuzz_collector, db, f"after the {path} fuzz")


async def test_no_malformed_bulk_body_is_answered_5xx(
    fuzz_collector: Collector, db: asyncpg.Connection, errors_logged: Callable[[], list[str]]
) -> None:
    """The Elasticsearch bulk parser: an answer is a 400 for the request or a bulk response whose
    items say what was refused; never a 5xx."""
    bodies = bulk_corpus(14)
    url = f"http://127.0.0.1:{fuzz_collector.ports.otlp_http}/_bulk"
    outcomes: Counter[str] = Counter()
    server_errors: list[tuple[int, bytes]] = []
    slots = asyncio.Semaphore(CONCURRENCY)
    async with aiohttp.ClientSession() as http:

        async def one(body: bytes, headers: dict[str, str]) -> None:
            async with slots, http.post(url, data=body, headers=headers) as answer:
                text = await answer.read()
                if answer.status >= 500:
                    server_errors.append((answer.status, body[:200]))
                elif answer.status == 200:
                    response = orjson.loads(text)
                    statuses = [next(iter(item.values()))["status"] for item in response["items"]]
                    assert set(statuses) <= {201, 400}, response
                    assert response["errors"] == (400 in statuses), response
                    outcomes["item errors" if response["errors"] else "all stored"] += 1
                else:
                    outcomes[str(answer.status)] += 1

        await asyncio.gather(*(one(body, headers) for body, headers in bodies))

    assert server_errors == [], f"{len(server_errors)} answers 5xx, the first: {server_errors[:3]}"
    assert sum(outcomes.values()) == len(bodies)
    assert outcomes["400"] + outcomes["item errors"] > len(bodies) // 2, outcomes
    assert outcomes["all stored"] > 0, outcomes
    assert errors_logged() == []
    await good_request_is_stored(fuzz_collector, db, "after the bulk fuzz")


EXPORT = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"
# What a malformed Export may be answered: stored (mutations that still decode), refused as
# invalid, or too large. Never INTERNAL or UNKNOWN (an OTLP exporter drops the batch and nobody
# knows why), nor UNAVAILABLE with the database up (it would resend the same bad bytes forever).
GRPC_ANSWERS = {grpc.StatusCode.OK, grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.RESOURCE_EXHAUSTED}


async def test_no_malformed_grpc_export_is_answered_internal(
    fuzz_collector: Collector, db: asyncpg.Connection, errors_logged: Callable[[], list[str]]
) -> None:
    corpus = otlp_grpc_corpus(14)
    assert len(corpus) >= BODIES
    codes: Counter[grpc.StatusCode] = Counter()
    unexpected: list[tuple[str, str, bytes]] = []
    slots = asyncio.Semaphore(CONCURRENCY)
    started = time.monotonic()
    async with grpc.aio.insecure_channel(f"127.0.0.1:{fuzz_collector.ports.otlp_grpc}") as channel:
        # Raw bytes in and out: the client sends exactly the corpus' bytes.
        export = channel.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)

        async def one(body: bytes, compression: grpc.Compression) -> None:
            async with slots:
                try:
                    await export(body, compression=compression, timeout=30)
                    code = grpc.StatusCode.OK
                except grpc.aio.AioRpcError as error:
                    code = error.code()
                    if code not in GRPC_ANSWERS:
                        unexpected.append((code.name, str(error.details()), body[:200]))
                codes[code] += 1

        await asyncio.gather(*(one(body, compression) for body, compression in corpus))

        assert unexpected == [], f"{len(unexpected)} answers outside {GRPC_ANSWERS}, the first: {unexpected[:3]}"
        assert sum(codes.values()) == len(corpus)
        assert codes[grpc.StatusCode.INVALID_ARGUMENT] > len(corpus) // 4, f"mostly refused: {codes}"
        assert errors_logged() == []
        log.info("gRPC: %d exports in %.1f s, answers %s", len(corpus), time.monotonic() - started, dict(codes))
        # The same channel, then a new one: a good export is stored after the corpus.
        await export(request(record(body="after the gRPC fuzz")).SerializeToString(), timeout=10)
    async with grpc.aio.insecure_channel(f"127.0.0.1:{fuzz_collector.ports.otlp_grpc}") as fresh:
        again = fresh.unary_unary(EXPORT, request_serializer=None, response_deserializer=None)
        await again(request(record(body="after the gRPC fuzz, new channel")).SerializeToString(), timeout=10)
    stored = await db.fetch("SELECT message FROM logs WHERE message LIKE 'after the gRPC fuzz%' ORDER BY 1")
    assert [row["message"] for row in stored] == ["after the gRPC fuzz", "after the gRPC fuzz, new channel"]


async def test_no_malformed_forward_frame_breaks_the_receiver(
    fuzz_collector: Collector, db: asyncpg.Connection, errors_logged: Callable[[], list[str]]
) -> None:
    frames = forward_corpus(14)
    assert len(frames) >= BODIES
    outcomes: Counter[str] = Counter()
    slots = asyncio.Semaphore(CONCURRENCY)

    async def one(frame: bytes) -> None:
        async with slots:
            reader, writer = await asyncio.open_connection("127.0.0.1", fuzz_collector.ports.forward)
            try:
                writer.write(frame)
                writer.write_eof()
                # Whatever the frame, the server answers what it stored and ends the connection.
                async with asyncio.timeout(30):
                    answers = await reader.read()
            except ConnectionError:
                answers = b""
            finally:
                writer.close()
                with contextlib.suppress(ConnectionError):
                    await writer.wait_closed()
            # Chunk ids come back as sent, bytes that are not UTF-8 included: read them raw.
            acks = list(msgpack.Unpacker(io.BytesIO(answers), raw=True))
            assert all(isinstance(ack, dict) and list(ack) == [b"ack"] for ack in acks), acks
            outcomes["acknowledged" if acks else "closed"] += 1

    started = time.monotonic()
    await asyncio.gather(*(one(frame) for frame in frames))

    assert sum(outcomes.values()) == len(frames)
    assert outcomes["acknowledged"] > len(frames) // 10, outcomes
    assert errors_logged() == []
    log.info("forward: %d frames in %.1f s, %s", len(frames), time.monotonic() - started, dict(outcomes))
    client = await ForwardClient.connect(fuzz_collector.ports.forward)
    chunk = new_chunk()
    await client.send(message("app.after", T0, {"message": "after the forward fuzz"}, chunk))
    assert await client.acks(1) == [chunk]
    await client.close()
    assert await db.fetchval("SELECT count(*) FROM logs WHERE message = 'after the forward fuzz'") == 1
