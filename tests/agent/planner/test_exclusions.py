"""A value named to be left out is left out: never counted alone, never ignored."""

from __future__ import annotations

import pytest

from loglens.agent.offline.plan import Attribute, Condition, render_sql

from .demo_schema import plan_of, planned

LEFT_OUT = [
    ("errors by service in the last hour except staging", "environment", "staging"),
    ("error count excluding gateway, past 90 min", "service", "gateway"),
    ("other than gateway, which service has the most errors?", "service", "gateway"),
    ("errors except for payment-api by service", "service", "payment-api"),
    ("how many logs not counting DEBUG today", "level", "DEBUG"),
    ("non-prod 5xx count", "environment", "production"),
    ("지난 3시간 동안 게이트웨이 빼고 서비스별 에러", "service", "gateway"),
    ("스테이징 환경은 제외하고 에러 몇 개?", "environment", "staging"),
    ("결제 서비스 빼고 에러 수", "service", "payment-api"),
    ("order-api 말고 에러 제일 많은 서비스", "service", "order-api"),
    ("payment-api p99 duration 3h, excluding db timeouts", "error_type", "DatabaseConnectionTimeout"),
    (
        "besides the db timeouts, what are the 3 most common error types in prod?",
        "error_type",
        "DatabaseConnectionTimeout",
    ),
    ("Average latency per service over the last 24 hours, ignoring /health checks.", "path", "/health"),
    ("count prod DEBUG-level logs last 2d, workers excluded", "log_type", "WORKER"),
    ("errors by service, staging left out", "environment", "staging"),
]


@pytest.mark.parametrize(("question", "column", "value"), LEFT_OUT)
def test_a_value_said_to_be_left_out_is_a_filter_against_it(question: str, column: str, value: str) -> None:
    plan = plan_of(question)
    conditions = [
        c
        for c in plan.conditions
        if isinstance(c, Condition) and c.attribute.column == column and c.op != "is_not_null"
    ]
    assert [(c.op, c.values) for c in conditions] == [("is_distinct_from", [value])]


def test_leaving_a_level_out_does_not_name_what_is_counted_after_it() -> None:
    result = planned("how many logs excluding DEBUG today")
    assert result.plan is not None
    assert result.subject == "logs"
    assert "debug" not in render_sql(result.plan).lower().split("from")[0]


def test_leaving_out_a_value_keeps_the_rows_that_have_no_value() -> None:
    sql = render_sql(plan_of("auth-service warnings last 24h excluding AuthenticationFailure"))
    assert "error_type IS DISTINCT FROM 'AuthenticationFailure'" in sql


@pytest.mark.parametrize(
    "question", ["errors by service except the ones from bots", "에러 말고 나머지 로그 몇 개?"]
)
def test_a_marker_with_no_value_beside_it_is_not_answered_as_if_unsaid(question: str) -> None:
    assert not planned(question).confident


def test_the_services_kept_after_a_preposition_are_not_a_grouping() -> None:
    plan = plan_of("How many errors in the last hour from services other than payment-api?")
    assert plan.group_by is None


def test_which_services_other_than_one_still_ranks_the_services() -> None:
    plan = plan_of("Which services other than gateway had the most errors?")
    assert plan.group_by is not None
    assert plan.group_by.attribute is not None
    assert plan.group_by.attribute.column == "service"


@pytest.mark.parametrize(
    "question",
    [
        "What's the 90th percentile duration for each non-GET method on gateway?",
        "error count for each non-GET method",
    ],
)
def test_each_of_the_values_left_is_a_grouping_by_their_column(question: str) -> None:
    plan = plan_of(question)
    assert plan.group_by is not None
    assert plan.group_by.attribute is not None
    assert plan.group_by.attribute.column == "method"


def test_a_korean_exclusion_then_the_others_each_is_a_count_per_group() -> None:
    plan = plan_of("결제 서비스 말고 다른 서비스들 지난 한 시간 에러 몇 개씩이에요?")
    assert plan.group_by is not None


def test_not_counting_is_an_exclusion_not_a_negated_set() -> None:
    plan = plan_of("Top 3 error types in production, not counting DatabaseConnectionTimeout?")
    left_out = [c for c in plan.conditions if isinstance(c, Condition) and c.op == "is_distinct_from"]
    assert [(c.attribute.column, c.values) for c in left_out] == [("error_type", ["DatabaseConnectionTimeout"])]
    assert plan.absent_where == []


@pytest.mark.parametrize(
    ("question", "levels"),
    [
        ("How many logs came in over the last 30 minutes, excluding DEBUG and TRACE?", {"DEBUG", "TRACE"}),
        ("log count 30m, no debug/trace", {"DEBUG", "TRACE"}),
    ],
)
def test_several_levels_left_out_are_left_out_together(question: str, levels: set[str]) -> None:
    plan = plan_of(question)
    [left_out] = [c for c in plan.conditions if isinstance(c, Condition) and c.attribute.column == "level"]
    assert left_out.op == "is_distinct_from"
    assert set(left_out.values) == levels
    assert plan.group_by is None
    assert "NOT IN ('" in render_sql(plan)


@pytest.mark.parametrize(
    "question",
    ["4xx by http_status, 24h, excluding 401", "last 24h 4xx status breakdown w/o 401 pls"],
)
def test_a_code_left_out_of_its_class_narrows_the_class(question: str) -> None:
    plan = plan_of(question)
    status = [c for c in plan.conditions if isinstance(c, Condition) and c.attribute.name == "http_status"]
    assert [c.op for c in status if c.op != "is_not_null"] == ["range", "is_distinct_from"]
    assert plan.absent_where == []
    assert plan.group_by is not None


def test_a_method_left_out_in_the_plural() -> None:
    plan = plan_of("payment-api by method 24h, no GETs")
    assert (
        Condition(attribute=Attribute(column="method"), op="is_distinct_from", values=["GET"]) in plan.conditions
    )
