"""Ways of saying a thing that read the same as the plain words, and look-alikes that do not:
Korean numbers in words, "탑3", "시간당", "last half day", "500-class", a column's presence or
absence, the number of values listed. Database-free: questions in, plan fields and SQL out."""

from __future__ import annotations

import pytest

from loglens.agent.offline import shorthand, spelling
from loglens.agent.offline.plan import Attribute, Condition, render_sql

from .demo_schema import plan_of, planned

WRITTEN_OUT = [
    ("최근 스물네시간 에러", "최근 24시간 에러"),
    ("에러 추이 삼십분 간격", "에러 추이 30분 간격"),
    ("에러 백 건 넘는 서비스", "에러 100건 넘는 서비스"),
    ("이십사시간 동안", "24시간 동안"),
    ("열두 시간", "12시간"),
    ("http 500 제일 많이 난 path 탑3", "http 500 제일 많이 난 path top 3"),
    ("오늘 에러 시간당 몇개씩", "오늘 에러 시간별 몇개씩"),
    ("db timeout 첨 난 시점", "db timeout 처음 난 시점"),
    ("login failures, last half day", "login failures, last 12 hours"),
    ("500-class statuses", "5xx statuses"),
    ("fatal lgos", "fatal logs"),
    # a lone Sino-Korean digit is a word of its own; 시간당 평균 is a rate, read where it stands
    ("서비스 구분 없이", "서비스 구분 없이"),
    ("시간당 평균 에러 수", "시간당 평균 에러 수"),
]


@pytest.mark.parametrize(("written", "read"), WRITTEN_OUT, ids=[w for w, _ in WRITTEN_OUT])
def test_shorthand_is_written_out_as_the_planner_reads_it(written: str, read: str) -> None:
    assert shorthand.expand(written) == read


LOOKALIKES = ["who has the pager", "the routers", "stock errors", "newer versions", "older logs", "lagging"]


@pytest.mark.parametrize("written", LOOKALIKES)
def test_an_english_word_a_letter_from_a_planner_word_is_not_corrected_to_it(written: str) -> None:
    """ "newer" is not "never", "stock" not "stack": a changed letter in a short word is another word."""
    assert spelling.correct(written, {"payment", "gateway"}) == written


def test_a_question_about_who_carries_the_pager_is_not_about_logs() -> None:
    assert planned("who has the pager this week?").plan is None


def test_a_column_said_absent_is_the_part_a_share_is_of() -> None:
    for question in ("What percentage of our logs have no trace_id?", "trace_id 없는 로그 비율"):
        plan = plan_of(question)
        [share] = plan.measures
        assert share.kind == "share"
        assert share.part == Condition(attribute=Attribute(column="trace_id"), op="is_null")
        assert "trace_id IS NULL" not in render_sql(plan).split("FROM logs")[1]  # a share, not a filter


def test_a_column_said_present_filters_the_rows_counted() -> None:
    plan = plan_of("how many logs have a trace id")
    assert plan.group_by is None
    assert Condition(attribute=Attribute(column="trace_id"), op="is_not_null") in plan.conditions


def test_a_share_of_the_total_without_groups_is_not_answered() -> None:
    """Each group's share of the total, with no groups, is 100% of itself."""
    result = planned("what percentage of logs have a stack")
    assert result.plan is None
    assert "percentage" in result.unused


def test_the_share_of_one_service_is_of_all_logs() -> None:
    plan = plan_of("what share of logs come from payment-api")
    [share] = plan.measures
    assert share.part == Condition(attribute=Attribute(column="service"), op="=", values=["payment-api"])
    assert "service = 'payment-api'" not in render_sql(plan).split("FROM logs")[1]


COUNTED_NEW = [
    "how many new error types today",
    "# of first-time ips last 24 hrs",
    "오늘 새로 나온 에러 타입 몇 개",
]


@pytest.mark.parametrize("question", COUNTED_NEW)
def test_the_number_of_new_values_is_counted_not_listed(question: str) -> None:
    plan = plan_of(question)
    assert plan.shape == "distinct"
    assert plan.new_in_window
    assert plan.count_listed
    assert render_sql(plan).startswith("SELECT COUNT(*) AS ")


