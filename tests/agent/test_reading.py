"""The reading of a plan (agent/offline/reading.py): what it computes, in one line, in English and
Korean. Database-free: plans in, lines out."""

from __future__ import annotations

from typing import Any, get_args

import pytest

from loglens.agent.offline import reading
from loglens.agent.offline.parse import Planner
from loglens.agent.offline.plan import (
    CALENDAR_BUCKETS,
    ROW_COLUMNS,
    AnyOf,
    Attribute,
    Condition,
    Grouping,
    Having,
    Measure,
    QueryPlan,
    TimeWindow,
)
from loglens.agent.offline.reading import read_plan
from loglens.agent.schema import Schema

SERVICE = Attribute(column="service")
PATH = Attribute(column="path")
DURATION = Attribute(column="duration_ms")
USER = Attribute(column="user_id")
SESSION = Attribute(column="session_id")


def equals(attribute: Attribute, value: Any) -> Condition:
    return Condition(attribute=attribute, op="=", values=[value])


def present(attribute: Attribute) -> Condition:
    return Condition(attribute=attribute, op="is_not_null")


def last(amount: int, unit: str) -> TimeWindow:
    return TimeWindow(kind="last", amount=amount, unit=unit)


COUNT = Measure(kind="count", alias="errors")
P95 = Measure(kind="percentile", attribute=DURATION, fraction=0.95, alias="p95_ms")

