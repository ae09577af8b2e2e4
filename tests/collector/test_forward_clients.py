"""Real forward-protocol clients nobody here wrote, sending to a real ``loglens up`` (several
collector workers sharing the port): Python's fluent-logger (sender, async sender, logging
handler) and Node's fluent-logger with acks."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import Iterator

import asyncpg
import orjson
import pytest
from fluent import asyncsender, handler, sender

from tests.conftest import LoglensProcess, wait_for
from tests.node_client import send_with_node

T0_MS = 1_767_225_600_123  # 2026-01-01T00:00:00.123Z


def at_ms(milliseconds: int) -> dt.datetime:
    return dt.datetime.fromtimestamp(milliseconds / 1000, dt.UTC)


async def test_python_sender_with_integer_and_nanosecond_times(
    loglens_up: LoglensProcess, db: asyncpg.Connection
) -> None:
    seconds = sender.FluentSender("app", host="127.0.0.1", port=loglens_up.forward_port)
    precise = sender.FluentSender("app", host="127.0.0.1", port=loglens_up.forward_port, nanosecond_precision=True)
    assert seconds.emit_with_time(
        "payment-api",
        T0_MS // 1000,
        {"message": "card declined", "level": "error", "user_id": "u-7", "trace_id": "ab" * 16},
    )
    assert precise.emit_with_time(
        "payment-api",
        sender.EventTime(T0_MS // 1000, 123_456_789),
        {"msg": "retrying", "severity": "WARNING"},
    )
    seconds.close()
    precise.close()

    assert await wait_for("SELECT count(*) FROM logs", db, 2) == 2
    rows = {r["message"]: r for r in await db.fetch("SELECT * FROM logs")}
    declined = rows["card declined"]
    assert (declined["service"], declined["level"], declined["user_id"], declined["trace_id"]) == (
        "payment-api",
        "ERROR",
        "u-7",
        "ab" * 16,
    )
    assert declined["created_at"] == at_ms(T0_MS - 123)
    retrying = rows["retrying"]
    assert (retrying["service"], retrying["level"]) == ("payment-api", "WARN")
    assert retrying["created_at"] == at_ms(T0_MS) + dt.timedelta(microseconds=456), "EventTime: to the µs"


async def test_python_async_sender(loglens_up: LoglensProcess, db: asyncpg.Connection) -> None:
    background = asyncsender.FluentSender("service", host="127.0.0.1", port=loglens_up.forward_port)
    for n in range(500):
        background.emit("inventory", {"message": f"reserved item {n}", "duration_ms": n / 4})
    await asyncio.to_thread(background.close)  # flushes the queue

    assert await wait_for("SELECT count(*) FROM logs", db, 500) == 500
    assert await db.fetchval("SELECT count(DISTINCT message) FROM logs WHERE service = 'inventory'") == 500
    assert float(await db.fetchval("SELECT max(duration_ms) FROM logs")) == 124.75


@pytest.fixture
def fluent_logger(loglens_up: LoglensProcess) -> Iterator[logging.Logger]:
    to_loglens = handler.FluentHandler("app.billing", host="127.0.0.1", port=loglens_up.forward_port)
    to_loglens.setFormatter(
        handler.FluentRecordFormatter(
            {
                "levelname": "%(levelname)s",
                "logger": "%(name)s",
                "funcName": "%(funcName)s",
                "pathname": "%(pathname)s",
            }
        )
    )
    logger = logging.getLogger("billing.invoices")
    logger.addHandler(to_loglens)
    logger.propagate = False
    yield logger
    logger.removeHandler(to_loglens)
    to_loglens.close()


def send_invoice(logger: logging.Logger) -> None:
    logger.warning("invoice %s is overdue", "INV-9")
    logger.error({"message": "payment provider timed out", "provider": "acme", "user_id": "u-3"})


async def test_python_logging_handler(fluent_logger: logging.Logger, db: asyncpg.Connection) -> None:
    send_invoice(fluent_logger)

    assert await wait_for("SELECT count(*) FROM logs", db, 2) == 2
    rows = {r["message"]: r for r in await db.fetch("SELECT * FROM logs")}
    overdue = rows["invoice INV-9 is overdue"]
    assert (overdue["service"], overdue["level"], overdue["function_name"]) == (
        "billing",
        "WARN",
        "send_invoice",
    )
    assert overdue["file_path"] == __file__
    timeout = rows["payment provider timed out"]
    assert (timeout["level"], timeout["user_id"]) == ("ERROR", "u-3")
    metadata = orjson.loads(timeout["metadata"])
    assert metadata["provider"] == "acme"
    assert metadata["logger"] == "billing.invoices"
    assert metadata["fluent.tag"] == "app.billing"


@pytest.mark.parametrize("event_mode", ["Message", "PackedForward", "CompressedPackedForward"])
async def test_node_fluent_logger_with_acks(
    loglens_up: LoglensProcess, db: asyncpg.Connection, event_mode: str
) -> None:
    records = [
        {
            "label": "checkout",
            "data": {"message": f"{event_mode} {n}", "level": "info", "session_id": f"s-{n % 3}"},
            "timeMs": T0_MS + n,
        }
        for n in range(50)
    ]

    result = await send_with_node(
        loglens_up.forward_port, records, event_mode=event_mode, require_ack=True, event_time=True
    )

    assert result.errors == []
    assert result.acknowledged == 50, "every record's callback saw its chunk acknowledged"
    # Acknowledged means committed: no waiting here.
    rows = await db.fetch("SELECT * FROM logs ORDER BY created_at")
    assert len(rows) == 50
    assert {(r["service"], r["level"], r["log_type"]) for r in rows} == {("checkout", "INFO", "BACKEND")}
    assert rows[0]["created_at"] == at_ms(T0_MS)
    assert rows[-1]["created_at"] == at_ms(T0_MS + 49)
    assert {r["session_id"] for r in rows} == {"s-0", "s-1", "s-2"}
    assert orjson.loads(rows[0]["metadata"]) == {"fluent.tag": "app.checkout"}
