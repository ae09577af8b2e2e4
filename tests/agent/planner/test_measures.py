"""What is computed (agent/offline/planner/measures.py): counts, distinct counts, durations
(percentiles, average, extremes), the error rate, shares, first and last seen. Database-free:
questions in, plan fields out.

A measure is written ``(kind, of)``: ``of`` is the attribute, the percentile, the level or the
condition a share is of, or None."""

from __future__ import annotations

from typing import Any

import pytest

from loglens.agent.offline.plan import Attribute, Condition, Measure, QueryPlan

from .demo_schema import plan_of


def of(measure: Measure) -> Any:
    if measure.kind == "percentile":
        assert measure.attribute is not None
        return (measure.attribute.name, measure.fraction)
    if measure.kind == "level_share":
        return measure.level
    if measure.kind == "share":
        assert measure.part is not None
        part = measure.part
        return (part.attribute.name, part.op, *part.values)
    return measure.attribute.name if measure.attribute is not None else None


def measures(plan: QueryPlan) -> list[tuple[str, Any]]:
    return [(measure.kind, of(measure)) for measure in plan.measures]


COUNTS = [
    "how many errors today?",
    "error count last 24h",
    "# of errors in the past hour",
    "number of warnings yesterday",
    "how many logs are there?",
    "오늘 에러 몇 건이야?",
    "최근 1시간 에러 개수 알려줘",
    "어제 경고 로그 몇 개였어요?",
]


@pytest.mark.parametrize("question", COUNTS)
def test_how_many_is_a_count_of_rows(question: str) -> None:
    assert measures(plan_of(question)) == [("count", None)]


DISTINCT: list[tuple[str, str]] = [
    ("how many users had errors in the last hour", "user_id"),
    ("how many traces had errors today", "trace_id"),
    ("# of unique sessions yesterday", "session_id"),
    ("최근 1시간 에러 난 유저 몇 명?", "user_id"),
    ("how many distinct users hit errors today?", "user_id"),
    ("how many unique users in the last 24h", "user_id"),
    ("number of different users who got errors yesterday", "user_id"),
    ("how many sessions in the last 7 days", "session_id"),
    ("how many services logged errors today?", "service"),
    ("how many distinct error types yesterday", "error_type"),
    ("how many endpoints returned 5xx today", "path"),
    ("오늘 에러 사용자 수", "user_id"),
    ("최근 7일 세션 수", "session_id"),
    ("어제 에러 난 서비스 몇 개야?", "service"),
]


@pytest.mark.parametrize(("question", "column"), DISTINCT, ids=[q for q, _ in DISTINCT])
def test_how_many_of_an_entity_counts_its_distinct_values(question: str, column: str) -> None:
    assert measures(plan_of(question)) == [("count_distinct", column)]


DURATIONS: list[tuple[str, list[tuple[str, Any]]]] = [
    ("p50 latency today", [("percentile", ("duration_ms", 0.5))]),
    ("90th percentile response time", [("percentile", ("duration_ms", 0.9))]),
    ("min duration of search-api", [("min", "duration_ms")]),
    ("avg latency by endpoint last 24h", [("avg", "duration_ms")]),
    ("p95 latency of payment-api in the last hour", [("percentile", ("duration_ms", 0.95))]),
    ("p99 response time today", [("percentile", ("duration_ms", 0.99))]),
    ("median duration of order-api requests", [("percentile", ("duration_ms", 0.5))]),
    ("avg duration per endpoint", [("avg", "duration_ms")]),
    ("average latency of search-api yesterday", [("avg", "duration_ms")]),
    ("max response time today", [("max", "duration_ms")]),
    ("p95 latncy per endpiont, 24h", [("percentile", ("duration_ms", 0.95))]),
    ("평균 응답 시간 알려줘", [("avg", "duration_ms")]),
    ("오늘 payment-api 최대 응답 시간", [("max", "duration_ms")]),
    ("최근 1시간 p95 응답시간", [("percentile", ("duration_ms", 0.95))]),
    ("average page load time on /checkout", [("avg", "page_load_ms")]),
    ("p95 page load ms per browser", [("percentile", ("page_load_ms", 0.95))]),
]


@pytest.mark.parametrize(("question", "expected"), DURATIONS, ids=[q for q, _ in DURATIONS])
def test_a_duration_is_summarised_as_asked(question: str, expected: list[tuple[str, Any]]) -> None:
    plan = plan_of(question)
    assert measures(plan) == expected
    assert not plan.errors_only


