"""GELF messages → rows (collector/mapping/gelf.py): a table of messages as graypy, Docker's gelf
log driver, Logstash and hand-written clients send them, and what each column becomes."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from loglens.collector.mapping.gelf import map_message
from loglens.collector.rows import Col

NOW_US = 1_796_306_400_000_000  # 2026-12-03T14:00:00Z
AT = 1_796_306_000.123456  # a few minutes earlier, to the microsecond


def row_of(message: dict[str, Any]) -> dict[str, Any]:
    row = map_message(orjson.dumps(message), NOW_US)
    columns = {column.name: row[column] for column in Col}
    columns["metadata"] = orjson.loads(columns["metadata"]) if columns["metadata"] else {}
    return columns


BASE = {"version": "1.1", "host": "web-1", "short_message": "hello"}


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ({**BASE, "timestamp": AT}, {"created_at": 1_796_306_000_123_456}),
        ({**BASE, "timestamp": "1796306000.5"}, {"created_at": 1_796_306_000_500_000}),
        ({**BASE}, {"created_at": NOW_US}),
        ({**BASE, "level": 0}, {"level": "FATAL"}),
        ({**BASE, "level": 2}, {"level": "FATAL"}),
        ({**BASE, "level": 3}, {"level": "ERROR"}),
        ({**BASE, "level": 4}, {"level": "WARN"}),
        ({**BASE, "level": 5}, {"level": "INFO"}),
        ({**BASE, "level": 6}, {"level": "INFO"}),
        ({**BASE, "level": 7}, {"level": "DEBUG"}),
        ({**BASE, "level": "3"}, {"level": "ERROR"}),
        ({**BASE}, {"level": "INFO"}),
        ({**BASE, "_service": "payments"}, {"service": "payments"}),
        ({**BASE, "_app": "shop"}, {"service": "shop"}),
        ({**BASE, "_application_name": "billing"}, {"service": "billing"}),
        ({**BASE, "_tag": "a1b2c3"}, {"service": "a1b2c3"}),
        ({**BASE, "_service": "payments", "_app": "shop", "_tag": "t"}, {"service": "payments"}),
        ({**BASE, "_trace_id": "4bf92f3577b34da6", "_span_id": "00f067aa"}, {"trace_id": "4bf92f3577b34da6"}),
        ({**BASE, "_user_id": "u-7", "_session_id": "s-9"}, {"user_id": "u-7", "session_id": "s-9"}),
        ({**BASE, "_env": "production"}, {"environment": "production"}),
        ({**BASE, "_duration_ms": 12.5}, {"duration_ms": 12500}),
        ({**BASE, "_method": "post", "_path": "/pay"}, {"method": "POST", "path": "/pay"}),
        ({**BASE, "short_message": "", "full_message": "the long text"}, {"message": "the long text"}),
        ({**BASE, "short_message": "x", "_msg": "not the message"}, {"message": "x"}),
    ],
)
def test_columns(message: dict[str, Any], expected: dict[str, Any]) -> None:
    row = row_of(message)
    for column, value in expected.items():
        assert row[column] == value, column


def test_metadata_keeps_the_rest() -> None:
    row = row_of(
        {
            **BASE,
            "full_message": "Traceback (most recent call last): ...",
            "facility": "shop.orders",
            "file": "/app/orders.py",
            "line": 42,
            "_id": "forbidden by the spec",
            "_order": 17,
            "outside_the_spec": True,
            "level": 99,
        }
    )
    assert row["message"] == "hello"
    assert row["level"] == "INFO"
    assert row["metadata"] == {
        "host.name": "web-1",
        "full_message": "Traceback (most recent call last): ...",
        "facility": "shop.orders",
        "file": "/app/orders.py",
        "line": 42,
        "order": 17,
        "outside_the_spec": True,
        "gelf.level": 99,
    }


def test_docker_gelf_log_driver() -> None:
    """What ``docker run --log-driver gelf`` sends (with ``--log-opt labels=...`` for Compose)."""
    message = {
        "version": "1.1",
        "host": "docker-host",
        "short_message": "GET /health 200",
        "timestamp": AT,
        "level": 6,
        "_command": "nginx -g daemon off;",
        "_container_id": "3b6ab5f3c1d2",
        "_container_name": "shop-payment-api-1",
        "_created": "2026-12-03T13:00:00.000000000Z",
        "_image_id": "sha256:abc",
        "_image_name": "nginx:1.27",
        "_tag": "3b6ab5f3c1d2",
    }
    row = row_of(message)
    assert row["service"] == "shop-payment-api-1"
    assert row["metadata"]["container.image.name"] == "nginx:1.27"
    assert row["metadata"]["container.id"] == "3b6ab5f3c1d2"
    assert row["metadata"]["container.command"] == "nginx -g daemon off;"
    assert row_of({**message, "_com.docker.compose.service": "payment-api"})["service"] == "payment-api"


def test_standard_fields_win_over_additional_ones_of_the_same_column() -> None:
    row = row_of({**BASE, "timestamp": AT, "level": 3, "_time": 1, "_severity": "debug", "_host": "other"})
    assert (row["created_at"], row["level"]) == (1_796_306_000_123_456, "ERROR")
    assert row["metadata"]["_time"] == 1
    assert row["metadata"]["_severity"] == "debug"
    assert row["metadata"]["host.name"] == "web-1"


def test_graypy_version_1_0_and_no_version_are_read() -> None:
    assert row_of({**BASE, "version": "1.0"})["message"] == "hello"
    assert row_of({"short_message": "no version"})["message"] == "no version"


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"not json", "not JSON"),
        (b"[1, 2]", "a JSON object"),
        (b'"text"', "a JSON object"),
        (orjson.dumps({**BASE, "version": "2.0"}), "version"),
        (orjson.dumps({"version": "1.1", "host": "h"}), "short_message"),
        (orjson.dumps({**BASE, "short_message": "   "}), "short_message"),
        (orjson.dumps({**BASE, "short_message": 5}), "short_message"),
        (b"\xff\xfe{}", "not JSON"),
    ],
)
def test_refused(data: bytes, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        map_message(data, NOW_US)
