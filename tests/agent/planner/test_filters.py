"""What the rows must be (agent/offline/planner/filters.py): names from the data, in any case or
in Korean, environments, levels, HTTP statuses and methods, duration and count thresholds, ids,
quoted text. Database-free: questions in, plan fields out.

A filter is written ``(attribute, op, value)``; several values of one attribute are ``in``, in
any order."""

from __future__ import annotations

from typing import Any

import pytest

from loglens.agent.offline.plan import AnyOf, Attribute, Condition, QueryPlan

from .demo_schema import plan_of

Filter = tuple[str, str, Any]


def filters(plan: QueryPlan) -> set[Filter]:
    """The plan's conditions as ``(attribute, op, value)``: a value, or the set of an ``in``'s values."""
    found: set[Filter] = set()
    for condition in plan.conditions:
        assert not isinstance(condition, AnyOf)
        assert isinstance(condition, Condition)
        values: Any = frozenset(condition.values) if condition.op == "in" else tuple(condition.values)
        if condition.op not in ("in",) and len(condition.values) == 1:
            values = condition.values[0]
        elif not condition.values:
            values = None
        found.add((condition.attribute.name, condition.op, values))
    return found


def one_of(*values: str) -> frozenset[str]:
    return frozenset(values)


def check(question: str, expected: list[Filter]) -> QueryPlan:
    plan = plan_of(question)
    assert set(expected) <= filters(plan), filters(plan)
    return plan


SERVICES: list[tuple[str, list[Filter]]] = [
    ("errors in payment api today", [("service", "=", "payment-api")]),
    ("payment_api errors", [("service", "=", "payment-api")]),
    ("order api 에러 몇 건", [("service", "=", "order-api")]),
    ("인증 서비스 에러 몇 건", [("service", "=", "auth-service")]),
    ("게이트웨이 에러 몇 건", [("service", "=", "gateway")]),
    ("how many errors did payment-api log today?", [("service", "=", "payment-api")]),
    ("PAYMENT-API errors last hour", [("service", "=", "payment-api")]),
    ("Payment-Api error count", [("service", "=", "payment-api")]),
    ("errors from the gateway service today", [("service", "=", "gateway")]),
    ("auth-service 에러 몇 건이야?", [("service", "=", "auth-service")]),
    ("결제 서비스 에러 몇 건?", [("service", "=", "payment-api")]),
    ("재고 워커 에러 수 알려줘", [("service", "=", "inventory-worker")]),
    ("알림 워커 오늘 에러 몇 개", [("service", "=", "notification-worker")]),
    ("주문 서비스 최근 1시간 에러", [("service", "=", "order-api")]),
    ("검색 서비스 에러 건수", [("service", "=", "search-api")]),
    ("errors in payment-api and order-api today", [("service", "in", one_of("payment-api", "order-api"))]),
    ("inventory-worker errors yesterday", [("service", "=", "inventory-worker")]),
]


@pytest.mark.parametrize(("question", "expected"), SERVICES, ids=[q for q, _ in SERVICES])
def test_a_service_is_matched_against_the_services_in_the_data(question: str, expected: list[Filter]) -> None:
    check(question, expected)


ENVIRONMENTS: list[tuple[str, list[Filter]]] = [
    ("prod 5xx last 1h", [("environment", "=", "production"), ("http_status", ">=", 500)]),
    ("warns in prod today", [("environment", "=", "production"), ("level", "=", "WARN")]),
    ("how many errors in production today", [("environment", "=", "production")]),
    ("prod errors last 24h", [("environment", "=", "production")]),
    ("errors in staging", [("environment", "=", "staging")]),
    ("development env error count", [("environment", "=", "development")]),
    ("운영 환경 에러 몇 건", [("environment", "=", "production")]),
    ("프로덕션 에러 수", [("environment", "=", "production")]),
    ("스테이징 에러 몇 개야", [("environment", "=", "staging")]),
    ("payment-api prod errors today", [("environment", "=", "production"), ("service", "=", "payment-api")]),
]


@pytest.mark.parametrize(("question", "expected"), ENVIRONMENTS, ids=[q for q, _ in ENVIRONMENTS])
def test_an_environment_is_named_in_full_short_or_in_korean(question: str, expected: list[Filter]) -> None:
    check(question, expected)


LEVELS: list[tuple[str, str]] = [
    ("경고 몇 건이야?", "WARN"),
    ("FATAL 로그 몇 건", "FATAL"),
    ("# of warn logs in the past half hour", "WARN"),
    ("how many warnings today?", "WARN"),
    ("WARN logs in the last hour", "WARN"),
    ("count DEBUG logs in prod", "DEBUG"),
    ("debug log count yesterday", "DEBUG"),
    ("fatal logs this week", "FATAL"),
    ("경고 로그 몇 건이야?", "WARN"),
    ("오늘 디버그 로그 수", "DEBUG"),
    ("INFO 로그 몇 개", "INFO"),
]


