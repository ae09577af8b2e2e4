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


def test_requests_counted_are_the_rows_with_an_http_status() -> None:
    plan = plan_of("requests per minute last 30m")
    assert Condition(attribute=Attribute(metadata_key="http_status"), op="is_not_null") in plan.conditions
    # a method already keeps only requests; "users who hit an error" counts users, not requests
    assert not any(
        isinstance(c, Condition) and c.op == "is_not_null" and c.attribute.metadata_key
        for c in plan_of("requests by method").conditions
    )
    hit = plan_of("how many distinct users hit an error in the last hour?")
    assert not any(isinstance(c, Condition) and c.attribute.metadata_key == "http_status" for c in hit.conditions)


BARE_MEASURE_THRESHOLDS = [
    ("paths with median duration_ms > 60 (path, median)", "percentile", 60),
    ("avg duration 100 넘는 service만 avg랑 같이 뽑아봐", "avg", 100),
    ("endpoint별 median duration 60 넘는 애들만 값이랑 같이 뽑아봐", "percentile", 60),
    ("list services whose mean duration_ms exceeds 100, with the mean", "avg", 100),
]


@pytest.mark.parametrize(
    ("question", "kind", "value"), BARE_MEASURE_THRESHOLDS, ids=[q for q, *_ in BARE_MEASURE_THRESHOLDS]
)
def test_a_bare_number_after_a_duration_measure_is_its_threshold_in_ms(
    question: str, kind: str, value: int
) -> None:
    plan = plan_of(question)
    assert plan.having is not None
    assert (plan.having.measure.kind, plan.having.op, plan.having.value) == (kind, ">", value)
    assert [m.kind for m in plan.measures] == [kind]  # said twice, measured once
    assert not any(isinstance(c, Condition) and c.attribute.length for c in plan.conditions)


THRESHOLD_SHOWN = [
    ("requests slower than 5 s in the last 30 minutes with time, service, path and duration", "duration_ms"),
    ("최근 30분 5초 넘게 걸린 요청 목록 (시간, 서비스, path, duration)", "duration_ms"),
    ("지난 30분 동안 duration_ms 5000 초과한 로그를 시각·서비스·경로·소요시간으로 보여주세요", "duration_ms"),
]


@pytest.mark.parametrize(("question", "column"), THRESHOLD_SHOWN, ids=[q for q, _ in THRESHOLD_SHOWN])
def test_rows_kept_by_a_duration_show_it(question: str, column: str) -> None:
    plan = plan_of(question)
    assert plan.shape == "rows"
    assert column in plan.columns
    assert any(
        isinstance(c, Condition) and c.attribute.column == "duration_ms" and c.op == ">" for c in plan.conditions
    )


@pytest.mark.parametrize(
    "question",
    [
        "logs with messages longer than 10000 characters: time, service, message length",
        "메시지 길이 10000자 넘는 로그 시간, 서비스, 길이로 보여줘",
        "message가 만 자 이상으로 긴 로그들 목록 좀 (created_at, service, 메시지 길이)",
    ],
)
def test_rows_kept_by_a_message_length_show_the_length(question: str) -> None:
    plan = plan_of(question)
    assert plan.shape == "rows"
    assert Attribute(column="message", length=True) in plan.row_metadata
    assert any(c.attribute.length and c.values[0] == 10000 for c in plan.conditions if isinstance(c, Condition))


def test_a_korean_number_with_no_unit_is_not_a_message_length() -> None:
    plan = plan_of("endpoint별 median duration 60 넘는 애들만 값이랑 같이 뽑아봐")
    assert not any(isinstance(c, Condition) and c.attribute.length for c in plan.conditions)


@pytest.mark.parametrize(
    ("question", "limit"),
    [
        ("가장 최근 FATAL 로그 10개 시간, 서비스, 메시지로 보여줘", 10),
        ("제일 마지막에 찍힌 fatal 열 건 시각/서비스/메시지", 10),
    ],
)
def test_the_last_n_rows_are_rows_not_a_last_seen_time(question: str, limit: int) -> None:
    plan = plan_of(question)
    assert (plan.shape, plan.limit, plan.measures) == ("rows", limit, [])


@pytest.mark.parametrize(
    ("question", "grouped"),
    [
        ("Who's throwing the most errors over the past half hour?", "service"),
        ("who logged in the most?", "user_id"),
    ],
)
def test_who_throws_errors_is_a_service_who_logs_in_is_a_user(question: str, grouped: str) -> None:
    attribute = grouped_by(plan_of(question))
    assert attribute is not None
    assert attribute.column == grouped


@pytest.mark.parametrize(
    "question",
    ["who is on call for payment-api right now?", "결제 서비스 온콜 누구야?", "who deployed payment-api?"],
)
def test_a_person_asked_for_is_not_answered_with_a_count(question: str) -> None:
    assert planned(question).plan is None


def test_a_user_account_is_a_user_not_the_account_page() -> None:
    plan = plan_of("user_0003 계정의 인증 실패 로그를 시각, IP 주소 컬럼으로 정리해 주세요")
    assert equals(plan, "user_id") == ["user_0003"]
    assert equals(plan, "path") == []


