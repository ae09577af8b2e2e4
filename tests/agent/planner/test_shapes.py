"""How the answer is laid out (agent/offline/planner/shapes.py): one number, groups, groups ranked
and cut, values listed, or rows. Database-free: questions in, plan fields out."""

from __future__ import annotations

import pytest

from loglens.agent.offline.plan import Attribute, Condition, QueryPlan

from .demo_schema import plan_of

TRACE = "0af7651916cd43dd8448eb211c80319c"


def grouped_by(plan: QueryPlan) -> str | None:
    if plan.group_by is None:
        return None
    return plan.group_by.attribute.name if plan.group_by.attribute is not None else plan.group_by.bucket


ONE_NUMBER = [
    "how many errors today?",
    "payment-api error count in the last hour",
    "total logs in prod yesterday",
    "p95 latency of order-api",
    "에러 몇 건이야?",
    "오늘 결제 서비스 평균 응답 시간",
]


@pytest.mark.parametrize("question", ONE_NUMBER)
def test_a_question_about_one_thing_is_one_number(question: str) -> None:
    plan = plan_of(question)
    assert (plan.shape, plan.group_by, plan.limit) == ("aggregate", None, None)


GROUPS: list[tuple[str, str]] = [
    ("errs by svc last 1h", "service"),
    ("count of logs per env", "environment"),
    ("errors per user today", "user_id"),
    ("p95 latncy per endpiont, 24h", "path"),
    ("errors per service today", "service"),
    ("error count by service, last 24h", "service"),
    ("errors by endpoint in the last hour", "path"),
    ("how many errors of each error type yesterday", "error_type"),
    ("log count per level", "level"),
    ("errors by environment", "environment"),
    ("frontend errors per browser", "browser"),
    ("p95 latency per service", "service"),
    ("avg duration by endpoint today", "path"),
    ("errors per region", "region"),
    ("서비스별 에러 수", "service"),
    ("엔드포인트별 평균 응답 시간", "path"),
    ("오늘 레벨별 로그 개수", "level"),
    ("브라우저별 에러 몇 건", "browser"),
]


@pytest.mark.parametrize(("question", "group"), GROUPS, ids=[q for q, _ in GROUPS])
def test_per_x_is_one_row_per_x_uncut(question: str, group: str) -> None:
    plan = plan_of(question)
    assert plan.shape == "aggregate"
    assert grouped_by(plan) == group
    assert plan.limit is None


TOP: list[tuple[str, str, int]] = [
    ("top 3 error types today", "error_type", 3),
    ("top 5 endpoints by errors", "path", 5),
    ("top 3 services by error count today", "service", 3),
    ("top 10 users with the most errors", "user_id", 10),
    ("에러가 가장 많은 엔드포인트 상위 5개", "path", 5),
]


@pytest.mark.parametrize(("question", "group", "limit"), TOP, ids=[q for q, _, _ in TOP])
def test_top_n_is_ranked_most_first_and_cut(question: str, group: str, limit: int) -> None:
    plan = plan_of(question)
    assert grouped_by(plan) == group
    assert (plan.order, plan.limit) == ("measure_desc", limit)


THE_ONE: list[tuple[str, str, str]] = [
    ("which user had the most errors", "user_id", "measure_desc"),
    ("which browser has the most frontend errors", "browser", "measure_desc"),
    ("가장 많이 발생한 에러 유형은?", "error_type", "measure_desc"),
    ("which service had the most errors today?", "service", "measure_desc"),
    ("what endpoint has the most 5xx?", "path", "measure_desc"),
    ("which error type happened most in the last hour", "error_type", "measure_desc"),
    ("which IP had the most failed logins", "ip", "measure_desc"),
    ("which service logged the fewest errors yesterday", "service", "measure_asc"),
    ("오늘 에러가 가장 많은 서비스는?", "service", "measure_desc"),
    ("제일 느린 엔드포인트 뭐야?", "path", "measure_desc"),
    ("로그인 실패가 제일 많은 IP", "ip", "measure_desc"),
]


@pytest.mark.parametrize(("question", "group", "order"), THE_ONE, ids=[q for q, _, _ in THE_ONE])
def test_which_one_had_the_most_is_the_top_one(question: str, group: str, order: str) -> None:
    plan = plan_of(question)
    assert grouped_by(plan) == group
    assert (plan.order, plan.limit) == (order, 1)


