"""Values listed less others (agent/offline/planner/sets.py): new in a window, in one place and
never in another, without errors. Database-free: questions in, plan fields out."""

from __future__ import annotations

import pytest

from loglens.agent.offline.plan import Attribute, Condition, QueryPlan, TimeWindow, render_sql

from .demo_schema import covered, plan_of


def listed(plan: QueryPlan) -> str | None:
    """What a distinct listing lists."""
    assert plan.shape == "distinct"
    assert plan.group_by is not None
    assert plan.group_by.attribute is not None
    return plan.group_by.attribute.name


def environment(name: str) -> Condition:
    return Condition(attribute=Attribute(column="environment"), op="=", values=[name])


TODAY = TimeWindow(kind="today")
LAST_HOUR = TimeWindow(kind="last", amount=1, unit="hour")
LAST_DAY = TimeWindow(kind="last", amount=24, unit="hour")

NEW: list[tuple[str, TimeWindow]] = [
    ("error types new today", TODAY),
    ("which error types are new today?", TODAY),
    ("new error types in the last hour", LAST_HOUR),
    ("any new exceptions in the last 24h?", LAST_DAY),
    ("오늘 새로 생긴 에러 유형", TODAY),
    ("최근 1시간 동안 처음 나온 에러 타입", LAST_HOUR),
    ("오늘 처음 보는 에러 종류 있어?", TODAY),
]


@pytest.mark.parametrize(("question", "window"), NEW, ids=[q for q, _ in NEW])
def test_values_new_in_a_window_were_never_seen_before_it(question: str, window: TimeWindow) -> None:
    plan = plan_of(question)
    assert listed(plan) == "error_type"
    assert plan.new_in_window
    assert plan.errors_only
    assert covered(plan.window) == covered(window)


ABSENT: list[tuple[str, str, str]] = [
    ("error types in production but not staging", "production", "staging"),
    ("error types seen in prod and never in staging", "production", "staging"),
    ("which error types show up in staging but not in production?", "staging", "production"),
    ("error types only in prod, not in staging", "production", "staging"),
    ("스테이징엔 없고 프로덕션에만 있는 에러 타입", "production", "staging"),
]


@pytest.mark.parametrize(("question", "present", "absent"), ABSENT, ids=[q for q, _, _ in ABSENT])
def test_values_in_one_place_and_never_in_another(question: str, present: str, absent: str) -> None:
    plan = plan_of(question)
    assert listed(plan) == "error_type"
    assert environment(present) in plan.conditions
    assert environment(absent) not in plan.conditions
    assert plan.absent_where == [environment(absent)]
    assert not plan.new_in_window


NO_ERRORS: list[tuple[str, TimeWindow]] = [
    ("services with no errors in the last hour", LAST_HOUR),
    ("which services had zero errors today?", TODAY),
    ("services without any errors today", TODAY),
    ("최근 1시간 동안 에러가 없는 서비스", LAST_HOUR),
    ("오늘 에러 없는 서비스 목록", TODAY),
]


@pytest.mark.parametrize(("question", "window"), NO_ERRORS, ids=[q for q, _ in NO_ERRORS])
def test_services_without_errors_are_those_logging_none(question: str, window: TimeWindow) -> None:
    plan = plan_of(question)
    assert listed(plan) == "service"
    assert plan.absent_errors_only
    assert not plan.errors_only
    assert covered(plan.window) == covered(window)


@pytest.mark.parametrize(
    "question",
    [
        "which IPs got a 401 but never a 200?",
        "ips with 401s and no successful (200) response ever",
        "IPs with failed logins but never a 200",
        "로그인 실패한 IP 중에 200 응답 한 번도 못 받은 IP 목록",
    ],
)
def test_values_seen_but_never_with_an_outcome_exclude_that_outcome_alone(question: str) -> None:
    plan = plan_of(question)
    assert listed(plan) == "ip"
    status = Attribute(metadata_key="http_status", numeric=True)
    assert plan.absent_where == [Condition(attribute=status, op="=", values=[200])]
    never = render_sql(plan).split("NOT IN", 1)[1]
    assert "AuthenticationFailure" not in never  # never a 200 at all, not "never a failed login with a 200"
