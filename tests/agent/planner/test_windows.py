"""When (agent/offline/planner/windows.py): the window a question asks about, a second window to
compare it with, and the bucket of a series. Database-free: questions in, plan fields out.

Windows are compared by what they cover: "the last day" and "the last 24 hours" are one window."""

from __future__ import annotations

import pytest

from loglens.agent.offline.plan import TimeWindow

from .demo_schema import covered, plan_of


def last(amount: int, unit: str) -> TimeWindow:
    return TimeWindow(kind="last", amount=amount, unit=unit)


def calendar(kind: str) -> TimeWindow:
    return TimeWindow(kind=kind)


def earlier(window: TimeWindow, amount: int, unit: str) -> TimeWindow:
    return window.model_copy(update={"shift_amount": amount, "shift_unit": unit})


WINDOWS = [
    ("errs in the last 1h?", last(1, "hour")),
    ("how many errors in the past 5 mins", last(5, "minute")),
    ("errors in the last half hour", last(30, "minute")),
    ("errors past 2 days", last(2, "day")),
    ("48h error count", last(48, "hour")),
    ("erors in the last hr", last(1, "hour")),
    ("errors last 24 hrs", last(24, "hour")),
    ("error count for the last 90 minutes", last(90, "minute")),
    ("지난 30분간 에러 몇 건", last(30, "minute")),
    ("최근 2시간 에러 몇 건", last(2, "hour")),
    ("하루 동안 에러 몇 건", last(1, "day")),
    ("어제부터 에러 수", calendar("since_yesterday")),
    ("how many errors in the last 24h?", last(24, "hour")),
    ("errors last 24 hours", last(24, "hour")),
    ("errs past day", last(1, "day")),
    ("how many errors in the last 30 min", last(30, "minute")),
    ("count of warnings in the past 15 minutes", last(15, "minute")),
    ("errors over the last 2 hours", last(2, "hour")),
    ("error count last hour pls", last(1, "hour")),
    ("number of logs in the past week", last(7, "day")),
    ("errors in the last 3 days", last(3, "day")),
    ("how many errors today?", calendar("today")),
    ("errors yesterday", calendar("yesterday")),
    ("how many errors this week", calendar("this_week")),
    ("errors since yesterday", calendar("since_yesterday")),
    ("최근 1시간 에러 몇 건?", last(1, "hour")),
    ("지난 한 시간 동안 에러 몇 개야", last(1, "hour")),
    ("최근 30분 에러 수", last(30, "minute")),
    ("최근 24시간 동안 에러 개수", last(24, "hour")),
    ("오늘 에러 몇 건이야?", calendar("today")),
    ("어제 에러 몇 개였어?", calendar("yesterday")),
    ("일주일치 에러 수", last(7, "day")),
    ("최근 7일 에러 몇 건", last(7, "day")),
    ("이번 주 에러 수", calendar("this_week")),
    ("최근 하루 에러 개수", last(1, "day")),
]


@pytest.mark.parametrize(("question", "window"), WINDOWS, ids=[q for q, _ in WINDOWS])
def test_the_window_is_what_the_question_says(question: str, window: TimeWindow) -> None:
    plan = plan_of(question)
    assert covered(plan.window) == covered(window)
    assert plan.compared_window is None


NO_WINDOW = [
    "how many errors are there?",
    "error count per service",
    "에러 몇 건이야?",
]


@pytest.mark.parametrize("question", NO_WINDOW)
def test_no_window_said_means_all_time(question: str) -> None:
    assert plan_of(question).window is None


COMPARISONS = [
    ("errors last hour vs previous hour", last(1, "hour"), earlier(last(1, "hour"), 1, "hour")),
    ("today's errors vs yesterday's", calendar("today"), calendar("yesterday")),
    ("어제 대비 오늘 에러 수", calendar("today"), calendar("yesterday")),
    ("errors in the last 7 days vs the 7 days before", last(7, "day"), earlier(last(7, "day"), 7, "day")),
    ("최근 1시간 에러를 어제 같은 시간대랑 비교", last(1, "hour"), earlier(last(1, "hour"), 1, "day")),
    ("errors today vs yesterday", calendar("today"), calendar("yesterday")),
    ("how many errors today compared to yesterday?", calendar("today"), calendar("yesterday")),
    ("errors in the last hour vs the hour before", last(1, "hour"), earlier(last(1, "hour"), 1, "hour")),
    (
        "error count last 24h vs the previous 24h",
        last(24, "hour"),
        earlier(last(24, "hour"), 24, "hour"),
    ),
    (
        "errors in the last hour vs the same hour yesterday",
        last(1, "hour"),
        earlier(last(1, "hour"), 1, "day"),
    ),
    (
        "최근 24시간 에러를 그 이전 24시간과 비교",
        last(24, "hour"),
        earlier(last(24, "hour"), 24, "hour"),
    ),
    ("오늘 에러 어제랑 비교해줘", calendar("today"), calendar("yesterday")),
]


