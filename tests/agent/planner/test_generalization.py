"""What the planner reads beyond the exact words it knows: misspellings, names said by their
words, values one of them alone has, columns listed, values set side by side or given as
examples. Database-free: questions in, plan fields out."""

from __future__ import annotations

import pytest

from loglens.agent.offline import spelling
from loglens.agent.offline.plan import Attribute, Condition, QueryPlan, render_sql

from .demo_schema import plan_of, planned


def equals(plan: QueryPlan, column: str) -> list[object]:
    return [
        value
        for c in plan.conditions
        if isinstance(c, Condition) and c.attribute.column == column and c.op in ("=", "in")
        for value in c.values
    ]


def grouped_by(plan: QueryPlan) -> Attribute | None:
    return plan.group_by.attribute if plan.group_by is not None else None


SPELLING = [
    ("authentcation failures", "authentication failures"),
    ("db timouts today", "db timeouts today"),
    ("http respones codes", "http responses codes"),
    ("paymnt errors", "payment errors"),
    # never a word it knows, a short word, a longer word that starts with a name, or a close tie
    ("errors side by side", "errors side by side"),
    ("errors in gatewayx", "errors in gatewayx"),
    ("lost requests", "lost requests"),
]


@pytest.mark.parametrize(("written", "read"), SPELLING, ids=[w for w, _ in SPELLING])
def test_a_misspelled_word_is_read_as_the_one_word_that_close(written: str, read: str) -> None:
    assert spelling.correct(written, {"payment", "gateway", "timeout"}) == read


ERROR_TYPE_BY_WORDS = [
    ("db connection timeouts today", "DatabaseConnectionTimeout"),
    ("DB 커넥션 타임아웃 최초 발생 시각", "DatabaseConnectionTimeout"),
    ("upstream service errors by service", "UpstreamServiceError"),
]


@pytest.mark.parametrize(("question", "error_type"), ERROR_TYPE_BY_WORDS, ids=[q for q, _ in ERROR_TYPE_BY_WORDS])
def test_an_error_type_is_named_by_the_words_of_its_name(question: str, error_type: str) -> None:
    assert equals(plan_of(question), "error_type") == [error_type]


def test_a_service_word_alone_is_not_an_error_type_named_after_it() -> None:
    """ "게이트웨이 에러" are the gateway's errors, not PaymentGatewayError."""
    plan = plan_of("게이트웨이 에러 몇 건")
    assert equals(plan, "service") == ["gateway"]
    assert equals(plan, "error_type") == []


EXCLUSIVE = [
    "paths hit by 198.51.100.23 and no other ip",
    "which paths did only 198.51.100.23 request",
    "198.51.100.23 말고는 아무도 안 친 path 뭐야?",
    "다른 IP에선 없고 198.51.100.23에서만 나온 경로",
]


@pytest.mark.parametrize("question", EXCLUSIVE)
def test_values_one_value_alone_has_are_listed_less_those_any_other_has(question: str) -> None:
    plan = plan_of(question)
    assert plan.shape == "distinct"
    assert grouped_by(plan) == Attribute(column="path")
    ip = Attribute(metadata_key="ip")
    assert plan.absent_where == [Condition(attribute=ip, op="!=", values=["198.51.100.23"])]


def test_only_before_a_name_with_nothing_to_list_just_names_it() -> None:
    plan = plan_of("show only payment-api errors")
    assert plan.shape == "rows"
    assert plan.absent_where == []
    assert equals(plan, "service") == ["payment-api"]


def test_two_versions_read_by_two_passes_are_side_by_side_not_two_equals() -> None:
    plan = plan_of("payment-api v2.9.0이랑 v2.10.0 에러율 차이 보여줘")
    versions = [c for c in plan.conditions if isinstance(c, Condition) and c.attribute.column == "service_version"]
    assert [(c.op, sorted(map(str, c.values))) for c in versions] == [("in", ["v2.10.0", "v2.9.0"])]
    assert grouped_by(plan) == Attribute(column="service_version")


def test_values_given_as_examples_of_the_groups_filter_nothing() -> None:
    plan = plan_of("break today's errors down by environment (production, staging and so on)")
    assert equals(plan, "environment") == []
    assert grouped_by(plan) == Attribute(column="environment")


LISTED_COLUMNS = [
    ("최근 1시간 결제 에러 시각, 에러타입, 메시지만 보여줘", ["created_at", "error_type", "message"]),
    ("10 slowest requests in the last hour (time, service, path, duration)?", ["service", "path", "duration_ms"]),
]


@pytest.mark.parametrize(("question", "columns"), LISTED_COLUMNS, ids=[q for q, _ in LISTED_COLUMNS])
def test_columns_listed_are_rows_with_those_columns(question: str, columns: list[str]) -> None:
    plan = plan_of(question)
    assert plan.shape == "rows"
    assert set(columns) <= set(plan.columns)


def test_new_service_versions_are_each_with_its_service() -> None:
    plan = plan_of("any new service versions in the last 6h that we never saw before?")
    assert plan.new_in_window
    assert plan.group_by_also == Attribute(column="service")
    assert "(service_version, service) NOT IN (SELECT service_version, service FROM logs" in render_sql(plan)


def test_a_listing_that_does_not_say_what_it_lists_is_not_answered() -> None:
    result = planned("anything new in the last hour in payment-api?")
    assert result.plan is None