RATES: list[tuple[str, list[tuple[str, Any]]]] = [
    ("에러율 알려줘", [("error_rate", None)]),
    ("error ratio per service", [("error_rate", None)]),
    ("what percent of logs are errors today", [("error_rate", None)]),
    ("what fraction of payment-api requests are 5xx", [("share", ("http_status", ">=", 500))]),
    ("share of WARN logs per service", [("level_share", "WARN")]),
    ("auth-service 401 비율", [("share", ("http_status", "=", 401))]),
    ("error rate of payment-api today", [("error_rate", None)]),
    ("what's the error rate per service in the last hour", [("error_rate", None)]),
    ("err rate by svc, 24h", [("error_rate", None)]),
    ("오늘 결제 서비스 에러율", [("error_rate", None)]),
    ("서비스별 에러 비율", [("error_rate", None)]),
    ("percentage of DEBUG logs in prod", [("level_share", "DEBUG")]),
    ("what share of logs are warnings today", [("level_share", "WARN")]),
    ("% of requests over 1 second", [("share", ("duration_ms", ">", 1000))]),
    ("what percent of requests took more than 2s today", [("share", ("duration_ms", ">", 2000))]),
    ("5xx rate per endpoint", [("share", ("http_status", ">=", 500))]),
    ("share of auth-service requests that are 401s", [("share", ("http_status", "=", 401))]),
    ("POST 요청 중 5xx 비율", [("share", ("http_status", ">=", 500))]),
    ("1초 넘는 요청 비율", [("share", ("duration_ms", ">", 1000))]),
    ("each service's share of errors today", [("share_of_total", None)]),
    # what "among" names is the base: errors among Safari's frontend logs
    ("error share among frontend logs from Safari, percent", [("error_rate", None)]),
    # the errors are the base: production's share of them, not production's error rate
    ("전체 에러 중에 프로덕션 에러 비율이 몇 %예요?", [("share", ("environment", "=", "production"))]),
    ("에러 중에서 결제 서비스 비율", [("share", ("service", "=", "payment-api"))]),
    ("what % of all errors came from payment-api", [("share", ("service", "=", "payment-api"))]),
]


@pytest.mark.parametrize(("question", "expected"), RATES, ids=[q for q, _ in RATES])
def test_rates_and_shares_are_percentages_of_what_the_question_counts(
    question: str, expected: list[tuple[str, Any]]
) -> None:
    assert measures(plan_of(question)) == expected


FIRST_LAST: list[tuple[str, list[tuple[str, Any]]]] = [
    ("when did we last see a 5xx?", [("last_seen", None)]),
    ("last time payment-api threw an error", [("last_seen", None)]),
    ("when did DatabaseConnectionTimeout first happen?", [("first_seen", None)]),
    ("first time we saw NullPointerException", [("first_seen", None)]),
    ("when was the last error from payment-api?", [("last_seen", None)]),
    ("when did each service last log an error", [("last_seen", None)]),
    ("first and last seen of PaymentGatewayError", [("first_seen", None), ("last_seen", None)]),
    ("NullPointerException 처음 발생한 시각", [("first_seen", None)]),
    ("payment-api 에러 마지막 발생 시각", [("last_seen", None)]),
]


@pytest.mark.parametrize(("question", "expected"), FIRST_LAST, ids=[q for q, _ in FIRST_LAST])
def test_when_something_was_first_or_last_seen(question: str, expected: list[tuple[str, Any]]) -> None:
    assert measures(plan_of(question)) == expected


RATE_THRESHOLDS: list[tuple[str, str, str, float]] = [
    ("services with an error rate above 10%", "error_rate", ">", 10),
    ("which services have error rate over 5 %", "error_rate", ">", 5),
    ("에러율 10% 이상인 서비스", "error_rate", ">=", 10),
]


@pytest.mark.parametrize(("question", "kind", "op", "value"), RATE_THRESHOLDS, ids=[q[0] for q in RATE_THRESHOLDS])
def test_a_threshold_on_a_rate_keeps_the_groups_over_it(question: str, kind: str, op: str, value: float) -> None:
    plan = plan_of(question)
    assert plan.group_by is not None
    assert plan.group_by.attribute is not None
    assert plan.group_by.attribute.name == "service"
    assert plan.having is not None
    assert (plan.having.measure.kind, plan.having.op, plan.having.value) == (kind, op, value)


REQUEST_SHARES: list[tuple[str, str | None]] = [
    ("% of requests over 1 second", None),
    ("5xx rate per endpoint", "path"),
    ("share of 401s per service today", "service"),
    ("엔드포인트별 5xx 비율", "path"),
]


@pytest.mark.parametrize(("question", "group"), REQUEST_SHARES, ids=[q for q, _ in REQUEST_SHARES])
def test_a_share_of_requests_is_among_rows_with_an_http_status(question: str, group: str | None) -> None:
    plan = plan_of(question)
    assert [m.kind for m in plan.measures] == ["share"]
    assert Condition(attribute=Attribute(metadata_key="http_status"), op="is_not_null") in plan.conditions
    grouped = plan.group_by.attribute.name if plan.group_by and plan.group_by.attribute else None
    assert grouped == group
