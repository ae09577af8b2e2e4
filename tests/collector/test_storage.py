"""The storage layer on real PostgreSQL: migrations, binary COPY with pre-encoded values,
isolating refused rows, daily partitions and retention, idempotency receipts."""

from __future__ import annotations

import asyncio
import datetime as dt
import random
from collections.abc import AsyncIterator
from decimal import Decimal

import asyncpg
import orjson
import pytest

from loglens.collector.rows import COLUMNS, Row
from loglens.collector.storage.copy import encode_thousandths
from loglens.collector.storage.partitions import DAY_US, day_of
from loglens.collector.storage.writer import IdempotencyKey, LogWriter, Submission, content_digest
from loglens.database.embedded import EmbeddedPostgres
from loglens.database.migrate import available_migrations, migrate

NOW_US = int(dt.datetime.now(dt.UTC).timestamp() * 1_000_000)


def row(message: str = "m", created_us: int = NOW_US, **columns: object) -> Row:
    values: dict[str, object] = dict.fromkeys(COLUMNS)
    values.update(created_at=created_us, level="INFO", log_type="BACKEND", message=message, **columns)
    return tuple(values[name] for name in COLUMNS)


@pytest.fixture
async def writer(dsn: str) -> AsyncIterator[LogWriter]:
    opened = LogWriter(dsn, connections=2)
    await opened.open()
    yield opened
    await opened.close()


async def test_migrations_apply_once_even_when_started_concurrently(
    embedded_postgres: EmbeddedPostgres,
) -> None:
    admin = await asyncpg.connect(embedded_postgres.dsn_for("postgres", "postgres"))
    await admin.execute("DROP DATABASE IF EXISTS migrate_race")
    await admin.execute("CREATE DATABASE migrate_race")
    connections = [await asyncpg.connect(embedded_postgres.dsn_for("postgres", "migrate_race")) for _ in range(3)]
    try:
        applied = await asyncio.gather(*(migrate(connection) for connection in connections))
        # Each migration takes the lock on its own, so the starts may share the work: what
        # matters is that every migration was applied by exactly one of them.
        versions = sorted(migration.version for now in applied for migration in now)
        assert versions == [migration.version for migration in available_migrations()]
        assert await connections[0].fetchval("SELECT count(*) FROM loglens_migrations") == len(
            available_migrations()
        )
        assert await migrate(connections[0]) == []
    finally:
        for connection in connections:
            await connection.close()
        await admin.execute("DROP DATABASE migrate_race WITH (FORCE)")
        await admin.close()


async def test_pre_encoded_values_arrive_exactly(writer: LogWriter, db: asyncpg.Connection) -> None:
    durations = [0, 1, -1, 999, 1000, 10_000, 123_456_789, -5_000_001, 9_999_999_999, -9_999_999_999]
    durations += [random.Random(7).randint(-(10**10) + 1, 10**10 - 1) for _ in range(200)]
    rows = [
        row(f"d{n}", created_us=NOW_US + n, duration_ms=value, metadata=orjson.dumps({"n": n, "k": "é한"}))
        for n, value in enumerate(durations)
    ]
    await writer.write([Submission(rows)])

    stored = await db.fetch("SELECT message, duration_ms, created_at, metadata FROM logs")
    by_message = {record["message"]: record for record in stored}
    for n, value in enumerate(durations):
        record = by_message[f"d{n}"]
        assert record["duration_ms"] == Decimal(value).scaleb(-3)
        assert record["created_at"] == dt.datetime.fromtimestamp((NOW_US + n) / 1e6, dt.UTC).replace(
            microsecond=(NOW_US + n) % 1_000_000
        )
        assert orjson.loads(record["metadata"]) == {"n": n, "k": "é한"}


def test_numeric_encoding_matches_postgres_layout() -> None:
    # 12.345 = 12 * 10000^0 + 3450 * 10000^-1, scale 3
    assert encode_thousandths(12_345) == bytes.fromhex("0002000000000003000c0d7a")
    assert encode_thousandths(0) == bytes.fromhex("0000000000000003")