@pytest.mark.parametrize(("question", "window", "compared"), COMPARISONS, ids=[q for q, _, _ in COMPARISONS])
def test_a_comparison_sets_an_earlier_window_beside_the_first(
    question: str, window: TimeWindow, compared: TimeWindow
) -> None:
    plan = plan_of(question)
    assert covered(plan.window) == covered(window)
    assert covered(plan.compared_window) == covered(compared)


BUCKETS = [
    ("error trend per hour today", "hour"),
    ("errors per 30 minutes yesterday", "30 minutes"),
    ("최근 2시간 10분 단위 에러 수", "10 minutes"),
    ("이번 주 일별 에러 추이", "day"),
    ("errors per 5 minutes in the last hour", "5 minutes"),
    ("error count in 15-min buckets, last 6h", "15 minutes"),
    ("errors per 10 min today", "10 minutes"),
    ("hourly errors today", "hour"),
    ("errors per hour over the last 24 hours", "hour"),
    ("daily error count this week", "day"),
    ("errors by day, last 7 days", "day"),
    ("errors per minute in the last 30 minutes", "minute"),
    ("errors every 2 hours yesterday", "2 hours"),
    ("최근 1시간 에러 30분 단위로", "30 minutes"),
    ("오늘 시간별 에러 수", "hour"),
    ("최근 7일 일별 에러 건수", "day"),
    ("최근 1시간 5분 단위 에러 추이", "5 minutes"),
]


@pytest.mark.parametrize(("question", "bucket"), BUCKETS, ids=[q for q, _ in BUCKETS])
def test_a_series_is_bucketed_as_asked_in_time_order(question: str, bucket: str) -> None:
    plan = plan_of(question)
    assert plan.group_by is not None
    assert plan.group_by.bucket == bucket
    assert plan.order == "group_asc"


def clock(from_hour: int, to_hour: int | None = None, days_ago: int = 0) -> TimeWindow:
    return TimeWindow(kind="clock", from_hour=from_hour, to_hour=to_hour, days_ago=days_ago)


CLOCKS = [
    ("errors since 9am", clock(9)),
    ("how many errors since 9 am today", clock(9)),
    ("warnings after 2pm", clock(14)),
    ("errors between 2 and 3 pm yesterday", clock(14, 15, days_ago=1)),
    ("errors from 10 to 11 am", clock(10, 11)),
    ("오늘 아침 9시 이후 에러 몇 건", clock(9)),
    ("오후 3시부터 에러 수", clock(15)),
    ("어제 오후 2시에서 3시 사이 에러 몇 건", clock(14, 15, days_ago=1)),
]


@pytest.mark.parametrize(("question", "window"), CLOCKS, ids=[q for q, _ in CLOCKS])
def test_a_clock_time_anchors_the_window_to_an_hour_of_the_day(question: str, window: TimeWindow) -> None:
    plan = plan_of(question)
    assert plan.window is not None
    assert plan.window.model_dump(exclude={"zone"}) == window.model_dump(exclude={"zone"})


def test_a_clock_window_is_rendered_from_midnight_in_the_zone() -> None:
    from loglens.agent.offline.plan import QueryPlan, render_sql

    sql = render_sql(QueryPlan(window=clock(14, 15, days_ago=1).model_copy(update={"zone": "Asia/Seoul"})))
    start = "date_trunc('day', now(), 'Asia/Seoul') - interval '1 day'"
    assert f"created_at >= {start} + interval '14 hours'" in sql
    assert f"created_at < {start} + interval '15 hours'" in sql


@pytest.mark.parametrize(
    ("question", "days_ago", "hours"),
    [
        ("그저께 새벽 2시부터 4시 사이 에러 몇 건이었어?", 2, (2, 4)),
        ("그제 02:00~04:00 (UTC) 에러 로그 건수 알려주세요", 2, (2, 4)),
        ("errors the day before yesterday", 2, (0, 24)),
        ("errors yesterday 14-15h?", 1, (14, 15)),
        ("Step 2 — count errors between 10 pm and midnight yesterday (UTC)", 1, (22, 24)),
        ("어젯밤 10시부터 자정까지 에러 몇 건 있었어?", 1, (22, 24)),
        ("어젯밤 열 시부터 열두 시 사이에 에러 몇 개 찍혔는지 알려주셈", 1, (22, 24)),
    ],
)
def test_hours_of_a_day_some_days_back(question: str, days_ago: int, hours: tuple[int, int]) -> None:
    window = plan_of(question).window
    assert window is not None
    assert (window.kind, window.days_ago, (window.from_hour, window.to_hour)) == ("clock", days_ago, hours)


@pytest.mark.parametrize(
    "question",
    [
        "err count this hour vs previous hour",
        "Compare the past hour's errors with the same 1-hour window 24 hours ago",
        "최근 1시간 에러를 어제 이맘때 1시간이랑 비교해줘",
        "어제 이맘때 대비 최근 1시간 에러 얼마나 늘었는지 숫자로 좀",
    ],
)
def test_the_last_hour_beside_an_earlier_hour(question: str) -> None:
    plan = plan_of(question)
    assert covered(plan.window) == ("last", 60, 0)
    assert plan.compared_window is not None
