"""How OpenTelemetry log records become rows, following the semantic conventions."""

from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from loglens.collector.mapping.otlp import map_request
from loglens.collector.rows import COLUMNS, Row
from tests.otlp_payloads import record, request

NOW_US = time.time_ns() // 1000


def one_row(*args: Any, resource: dict[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]:
    mapped = map_request(request(record(*args, **kwargs), resource=resource), NOW_US)
    assert mapped.rejected == []
    return as_dict(mapped.rows[0])


def as_dict(row: Row) -> dict[str, Any]:
    named = dict(zip(COLUMNS, row, strict=True))
    named["metadata"] = orjson.loads(named["metadata"]) if named["metadata"] else {}
    return named


@pytest.mark.parametrize(
    ("number", "level"),
    [
        (1, "TRACE"),
        (4, "TRACE"),
        (5, "DEBUG"),
        (9, "INFO"),
        (12, "INFO"),
        (13, "WARN"),
        (17, "ERROR"),
        (20, "ERROR"),
        (21, "FATAL"),
        (24, "FATAL"),
    ],
)
def test_severity_numbers_map_to_levels_in_bands_of_four(number: int, level: str) -> None:
    assert one_row("x", severity=number)["level"] == level


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("warning", "WARN"),
        ("Err", "ERROR"),
        ("CRITICAL", "FATAL"),
        ("debug", "DEBUG"),
        ("nonsense", "INFO"),
        ("", "INFO"),
    ],
)
def test_severity_text_is_the_fallback_when_the_number_is_unspecified(text: str, level: str) -> None:
    assert one_row("x", severity=0, severity_text=text)["level"] == level


def test_resource_attributes_name_the_service() -> None:
    row = one_row(
        "x",
        resource={
            "service.name": "billing",
            "service.version": "3.1.0",
            "deployment.environment.name": "stg",
            "host.name": "billing-1",
        },
    )
    assert (row["service"], row["service_version"], row["environment"]) == ("billing", "3.1.0", "staging")
    assert row["metadata"]["host.name"] == "billing-1"


def test_an_environment_outside_the_enum_is_kept_in_metadata() -> None:
    row = one_row("x", resource={"service.name": "a", "deployment.environment": "qa-eu-1"})
    assert row["environment"] is None
    assert row["metadata"]["deployment.environment.name"] == "qa-eu-1"


def test_exception_attributes_fill_the_error_columns() -> None:
    row = one_row(
        "charge failed",
        severity=17,
        attrs={
            "exception.type": "CardDeclined",
            "exception.message": "insufficient funds",
            "exception.stacktrace": "Traceback...\nCardDeclined: insufficient funds",
        },
    )
    assert (row["error_type"], row["message"]) == ("CardDeclined", "charge failed")
    assert row["stack_trace"].endswith("insufficient funds")
    assert row["metadata"]["exception.message"] == "insufficient funds"


def test_exception_message_is_the_message_when_the_body_is_empty() -> None:
    row = one_row(None, severity=17, attrs={"exception.type": "Timeout", "exception.message": "after 5 s"})
    assert row["message"] == "after 5 s"


def test_structured_bodies_keep_their_message_and_the_rest() -> None:
    row = one_row({"msg": "user signed in", "user": "u1", "attempt": 2})
    assert row["message"] == "user signed in"
    assert row["metadata"]["body.user"] == "u1"
    assert row["metadata"]["body.attempt"] == 2


def test_http_route_is_the_path_and_the_concrete_url_is_kept() -> None:
    row = one_row(
        "x", attrs={"http.route": "/users/{id}", "url.path": "/users/42", "http.request.method": "patch"}
    )
    assert (row["path"], row["method"]) == ("/users/{id}", "PATCH")
    assert row["metadata"]["url.path"] == "/users/42"