def test_new_values_not_counted_are_listed() -> None:
    plan = plan_of("new error types today")
    assert not plan.count_listed
    assert render_sql(plan).startswith("SELECT DISTINCT")


def test_distinct_status_codes_are_counted_as_codes() -> None:
    plan = plan_of("how many distinct statuses did gateway return")
    [measure] = plan.measures
    assert measure.kind == "count_distinct"
    assert measure.attribute is not None
    assert measure.attribute.metadata_key == "http_status"


def test_statuses_counted_without_distinct_are_left_to_a_model() -> None:
    result = planned("how many statuses did gateway return")
    assert result.plan is not None
    assert not result.confident


def test_statuses_of_a_class_are_the_responses_counted() -> None:
    plan = plan_of("how many 5xx statuses from gateway past 6 hrs?")
    assert plan.group_by is None
    assert [m.kind for m in plan.measures] in ([], ["count"])


def test_a_korean_count_with_its_particle_is_a_distinct_count() -> None:
    plan = plan_of("로그인 실패가 발생한 고유 IP 수를 알려주세요")
    assert [m.kind for m in plan.measures] == ["count_distinct"]
    assert plan.group_by is None


def test_a_korean_number_of_errors_before_services_is_a_threshold_on_their_errors() -> None:
    plan = plan_of("3시간 내 에러가 50개 초과인 서비스랑 건수")
    assert plan.group_by is not None
    assert plan.group_by.attribute == Attribute(column="service")
    assert plan.having is not None
    assert plan.having.value == 50
    assert plan.having.measure.kind == "count"


def test_a_path_and_the_pages_around_it_is_a_prefix() -> None:
    plan = plan_of("/checkout 쪽 프론트엔드 에러에서 Safari 차지하는 비율 알려줘")
    assert Condition(attribute=Attribute(column="path"), op="starts_with", values=["/checkout"]) in plan.conditions


def test_a_word_shared_by_a_service_and_an_error_type_names_neither() -> None:
    """ "for auth": auth-service or AuthenticationFailure? Not read as the error type alone."""
    result = planned("warn count by env for auth")
    assert result.plan is None
    assert "auth" in result.unused


def test_a_question_ending_on_one_dimension_in_the_singular_is_left_to_a_model() -> None:
    """ "brute force source ip?": the attacker's IP, or every IP counted?"""
    result = planned("brute force source ip?")
    assert result.plan is not None
    assert result.plan.group_by is not None
    assert not result.confident
    assert planned("failed logins by ip").confident


IN_SECONDS = [
    "order-api 최근 30분 최대 응답시간 몇 초야?",
    "p95 latency per service over the last 24h, in seconds please",
    "p95 by svc 24h (sec)",
    "What's each service's 95th percentile duration for the past day? Give it in seconds, not ms.",
    "프론트엔드 브라우저별 평균 페이지 로드 시간 초 단위로 알려줘요",
]


@pytest.mark.parametrize("question", IN_SECONDS)
def test_a_duration_asked_in_seconds_is_answered_in_seconds(question: str) -> None:
    plan = plan_of(question)
    timed = [m for m in plan.measures if m.attribute is not None]
    assert [m.in_seconds for m in timed] == [True]
    assert timed[0].alias.endswith("_s")
    assert " / 1000.0 AS " in render_sql(plan)


def test_a_threshold_beside_seconds_is_still_read_in_milliseconds() -> None:
    sql = render_sql(plan_of("endpoints whose average is over 1 s, in seconds"))
    assert "HAVING AVG(duration_ms) > 1000" in sql


def test_users_of_a_value_are_whose_rows_not_a_group() -> None:
    """ "what fraction were Safari users": Safari's share, not one share per user."""
    plan = plan_of("of the web frontend's errors since Monday, what fraction (in percent) were Safari users?")
    assert plan.group_by is None
    [share] = plan.measures
    assert share.part == Condition(attribute=Attribute(metadata_key="browser"), op="=", values=["Safari"])


def test_users_counted_with_a_value_before_them_are_counted_distinct() -> None:
    plan = plan_of("how many Safari users had errors")
    assert [m.kind for m in plan.measures] == ["count_distinct"]