# (plan, subject, English, Korean)
TABLE: list[tuple[QueryPlan, str, str, str]] = [
    # the example: a count per hour of one service's errors
    (
        QueryPlan(
            errors_only=True,
            conditions=[equals(SERVICE, "payment-api")],
            window=last(24, "hour"),
            measures=[COUNT],
            group_by=Grouping(bucket="hour", alias="hour"),
            order="group_asc",
        ),
        "errors",
        "Number of errors, service payment-api, last 24 h, per hour",
        "에러 수, 서비스 payment-api, 최근 24시간, 시간별",
    ),
    # one number, no window: said to be over all time
    (
        QueryPlan(measures=[Measure(kind="count", alias="logs")]),
        "logs",
        "Number of logs, all time",
        "로그 수, 전체 기간",
    ),
    # no measure at all: a count, as render_sql does
    (
        QueryPlan(errors_only=True, window=last(1, "hour")),
        "errors",
        "Number of errors, last hour",
        "에러 수, 최근 1시간",
    ),
    # errors_only said when the subject does not say it
    (
        QueryPlan(
            errors_only=True, measures=[Measure(kind="count", alias="requests")], window=TimeWindow(kind="today")
        ),
        "requests",
        "Number of requests, ERROR and FATAL only, today",
        "요청 수, ERROR·FATAL만, 오늘",
    ),
    # the most: ranked, one group
    (
        QueryPlan(
            errors_only=True,
            measures=[COUNT],
            group_by=Grouping(attribute=SERVICE, alias="service"),
            window=TimeWindow(kind="today"),
            limit=1,
        ),
        "errors",
        "Number of errors, today, per service, most first, the top one",
        "에러 수, 오늘, 서비스별, 많은 순, 1위만",
    ),
    # top N, fewest first
    (
        QueryPlan(
            measures=[COUNT],
            errors_only=True,
            group_by=Grouping(attribute=PATH, alias="path"),
            conditions=[present(PATH)],
            order="measure_asc",
            limit=5,
            window=TimeWindow(kind="yesterday"),
        ),
        "errors",
        "Number of errors, yesterday, per endpoint, fewest first, top 5",
        "에러 수, 어제, 엔드포인트별, 적은 순, 상위 5개",
    ),
    # by the group's own order
    (
        QueryPlan(measures=[COUNT], group_by=Grouping(attribute=SERVICE, alias="service"), order="group_asc"),
        "logs",
        "Number of logs, all time, per service, by service",
        "로그 수, 전체 기간, 서비스별, 서비스 순",
    ),
    # no order at all
    (
        QueryPlan(measures=[COUNT], group_by=Grouping(attribute=SERVICE, alias="service"), order="none"),
        "logs",
        "Number of logs, all time, per service",
        "로그 수, 전체 기간, 서비스별",
    ),
    # a percentile per endpoint: the presence conditions it needs are not said
    (
        QueryPlan(
            measures=[P95],
            conditions=[present(DURATION), present(PATH)],
            group_by=Grouping(attribute=PATH, alias="path"),
            window=last(24, "hour"),
        ),
        "duration",
        "p95 duration (ms), last 24 h, per endpoint, highest first",
        "p95 응답 시간 (ms), 최근 24시간, 엔드포인트별, 높은 순",
    ),
    # several measures of errors
    (
        QueryPlan(
            errors_only=True,
            measures=[
                Measure(kind="avg", attribute=DURATION, alias="avg_ms"),
                Measure(kind="max", attribute=DURATION, alias="max_ms"),
                Measure(kind="min", attribute=DURATION, alias="min_ms"),
            ],
            window=last(7, "day"),
        ),
        "errors",
        "Average duration (ms) and maximum duration (ms) and minimum duration (ms) of errors, last 7 days",
        "에러 평균 응답 시간 (ms) 및 최대 응답 시간 (ms) 및 최소 응답 시간 (ms), 최근 7일",
    ),
    # a sum of a numeric metadata key over 5-minute buckets
    (
        QueryPlan(
            measures=[Measure(kind="sum", attribute=Attribute(metadata_key="bytes", numeric=True), alias="bytes")],
            group_by=Grouping(bucket="5 minutes", alias="bucket"),
            order="group_asc",
            window=last(2, "hour"),
        ),
        "logs",
        "Total bytes, last 2 h, per 5 minutes",
        "bytes 합계, 최근 2시간, 5분 단위",
    ),
    # the error rate per service, this week
    (
        QueryPlan(
            measures=[Measure(kind="error_rate", alias="error_rate_pct")],
            group_by=Grouping(attribute=SERVICE, alias="service"),
            window=TimeWindow(kind="this_week"),
        ),
        "error rate",
        "Error rate (% ERROR or FATAL), this week, per service, highest first",
        "에러율(ERROR·FATAL %), 이번 주, 서비스별, 높은 순",
    ),
    # the share of one level, last week
    (
        QueryPlan(
            measures=[Measure(kind="level_share", level="DEBUG", alias="debug_pct")],
            window=TimeWindow(kind="last_week"),
        ),
        "DEBUG share",
        "Share of DEBUG logs (%), last week",
        "DEBUG 로그 비율(%), 지난주",
    ),
    # message length, per day since yesterday
    (
        QueryPlan(
            measures=[Measure(kind="avg_length", alias="avg_message_length")],
            group_by=Grouping(bucket="day", alias="day"),
            order="group_asc",
            window=TimeWindow(kind="since_yesterday"),
        ),
        "message length",
        "Average message length, since yesterday, per day",
        "평균 메시지 길이, 어제부터, 일별",
    ),
    # first and last seen of an error type
    (
        QueryPlan(
            measures=[
                Measure(kind="first_seen", alias="first_seen"),
                Measure(kind="last_seen", alias="last_seen"),
            ],
            conditions=[equals(Attribute(column="error_type"), "DatabaseConnectionTimeout")],
        ),
        "logs",
        "First seen and last seen, error type DatabaseConnectionTimeout, all time",
        "처음 발생 시각 및 마지막 발생 시각, 에러 유형 DatabaseConnectionTimeout, 전체 기간",
    ),
    # last seen per service, of errors
    (
        QueryPlan(
            errors_only=True,
            measures=[Measure(kind="last_seen", alias="last_seen")],
            group_by=Grouping(attribute=SERVICE, alias="service"),
            order="measure_desc",
        ),
        "errors",
        "Last seen of errors, all time, per service, highest first",
        "에러 마지막 발생 시각, 전체 기간, 서비스별, 높은 순",
    ),
    # distinct users (count), a weekly series over the last 4 weeks
    (
        QueryPlan(
            measures=[Measure(kind="count_distinct", attribute=USER, alias="users")],
            conditions=[present(USER)],
            group_by=Grouping(bucket="week", alias="week"),
            order="group_asc",
            window=last(4, "week"),
        ),
        "users",
        "Number of distinct users, last 4 weeks, per week",
        "고유 사용자 수, 최근 4주, 주별",
    ),
    # distinct users among errors, per minute over 15 minutes
    (
        QueryPlan(
            errors_only=True,
            measures=[Measure(kind="count_distinct", attribute=USER, alias="users")],
            conditions=[present(USER)],
            group_by=Grouping(bucket="minute", alias="minute"),
            order="group_asc",
            window=last(15, "minute"),
        ),
        "users",
        "Number of distinct users, ERROR and FATAL only, last 15 min, per minute",
        "고유 사용자 수, ERROR·FATAL만, 최근 15분, 분별",
    ),
    # a count over 15-minute buckets, a week ago's hour
    (
        QueryPlan(measures=[COUNT], group_by=Grouping(bucket="15 minutes", alias="bucket"), window=last(1, "day")),
        "logs",
        "Number of logs, last day, per 15 minutes, most first",
        "로그 수, 최근 1일, 15분 단위, 많은 순",
    ),
    # rows: the newest FATAL logs (the level is the subject)
    (
        QueryPlan(shape="rows", conditions=[equals(Attribute(column="level"), "FATAL")], order="newest", limit=10),
        "fatal logs",
        "FATAL logs, all time, newest first, up to 10",
        "FATAL 로그, 전체 기간, 최신순, 최대 10건",
    ),
    # rows of another level: the level is said
    (
        QueryPlan(shape="rows", conditions=[equals(Attribute(column="level"), "DEBUG")], limit=100),
        "logs",
        "Logs, level DEBUG, all time, newest first, up to 100",
        "로그, 레벨 DEBUG, 전체 기간, 최신순, 최대 100건",
    ),
    # rows: the slowest requests, with the columns they show
    (
        QueryPlan(
            shape="rows",
            order="slowest",
            limit=10,
            conditions=[present(DURATION)],
            columns=["created_at", "service", "method", "path", "duration_ms", "level", "message"],
            window=last(1, "hour"),
        ),
        "requests",
        "Requests, with duration, last hour, slowest first, up to 10, "
        "columns: created_at, service, method, path, duration_ms, level, message",
        "요청, 응답 시간 있음, 최근 1시간, 느린 순, 최대 10건, "
        "열: created_at, service, method, path, duration_ms, level, message",
    ),
    # rows of one trace, with the stack trace too
    (
        QueryPlan(
            shape="rows",
            conditions=[equals(Attribute(column="trace_id"), "4bf92f3577b34da6a3ce929d0e0e4736")],
            columns=[*ROW_COLUMNS, "stack_trace"],
            limit=100,
        ),
        "logs",
        "Logs, trace 4bf92f3577b34da6a3ce929d0e0e4736, all time, newest first, up to 100, with stack_trace",
        "로그, 트레이스 4bf92f3577b34da6a3ce929d0e0e4736, 전체 기간, 최신순, 최대 100건, stack_trace 포함",
    ),
    # rows without a limit, and a rows order render_sql reads as newest
    (
        QueryPlan(shape="rows", conditions=[equals(USER, "user_0003")], order="none"),
        "logs",
        "Logs, user user_0003, all time, newest first",
        "로그, 사용자 user_0003, 전체 기간, 최신순",
    ),
    # SQL injection: a pattern in the path or the message (AnyOf, contains_any), more than 3 patterns
    (
        QueryPlan(
            shape="rows",
            conditions=[
                AnyOf(
                    conditions=[
                        Condition(attribute=PATH, op="contains_any", values=["' or", "union select", "--", ";"]),
                        Condition(attribute=Attribute(column="message"), op="contains_any", values=["' or"]),
                    ]
                )
            ],
            columns=["created_at", "service", "path", "message", "level", "user_id"],
        ),
        "logs",
        "Logs, endpoint containing “' or”, “union select”, “--” or 1 more or message containing “' or”, "
        "all time, newest first, columns: created_at, service, path, message, level, user_id",
        "로그, 엔드포인트에 “' or”, “union select”, “--” 외 1개 포함 또는 메시지에 “' or” 포함, "
        "전체 기간, 최신순, 열: created_at, service, path, message, level, user_id",
    ),
    # contains, and contains_any of two
    (
        QueryPlan(
            conditions=[
                Condition(attribute=Attribute(column="message"), op="contains", values=["timeout"]),
                Condition(
                    attribute=Attribute(column="message"),
                    op="contains_any",
                    values=["login failed", "authentication failed"],
                ),
            ],
            measures=[Measure(kind="count", alias="failures")],
        ),
        "failures",
        "Number of failures, message containing “timeout”, message containing “login failed” or "
        "“authentication failed”, all time",
        "실패 수, 메시지에 “timeout” 포함, 메시지에 “login failed” 또는 “authentication failed” 포함, 전체 기간",
    ),
    # in: two services compared
    (
        QueryPlan(
            errors_only=True,
            conditions=[Condition(attribute=SERVICE, op="in", values=["payment-api", "order-api"])],
            measures=[COUNT],
            group_by=Grouping(attribute=SERVICE, alias="service"),
            order="group_asc",
        ),
        "errors",
        "Number of errors, service payment-api or order-api, all time, per service, by service",
        "에러 수, 서비스 payment-api 또는 order-api, 전체 기간, 서비스별, 서비스 순",
    ),
    # thresholds on the duration and on a numeric metadata key; != and <=
    (
        QueryPlan(
            conditions=[
                Condition(attribute=DURATION, op=">", values=[1000]),
                Condition(attribute=DURATION, op="<=", values=[5000.5]),
                Condition(attribute=Attribute(metadata_key="http_status", numeric=True), op=">=", values=[500]),
                Condition(attribute=Attribute(metadata_key="http_status", numeric=True), op="<", values=[600]),
                Condition(attribute=Attribute(column="environment"), op="!=", values=["staging"]),
            ],
            measures=[Measure(kind="count", alias="requests")],
            window=last(30, "minute"),
        ),
        "requests",
        "Number of requests, duration over 1,000 ms, duration at most 5,000.5 ms, http_status at least 500, "
        "http_status under 600, environment not staging, last 30 min",
        "요청 수, 응답 시간 1,000 ms 초과, 응답 시간 5,000.5 ms 이하, http_status 500 이상, http_status 600 미만, "
        "환경 staging 제외, 최근 30분",
    ),
    # is_null: logs with no trace id
    (
        QueryPlan(conditions=[Condition(attribute=Attribute(column="trace_id"), op="is_null")], measures=[]),
        "logs",
        "Number of logs, without trace, all time",
        "로그 수, 트레이스 없음, 전체 기간",
    ),
    # a presence the plan does not need for anything else is said
    (
        QueryPlan(conditions=[present(Attribute(metadata_key="region"))], measures=[COUNT]),
        "logs",
        "Number of logs, with region, all time",
        "로그 수, region 있음, 전체 기간",
    ),
    # HAVING on an aggregate: services with more than 5 errors
    (
        QueryPlan(
            errors_only=True,
            measures=[COUNT],
            group_by=Grouping(attribute=SERVICE, alias="service"),
            having=Having(measure=Measure(kind="count"), op=">", value=5),
        ),
        "errors",
        "Number of errors, all time, per service, only groups with more than 5 errors, most first",
        "에러 수, 전체 기간, 서비스별, 에러 수 5 초과인 그룹만, 많은 순",
    ),
    # HAVING on another measure
    (
        QueryPlan(
            measures=[Measure(kind="avg", attribute=DURATION, alias="avg_ms")],
            conditions=[present(DURATION)],
            group_by=Grouping(attribute=PATH, alias="path"),
            having=Having(measure=Measure(kind="avg", attribute=DURATION), op=">=", value=250.5),
        ),
        "duration",
        "Average duration (ms), all time, per endpoint, only groups with average duration (ms) at least 250.5, "
        "highest first",
        "평균 응답 시간 (ms), 전체 기간, 엔드포인트별, 평균 응답 시간 (ms) 250.5 이상인 그룹만, 높은 순",
    ),
    # a HAVING without groups has no effect in the SQL, and is not said
    (
        QueryPlan(measures=[COUNT], having=Having(measure=Measure(kind="count"), op="<", value=3)),
        "logs",
        "Number of logs, all time",
        "로그 수, 전체 기간",
    ),
    # count_groups: users with more than one session
    (
        QueryPlan(
            shape="count_groups",
            group_by=Grouping(attribute=USER, alias="user_id"),
            conditions=[present(SESSION), present(USER)],
            having=Having(
                measure=Measure(kind="count_distinct", attribute=SESSION, alias="sessions"), op=">", value=1
            ),
            measures=[Measure(kind="count", alias="users")],
        ),
        "users",
        "Number of users with more than 1 distinct sessions, all time",
        "고유 세션 수 1 초과인 사용자 수, 전체 기간",
    ),
    # count_groups on a count: services with at most 2 errors today
    (
        QueryPlan(
            shape="count_groups",
            errors_only=True,
            group_by=Grouping(attribute=SERVICE, alias="service"),
            having=Having(measure=Measure(kind="count"), op="<=", value=2),
            window=TimeWindow(kind="today"),
        ),
        "errors",
        "Number of services with at most 2 errors, today",
        "에러 수 2 이하인 서비스 수, 오늘",
    ),
    # distinct values: the users who hit errors today (the limit is not in the SQL, nor said)
    (
        QueryPlan(
            shape="distinct",
            errors_only=True,
            group_by=Grouping(attribute=USER, alias="user_id"),
            window=TimeWindow(kind="today"),
            limit=10,
        ),
        "errors",
        "Distinct users, ERROR and FATAL only, today",
        "사용자 목록(중복 제외), ERROR·FATAL만, 오늘",
    ),
    # two windows side by side: today against yesterday up to this time
    (
        QueryPlan(
            errors_only=True,
            measures=[COUNT],
            window=TimeWindow(kind="today"),
            compared_window=TimeWindow(kind="today", shift_amount=1, shift_unit="day"),
        ),
        "errors",
        "Number of errors, today, vs yesterday up to this time, and the change in %",
        "에러 수, 오늘, 비교: 어제 같은 시각까지, 변화율(%) 포함",
    ),
    # the last 24 h against the 24 h before, per service
    (
        QueryPlan(
            errors_only=True,
            measures=[COUNT],
            window=last(24, "hour"),
            compared_window=TimeWindow(kind="last", amount=24, unit="hour", shift_amount=1, shift_unit="day"),
            group_by=Grouping(attribute=SERVICE, alias="service"),
        ),
        "errors",
        "Number of errors, last 24 h, vs the 24 h before, and the change in %, per service, most first",
        "에러 수, 최근 24시간, 비교: 그 전 24시간, 변화율(%) 포함, 서비스별, 많은 순",
    ),
    # the last hour against the same hour yesterday
    (
        QueryPlan(
            measures=[COUNT],
            window=last(1, "hour"),
            compared_window=TimeWindow(kind="last", amount=1, unit="hour", shift_amount=1, shift_unit="day"),
        ),
        "logs",
        "Number of logs, last hour, vs last hour, 1 day earlier, and the change in %",
        "로그 수, 최근 1시간, 비교: 1일 전의 최근 1시간, 변화율(%) 포함",
    ),
    # the share of a condition (a measure's part), and each group's share of the total
    (
        QueryPlan(
            measures=[
                Measure(kind="share", part=Condition(attribute=DURATION, op=">", values=[1000]), alias="slow_pct")
            ],
            conditions=[equals(SERVICE, "payment-api")],
        ),
        "requests",
        "% of requests with duration over 1,000 ms, service payment-api, all time",
        "요청 중 응답 시간 1,000 ms 초과 비율(%), 서비스 payment-api, 전체 기간",
    ),
    (
        QueryPlan(
            errors_only=True,
            measures=[Measure(kind="share_of_total", alias="share_pct")],
            group_by=Grouping(attribute=SERVICE, alias="service"),
        ),
        "errors",
        "Share of all errors (%), all time, per service, highest first",
        "전체 에러 중 비율(%), 전체 기간, 서비스별, 높은 순",
    ),
    # values new in a window, and values never seen where other conditions hold
    (
        QueryPlan(
            shape="distinct",
            errors_only=True,
            group_by=Grouping(attribute=Attribute(column="error_type"), alias="error_type"),
            window=TimeWindow(kind="today"),
            new_in_window=True,
        ),
        "errors",
        "Distinct error types, ERROR and FATAL only, today, never seen before that window",
        "에러 유형 목록(중복 제외), ERROR·FATAL만, 오늘, 그 전에는 없던 것만",
    ),
    (
        QueryPlan(
            shape="distinct",
            group_by=Grouping(attribute=Attribute(column="error_type"), alias="error_type"),
            conditions=[equals(Attribute(column="environment"), "production")],
            absent_where=[equals(Attribute(column="environment"), "staging")],
        ),
        "logs",
        "Distinct error types, environment production, all time, never with environment staging",
        "에러 유형 목록(중복 제외), 환경 production, 전체 기간, 환경 staging에는 없는 것만",
    ),
    (
        QueryPlan(
            shape="distinct", group_by=Grouping(attribute=SERVICE, alias="service"), absent_errors_only=True
        ),
        "logs",
        "Distinct services, all time, never with errors",
        "서비스 목록(중복 제외), 전체 기간, 에러에는 없는 것만",
    ),
    # rows in the order they happened
    (
        QueryPlan(shape="rows", order="oldest", conditions=[equals(Attribute(column="trace_id"), "abc")]),
        "logs",
        "Logs, trace abc, all time, in the order they happened",
        "로그, 트레이스 abc, 전체 기간, 발생 순",
    ),
    # big numbers are grouped
    (
        QueryPlan(measures=[COUNT], window=last(1500, "minute")),
        "logs",
        "Number of logs, last 1,500 min",
        "로그 수, 최근 1,500분",
    ),
]


