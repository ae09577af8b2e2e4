"""Never guess (agent/offline/planner/coverage.py): a question with a word the plan cannot use is
not answered as if the word were absent, and the words are named (a Korean word with the particle
it carries: "원인이"); a question that is not about logs is not answered at all. Database-free:
questions in, no plan out."""

from __future__ import annotations

import pytest

from .demo_schema import planned

LEFT_OVER: list[tuple[str, set[str]]] = [
    ("what caused the spike in errors", {"caused", "spike"}),
    ("에러 급증 원인이 뭐야?", {"원인"}),
    ("errors by team", {"team"}),
    ("how many errors per deploy", {"deploy"}),
    ("slowest endpoints since the new release", {"release"}),
    ("errors after the last deploy", {"deploy"}),
    ("why is payment-api slow", {"why"}),
    ("why are there so many 5xx on /checkout?", {"why"}),
    ("errors since the rollout", {"rollout"}),
    ("how many errors during the outage", {"outage"}),
    ("errors compared to last month", {"month"}),
    ("how many errors will we have tomorrow", {"tomorrow"}),
    ("errors per customer tier", {"tier"}),
    ("payment-api errors excluding the canary", {"canary"}),
    ("payment-api 롤백 이후 에러 몇 건", {"롤백"}),
    ("결제 서비스 에러가 왜 났어?", {"왜"}),
]


@pytest.mark.parametrize(("question", "words"), LEFT_OVER, ids=[q for q, _ in LEFT_OVER])
def test_a_word_the_plan_cannot_use_is_named_not_dropped(question: str, words: set[str]) -> None:
    result = planned(question)
    assert result.plan is None
    assert not result.confident
    assert all(any(word in unused for unused in result.unused) for word in words), result.unused


NOT_ABOUT_LOGS = [
    "what's the weather in Seoul?",
    "who is on call tonight",
    "how much revenue did we make yesterday in dollars",
    "오늘 점심 뭐 먹지?",
    "내일 회의 몇 시야?",
    "tell me a joke",
]


@pytest.mark.parametrize("question", NOT_ABOUT_LOGS)
def test_a_question_not_about_logs_is_not_answered(question: str) -> None:
    result = planned(question)
    assert result.plan is None
    assert not result.confident


ABOUT_WHAT_LOGS_DO_NOT_HOLD: list[tuple[str, set[str]]] = [
    ("CPU usage of payment-api in the last hour", {"cpu"}),
    ("memory usage per service today", {"memory"}),
    ("payment-api 메모리 사용량", {"메모리"}),
]


@pytest.mark.parametrize(
    ("question", "words"), ABOUT_WHAT_LOGS_DO_NOT_HOLD, ids=[q for q, _ in ABOUT_WHAT_LOGS_DO_NOT_HOLD]
)
def test_a_metric_the_logs_do_not_hold_is_not_replaced_by_a_count(question: str, words: set[str]) -> None:
    result = planned(question)
    assert result.plan is None
    assert all(any(word in unused for unused in result.unused) for word in words), result.unused


WRITES = [
    "delete all staging logs",
    "mark every DEBUG log as deleted",
    "update payment-api errors to WARN",
    "staging 로그 다 지워줘",
    "DEBUG 로그 전부 INFO로 바꿔줘",
]


@pytest.mark.parametrize("question", WRITES)
def test_a_request_to_change_logs_is_refused_not_planned(question: str) -> None:
    result = planned(question)
    assert result.plan is None
    assert result.reason


TWO_MEANINGS: list[tuple[str, str]] = [
    ("IPs with >20 400s", "400s"),
    ("how many 500s in the last hour", "500s"),
    # the one service with the most, or every service ranked by its count?
    ("most 5xx by service, 24h", "most (one or a ranking)"),
    ("most errors by service", "most (one or a ranking)"),
]


@pytest.mark.parametrize(("question", "word"), TWO_MEANINGS, ids=[q for q, _ in TWO_MEANINGS])
def test_a_word_of_two_meanings_is_answered_offline_but_left_to_a_model(question: str, word: str) -> None:
    """ "400s" is every 4xx to some and status 400 to others: offline it is read as the class (and
    the reading says so), but with a model configured the fast path does not keep it."""
    result = planned(question)
    assert result.plan is not None
    assert word in result.ambiguous
    assert not result.confident


@pytest.mark.parametrize(
    "question",
    ["which service has the most errors", "services with the most errors", "which services log the most"],
)
def test_a_ranking_or_a_winner_said_in_words_is_not_ambiguous(question: str) -> None:
    result = planned(question)
    assert result.plan is not None
    assert result.confident, result.ambiguous


def test_a_status_code_said_once_is_not_ambiguous() -> None:
    result = planned("IPs with more than 20 responses with status 401")
    assert result.plan is not None
    assert result.confident