def test_a_level_said_with_its_noun_is_one_share_not_one_per_level() -> None:
    plan = plan_of("프로덕션 환경 지난 하루 로그에서 DEBUG 레벨이 몇 %나 돼요?")
    assert plan.group_by is None
    assert [m.kind for m in plan.measures] == ["level_share"]


def test_the_slowest_requests_of_a_path_are_rows() -> None:
    plan = plan_of("The 5 slowest /api/v1/search requests today")
    assert plan.shape == "rows"
    assert plan.limit == 5
    assert plan.order == "slowest"


THRESHOLDS_ON_AN_AVERAGE = [
    "Which services averaged over 1 second of latency in the last hour?",
    "any service whose mean response time in the last 60 minutes is above 1000 ms?",
]


@pytest.mark.parametrize("question", THRESHOLDS_ON_AN_AVERAGE)
def test_a_threshold_on_an_average_keeps_groups_not_rows(question: str) -> None:
    plan = plan_of(question)
    assert plan.having is not None
    assert plan.having.value == 1000
    assert not any(isinstance(c, Condition) and c.op == ">" for c in plan.conditions)


def test_a_client_ip_in_korean_is_an_ip_not_the_client_side_logs() -> None:
    plan = plan_of("payment-api 5xx 맞은 클라이언트 IP 개수(distinct), 90분")
    assert not any(isinstance(c, Condition) and c.attribute.column == "log_type" for c in plan.conditions)
    assert [m.kind for m in plan.measures] == ["count_distinct"]


@pytest.mark.parametrize(
    "question", ["who do I page for order-api?", "지난 주말 동안 web-frontend 에러 몇 건이었어?"]
)
def test_a_person_to_page_and_a_weekend_are_not_answered_as_something_else(question: str) -> None:
    assert planned(question).plan is None


ASIDES = [
    "For the web frontend (not the mobile app), how many errors per browser this week?",
    "이번주 /checkout 페이지 page_load_ms 평균을 브라우저마다 알려주세요 (FRONTEND만)",
]


@pytest.mark.parametrize("question", ASIDES)
def test_an_aside_that_excludes_beside_a_count_per_group_is_named_not_read_as_a_set_difference(
    question: str,
) -> None:
    result = planned(question)
    assert result.plan is None
    assert result.unused


SHARE_BY_POSITION = [
    "% TypeError among FE errors on /checkout*",
    "체크아웃 페이지 프론트엔드 에러 중 TypeError 비율은?",
    "/checkout 계열 페이지 FE 에러에서 TypeError 몇 퍼센트야",
    "/checkout 쪽 프론트엔드 에러에서 TypeError 차지하는 비율 알려줘",
    "what fraction of web frontend checkout errors (/checkout and /checkout/confirm) are TypeError?",
]


@pytest.mark.parametrize("question", SHARE_BY_POSITION)
def test_the_part_of_a_share_is_the_one_said_on_its_side_of_among_or_are(question: str) -> None:
    plan = plan_of(question)
    part = plan.measures[0].part
    assert part is not None
    assert (part.attribute.column, part.values) == ("error_type", ["TypeError"])


GROUPS_OVER_A_THRESHOLD = [
    ("How many sessions visited at least 5 different pages?", "session_id", "COUNT(DISTINCT path) >= 5"),
    ("# sessions with >=5 distinct pages", "session_id", "COUNT(DISTINCT path) >= 5"),
    ("서로 다른 페이지를 5개 이상 방문한 세션이 몇 개예요?", "session_id", "COUNT(DISTINCT path) >= 5"),
    (
        "count the user sessions that went through five or more distinct pages",
        "session_id",
        "COUNT(DISTINCT path) >= 5",
    ),
    ("how many users had more than 5 failed logins", "user_id", "COUNT(*) > 5"),
    ("how many services had over 100 errors today", "service", "COUNT(*) > 100"),
    ("how many users have more than 3 sessions", "user_id", "COUNT(DISTINCT session_id) > 3"),
]


@pytest.mark.parametrize(("question", "column", "having"), GROUPS_OVER_A_THRESHOLD)
def test_how_many_groups_pass_a_threshold_is_one_number(question: str, column: str, having: str) -> None:
    plan = plan_of(question)
    assert plan.shape == "count_groups"
    assert plan.group_by is not None
    assert plan.group_by.attribute == Attribute(column=column)
    assert f"HAVING {having}" in render_sql(plan)


