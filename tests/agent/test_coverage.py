"""Never guess: which words of a question the plan did not use (agent/offline/planner/coverage.py), and
the Slack shorthand the planner reads (agent/offline/shorthand.py). Database-free table tests."""

from __future__ import annotations

import re

import pytest

from loglens.agent.offline.planner.coverage import unused_words
from loglens.agent.offline.shorthand import expand


def _taken(text: str, *used: str) -> list[bool]:
    """Mark every occurrence of each ``used`` word as taken by a pass."""
    taken = [False] * len(text)
    for word in used:
        for match in re.finditer(re.escape(word), text):
            taken[match.start() : match.end()] = [True] * (match.end() - match.start())
    return taken


@pytest.mark.parametrize(
    ("text", "used", "unused"),
    [
        ("how many errors in the last hour?", ("how many", "errors", "last hour"), []),
        ("pls show me the errors, thanks", ("errors",), []),
        (
            "which endpoints got slower after the last deploy?",
            ("endpoints", "slower"),
            ["after", "last", "deploy"],
        ),
        ("errors compared to yesterday", ("errors",), ["compared", "yesterday"]),
        ("new error types since 9am", ("error types",), ["new", "since", "9am"]),
        ("% of requests over 1s", ("requests", "over 1s"), ["%"]),
        ("errors > 10", ("errors",), [">", "10"]),
        ("errors not in staging", ("errors", "staging"), ["not"]),
        ("why is payment-api failing", ("payment-api",), ["why", "failing"]),
    ],
)
def test_an_english_word_is_used_carries_nothing_or_is_reported(
    text: str, used: tuple[str, ...], unused: list[str]
) -> None:
    assert unused_words(text, _taken(text, *used)) == unused


@pytest.mark.parametrize(
    ("text", "used", "unused"),
    [
        ("오늘 에러가 가장 많은 서비스는?", ("오늘", "에러", "가장 많은", "서비스"), []),  # particles
        ("최근 1시간 에러 몇 건이야?", ("최근 1시간", "에러", "몇 건"), []),
        ("결제 서비스 에러 알려주세요", ("서비스", "에러"), ["결제"]),
        ("배포 후 에러 늘었어?", ("에러",), ["배포", "후", "늘었어"]),
        ("어제 대비 오늘 에러", ("오늘", "에러"), ["어제", "대비"]),
        ("새 에러 유형", ("에러 유형",), ["새"]),
        ("왜 에러가 나?", ("에러",), ["왜"]),
    ],
)
def test_a_korean_word_is_used_is_a_particle_or_ending_or_is_reported(
    text: str, used: tuple[str, ...], unused: list[str]
) -> None:
    assert unused_words(text, _taken(text, *used)) == unused


@pytest.mark.parametrize(
    ("written", "read"),
    [
        ("errs last 1h?", "errors last 1 hours?"),
        ("svc w/ most 5xx", "service with most 5xx"),
        ("reqs over 10k ms", "requests over 10000 ms"),
        ("# of WARN logs in the past half hour".lower(), "number of warn logs in the past 30 minutes"),
        ("hw many erors yday", "how many errors yesterday"),
        ("messages over 10,000 chars", "messages over 10000 chars"),
        ("p95 latncy per endpiont, 24h", "p95 latency per endpoint, 24 hours"),
        ("최근 1시간 애러 몇개", "최근 1시간 에러 몇개"),
        ("최근 하루 응답시간", "최근 1일 응답 시간"),
        ("어제 하루 동안", "어제 하루 동안"),  # yesterday, said whole, is not "the last day"
    ],
)
def test_slack_shorthand_is_written_out(written: str, read: str) -> None:
    assert expand(written) == read


def test_shorthand_never_touches_a_name_from_the_data() -> None:
    # "err" inside a name, "w" inside a path, a version: only whole words are expanded
    assert (
        expand("errors of err-handler on /api/w/1 since v2.10.0")
        == "errors of err-handler on /api/w/1 since v2.10.0"
    )


def test_today_begins_at_midnight_in_the_configured_zone() -> None:
    from loglens.agent.offline.plan import QueryPlan, TimeWindow, render_sql

    seoul = render_sql(QueryPlan(window=TimeWindow(kind="today", zone="Asia/Seoul")))
    assert "date_trunc('day', now(), 'Asia/Seoul')" in seoul
    assert "date_trunc('day', now(), 'UTC')" in render_sql(QueryPlan(window=TimeWindow(kind="yesterday")))


@pytest.mark.parametrize(
    ("question", "unused", "narrower"),
    [
        (
            "which endpoints got slower after the last deploy?",
            ["after", "last", "deploy"],
            "which endpoints got slower?",
        ),
        ("errors in staging since the rollout", ["since", "rollout"], "errors in staging"),
        ("how many errors in prod", ["prod"], "how many errors"),
        ("결제 서비스 에러가 언제부터 늘었어?", ["늘었어"], "결제 서비스 에러가 언제부터?"),
    ],
)
def test_the_narrower_question_offered_drops_the_unused_words_and_what_only_joined_them(
    question: str, unused: list[str], narrower: str
) -> None:
    from loglens.agent.offline.planner.coverage import narrower as narrower_question

    assert narrower_question(question, unused) == narrower
