"""One side of a deploy, or both (agent/offline/planner/deploys.py): a service's versions in the
order the profile saw them appear. Database-free: questions in, plan fields out."""

from __future__ import annotations

import pytest

from loglens.agent.offline.plan import Attribute, Condition, QueryPlan

from .demo_schema import plan_of, planned

VERSION = Attribute(column="service_version")


def versions(plan: QueryPlan) -> list[str]:
    return [
        str(value)
        for c in plan.conditions
        if isinstance(c, Condition) and c.attribute == VERSION and c.op in ("=", "in")
        for value in c.values
    ]


AFTER = [
    "payment-api errors since the deploy, by http status",
    "payment-api errors after the last deploy",
    "deploy 이후 결제 API 에러 몇 개",
    "배포 후 결제 서비스 에러 몇 건이야?",
]
BEFORE = [
    "payment-api error rate before the deploy",
    "배포 전 결제 서비스 에러율",
]
BOTH = [
    "payment-api error rate before vs after the deploy",
    "결제 서비스 배포 전후 에러율",
    "did payment-api get slower after the deploy?",
    "결제 서비스 배포 후 에러 늘었어?",
]
# a change across "the deploy" with no service named: the service that deployed last
LAST_DEPLOY = [
    "배포 후 에러 늘었어?",
    "which endpoints got slower after the last deploy?",
    "지난 배포 이후로 느려진 엔드포인트",
]


@pytest.mark.parametrize("question", AFTER)
def test_after_the_deploy_is_the_services_newest_version(question: str) -> None:
    assert versions(plan_of(question)) == ["v2.10.0"]


@pytest.mark.parametrize("question", BEFORE)
def test_before_the_deploy_is_the_version_it_replaced(question: str) -> None:
    assert versions(plan_of(question)) == ["v2.9.0"]


@pytest.mark.parametrize("question", BOTH)
def test_both_sides_or_a_change_across_it_are_the_versions_side_by_side(question: str) -> None:
    plan = plan_of(question)
    assert versions(plan) == ["v2.9.0", "v2.10.0"]
    assert plan.group_by is not None
    assert plan.group_by.attribute == VERSION


@pytest.mark.parametrize("question", LAST_DEPLOY)
def test_a_change_across_the_last_deploy_is_of_the_service_that_deployed_last(question: str) -> None:
    plan = plan_of(question)
    services = [c.values for c in plan.conditions if isinstance(c, Condition) and c.attribute.column == "service"]
    assert services == [["payment-api"]]
    assert versions(plan) == ["v2.9.0", "v2.10.0"]


def test_which_endpoints_got_slower_after_the_last_deploy_splits_each_endpoint_by_version() -> None:
    plan = plan_of("which endpoints got slower after the last deploy?")
    assert plan.group_by is not None
    assert plan.group_by.attribute == Attribute(column="path")
    assert plan.group_by_also == VERSION
    assert versions(plan) == ["v2.9.0", "v2.10.0"]
    assert [m.kind for m in plan.measures] == ["avg"]


@pytest.mark.parametrize(
    "question",
    [
        "errors since the deploy",  # which service's deploy: not said, not guessed
        "order-api errors after the deploy",  # order-api logged one version: no deploy to be after
    ],
)
def test_a_deploy_nobody_can_place_is_not_answered(question: str) -> None:
    result = planned(question)
    assert result.plan is None
    assert "deploy" in result.reason
