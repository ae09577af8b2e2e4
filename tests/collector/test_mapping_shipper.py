"""The one mapping of a shipper's record (collector/mapping/shipper.py), as a table: what each
shipper's usual keys become, without a database."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

import orjson
import pytest

from loglens.collector.mapping import json_api, shipper
from loglens.collector.rows import COLUMNS, Row

NOW_US = time.time_ns() // 1000
T0 = dt.datetime(2026, 12, 3, 14, 0, 0, 123456, tzinfo=dt.UTC)
T0_US = int(T0.timestamp()) * 1_000_000 + T0.microsecond


def named(row: Row) -> dict[str, Any]:
    columns = dict(zip(COLUMNS, row, strict=True))
    columns["metadata"] = orjson.loads(columns["metadata"]) if columns["metadata"] else {}
    return columns


def strict(record: dict[str, Any]) -> dict[str, Any]:
    return named(shipper.map_record(record, NOW_US, strict=True))


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        # the columns' own names
        ({"message": "m", "service": "api", "level": "warning"}, {"service": "api", "level": "WARN"}),
        # Python logging through a JSON formatter
        ({"msg": "m", "levelname": "ERROR", "funcName": "pay"}, {"level": "ERROR", "function_name": "pay"}),
        # Docker's json-file/fluentd driver: a raw line
        ({"log": "GET / 200\n", "stream": "stdout"}, {"message": "GET / 200", "level": "INFO"}),
        # journald
        ({"MESSAGE": "m", "PRIORITY": "3", "SYSLOG_IDENTIFIER": "sshd"}, {"level": "ERROR", "service": "sshd"}),
        # syslog-ng's format-json --scope rfc5424
        (
            {"MESSAGE": "m", "PRIORITY": "warning", "PROGRAM": "cron", "HOST": "h1"},
            {"level": "WARN", "service": "cron"},
        ),
        # Fluent Bit's syslog parser keeps the whole PRI: 11 = facility 1 (user), severity 3 (err)
        ({"message": "m", "pri": "11", "ident": "app"}, {"level": "ERROR", "service": "app"}),
        ({"message": "m", "PRIORITY": 0}, {"level": "FATAL"}),
        ({"message": "m", "PRIORITY": 7}, {"level": "DEBUG"}),
        # pino/bunyan
        ({"msg": "m", "level": 50}, {"level": "ERROR"}),
        # camelCase ids
        (
            {"message": "m", "userId": "u1", "traceId": "t1", "spanId": "s1"},
            {"user_id": "u1", "trace_id": "t1", "span_id": "s1"},
        ),
        ({"message": "m", "user_id": "u2", "trace_id": "t2"}, {"user_id": "u2", "trace_id": "t2"}),
        # ECS (Filebeat, ecs-logging): nested service, log.level inside "log"
        (
            {"message": "m", "service": {"name": "shop"}, "log": {"level": "warn", "logger": "x"}},
            {"service": "shop", "level": "WARN"},
        ),
    ],
)
def test_each_shippers_keys_land_in_their_columns(record: dict[str, Any], expected: dict[str, Any]) -> None:
    row = strict(record)
    assert {column: row[column] for column in expected} == expected


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("@timestamp", "2026-12-03T14:00:00.123456Z"),
        ("@timestamp", "2026-12-03T14:00:00.123456789Z"),  # nanoseconds (Vector): cut to microseconds
        ("timestamp", "2026-12-03T23:00:00.123456+09:00"),
        ("date", T0_US / 1e6),  # Fluent Bit's http/es output: float seconds
        ("time", T0_US * 1000),  # nanoseconds
        ("ts", T0_US),  # microseconds
        ("created_at", str(T0_US / 1e6)),  # numeric text
        ("ISODATE", "2026-12-03T14:00:00.123456+00:00"),
    ],
)
def test_every_time_key_and_unit_gives_the_same_moment(key: str, value: Any) -> None:
    assert strict({"message": "m", key: value})["created_at"] == T0_US


def test_milliseconds_are_told_apart_from_seconds() -> None:
    assert strict({"message": "m", "ts": T0_US // 1000})["created_at"] == T0_US // 1000 * 1000
    assert strict({"message": "m", "ts": T0_US // 1_000_000})["created_at"] == T0_US // 1_000_000 * 1_000_000


def test_a_time_that_is_no_time_is_kept_and_the_arrival_used() -> None:
    row = strict({"message": "m", "@timestamp": "yesterday"})
    assert row["created_at"] == NOW_US
    assert row["metadata"] == {"@timestamp": "yesterday"}


def test_a_date_of_a_day_alone_is_not_the_logs_time() -> None:
    row = strict({"message": "invoice sent", "date": "2026-06-01"})
    assert row["created_at"] == NOW_US
    assert row["metadata"] == {"date": "2026-06-01"}
    assert strict({"message": "m", "date": "2026-12-03T14:00:00.123456Z"})["created_at"] == T0_US


@pytest.mark.parametrize(
    ("record", "service"),
    [
        (
            {"message": "m", "com.docker.compose.service": "payment", "container_name": "/shop-payment-1"},
            "payment",
        ),
        ({"message": "m", "container_name": "/shop-payment-1"}, "shop-payment-1"),
        (
            {"message": "m", "label": {"com.docker.compose.service": "cart"}, "container_name": "shop-cart-2"},
            "cart",
        ),
        (
            {"message": "m", "container": {"name": "shop-web-1", "labels": {"com_docker_compose_service": "web"}}},
            "web",
        ),
        ({"message": "m", "kubernetes": {"labels": {"app": "api"}, "container_name": "main"}}, "api"),
        (
            {"message": "m", "kubernetes": {"labels": {"app.kubernetes.io/name": "search", "app": "x"}}},
            "search",
        ),
        ({"message": "m", "kubernetes": {"container_name": "worker"}}, "worker"),
        # Filebeat's kubernetes metadata
        (
            {
                "message": "m",
                "kubernetes": {"container": {"name": "c"}, "labels": {"app_kubernetes_io/name": "f"}},
            },
            "f",
        ),
        ({"message": "m", "kubernetes": {"container": {"name": "c"}, "pod": {"name": "p-1"}}}, "c"),
        # Vector's kubernetes_logs
        ({"message": "m", "kubernetes": {"pod_labels": {"app": "v"}, "container_name": "c"}}, "v"),
        # the record's own service beats every hint
        ({"message": "m", "service": "own", "kubernetes": {"labels": {"app": "api"}}}, "own"),
        ({"message": "m", "PROGRAM": "nginx", "com.docker.compose.service": "web"}, "nginx"),
    ],
)
def test_the_service_from_docker_compose_and_kubernetes(record: dict[str, Any], service: str) -> None:
    assert strict(record)["service"] == service


@pytest.mark.parametrize(
    ("record", "host"),
    [
        ({"message": "m", "host": "web-1"}, "web-1"),
        ({"message": "m", "HOST": "web-2"}, "web-2"),
        ({"message": "m", "hostname": "web-3"}, "web-3"),
        ({"message": "m", "host": {"name": "web-4", "os": {"family": "debian"}}}, "web-4"),
    ],
)
def test_the_host_is_host_name(record: dict[str, Any], host: str) -> None:
    assert strict(record)["metadata"]["host.name"] == host


@pytest.mark.parametrize(
    ("record", "metadata"),
    [
        # syslog-ng's format-json --scope rfc5424, as its http() and elasticsearch-http() send it
        ({"MESSAGE": "m", "PID": "4242"}, {"process.pid": 4242}),
        ({"MESSAGE": "m", "PID": "worker-3"}, {"process.pid": "worker-3"}),
        ({"MESSAGE": "m", "MSGID": "ID7"}, {"syslog.msgid": "ID7"}),
        ({"MESSAGE": "m", "FACILITY": "local0"}, {"syslog.facility": "local0"}),
        (
            {"MESSAGE": "m", "_SDATA": {"origin": {"ip": "10.0.0.1"}, "meta@1": {"seq": "7", "note": 'a "q" ]'}}},
            {"origin.ip": "10.0.0.1", "meta@1.seq": "7", "meta@1.note": 'a "q" ]'},
        ),
        # an _SDATA that is not syslog-ng's nesting is kept as it came
        ({"MESSAGE": "m", "_SDATA": "x"}, {"_SDATA": "x"}),
        ({"MESSAGE": "m", "_SDATA": {"origin": "x"}}, {"_SDATA": {"origin": "x"}}),
    ],
)
def test_syslog_ng_fields_get_the_syslog_receivers_names(record: dict[str, Any], metadata: dict[str, Any]) -> None:
    assert strict(record)["metadata"] == metadata


def test_kubernetes_metadata_gets_opentelemetry_names() -> None:
    metadata = strict(
        {
            "message": "m",
            "kubernetes": {"namespace": "shop", "pod": {"name": "api-7f", "uid": "u-1"}, "node": {"name": "n1"}},
        }
    )["metadata"]
    assert (metadata["k8s.namespace.name"], metadata["k8s.pod.name"], metadata["k8s.pod.uid"]) == (
        "shop",
        "api-7f",
        "u-1",
    )
    assert metadata["k8s.node.name"] == "n1"


def test_a_strict_record_without_a_message_is_refused_naming_the_keys() -> None:
    with pytest.raises(ValueError, match='none of "message", "msg", "log", "MESSAGE"'):
        shipper.map_record({"level": "error", "text": "where is it"}, NOW_US, strict=True)
    with pytest.raises(ValueError, match="empty message"):
        shipper.map_record({"message": ""}, NOW_US, strict=True)


def test_a_forward_record_without_a_message_is_its_own_json() -> None:
    row = named(shipper.map_record({"code": 200}, NOW_US))
    assert row["message"] == '{"code":200}'


def test_strict_text_is_kept_as_sent_for_the_writer_to_refuse_and_forward_text_is_cleaned() -> None:
    assert strict({"message": "a\x00b"})["message"] == "a\x00b"
    assert named(shipper.map_record({"message": "a\x00b"}, NOW_US))["message"] == "a\ufffdb"


def test_the_columns_the_database_assigns_are_dropped_from_strict_records() -> None:
    assert strict({"message": "m", "id": 7, "deleted": True, "other": 1})["metadata"] == {"other": 1}


def test_the_json_api_and_the_forward_records_map_alike() -> None:
    record = {
        "msg": "paid",
        "levelname": "WARNING",
        "@timestamp": "2026-12-03T14:00:00.123456Z",
        "userId": "u9",
        "kubernetes": {"labels": {"app": "billing"}},
        "order": 17,
    }
    from_json = named(json_api.map_record(record, NOW_US, False))
    from_forward = named(shipper.map_record(record, NOW_US))
    assert from_json == from_forward
    assert (from_json["service"], from_json["level"], from_json["user_id"]) == ("billing", "WARN", "u9")
    assert from_json["created_at"] == T0_US


@pytest.mark.parametrize(
    ("value", "level"),
    [
        (0, "FATAL"),
        (2, "FATAL"),
        (3, "ERROR"),
        (4, "WARN"),
        (5, "INFO"),
        (6, "INFO"),
        (7, "DEBUG"),
        ("err", "ERROR"),
    ],
)
def test_syslog_severities(value: Any, level: str) -> None:
    assert shipper.syslog_level(value) == level


def test_a_syslog_pri_is_facility_times_8_plus_severity() -> None:
    assert shipper.syslog_level("165", whole_pri=True) == "INFO"  # local4.notice
    assert shipper.syslog_level(192, whole_pri=True) is None
