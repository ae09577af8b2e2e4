"""The native ingest path (collector/native) against the Python path it must equal, on real
PostgreSQL: the differential fuzzer's short run, SDK-shaped requests, the row-tuple encoder
byte for byte against asyncpg's encoding, stored rows, and refused rows isolated alike.

Where the extension is not built (no C compiler), these tests check what that machine must
do instead: the native path says why it is off and hands every body to the Python path.
"""

from __future__ import annotations

import datetime as dt
import time
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from typing import Any

import aiohttp
import asyncpg
import pydantic
import pytest

from loglens.collector import native
from loglens.collector.mapping import fluent, json_api, otlp
from loglens.collector.rows import COLUMNS, Row, problem_with
from loglens.collector.server import Collector
from loglens.collector.storage.copy import BatchRows, copy_rows, register_writer_codecs
from loglens.collector.storage.writer import LogWriter, Submission
from loglens.settings import Settings
from tests.collector import native_fuzz
from tests.collector.native_oracle import compare, python_outcome, reference_tuple
from tests.otlp_payloads import record, request

BUILT = native.available()
NOW_US = int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000)


@pytest.fixture(autouse=True)
def native_on() -> Iterator[None]:
    """The native path on for one test (when built), then as it was."""
    was_on = native.enabled()
    if BUILT:
        native.configure("on")
    yield
    native.configure("auto" if was_on else "off")


def test_fuzzed_bodies_decode_exactly_as_the_python_path_maps_them() -> None:
    """The short run of the differential fuzzer (``make fuzz`` runs it long under ASan + UBSan):
    a fixed seed, so that a failure is found again, and this run's own."""
    if not BUILT:
        body = native_fuzz.bodies(1)()
        assert native.decode_otlp(body, native_fuzz.RECEIVED_US, 1024) is None
        assert "not built" in native.status().reason
        return
    for seed, count in ((20261202, 25_000), (time.time_ns(), 15_000)):
        outcomes, failures = native_fuzz.run(count, seed)
        assert failures == [], f"seed {seed}: {failures[0][1]} for {failures[0][0]!r}"
        # The bodies reach every path: decoded natively, left to Python, refused by protobuf.
        assert outcomes["native"] > count // 4, outcomes
        assert outcomes["python-only"] > count // 10, outcomes
        assert outcomes["refused"] > count // 10, outcomes


SDK_RECORDS = [
    record("payment failed", 17, {"user.id": "user_0042", "duration_ms": 182.5, "exception.type": "CardDeclined",
                                  "exception.stacktrace": "Traceback (most recent call last):\n  ..."}),
    record("GET /api/users", 9, {"http.request.method": "GET", "http.route": "/api/users/{id}",
                                 "url.path": "/api/users/7", "http.response.status_code": 200, "duration_ms": 12}),
    record("slow", 13, {"http.method": "post", "http.status_code": "503", "code.function.name": "charge",
                        "code.file.path": "app/pay.py", "code.line.number": 42, "thread.name": "worker-1"}),
    record("", 0, {"exception.message": "disk full", "session.id": "s-1"}, severity_text="warning"),
    record(b"bytes body", 5, {"environment": "prod", "log_type": "worker", "ratio": 0.25, "ok": True}),
    record(42, 21, {"duration_ms": "7.5", "big": 2**62, "method": "CONNECT"}, trace_id=bytes(range(16)),
           span_id=bytes(range(8))),
    record("한국어 메시지 😀", 9, {"user_id": "사용자", "quote": 'say "hi"\n\ttab', "nul": "a\x00b"}),
    record("old", 9, {}, time_unix_nano=1_000_000_000, event_name="app.started"),
]  # fmt: skip
RESOURCES: list[dict[str, Any]] = [
    {"service.name": "payment-api", "service.version": "2.4.1", "deployment.environment.name": "production",
     "telemetry.sdk.language": "python", "telemetry.sdk.name": "opentelemetry", "telemetry.sdk.version": "1.30.0"},
    {"service.name": "web", "telemetry.sdk.language": "webjs", "browser.platform": "Linux"},
    {"service.name": "ios-app", "os.type": "iOS", "deployment.environment": "stg"},
    {},
]  # fmt: skip


@pytest.mark.parametrize("resource", RESOURCES, ids=["backend", "browser", "mobile", "bare"])
def test_sdk_shaped_requests_take_the_native_path_and_equal_the_python_rows(resource: dict[str, Any]) -> None:
    body = request(*SDK_RECORDS, resource=resource).SerializeToString()
    received = time.time_ns() // 1000
    kind, problem = compare(body, received, 1024)
    assert problem is None
    assert kind == ("native" if BUILT else "python-only")
    if BUILT:
        decoded = native.decode_otlp(body, received, 1024)
        assert decoded is not None
        assert decoded.records == len(SDK_RECORDS)
        assert decoded.positions == list(range(len(SDK_RECORDS)))
        assert set(decoded.rows.problems) == {6}  # the NUL in an attribute, refused by the writer


def test_an_array_value_sends_the_whole_request_down_the_python_path() -> None:
    body = request(record("m", 9, {"tags": ["a", "b"]}), record("n")).SerializeToString()
    assert native.decode_otlp(body, NOW_US, 1024) is None
    outcome = python_outcome(body, NOW_US, 1024)
    assert outcome is not None
    assert outcome.records == 2


