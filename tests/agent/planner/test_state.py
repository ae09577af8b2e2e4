"""What every pass shares (agent/offline/planner/state.py): the question's language, names of the
data found however they are written, the value a loosely written name stands for. Database-free."""

from __future__ import annotations

import pytest

from loglens.agent.offline.planner.state import Planning, language_of

from .demo_schema import SCHEMA


@pytest.mark.parametrize(
    ("question", "language"),
    [
        ("how many errors today?", "en"),
        ("errs last 1h?", "en"),
        ("오늘 에러 몇 건?", "ko"),
        ("payment-api 에러 몇 건이야?", "ko"),
        ("p95 by path, 24h 알려줘", "ko"),
    ],
)
def test_a_question_with_hangul_is_korean(question: str, language: str) -> None:
    assert language_of(question) == language


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("errors in payment-api", "payment-api"),
        ("errors in PAYMENT-API", "payment-api"),
        ("errors in payment api", "payment-api"),
        ("errors in payment_api", "payment-api"),
        ("inventory-worker 에러", "inventory-worker"),
        ("how many databaseconnectiontimeout errors", "DatabaseConnectionTimeout"),
        ("errors on /api/v1/login", "/api/v1/login"),
    ],
)
def test_a_name_of_the_data_is_found_in_any_case_and_with_any_separator(question: str, name: str) -> None:
    span = Planning(SCHEMA, question).find_name(name)
    assert span is not None
    start, end = span
    assert question.lower()[start:end].replace(" ", "-").replace("_", "-") == name.lower()


@pytest.mark.parametrize(
    ("question", "name"),
    [
        ("errors in mypayment-api", "payment-api"),
        ("errors in payments", "payment-api"),
        ("errors in gatewayx", "gateway"),
        ("keyerrors today", "KeyError"),
        ("errors in staging2", "staging"),
    ],
)
def test_a_name_is_not_found_inside_another_word(question: str, name: str) -> None:
    assert Planning(SCHEMA, question).find_name(name) is None


@pytest.mark.parametrize(
    ("question", "value"),
    [
        ("prod errors", "production"),
        ("errors in production", "production"),
        ("stage errors", "staging"),
        ("dev errors", "development"),
    ],
)
def test_an_environment_is_mentioned_by_its_short_name(question: str, value: str) -> None:
    assert Planning(SCHEMA, question).mention(value) is not None


@pytest.mark.parametrize(
    ("question", "value"),
    [("errors in preprod", "production"), ("errors in devops", "development")],
)
def test_a_short_name_inside_another_word_is_not_a_mention(question: str, value: str) -> None:
    assert Planning(SCHEMA, question).mention(value) is None


@pytest.mark.parametrize(
    ("written", "column", "value"),
    [
        ("2.10.0", "service_version", "v2.10.0"),
        ("v2.9.0", "service_version", "v2.9.0"),
        ("/API/V1/LOGIN", "path", "/api/v1/login"),
        ("Payment-API", "service", "payment-api"),
    ],
)
def test_a_value_written_loosely_is_the_datas_own(written: str, column: str, value: str) -> None:
    assert Planning(SCHEMA, "errors").closest(column, written) == value