def test_older_attribute_names_are_understood() -> None:
    row = one_row(
        "x",
        attrs={
            "http.method": "GET",
            "http.target": "/a?b=1",
            "code.filepath": "app.py",
            "code.function": "handler",
            "enduser.id": "u9",
        },
    )
    assert (row["method"], row["path"], row["file_path"], row["function_name"], row["user_id"]) == (
        "GET",
        "/a?b=1",
        "app.py",
        "handler",
        "u9",
    )


def test_values_that_fit_no_column_stay_in_metadata() -> None:
    row = one_row(
        "x", attrs={"http.request.method": "CONNECT", "duration_ms": 1e12, "http.response.status_code": 502}
    )
    assert (row["method"], row["duration_ms"]) == (None, None)
    assert row["metadata"] == {"http.request.method": "CONNECT", "duration_ms": 1e12, "http_status": 502}


@pytest.mark.parametrize(
    ("attribute", "value"),
    [
        ("http.response.status_code", 404),
        ("http.status_code", 404),
        ("http_status", 404),
        ("http_status", "404"),
    ],
)
def test_the_http_status_is_kept_as_http_status_whichever_convention_sent_it(
    attribute: str, value: object
) -> None:
    row = one_row("x", attrs={attribute: value})
    assert row["metadata"] == {"http_status": 404}


def test_durations_are_exact_to_the_thousandth() -> None:
    assert one_row("x", attrs={"duration_ms": 12.3456})["duration_ms"] == 12346
    assert one_row("x", attrs={"duration_ms": 7})["duration_ms"] == 7000


def test_log_type_comes_from_the_sdk_or_is_said_explicitly() -> None:
    assert one_row("x", resource={"telemetry.sdk.language": "webjs"})["log_type"] == "FRONTEND"
    assert one_row("x", resource={"browser.brands": ["Chromium"]})["log_type"] == "FRONTEND"
    assert one_row("x", resource={"os.type": "Android"})["log_type"] == "MOBILE"
    assert one_row("x", resource={"loglens.log_type": "iot"})["log_type"] == "IOT"
    assert one_row("x", attrs={"log_type": "WORKER"})["log_type"] == "WORKER"
    assert one_row("x", resource={"service.name": "api"})["log_type"] == "BACKEND"


def test_ids_are_hex_and_all_zero_ids_are_absent() -> None:
    row = one_row("x", trace_id=bytes(16), span_id=bytes(8))
    assert (row["trace_id"], row["span_id"]) == (None, None)
    row = one_row("x", trace_id=bytes(range(16)), span_id=bytes(range(8)))
    assert (row["trace_id"], row["span_id"]) == ("000102030405060708090a0b0c0d0e0f", "0001020304050607")


def test_time_is_the_records_then_the_observed_then_the_arrival() -> None:
    assert one_row("x", time_unix_nano=1_767_225_600_123_456_789)["created_at"] == 1_767_225_600_123_456
    assert one_row("x", time_unix_nano=0, observed_time_unix_nano=1_767_225_600_000_000_000)["created_at"] == (
        1_767_225_600_000_000
    )
    assert one_row("x", time_unix_nano=0)["created_at"] == NOW_US


def test_an_implausible_time_becomes_the_arrival_and_is_kept() -> None:
    row = one_row("x", time_unix_nano=5_000_000_000)  # 1970: a device without a clock
    assert row["created_at"] == NOW_US
    assert row["metadata"]["original_timestamp_us"] == 5_000_000


def test_a_body_of_invalid_utf8_bytes_refuses_only_that_record() -> None:
    mapped = map_request(request(record(b"\xc3\x28"), record("fine")), NOW_US)
    assert mapped.rejected == [(0, "body is bytes that are not valid UTF-8")]
    assert [as_dict(row)["message"] for row in mapped.rows] == ["fine"]


@pytest.mark.parametrize("attribute", ["userId", "enduser.id", "user.id", "user_id"])
def test_every_spelling_of_the_user_is_the_user_id(attribute: str) -> None:
    row = one_row("signed in", attrs={attribute: "u-17"})
    assert row["user_id"] == "u-17"
    assert attribute not in row["metadata"]