async def test_refused_rows_are_isolated_and_the_rest_committed(writer: LogWriter, db: asyncpg.Connection) -> None:
    good = [row(f"good {n}") for n in range(1000)]
    bad = {
        10: row("nul \x00"),
        500: row("long service", service="s" * 101),
        501: row("surrogate \udcff"),
        999: row("meta nul", metadata=b'{"a": "\\u0000"}'),
    }
    rows = [bad.get(n, good_row) for n, good_row in enumerate(good)]
    second = Submission([row("other request")])

    outcomes = await writer.write([Submission(rows), second])

    assert sorted(outcomes[0].refused) == [10, 500, 501, 999]
    assert "service" in outcomes[0].refused[500]
    assert outcomes[1].refused == {}
    assert await db.fetchval("SELECT count(*) FROM logs") == 996 + 1
    assert await db.fetchval("SELECT count(*) FROM logs WHERE message LIKE 'good %'") == 996


async def test_partitions_are_created_for_the_days_written(writer: LogWriter, db: asyncpg.Connection) -> None:
    long_ago = NOW_US - 400 * DAY_US
    await writer.write([Submission([row("old", created_us=long_ago), row("today")])])
    partitions = await db.fetch(
        "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid "
        "WHERE i.inhparent = 'logs'::regclass"
    )
    names = {record["relname"] for record in partitions}
    old_day = dt.datetime.fromtimestamp(long_ago / 1e6, dt.UTC).strftime("%Y%m%d")
    assert f"logs_p{old_day}" in names
    assert await db.fetchval(f"SELECT message FROM logs_p{old_day}") == "old"


async def test_retention_drops_old_partitions_and_writing_old_days_still_works(
    writer: LogWriter, db: asyncpg.Connection
) -> None:
    today = day_of(NOW_US)
    await writer.write([Submission([row("ten days ago", created_us=NOW_US - 10 * DAY_US), row("now")])])
    dropped = await writer.maintain(today, retention_days=7, receipt_ttl_hours=24)
    assert len(dropped) == 1
    assert await db.fetchval("SELECT array_agg(message) FROM logs") == ["now"]
    # A late record for a dropped day recreates its partition rather than failing the batch.
    await writer.write([Submission([row("late", created_us=NOW_US - 10 * DAY_US)])])
    assert await db.fetchval("SELECT count(*) FROM logs") == 2


async def test_idempotency_keys_commit_once(writer: LogWriter, db: asyncpg.Connection) -> None:
    def receipt(refused: dict[int, str]) -> dict[str, object]:
        return {"count": 2 - len(refused)}

    k1 = IdempotencyKey(b"k1", content_digest(b"a", b"b"))
    first = await writer.write(
        [Submission([row("a"), row("b")], k1, receipt), Submission([row("a"), row("b")], k1, receipt)]
    )
    replay = await writer.write([Submission([row("a"), row("b")], k1, receipt)])

    assert first[0].replayed_receipt is None
    assert first[1].replayed_receipt == {"count": 2}
    assert replay[0].replayed_receipt == {"count": 2}
    assert await db.fetchval("SELECT count(*) FROM logs") == 2
    assert await db.fetchval("SELECT receipt FROM ingest_receipts WHERE key = 'k1'::bytea") == '{"count": 2}'


async def test_a_key_committed_for_other_content_is_a_conflict_not_a_replay(
    writer: LogWriter, db: asyncpg.Connection
) -> None:
    ours, theirs = content_digest(b"ours"), content_digest(b"theirs")
    key = b"json:\xff\x00any bytes"  # keys are bytea: no byte can fail the batch

    first = await writer.write(
        [
            Submission([row("ours 1"), row("ours 2")], IdempotencyKey(key, ours)),
            Submission([row("theirs, same batch")], IdempotencyKey(key, theirs)),
            Submission([row("bystander")]),
        ]
    )
    later = await writer.write(
        [
            Submission([row("theirs, later")], IdempotencyKey(key, theirs)),
            Submission([row("ours 1"), row("ours 2")], IdempotencyKey(key, ours)),
        ]
    )

    assert [o.conflict for o in first] == [False, True, False]
    assert [
        o.stored(s)
        for o, s in zip(first, [Submission([row()] * 2), Submission([row()]), Submission([row()])], strict=True)
    ] == [2, 0, 1]
    assert [o.conflict for o in later] == [True, False]
    assert later[1].replayed_receipt == {}, "the same content again is a replay"
    assert await db.fetchval("SELECT array_agg(message ORDER BY message) FROM logs") == [
        "bystander",
        "ours 1",
        "ours 2",
    ]
    assert await db.fetchval("SELECT digest FROM ingest_receipts WHERE key = $1", key) == ours