@pytest.mark.parametrize(("plan", "subject", "english", "korean"), TABLE, ids=[row[2][:60] for row in TABLE])
def test_a_plan_reads_as_what_it_computes(plan: QueryPlan, subject: str, english: str, korean: str) -> None:
    assert read_plan(plan, "en", subject) == english
    assert read_plan(plan, "ko", subject) == korean


def test_every_field_of_the_plan_has_a_clause() -> None:
    """A field added to QueryPlan fails here until the reading says something of it."""
    assert set(reading.CLAUSES) == set(QueryPlan.model_fields)


@pytest.mark.parametrize(
    ("values", "words"),
    [
        (get_args(QueryPlan.model_fields["shape"].annotation), reading.SHAPE_WORDS),
        (get_args(QueryPlan.model_fields["order"].annotation), reading.ORDER_WORDS),
        (get_args(Measure.model_fields["kind"].annotation), reading.MEASURE_WORDS),
        (get_args(Condition.model_fields["op"].annotation), reading.CONDITION_WORDS),
        (get_args(Having.model_fields["op"].annotation), reading.HAVING_WORDS),
        (get_args(TimeWindow.model_fields["unit"].annotation), reading.UNIT_WORDS),
        (
            tuple(k for k in get_args(TimeWindow.model_fields["kind"].annotation) if k != "last"),
            reading.WINDOW_WORDS,
        ),
        (CALENDAR_BUCKETS, {k: v for k, v in reading.BUCKET_WORDS.items() if " " not in k}),
    ],
    ids=["shape", "order", "measure", "condition", "having", "unit", "window", "bucket"],
)
def test_every_kind_a_plan_can_name_has_words(values: tuple[str, ...], words: dict[str, Any]) -> None:
    assert values
    assert set(values) == set(words)