RANKINGS: list[tuple[str, str]] = [
    ("which services have the most errors?", "service"),
    ("which environments logged the most warnings", "environment"),
]


@pytest.mark.parametrize(("question", "group"), RANKINGS, ids=[q for q, _ in RANKINGS])
def test_which_xs_had_the_most_is_a_ranking_not_one_row(question: str, group: str) -> None:
    plan = plan_of(question)
    assert grouped_by(plan) == group
    assert plan.order == "measure_desc"
    assert plan.limit != 1


COMPARED: list[tuple[str, str, set[str]]] = [
    ("payment-api vs order-api errors today", "service", {"payment-api", "order-api"}),
    ("errors in prod vs staging", "environment", {"production", "staging"}),
    ("결제 서비스랑 주문 서비스 에러 비교", "service", {"payment-api", "order-api"}),
]


@pytest.mark.parametrize(("question", "group", "values"), COMPARED, ids=[q for q, _, _ in COMPARED])
def test_values_set_side_by_side_are_one_row_each(question: str, group: str, values: set[str]) -> None:
    plan = plan_of(question)
    assert grouped_by(plan) == group
    assert any(
        isinstance(c, Condition) and c.attribute.name == group and c.op == "in" and set(c.values) == values
        for c in plan.conditions
    )


RECENT_ROWS: list[tuple[str, int, bool]] = [
    ("show the latest 10 errors", 10, True),
    ("last 3 fatal logs", 3, False),
    ("show the last 10 errors", 10, True),
    ("last 5 errors from payment-api", 5, True),
    ("show me the latest 20 logs", 20, False),
    ("pull up the 3 most recent warnings", 3, False),
    ("최근 에러 10개 보여줘", 10, True),
    ("payment-api 최근 로그 5개", 5, False),
]


@pytest.mark.parametrize(("question", "limit", "errors"), RECENT_ROWS, ids=[q for q, _, _ in RECENT_ROWS])
def test_the_last_n_are_rows_newest_first(question: str, limit: int, errors: bool) -> None:
    plan = plan_of(question)
    assert (plan.shape, plan.limit, plan.group_by) == ("rows", limit, None)
    assert plan.order not in ("oldest", "slowest")
    assert plan.errors_only == errors


SHOWN_ROWS = [
    "에러 로그 보여줘",
    "show me errors for /api/v1/login in the last hour",
    "show errors from payment-api in the last hour",
    "show me the DatabaseConnectionTimeout logs",
    "list the errors on /api/v1/payments today",
    "오늘 auth-service 에러 로그 보여줘",
]


@pytest.mark.parametrize("question", SHOWN_ROWS)
def test_show_me_the_logs_is_rows(question: str) -> None:
    plan = plan_of(question)
    assert plan.shape == "rows"
    assert plan.group_by is None
    assert not plan.measures


TRACES = [
    f"what happened in trace {TRACE}",
    f"everything for trace {TRACE}",
    f"trace {TRACE} 에서 무슨 일이 있었어?",
]


@pytest.mark.parametrize("question", TRACES)
def test_a_trace_is_its_rows_in_the_order_they_happened(question: str) -> None:
    plan = plan_of(question)
    assert plan.shape == "rows"
    assert plan.order == "oldest"
    assert Condition(attribute=Attribute(column="trace_id"), op="=", values=[TRACE]) in plan.conditions


SLOWEST: list[tuple[str, int]] = [
    ("10 slowest requests today", 10),
    ("show the 5 slowest requests in the last hour", 5),
    ("가장 느린 요청 3개 보여줘", 3),
]


@pytest.mark.parametrize(("question", "limit"), SLOWEST, ids=[q for q, _ in SLOWEST])
def test_the_slowest_requests_are_rows_slowest_first(question: str, limit: int) -> None:
    plan = plan_of(question)
    assert (plan.shape, plan.order, plan.limit) == ("rows", "slowest", limit)


LISTED: list[tuple[str, str]] = [
    ("list the IPs with failed logins", "ip"),
    ("list the users who had errors today", "user_id"),
    ("오늘 에러 난 사용자 목록", "user_id"),
]


@pytest.mark.parametrize(("question", "column"), LISTED, ids=[q for q, _ in LISTED])
def test_listing_an_entity_is_its_distinct_values(question: str, column: str) -> None:
    plan = plan_of(question)
    assert plan.shape == "distinct"
    assert grouped_by(plan) == column