def test_rows_named_as_rows_are_shown_not_counted() -> None:
    assert plan_of("DatabaseConnectionTimeout rows past 20m").shape == "rows"


LEVELS_TOGETHER = [
    ("order-api warn+ count, last 1.5h", ["WARN", "ERROR", "FATAL"]),
    ("WARN 이상 로그 몇 개", ["WARN", "ERROR", "FATAL"]),
    ("최근 24시간 로그 타입별로 WARN, ERROR, FATAL 각각 몇 건인지", ["WARN", "ERROR", "FATAL"]),
]


@pytest.mark.parametrize(("question", "levels"), LEVELS_TOGETHER)
def test_several_levels_are_one_filter_on_them(question: str, levels: list[str]) -> None:
    plan = plan_of(question)
    assert not plan.errors_only
    assert Condition(attribute=Attribute(column="level"), op="in", values=levels) in plan.conditions


def test_a_list_of_levels_without_each_is_left_to_a_model() -> None:
    result = planned("number of order-api warnings, errors and fatals in the past hour and a half")
    assert result.plan is not None
    assert not result.confident


def test_error_and_fatal_listed_are_the_errors() -> None:
    plan = plan_of("What are the three most frequent error types of the ERROR/FATAL logs over the past day?")
    assert plan.errors_only
    assert plan.group_by_also is None


STATUS_COMPARED = [
    ("% of payment-api reqs with status >= 500, last 3 hrs", ">=", 500),
    ("excluding 198.51.100.23, total number of status-400 requests?", "=", 400),
    ("requests with status code > 499", ">", 499),
    ("상태 코드 500 이상 요청 몇 개", ">=", 500),
]


@pytest.mark.parametrize(("question", "op", "code"), STATUS_COMPARED)
def test_a_status_compared_to_a_code_is_a_condition_not_a_count_threshold(
    question: str, op: str, code: int
) -> None:
    plan = plan_of(question)
    assert plan.having is None
    assert plan.group_by is None
    sql = render_sql(plan)
    assert f"::numeric END) {op} {code}" in sql


def test_a_korean_share_that_takes_up_its_base_is_of_what_is_said_first() -> None:
    plan = plan_of("203.0.113.66 이 전체 로그인 실패에서 차지하는 비율 알려주세요")
    part = plan.measures[0].part
    assert part is not None
    assert part.values == ["203.0.113.66"]


def test_top_n_of_two_dimensions_with_no_per_is_left_to_a_model() -> None:
    assert not planned("top 3 services and error types by errors").confident


@pytest.mark.parametrize(
    ("question", "within"),
    [("top 2 error services per env", "environment"), ("top error_type per service", "service")],
)
def test_the_top_of_one_dimension_per_another_is_ranked_within_each(question: str, within: str) -> None:
    plan = plan_of(question)
    assert plan.rank_within_groups
    assert f"PARTITION BY {within} " in render_sql(plan)


@pytest.mark.parametrize("question", ["bottom 3 services by log count", "3 quietest services"])
def test_the_bottom_n_is_the_least_first(question: str) -> None:
    plan = plan_of(question)
    assert plan.order == "measure_asc"
    assert plan.limit == 3


def test_lowest_n_of_no_measure_is_not_a_minimum_duration() -> None:
    assert not planned("who's producing the fewest logs? give me the lowest 3 services").confident


def test_a_level_and_those_above_it_said_with_a_comparison() -> None:
    plan = plan_of("order-api, level >= WARN, 90 min — how many?")
    assert (
        Condition(attribute=Attribute(column="level"), op="in", values=["WARN", "ERROR", "FATAL"])
        in plan.conditions
    )


@pytest.mark.parametrize(
    "question",
    ["who's hammering us? top 2 source IPs by 4xx in the past 48 hours", "list the top 3 ips by errors"],
)
def test_a_top_n_of_values_is_ranked_by_a_count_not_listed(question: str) -> None:
    plan = plan_of(question)
    assert plan.shape == "aggregate"
    assert plan.limit in (2, 3)
    assert [m.kind for m in plan.measures] == ["count"]