def mapped_rows() -> list[Row]:
    """Rows of every mapper, including ones PostgreSQL or the writer refuses."""
    received = NOW_US
    json_rows = [
        json_api.map_record(item, received, False)
        for item in (
            {"message": "plain"},
            {"message": "all", "level": "error", "service": "api", "duration_ms": 1.5, "metadata": {"ip": "1"}},
            {"message": "ünïcode ✓", "user_id": "u" * 100, "path": "/x" * 500, "method": "PATCH"},
            {"message": "nul \x00 inside"},
            {"message": "long service", "service": "s" * 101},
            {"message": "negative", "duration_ms": -9_999_999.999, "created_at": 1_600_000_000},
        )
    ]
    web, other = fluent.tag("app.web"), fluent.tag("x")
    fluent_rows = [
        fluent.map_event(
            received, {"log": "from fluentd", "container_name": "/web", "level": "warn"}, web, received
        ),
        fluent.map_event(None, {"message": "no time", "stack_trace": "at x\n at y"}, other, received),
    ]
    otlp_rows = otlp.map_request(request(*SDK_RECORDS), received).rows
    surrogate = (*json_rows[0][:11], "\ud800", *json_rows[0][12:])
    bad_level = (received, "NOPE", *json_rows[0][2:])
    return [*json_rows, *fluent_rows, *otlp_rows, surrogate, bad_level]


def test_row_tuples_encode_byte_for_byte_as_asyncpg_sends_them() -> None:
    rows = mapped_rows()
    encoded = native.encode_rows(rows)
    if not BUILT:
        assert encoded is None
        return
    assert encoded is not None
    assert len(encoded) == len(rows)
    for position, row in enumerate(rows):
        problem = problem_with(row)
        if position == len(rows) - 2:  # the lone surrogate: asyncpg cannot encode it either
            assert encoded.problems[position] == "text is not valid UTF-8"
        elif problem is not None:
            assert encoded.problems[position] == problem
        else:
            assert position not in encoded.problems
            assert bytes(encoded.row(position)) == reference_tuple(row)
    assert encoded.days == frozenset(row[0] // 86_400_000_000 for row in rows)
    # A value of a type the codecs do not expect: asyncpg encodes (or refuses) that batch, as before.
    assert native.encode_rows([(*rows[0][:-1], "metadata as text")]) is None
    assert native.encode_rows([rows[0][:5]]) is None


async def stored(connection: asyncpg.Connection) -> list[tuple[Any, ...]]:
    records = await connection.fetch(f"SELECT {', '.join(COLUMNS)} FROM logs ORDER BY message, created_at")
    return [tuple(record) for record in records]


async def test_encoded_rows_are_stored_exactly_as_asyncpg_stores_the_tuples(dsn: str) -> None:
    rows = [row for row in mapped_rows() if problem_with(row) is None][:-2]  # PostgreSQL takes them all
    connection = await asyncpg.connect(dsn)
    try:
        await register_writer_codecs(connection)
        await connection.execute("CREATE TABLE IF NOT EXISTS logs_p_all PARTITION OF logs DEFAULT")
        await copy_rows(connection, rows)
        plain = await connection.fetch(f"SELECT {', '.join(COLUMNS)} FROM logs ORDER BY message, created_at")
        await connection.execute("TRUNCATE logs")
        encoded = native.encode_rows(rows)
        await BatchRows([encoded if encoded is not None else rows]).copy(connection)
        assert (
            await connection.fetch(f"SELECT {', '.join(COLUMNS)} FROM logs ORDER BY message, created_at") == plain
        )
        assert len(plain) == len(rows)
    finally:
        await connection.close()


@pytest.fixture
async def writer(dsn: str) -> AsyncIterator[LogWriter]:
    opened = LogWriter(dsn, connections=1)
    await opened.open()
    yield opened
    await opened.close()


async def test_refused_rows_of_encoded_chunks_are_isolated_as_among_tuples(
    writer: LogWriter, db: asyncpg.Connection
) -> None:
    """Three requests in a batch: tuples, encoded rows, and a natively decoded OTLP request; the
    bad rows (a NUL, a label PostgreSQL refuses, a lone surrogate, a long value) refused one by
    one with the reasons the Python path gives, against the same positions."""
    rows = mapped_rows()
    by_tuples = await writer.write([Submission(rows)])
    expected = await stored(db)
    await db.execute("TRUNCATE logs")
    body = request(*SDK_RECORDS).SerializeToString()
    decoded = native.decode_otlp(body, NOW_US, 1024)
    encoded = native.encode_rows(rows)
    mixed = await writer.write(
        [
            Submission(rows),
            Submission([], encoded=encoded) if encoded is not None else Submission(rows),
            Submission([], encoded=decoded.rows) if decoded is not None else Submission(rows),
        ]
    )
    assert mixed[0].refused == by_tuples[0].refused
    assert mixed[1].refused == by_tuples[0].refused
    assert len(by_tuples[0].refused) == 5
    assert "invalid input value for enum log_level" in by_tuples[0].refused[len(rows) - 1]
    if decoded is not None:
        assert mixed[2].refused == {
            6: "metadata contains a NUL character (\\u0000), which PostgreSQL cannot store"
        }
        assert mixed[2].stored(Submission([], encoded=decoded.rows)) == len(SDK_RECORDS) - 1
    # The rows stored from the tuples and from their encoding are the same, each twice now (the
    # OTLP records' thrice: the decoded request holds them too).
    got = Counter(map(repr, await stored(db)))
    assert all(got[repr(row)] >= 2 for row in expected)
    assert got.total() == 2 * len(expected) + (len(SDK_RECORDS) - 1 if decoded is not None else len(expected))


async def test_health_says_whether_the_native_path_is_on(collector: Collector) -> None:
    url = f"http://127.0.0.1:{collector.ports.otlp_http}/health"
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        answer = await response.json()
    assert answer["native"]["enabled"] is native.enabled()
    assert answer["native"]["reason"]


def test_the_native_setting_takes_only_its_three_values() -> None:
    assert Settings(native="off").native == "off"
    with pytest.raises(pydantic.ValidationError):
        Settings(native="maybe")
