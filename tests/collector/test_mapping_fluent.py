"""Fluentd records → rows: common key names, the tag rule, Docker and Kubernetes shapes, and
values that fit no column kept in metadata (collector/mapping/fluent.py)."""

from __future__ import annotations

from typing import Any

import orjson
import pytest

from loglens.collector.mapping.fluent import map_event, tag
from loglens.collector.rows import Col, Row

NOW_US = 1_767_225_600_000_000  # 2026-01-01T00:00:00Z
EVENT_US = NOW_US - 60_000_000


def row(record: Any, tag_name: str = "app.payment-api", time_us: int | None = EVENT_US) -> Row:
    return map_event(time_us, record, tag(tag_name), NOW_US)


def metadata(mapped: Row) -> dict[str, Any]:
    value: dict[str, Any] = orjson.loads(mapped[Col.metadata])
    return value


def test_common_key_names_fill_the_columns() -> None:
    mapped = row(
        {
            "msg": "charge failed",
            "severity": "err",
            "service.name": "billing",
            "env": "prod",
            "service.version": "2.4.1",
            "traceId": "4bf92f3577b34da6a3ce929d0e0e4736",
            "span.id": "00f067aa0ba902b7",
            "userId": 42,
            "session.id": "s-1",
            "exception.type": "CardError",
            "stacktrace": "Traceback ...",
            "http.route": "/charges",
            "http.method": "post",
            "duration_ms": "12.5",
            "funcName": "charge",
            "pathname": "/srv/billing/charge.py",
            "log_type": "worker",
            "action_type": "retry",
        }
    )
    assert mapped[Col.message] == "charge failed"
    assert mapped[Col.level] == "ERROR"
    assert (mapped[Col.service], mapped[Col.environment], mapped[Col.service_version]) == (
        "billing",
        "production",
        "2.4.1",
    )
    assert (mapped[Col.trace_id], mapped[Col.span_id]) == (
        "4bf92f3577b34da6a3ce929d0e0e4736",
        "00f067aa0ba902b7",
    )
    assert (mapped[Col.user_id], mapped[Col.session_id]) == ("42", "s-1")
    assert (mapped[Col.error_type], mapped[Col.stack_trace]) == ("CardError", "Traceback ...")
    assert (mapped[Col.path], mapped[Col.method], mapped[Col.duration_ms]) == ("/charges", "POST", 12_500)
    assert (mapped[Col.function_name], mapped[Col.file_path]) == ("charge", "/srv/billing/charge.py")
    assert (mapped[Col.log_type], mapped[Col.action_type]) == ("WORKER", "retry")
    assert metadata(mapped) == {"fluent.tag": "app.payment-api"}


def test_the_first_listed_name_wins_and_the_other_is_kept() -> None:
    mapped = row({"log": "raw line", "msg": "short", "message": "the message", "level": "warn"})
    assert mapped[Col.message] == "the message"
    assert metadata(mapped) == {"log": "raw line", "msg": "short", "fluent.tag": "app.payment-api"}


@pytest.mark.parametrize(
    ("tag_name", "service"),
    [
        ("app.payment-api", "payment-api"),
        ("app.payment-api.access", "payment-api"),
        ("service.search", "search"),
        ("svc.cart.errors", "cart"),
        ("app", None),
        ("nginx.access", None),
        ("docker.3f2a9c81e0b1", None),
        ("kube.var.log.containers.web-1_shop_web-abc.log", None),
    ],
)
def test_the_tag_rule(tag_name: str, service: str | None) -> None:
    mapped = row({"message": "hello"}, tag_name)
    assert mapped[Col.service] == service
    assert metadata(mapped)["fluent.tag"] == tag_name


def test_the_record_names_its_service_before_the_tag_does() -> None:
    assert row({"message": "x", "service": "orders"}, "app.payment-api")[Col.service] == "orders"