def test_a_negation_beside_a_top_n_is_not_a_set_difference() -> None:
    result = planned("web frontend only (not mobile): top 3 browsers for errors, this week")
    assert result.plan is None or not result.plan.absent_where


@pytest.mark.parametrize(
    ("question", "order"),
    [
        ("region with the lowest error count, 24h", "measure_asc"),
        ("lowest p95 by endpoint", "measure_asc"),
        ("service with the highest error count today", "measure_desc"),
    ],
)
def test_lowest_or_highest_before_a_count_or_a_percentile_is_an_order_not_a_min_duration(
    question: str, order: str
) -> None:
    result = planned(question)
    assert result.plan is not None
    assert not any(m.kind in ("min", "max") for m in result.plan.measures)
    assert result.plan.order == order


def test_a_minimum_of_a_duration_is_still_one() -> None:
    assert [m.kind for m in plan_of("the lowest latency of payment-api today").measures] == ["min"]


@pytest.mark.parametrize(
    "question", ["sessions that got to the confirm page — how many?", "users who hit a 5xx today, how many?"]
)
def test_the_noun_first_and_how_many_last_counts_the_distinct_ones(question: str) -> None:
    [measure] = plan_of(question).measures
    assert measure.kind == "count_distinct"
    assert plan_of(question).group_by is None


def test_who_has_the_most_logs_could_be_a_service_or_a_user() -> None:
    assert not planned("who has the most FATAL logs in the last 7d").confident
    assert plan_of("who failed to log in >10 times?").group_by.attribute.column == "user_id"  # type: ignore[union-attr]


def test_a_version_said_short_is_the_one_version_that_starts_so() -> None:
    plan = plan_of("mean latency by payment-api version (2.9 vs 2.10)")
    versions = next(
        c for c in plan.conditions if isinstance(c, Condition) and c.attribute.column == "service_version"
    )
    assert versions.values == ["v2.9.0", "v2.10.0"]


@pytest.mark.parametrize(
    "question",
    [
        "How many requests has 198.51.100.23 made since midnight UTC yesterday?",
        "requests by 198.51.100.23, yesterday + today so far",
        "어제 자정부터 에러 몇 건",
    ],
)
def test_since_the_start_of_yesterday_is_one_window_not_a_comparison(question: str) -> None:
    plan = plan_of(question)
    assert plan.window is not None
    assert plan.window.kind == "since_yesterday"
    assert plan.compared_window is None


@pytest.mark.parametrize(
    ("question", "prefix"),
    [("errors on /checkout pages today", "/checkout"), ("users with an error on any /checkout path", "/checkout")],
)
def test_every_path_under_one_said_as_any_or_plural(question: str, prefix: str) -> None:
    plan = plan_of(question)
    assert Condition(attribute=Attribute(column="path"), op="starts_with", values=[prefix]) in plan.conditions


def test_the_page_itself_is_not_every_path_under_it() -> None:
    plan = plan_of("errors on the /checkout page today")
    assert Condition(attribute=Attribute(column="path"), op="=", values=["/checkout"]) in plan.conditions


def test_a_service_part_that_is_also_an_endpoint_is_left_to_a_model() -> None:
    assert not planned("count prod POST orders 5xx past 7 days pls").confident
    assert planned("order service errors today").confident


def test_old_vs_new_versions_are_not_values_new_in_a_window() -> None:
    plan = plan_of("new vs old version of payment-api, errors last 6h")
    assert plan.absent_where == []
    assert plan.group_by is not None


@pytest.mark.parametrize(
    "question",
    [
        "gateway 502+503 count, last 72h",
        "지난 3일간 gateway에서 502랑 503 응답 합쳐서 몇 건이에요?",
        "how many errors did payment-api and order-api log today combined",
    ],
)
def test_values_counted_together_are_one_number(question: str) -> None:
    plan = plan_of(question)
    assert plan.group_by is None
    assert any(isinstance(c, Condition) and c.op == "in" and len(c.values) == 2 for c in plan.conditions)


@pytest.mark.parametrize(
    "question",
    [
        "How many 502s and 503s did the gateway return over the past 3 days?",
        "how many errors did payment-api and order-api log today",
    ],
)
def test_values_counted_with_neither_together_nor_each_are_left_to_a_model(question: str) -> None:
    assert not planned(question).confident


