"""The mission's client API: ``LogCollector(server_url=..., batch_size=..., flush_interval=...)``,
``log()`` and its shortcuts, ``flush()``, ``close()``; keyword fields fill the columns."""

from __future__ import annotations

import asyncpg
import orjson

import loglens_exporter
from loglens_exporter import LogCollector
from tests.conftest import LoglensProcess, wait_for


async def test_the_mission_example_lands_with_its_columns(
    loglens_up: LoglensProcess, db: asyncpg.Connection
) -> None:
    collector = LogCollector(server_url=loglens_up.http_url, batch_size=100, flush_interval=5)
    collector.log("ERROR", "api-server", "DB connection failed", trace_id="abc123", user_id="user_001")
    assert collector.flush(10)
    collector.close()
    row = await db.fetchrow("SELECT * FROM logs")
    assert (row["level"], row["service"], row["message"]) == ("ERROR", "api-server", "DB connection failed")
    assert (row["trace_id"], row["user_id"]) == ("abc123", "user_001")


async def test_shortcuts_fields_and_metadata(loglens_up: LoglensProcess, db: asyncpg.Connection) -> None:
    with LogCollector(
        server_url=loglens_up.http_url,
        batch_size=2,
        flush_interval=0.2,
        service="checkout",
        environment="production",
        version="3.0.1",
    ) as collector:
        collector.info(
            None,
            "order placed",
            path="/api/orders",
            method="POST",
            duration_ms=41.5,
            session_id="s-1",
            metadata={"http_status": 201, "region": "eu-west-1"},
        )
        collector.warn("checkout", "slow payment provider", duration_ms=2400, action_type="pay")
        collector.debug("checkout", "cart recalculated", function_name="recalc", file_path="cart.py")
        cart: dict[str, int] = {}
        try:
            cart["missing"]
        except KeyError:
            collector.exception("checkout", "could not read the cart")
        collector.fatal("checkout", "out of memory", log_type="worker")
        with loglens_exporter.request_context(user_id="u-ctx"):
            collector.info("checkout", "inside a request")
    # close() sent everything: nothing to wait for.
    rows = {row["message"]: row for row in await db.fetch("SELECT * FROM logs")}
    assert len(rows) == 6
    placed = rows["order placed"]
    assert (placed["service"], placed["environment"], placed["service_version"]) == (
        "checkout",
        "production",
        "3.0.1",
    )
    assert (placed["path"], placed["method"], float(placed["duration_ms"]), placed["session_id"]) == (
        "/api/orders",
        "POST",
        41.5,
        "s-1",
    )
    metadata = orjson.loads(placed["metadata"])
    assert (metadata["http_status"], metadata["region"]) == (201, "eu-west-1")
    assert (rows["slow payment provider"]["level"], rows["slow payment provider"]["action_type"]) == (
        "WARN",
        "pay",
    )
    recalculated = rows["cart recalculated"]
    assert (recalculated["level"], recalculated["function_name"], recalculated["file_path"]) == (
        "DEBUG",
        "recalc",
        "cart.py",
    )
    failed = rows["could not read the cart"]
    assert (failed["level"], failed["error_type"]) == ("ERROR", "KeyError")
    assert "Traceback (most recent call last)" in failed["stack_trace"]
    assert (rows["out of memory"]["level"], rows["out of memory"]["log_type"]) == ("FATAL", "WORKER")
    assert rows["inside a request"]["user_id"] == "u-ctx"


async def test_an_unknown_level_is_kept_as_info_rather_than_raising(
    loglens_up: LoglensProcess, db: asyncpg.Connection
) -> None:
    with LogCollector(server_url=loglens_up.http_url) as collector:
        collector.log("NOTICE", "api", "something noteworthy", custom_object=object())
    assert await wait_for("SELECT count(*) FROM logs", db, 1) == 1
    row = await db.fetchrow("SELECT level, metadata FROM logs")
    assert row["level"] == "INFO"
    assert orjson.loads(row["metadata"])["custom_object"].startswith("<object object at")