def test_docker_json_line_is_read_as_the_record() -> None:
    mapped = row(
        {
            "log": '{"level":"error","msg":"db timeout","user_id":"u-9","time":"2025-12-31T23:58:00.5Z"}\n',
            "stream": "stderr",
            "container_id": "3f2a9c81e0b1",
            "container_name": "/shop-web-1",
            "source": "stderr",
        },
        "docker.3f2a9c81e0b1",
    )
    assert (mapped[Col.message], mapped[Col.level], mapped[Col.user_id]) == ("db timeout", "ERROR", "u-9")
    assert mapped[Col.created_at] == NOW_US - 119_500_000, "the line's own time wins"
    assert mapped[Col.service] == "shop-web-1"
    assert metadata(mapped) == {
        "log.iostream": "stderr",
        "container.id": "3f2a9c81e0b1",
        "container.name": "shop-web-1",
        "fluent.tag": "docker.3f2a9c81e0b1",
    }


def test_docker_plain_line_loses_its_newline() -> None:
    mapped = row({"log": "GET /health 200\r\n", "stream": "stdout"}, "docker.abc")
    assert mapped[Col.message] == "GET /health 200"
    assert mapped[Col.level] == "INFO"


def test_a_json_line_without_a_message_is_its_own_message() -> None:
    line = '{"event":"cache_miss","key":"user:9"}'
    mapped = row({"log": line})
    assert mapped[Col.message] == line
    assert metadata(mapped) == {"event": "cache_miss", "key": "user:9", "fluent.tag": "app.payment-api"}


def test_envelope_keys_a_json_line_shadows_are_kept() -> None:
    mapped = row({"log": '{"message":"m","region":"inner","host":"web-2"}', "region": "outer", "host": "node-1"})
    assert metadata(mapped)["region"] == "inner"
    assert metadata(mapped)["envelope.region"] == "outer"
    assert metadata(mapped)["host.name"] == "web-2"
    assert metadata(mapped)["envelope.host.name"] == "node-1"


KUBERNETES = {
    "namespace_name": "shop",
    "pod_name": "cart-7d9f-x2",
    "pod_id": "1b2c",
    "container_name": "cart-server",
    "host": "node-3",
    "container_image": "registry/cart:1.9",
    "docker_id": "abc123",
    "labels": {"app.kubernetes.io/name": "cart", "pod-template-hash": "7d9f"},
    "annotations": {"prometheus.io/scrape": "true"},
    "master_url": "https://10.0.0.1:443",
}


def test_kubernetes_metadata_is_flattened_and_names_the_service() -> None:
    mapped = row({"log": "started\n", "stream": "stdout", "kubernetes": KUBERNETES}, "kube.var.log.containers")
    assert mapped[Col.service] == "cart"
    assert metadata(mapped) == {
        "log.iostream": "stdout",
        "k8s.namespace.name": "shop",
        "k8s.pod.name": "cart-7d9f-x2",
        "k8s.pod.uid": "1b2c",
        "k8s.container.name": "cart-server",
        "k8s.node.name": "node-3",
        "container.image.name": "registry/cart:1.9",
        "container.id": "abc123",
        "k8s.pod.label.app.kubernetes.io/name": "cart",
        "k8s.pod.label.pod-template-hash": "7d9f",
        "k8s.pod.annotation.prometheus.io/scrape": "true",
        "kubernetes.master_url": "https://10.0.0.1:443",
        "fluent.tag": "kube.var.log.containers",
    }


def test_kubernetes_service_falls_back_to_the_app_label_then_the_container() -> None:
    with_app = {**KUBERNETES, "labels": {"app": "cart-legacy"}}
    assert row({"log": "x", "kubernetes": with_app}, "kube.x")[Col.service] == "cart-legacy"
    without_labels = {key: value for key, value in KUBERNETES.items() if key != "labels"}
    assert row({"log": "x", "kubernetes": without_labels}, "kube.x")[Col.service] == "cart-server"
    assert row({"log": "x", "kubernetes": KUBERNETES}, "app.checkout")[Col.service] == "checkout"


@pytest.mark.parametrize(
    ("level", "expected"),
    [
        ("WARNING", "WARN"),
        ("critical", "FATAL"),
        ("Information", "INFO"),
        (10, "TRACE"),
        (30, "INFO"),
        (50, "ERROR"),
        (60, "FATAL"),
    ],
)
def test_levels_by_name_and_pino_numbers(level: object, expected: str) -> None:
    assert row({"message": "x", "level": level})[Col.level] == expected


