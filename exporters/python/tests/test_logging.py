"""``configure()`` ships plain ``logging`` calls: levels, exceptions with their stack traces,
``extra`` fields in their columns or in ``metadata``, the request context, and settings
taken from the standard OTEL_* variables."""

from __future__ import annotations

import asyncio
import logging
import time

import asyncpg
import orjson
import pytest

import loglens_exporter
from tests.conftest import LoglensProcess, free_port, wait_for


class PaymentDeclinedError(Exception):
    pass


def charge_the_card(logger: logging.Logger) -> None:
    logger.info(
        "payment accepted",
        extra={
            "http.request.method": "POST",
            "http.route": "/api/v1/payments",
            "duration_ms": 182.5,
            "http.response.status_code": 201,
            "ip": "10.1.2.3",
        },
    )
    try:
        raise PaymentDeclinedError("card ending 4242 was declined")
    except PaymentDeclinedError:
        logger.error("could not charge the card", exc_info=True, extra={"order_id": "o-17"})


async def test_logging_calls_land_in_the_right_columns(loglens_up: LoglensProcess, db: asyncpg.Connection) -> None:
    before = loglens_exporter.stats()
    loglens_exporter.configure(
        service="payment-api", environment="staging", version="2.4.1", endpoint=loglens_up.http_url
    )
    logger = logging.getLogger("payments.checkout")
    with loglens_exporter.request_context(user_id="user_0042", session_id="sess_9"):
        charge_the_card(logger)
    logger.debug("below the configured level: not sent")
    assert loglens_exporter.flush(10)

    assert await wait_for("SELECT count(*) FROM logs", db, 2) == 2
    info, error = await db.fetch("SELECT * FROM logs ORDER BY level")
    for row in (info, error):
        assert (row["service"], row["environment"], row["service_version"]) == (
            "payment-api",
            "staging",
            "2.4.1",
        )
        assert row["log_type"] == "BACKEND"
        assert (row["user_id"], row["session_id"]) == ("user_0042", "sess_9")
        assert row["function_name"] == "charge_the_card"
        assert row["file_path"].endswith("test_logging.py")
        assert orjson.loads(row["metadata"])["otel.scope.name"] == "payments.checkout"
    assert (info["level"], info["message"]) == ("INFO", "payment accepted")
    assert (info["method"], info["path"], float(info["duration_ms"])) == ("POST", "/api/v1/payments", 182.5)
    info_metadata = orjson.loads(info["metadata"])
    assert (info_metadata["http_status"], info_metadata["ip"]) == (201, "10.1.2.3")
    assert info["error_type"] is None

    assert (error["level"], error["message"]) == ("ERROR", "could not charge the card")
    assert error["error_type"] == "PaymentDeclinedError"
    assert error["stack_trace"].startswith("Traceback (most recent call last)")
    assert 'raise PaymentDeclinedError("card ending 4242 was declined")' in error["stack_trace"]
    error_metadata = orjson.loads(error["metadata"])
    assert error_metadata["order_id"] == "o-17"
    assert error_metadata["exception.message"] == "card ending 4242 was declined"
    stats = loglens_exporter.stats() - before
    assert (stats.accepted, stats.sent, stats.queued, stats.dropped) == (2, 2, 0, 0)


async def test_settings_come_from_the_standard_otel_variables(
    loglens_up: LoglensProcess, db: asyncpg.Connection, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_SERVICE_NAME", "billing-worker")
    monkeypatch.setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=production,service.version=9.1")
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", loglens_up.http_url)
    loglens_exporter.configure()
    logging.getLogger("billing").warning("invoice %s is overdue", "inv-7")
    assert loglens_exporter.flush(10)
    assert await wait_for("SELECT count(*) FROM logs", db, 1) == 1
    row = await db.fetchrow("SELECT * FROM logs")
    assert (row["service"], row["environment"], row["service_version"]) == (
        "billing-worker",
        "production",
        "9.1",
    )
    assert (row["level"], row["message"]) == ("WARN", "invoice inv-7 is overdue")


async def test_grpc_is_one_argument_away(loglens_up: LoglensProcess, db: asyncpg.Connection) -> None:
    loglens_exporter.configure(
        service="search-api", protocol="grpc", endpoint=f"http://127.0.0.1:{loglens_up.grpc_port}"
    )
    with loglens_exporter.request_context(user_id="u7"):
        logging.getLogger("search").error("index is stale", extra={"duration_ms": 3})
    assert loglens_exporter.flush(10)
    assert await wait_for("SELECT count(*) FROM logs", db, 1) == 1
    row = await db.fetchrow("SELECT * FROM logs")
    assert (row["service"], row["level"], row["user_id"], row["duration_ms"]) == (
        "search-api",
        "ERROR",
        "u7",
        3,
    )


async def test_the_exporters_own_complaints_are_not_fed_back_into_the_queue() -> None:
    before = loglens_exporter.stats()
    # Nobody listens there: the OTel exporter logs its retries through logging, from the
    # flush thread, while the root logger has our handler.
    loglens_exporter.configure(service="lonely", endpoint=f"http://127.0.0.1:{free_port()}", flush_interval=0.05)
    logging.getLogger("app").error("the only log")
    await asyncio.sleep(2.0)
    stats = loglens_exporter.stats() - before
    assert (stats.accepted, stats.sent, stats.queued) == (1, 0, 1)
    started = time.monotonic()
    loglens_exporter.shutdown(timeout=1.0)
    assert time.monotonic() - started < 3.0
    assert (loglens_exporter.stats() - before).lost_at_exit == 1