def test_values_counted_each_are_one_row_each() -> None:
    assert plan_of("errors today, payment-api vs order-api").group_by is not None


@pytest.mark.parametrize(
    ("question", "order", "limit"),
    [
        ("rank services by errors today", "measure_desc", None),
        ("services ranked by error count today", "measure_desc", None),
        ("rank user_ids by AuthenticationFailure count over 24 hours, show 4", "measure_desc", 4),
        ("rank users by errors this week, show seven", "measure_desc", 7),
        ("rank services by number of log lines in the last 24h, lowest first, top three only", "measure_asc", 3),
        ("rank services by errors today, lowest first", "measure_asc", None),
    ],
)
def test_groups_ranked_in_the_order_and_number_asked(question: str, order: str, limit: int | None) -> None:
    plan = plan_of(question)
    assert plan.group_by is not None
    assert plan.order == order
    assert plan.limit == limit


def test_the_first_row_is_still_the_earliest() -> None:
    plan = plan_of("the first error today")
    assert plan.shape == "rows"
    assert plan.limit == 1


@pytest.mark.parametrize("question", ["errors for the full UTC day yesterday", "errors all of yesterday"])
def test_the_whole_of_yesterday_is_yesterday(question: str) -> None:
    window = plan_of(question).window
    assert window is not None
    assert window.kind == "yesterday"


def test_hosts_named_after_their_service_are_hosts_side_by_side() -> None:
    plan = plan_of("order-api-1 vs order-api-2 errs since monday")
    assert plan.group_by is not None
    assert plan.group_by.attribute is not None
    assert plan.group_by.attribute.metadata_key == "host"
    assert all(c.attribute.column != "service" for c in plan.conditions if isinstance(c, Condition))


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("errors, backend vs frontend, this week", {"BACKEND", "FRONTEND"}),
        (
            "backend vs worker vs frontend vs mobile — error counts this week",
            {"BACKEND", "WORKER", "FRONTEND", "MOBILE"},
        ),
    ],
)
def test_log_types_named_side_by_side_are_one_row_each(question: str, kinds: set[str]) -> None:
    plan = plan_of(question)
    assert plan.group_by is not None
    assert plan.group_by.attribute is not None
    assert plan.group_by.attribute.column == "log_type"
    [log_types] = [c for c in plan.conditions if isinstance(c, Condition) and c.attribute.column == "log_type"]
    assert set(log_types.values) == kinds
    assert all(c.attribute.metadata_key != "device" for c in plan.conditions if isinstance(c, Condition))


def test_mobile_beside_another_device_is_the_device() -> None:
    plan = plan_of("frontend errors, desktop vs mobile")
    assert plan.group_by is not None
    assert plan.group_by.attribute is not None
    assert plan.group_by.attribute.metadata_key == "device"


def test_the_span_just_before_a_last_n_window_is_its_comparison() -> None:
    plan = plan_of("payment-api errors last 3h vs 3-6h ago")
    assert plan.window is not None
    assert plan.compared_window is not None
    assert (plan.compared_window.shift_amount, plan.compared_window.shift_unit) == (3, "hour")


@pytest.mark.parametrize("question", ["errors last 3 hours vs 4-8 hours ago", "errors 3-6 hours ago"])
def test_hours_back_that_are_not_the_span_just_before_are_not_a_clock_range(question: str) -> None:
    assert not planned(question).confident


def test_entities_that_did_something_with_no_count_or_list_asked_are_left_to_a_model() -> None:
    assert not planned("sessions that hit the cart page, past 3 days").confident
    assert plan_of("list users who hit a 5xx today").shape == "distinct"


@pytest.mark.parametrize(
    ("question", "kind"),
    [
        ("count of logs from ip 198.51.100.23 from yesterday 00:00 UTC until now", "since_yesterday"),
        ("errs 3h: payment vs order api", "last"),
        ("errors from yesterday", "yesterday"),
    ],
)
def test_windows_said_with_a_clock_time_or_a_colon(question: str, kind: str) -> None:
    window = plan_of(question).window
    assert window is not None
    assert window.kind == kind