@pytest.mark.parametrize(("question", "level"), LEVELS, ids=[q for q, _ in LEVELS])
def test_a_level_named_is_exactly_that_level(question: str, level: str) -> None:
    plan = check(question, [("level", "=", level)])
    assert not plan.errors_only


ERRORS = [
    "error logs in the last hour",
    "how many errors today",
    "errs last 1h?",
    "how many erors yesterday",
    "에러 로그 몇 건",
    "오늘 오류 몇 개야",
    "최근 1시간 애러 몇개",
]


@pytest.mark.parametrize("question", ERRORS)
def test_errors_are_error_and_fatal(question: str) -> None:
    plan = plan_of(question)
    assert plan.errors_only
    assert not any(name == "level" for name, _, _ in filters(plan))


STATUSES: list[tuple[str, list[Filter]]] = [
    ("how many 5xx in the last hour", [("http_status", ">=", 500)]),
    ("5xx count per service today", [("http_status", ">=", 500)]),
    ("how many 4xx responses today", [("http_status", "range", (400, 500))]),
    ("404s in the last 24 hours", [("http_status", "=", 404)]),
    ("count of status 500 today", [("http_status", "=", 500)]),
    ("how many 401s did auth-service return", [("http_status", "=", 401), ("service", "=", "auth-service")]),
    ("오늘 500 에러 몇 건", [("http_status", "=", 500)]),
    ("상태 코드 503 몇 건이야", [("http_status", "=", 503)]),
]


@pytest.mark.parametrize(("question", "expected"), STATUSES, ids=[q for q, _ in STATUSES])
def test_a_status_class_or_code_is_a_number_in_metadata(question: str, expected: list[Filter]) -> None:
    plan = check(question, expected)
    statuses = [c for c in plan.conditions if isinstance(c, Condition) and c.attribute.name == "http_status"]
    assert all(c.attribute.numeric for c in statuses if c.op != "is_not_null")


METHODS: list[tuple[str, list[Filter]]] = [
    ("PUT requests to /api/v1/orders", [("method", "=", "PUT"), ("path", "=", "/api/v1/orders")]),
    ("errors on GET /api/v1/search today", [("method", "=", "GET"), ("path", "=", "/api/v1/search")]),
    ("how many POST requests in the last hour", [("method", "=", "POST")]),
    ("DELETE requests today", [("method", "=", "DELETE")]),
    (
        "GET vs POST count on /api/v1/payments",
        [("method", "in", one_of("GET", "POST")), ("path", "=", "/api/v1/payments")],
    ),
    ("오늘 POST 요청 몇 건", [("method", "=", "POST")]),
]


@pytest.mark.parametrize(("question", "expected"), METHODS, ids=[q for q, _ in METHODS])
def test_an_http_method_is_a_filter(question: str, expected: list[Filter]) -> None:
    check(question, expected)


PATHS_AND_NAMES: list[tuple[str, list[Filter]]] = [
    ("errors from ap-northeast-2", [("region", "=", "ap-northeast-2")]),
    ("tablet errors this week", [("device", "=", "tablet")]),
    ("Firefox 에러 몇 건", [("browser", "=", "Firefox")]),
    ("errors on /api/v1/login today", [("path", "=", "/api/v1/login")]),
    ("how many requests to /checkout/confirm", [("path", "=", "/checkout/confirm")]),
    ("errors on the checkout endpoint", [("path", "in", one_of("/checkout", "/checkout/confirm"))]),
    ("how many DatabaseConnectionTimeout errors today", [("error_type", "=", "DatabaseConnectionTimeout")]),
    ("NullPointerException count last 24h", [("error_type", "=", "NullPointerException")]),
    ("PaymentGatewayError 몇 건이야?", [("error_type", "=", "PaymentGatewayError")]),
    ("payment-api v2.10.0 errors", [("service_version", "=", "v2.10.0"), ("service", "=", "payment-api")]),
    ("errors in eu-west-1 today", [("region", "=", "eu-west-1")]),
    ("Safari errors last 24h", [("browser", "=", "Safari")]),
    ("크롬 에러 몇 건", [("browser", "=", "Chrome")]),
    ("how many frontend errors today", [("log_type", "=", "FRONTEND")]),
    ("worker errors in the last hour", [("log_type", "=", "WORKER")]),
]


@pytest.mark.parametrize(("question", "expected"), PATHS_AND_NAMES, ids=[q for q, _ in PATHS_AND_NAMES])
def test_paths_error_types_versions_and_metadata_values_are_read_from_the_data(
    question: str, expected: list[Filter]
) -> None:
    check(question, expected)