def test_values_outside_the_enums_are_kept_in_metadata() -> None:
    mapped = row(
        {
            "message": "x",
            "level": "verbose2",
            "environment": "qa-3",
            "method": "CONNECT",
            "log_type": "cron",
            "duration_ms": "slow",
        }
    )
    assert (mapped[Col.level], mapped[Col.environment], mapped[Col.method]) == ("INFO", None, None)
    assert (mapped[Col.log_type], mapped[Col.duration_ms]) == ("BACKEND", None)
    assert metadata(mapped) == {
        "level": "verbose2",
        "environment": "qa-3",
        "method": "CONNECT",
        "log_type": "cron",
        "duration_ms": "slow",
        "fluent.tag": "app.payment-api",
    }


def test_times_event_record_and_implausible() -> None:
    assert row({"message": "x"})[Col.created_at] == EVENT_US
    assert row({"message": "x"}, time_us=None)[Col.created_at] == NOW_US
    assert row({"message": "x", "timestamp": 1_767_225_500_250})[Col.created_at] == 1_767_225_500_250_000
    far_future = row({"message": "x", "@timestamp": "2099-01-01T00:00:00Z"})
    assert far_future[Col.created_at] == EVENT_US
    assert metadata(far_future)["@timestamp"] == "2099-01-01T00:00:00Z"
    epoch = row({"message": "x"}, time_us=5_000_000)
    assert epoch[Col.created_at] == NOW_US
    assert metadata(epoch)["original_timestamp_us"] == 5_000_000


def test_a_record_without_a_message_is_stored_as_its_json() -> None:
    mapped = row({"remote": "10.1.2.3", "code": 200, "path": "/"})
    assert orjson.loads(mapped[Col.message]) == {"remote": "10.1.2.3", "code": 200, "path": "/"}
    assert mapped[Col.path] == "/"


def test_ecs_shapes() -> None:
    mapped = row(
        {
            "@timestamp": "2025-12-31T23:59:00.000Z",
            "log.level": "warn",
            "message": "disk 91% full",
            "service": {"name": "storage", "version": "3.1", "type": "db"},
            "log": {"logger": "disk", "origin": {"file": {"line": 12}}},
            "ecs": {"version": "1.6.0"},
        }
    )
    assert (mapped[Col.level], mapped[Col.service], mapped[Col.service_version]) == ("WARN", "storage", "3.1")
    assert mapped[Col.created_at] == NOW_US - 60_000_000
    assert metadata(mapped)["log"] == {"logger": "disk", "origin": {"file": {"line": 12}}}
    assert metadata(mapped)["service"] == {"type": "db"}


def test_bytes_bad_utf8_and_odd_keys_never_lose_the_log() -> None:
    undecodable = b"caf\xe9 ok".decode("utf-8", "surrogateescape")  # as the receiver decodes it
    mapped = row(
        {
            "message": undecodable + "\x00",
            b"raw": b"\x00\xff",
            7: "seven",
            "big": 2**70,
            "user_id": undecodable,
            "nul": "a\x00b",
        }
    )
    assert mapped[Col.message] == "caf\ufffd ok\ufffd"
    assert mapped[Col.user_id] == "caf\ufffd ok"
    assert metadata(mapped) == {
        "raw": "AP8=",
        "7": "seven",
        "big": str(2**70),
        "nul": "a\ufffdb",
        "fluent.tag": "app.payment-api",
    }


def test_a_record_that_is_not_a_map_is_refused() -> None:
    with pytest.raises(ValueError, match="must be a map, not a string"):
        row("just text")


def test_a_compose_service_label_names_the_service_not_the_replicas_container() -> None:
    record = {
        "log": "charged\n",
        "container_name": "/shop-payment-api-1",
        "com.docker.compose.service": "payment-api",
        "PRIORITY": "3",
    }
    mapped = row(record, tag_name="docker.3f2a9c81e0b1")
    assert (mapped[Col.service], mapped[Col.level], mapped[Col.message]) == ("payment-api", "ERROR", "charged")
    assert metadata(mapped)["container.name"] == "shop-payment-api-1"