def test_every_column_has_words() -> None:
    columns = get_args(Attribute.model_fields["column"].annotation)
    assert set(get_args(columns[0])) == set(reading.COLUMN_WORDS)


@pytest.mark.parametrize(
    ("bucket", "english", "korean"),
    [("2 hours", "per 2 hours", "2시간 단위"), ("10 minutes", "per 10 minutes", "10분 단위")],
)
def test_a_bucket_of_any_size_reads(bucket: str, english: str, korean: str) -> None:
    plan = QueryPlan(measures=[COUNT], group_by=Grouping(bucket=bucket, alias="bucket"))
    assert english in read_plan(plan, "en")
    assert korean in read_plan(plan, "ko")


def test_words_it_does_not_know_yet_are_said_by_their_name() -> None:
    """A bucket (or a kind) newer than the words here still reads, rather than vanishing."""
    newer: Any = "30 minutes"
    plan = QueryPlan(measures=[COUNT], group_by=Grouping.model_construct(bucket=newer, alias="bucket"))
    assert read_plan(plan, "en") == "Number of logs, all time, per 30 minutes, most first"
    assert read_plan(plan, "ko") == "로그 수, 전체 기간, 30분 단위, 많은 순"


# --- the planner's plans read ------------------------------------------------------------------

SCHEMA = Schema(
    table="logs",
    columns=[],
    conventions=[],
    values={
        "service": [{"value": "payment-api", "count": 10}, {"value": "order-api", "count": 5}],
        "error_type": [{"value": "DatabaseConnectionTimeout", "count": 3}],
    },
)


@pytest.mark.parametrize(
    ("question", "parts"),
    [
        ("How many errors did payment-api log in the last 24 hours?", ["errors", "payment-api", "last 24 h"]),
        ("payment-api 최근 24시간 에러 몇 건이야?", ["에러", "payment-api", "최근 24시간"]),
        ("Which service had the most errors today?", ["errors", "today", "per service"]),
        ("오늘 서비스별 에러 수", ["에러 수", "오늘", "서비스별"]),
    ],
)
def test_the_planners_plans_read_in_the_questions_language(question: str, parts: list[str]) -> None:
    planned = Planner(SCHEMA).plan(question)
    assert planned.plan is not None, planned.reason
    line = read_plan(planned.plan, planned.language, planned.subject)
    assert all(part in line for part in parts), line
    assert "\n" not in line