THRESHOLDS: list[tuple[str, list[Filter]]] = [
    ("requests over 1.5 seconds", [("duration_ms", ">", 1500)]),
    (
        "payment-api requests over 2 sec in the last hour",
        [("duration_ms", ">", 2000), ("service", "=", "payment-api")],
    ),
    ("how many requests over 2s in the last hour", [("duration_ms", ">", 2000)]),
    ("requests slower than 500ms today", [("duration_ms", ">", 500)]),
    ("reqs over 10k ms", [("duration_ms", ">", 10000)]),
    ("1초 넘는 요청 몇 개야?", [("duration_ms", ">", 1000)]),
]


@pytest.mark.parametrize(("question", "expected"), THRESHOLDS, ids=[q for q, _ in THRESHOLDS])
def test_a_duration_threshold_is_in_milliseconds(question: str, expected: list[Filter]) -> None:
    check(question, expected)


COUNT_THRESHOLDS: list[tuple[str, str, str, float, list[Filter]]] = [
    ("ips with 50+ failed logins", "ip", ">=", 50, [("error_type", "=", "AuthenticationFailure")]),
    ("10번 넘게 로그인 실패한 사용자", "user_id", ">", 10, [("error_type", "=", "AuthenticationFailure")]),
    (
        "users with more than 10 failed logins",
        "user_id",
        ">",
        10,
        [("error_type", "=", "AuthenticationFailure")],
    ),
    ("IPs with more than 20 failed logins today", "ip", ">", 20, [("error_type", "=", "AuthenticationFailure")]),
    ("services with at least 100 errors today", "service", ">=", 100, []),
    ("오늘 에러 50건 이상인 서비스", "service", ">=", 50, []),
]


@pytest.mark.parametrize(
    ("question", "group", "op", "value", "expected"), COUNT_THRESHOLDS, ids=[q[0] for q in COUNT_THRESHOLDS]
)
def test_a_count_threshold_is_on_the_groups_counted(
    question: str, group: str, op: str, value: float, expected: list[Filter]
) -> None:
    plan = check(question, expected)
    assert plan.group_by is not None
    assert plan.group_by.attribute is not None
    assert plan.group_by.attribute.name == group
    assert plan.having is not None
    assert (plan.having.measure.kind, plan.having.op, plan.having.value) == ("count", op, value)


TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"

IDS: list[tuple[str, list[Filter]]] = [
    (
        "failed logins from 203.0.113.66",
        [("ip", "=", "203.0.113.66"), ("error_type", "=", "AuthenticationFailure")],
    ),
    (f"show logs for trace {TRACE}", [("trace_id", "=", TRACE)]),
    (f"trace {TRACE.upper()} 로그 보여줘", [("trace_id", "=", TRACE)]),
    ("how many logs from 203.0.113.66 today", [("ip", "=", "203.0.113.66")]),
    ('errors containing "timeout" today', [("message", "contains", "timeout")]),
    ("logs with 'connection refused' in the last hour", [("message", "contains", "connection refused")]),
    ("'invalid password' 로그 몇 건", [("message", "contains", "invalid password")]),
]


@pytest.mark.parametrize(("question", "expected"), IDS, ids=[q for q, _ in IDS])
def test_ids_addresses_and_quoted_text_are_taken_literally(question: str, expected: list[Filter]) -> None:
    check(question, expected)


@pytest.mark.parametrize(
    "question",
    [
        "/checkout 으로 시작하는 페이지의 FRONTEND 에러 가운데 사파리에서 난 비중 알려주세요",
        "결제페이지(/checkout...) 프론트엔드 에러 중에 Safari 몇 퍼센트임?",
        "errors on paths starting with /checkout",
    ],
)
def test_a_path_named_by_its_start_is_every_path_under_it(question: str) -> None:
    plan = plan_of(question)
    assert Condition(attribute=Attribute(column="path"), op="starts_with", values=["/checkout"]) in plan.conditions
    assert plan.group_by is None  # the path noun belongs to the prefix, nothing is grouped by it
    assert not any(isinstance(c, Condition) and c.attribute.column == "service" for c in plan.conditions)


def test_a_korean_particle_after_a_path_is_not_part_of_it() -> None:
    plan = plan_of("/checkout까지 갔는데 /checkout/confirm은 안 간 세션 알려주세요")
    assert Condition(attribute=Attribute(column="path"), op="=", values=["/checkout"]) in plan.conditions
    assert plan.absent_where == [
        Condition(attribute=Attribute(column="path"), op="=", values=["/checkout/confirm"])
    ]