@pytest.mark.parametrize(
    ("question", "status_from"),
    [("결제 API 15분 동안 500번대 status code 몇 건 떴는지 뽑아봐", 500), ("4xx번대 응답 몇 개", 400)],
)
def test_korean_status_classes(question: str, status_from: int) -> None:
    plan = plan_of(question)
    assert any(
        isinstance(c, Condition) and c.attribute.metadata_key == "http_status" and c.values[0] == status_from
        for c in plan.conditions
    )
    assert "/checkout" not in equals(plan, "path")


@pytest.mark.parametrize(
    "question", ["p99 payment last 30m", "db conn timeouts on payment last 90 min — how many?"]
)
def test_a_services_own_name_part_alone_names_it(question: str) -> None:
    assert equals(plan_of(question), "service") == ["payment-api"]


def test_a_name_part_before_an_endpoint_noun_names_the_endpoint() -> None:
    plan = plan_of("errors on the payment page")
    assert equals(plan, "service") == []
    assert equals(plan, "path") == ["/api/v1/payments"]


@pytest.mark.parametrize(
    "question",
    [
        "trace ids that appear more than once, with counts",
        "Which trace ids show up more than once? looking for duplicated logs",
        "trace_id 중복된 거 있어? trace_id랑 몇 번 나왔는지",
        "같은 trace_id가 두 번 이상 찍힌 경우 목록이랑 횟수 좀 봐줄래",
    ],
)
def test_ids_logged_more_than_once_are_counted_per_id_not_as_duplicate_lines(question: str) -> None:
    plan = plan_of(question)
    assert plan.shape == "aggregate"
    assert grouped_by(plan) == Attribute(column="trace_id")
    assert plan.having is not None
    assert plan.having.measure.kind == "count"


@pytest.mark.parametrize(
    ("question", "text"),
    [
        ("requests whose path contains UNION SELECT — time, service, path", "union select"),
        ("show the requests whose path contains DROP TABLE — time, path and ip", "drop table"),
        ("List created_at, path and IP for every log with DROP TABLE in the path", "drop table"),
        ("path에 UNION SELECT 들어간 요청들 시간, 서비스, 경로로 보여줘", "union select"),
    ],
)
def test_an_injection_searched_for_in_paths_is_searched_in_the_path(question: str, text: str) -> None:
    plan = plan_of(question)
    assert Condition(attribute=Attribute(column="path"), op="contains", values=[text]) in plan.conditions


def test_a_text_searched_for_without_a_path_named_is_searched_in_messages() -> None:
    plan = plan_of("logs containing timeout")
    assert Condition(attribute=Attribute(column="message"), op="contains", values=["timeout"]) in plan.conditions


def test_a_rate_over_no_rows_is_no_rate_not_a_division_by_zero() -> None:
    assert "/ NULLIF(COUNT(*), 0)" in render_sql(plan_of("프론트엔드 에러 가운데 Safari 비중 몇 퍼센트?"))


@pytest.mark.parametrize(
    ("question", "grouped", "counted"),
    [
        ("3일간 error > 100 인 svc", "service", "count"),  # a word between: the services are grouped
        ("errs that hit three or more services?", "error_type", "count_distinct"),  # the services are counted
        ("4xx >5 ip 리스트", "ip", "count"),
    ],
)
def test_the_noun_after_a_count_threshold_is_counted_or_grouped(question: str, grouped: str, counted: str) -> None:
    plan = plan_of(question)
    attribute = grouped_by(plan)
    assert attribute is not None
    assert attribute.name == grouped
    assert plan.having is not None
    assert plan.having.measure.kind == counted


def test_a_counted_korean_login_failure_is_still_a_login_failure() -> None:
    plan = plan_of("로그인 다섯번 이상 실패한 사용자 누구누구예요? 횟수도요")
    assert equals(plan, "error_type") == ["AuthenticationFailure"]
    assert plan.having is not None
    assert (plan.having.op, plan.having.value) == (">=", 5)


@pytest.mark.parametrize(
    "question",
    ["지난 24시간 동안 결제 서비스에서 에러 겪은 유저가 몇 명이에요?", "결제쪽 에러 본 사용자 몇명인지"],
)
def test_users_beside_a_named_service_are_users_not_the_users_endpoint(question: str) -> None:
    plan = plan_of(question)
    assert equals(plan, "path") == []
    assert [m.kind for m in plan.measures] == ["count_distinct"]


def test_a_slash_between_two_values_is_not_a_path() -> None:
    plan = plan_of("3일치 에러 건수 스테이징/운영 각각")
    assert sorted(str(v) for v in equals(plan, "environment")) == ["production", "staging"]
    assert equals(plan, "path") == []


def test_the_status_key_named_before_its_class_is_not_grouped_by() -> None:
    plan = plan_of("6시간 전부터 지금까지 http status 500대 응답 수 좀 알려줘")
    assert plan.group_by is None
    assert any(isinstance(c, Condition) and c.op == ">=" and c.values == [500] for c in plan.conditions)


def test_a_share_of_values_compared_side_by_side_is_not_answered_as_a_share_of_them() -> None:
    assert planned("share of error logs in prod vs staging vs dev, in percent").plan is None
