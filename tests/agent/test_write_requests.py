"""Requests to change the logs are refused in words, in English and Korean, whatever the verb or
the politeness; questions that only mention deleting or changing are answered. With a model
configured, loglens refuses them itself and never asks the model."""

from __future__ import annotations

from typing import Any

import aiohttp
import asyncpg
import pytest
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, FunctionModel

from loglens.agent.models import ModelChoice
from loglens.agent.offline.parse import Planner
from loglens.agent.schema import Schema
from loglens.agent.service import AgentService
from loglens.agent.write_requests import REFUSALS, is_write_request, refusal
from tests.conftest import settings_for_tests

WRITES_EN = [
    "delete the debug logs",
    "wipe payment-api logs pls",
    "UPDATE logs SET level = 'WARN' WHERE service = 'gateway'",
    "drop the logs table",
    "mark these as resolved",
    "can you please get rid of all staging entries",
    "pls nuke everything older than a week",
    "Could you remove the INFO rows from order-api?",
    "I need you to purge last month's logs",
    "go ahead and truncate the logs",
    "DELETE FROM logs WHERE level = 'DEBUG'",
    "insert a test log for payment-api",
    "set every WARN log to INFO",
    "change the level of those entries to ERROR",
    "rename search-api to search-service in all rows",
    "hey, can u erase the duplicate lines",
    "old logs should be deleted",
    "I want all the debug logs gone",
    "let's clear out the test environment logs",
    "flag all DatabaseConnectionTimeout errors as known",
    "restore the deleted logs",
    "how do I delete logs older than 30 days?",
    "find the duplicates and delete them",
    "ALTER TABLE logs ADD COLUMN note text",
    "kindly update the service_version of those rows to v5",
    "kill all logs from the load test",
    "quick q: can you drop the logs table and recreate it?",
    "hey - delete the payment-api logs",
]
WRITES_KO = [
    "payment-api 에러 로그 전부 WARN으로 바꿔줘",
    "staging 로그 싹 다 지워줘",
    "debug 로그 삭제해줘",
    "로그 전부 지워",
    "오래된 로그 없애줘",
    "테이블 초기화해줘",
    "레벨을 ERROR로 수정해 주세요",
    "order-api 로그 서비스 이름 변경해줘",
    "deleted 값을 true로 업데이트해줘",
    "로그 좀 날려줘",
    "중복 로그 제거 부탁해요",
    "INFO 로그 다 삭제",
    "이 에러들 해결됨으로 표시해줘",
    "로그 테이블 drop 해줘",
    "지난주 로그 비워 주세요",
    "에러 레벨 FATAL로 바꿔",
    "payment-api 로그 삭제 좀 해주실 수 있나요?",
    "로그 지울 수 있어?",
    "이 로그들 고쳐줘",
    "테스트 로그 하나 삽입해줘",
    "search-api 로그 갱신해 주세요",
    "삭제된 로그 복구해줘",
    "중복 로그 정리해줘",
    "오래된 로그 밀어줘",
    "스테이징 로그 지워도 될까요?",
    "로그에서 개인정보 마스킹해줘",
    "IP 주소 익명화 해주세요",
    "오래된 DEBUG 로그 정리해서 용량 좀 줄여줘",
    "prod debug 로그 다 지워 용량 아깝다",
    "유저아이디 전부 해시로 바꿔서 저장해줘",
    "staging 로그 날려, 필요 없어",
]
# Questions that say delete, change, update, drop or set and only want to read.
READS = [
    "which deploy changed the error rate?",
    "count search-api entries per log level, but drop the debug and trace noise",
    "errors after the update",
    "how many logs were deleted?",
    "show deleted logs from today",
    "How many DELETE requests were there?",
    "DELETE requests per endpoint",
    "errors on DELETE /api/v1/cart",
    "when were the logs last updated?",
    "what changed after the last deploy?",
    "drop in traffic since noon?",
    "change in error rate since yesterday",
    "which users removed items from their cart?",
    "list update events from inventory-worker",
    "how many rows have deleted = true?",
    "show me logs about password resets",
    "Did error rate drop after v4.9.0?",
    "how many logs mention 'delete'?",
    "give me a set of the slowest requests",
    "삭제된 로그는 몇 개야?",
    "업데이트 후 에러가 늘었어?",
    "변경 이후 payment-api 에러 수",
    "DELETE 요청 몇 개야?",
    "삭제 요청 실패한 건 몇 건이야?",
    "설정 변경 로그 보여줘",
    "수정된 버전 이후 에러 추이",
    "중복 제거한 에러 타입 수",
    "시간별로 바꿔서 보여줘",
    "에러 로그 최근 10개 보여줘",
    "kill switch errors today",
    "로그 정리해서 보여줘",
    "에러 유형별로 정리해줘",
    "중복 로그 몇 개야",
    "quick q: how many errors",
    "지워진 로그 몇 개야?",
    "날려 먹은 로그 있어?",
    "저장된 에러 로그 수",
    "결제 에러 기록 보여줘",
]


def test_there_are_twenty_phrasings_in_each_language() -> None:
    assert len(WRITES_EN) >= 20
    assert len(WRITES_KO) >= 20


@pytest.mark.parametrize("question", WRITES_EN + WRITES_KO)
def test_a_request_to_change_the_logs_is_refused_in_its_language(question: str) -> None:
    assert is_write_request(question)
    language = "ko" if any("\uac00" <= c <= "\ud7a3" for c in question) else "en"
    assert refusal(question) == REFUSALS[language]


@pytest.mark.parametrize("question", READS)
def test_a_question_that_only_mentions_changes_is_not_refused(question: str) -> None:
    assert not is_write_request(question)
    assert refusal(question) is None


def test_the_planner_refuses_them_too() -> None:
    planner = Planner(Schema(table="logs", columns=[], conventions=[]))
    for question in ("delete the debug logs", "로그 전부 지워"):
        planned = planner.plan(question)
        assert planned.plan is None
        assert planned.reason == REFUSALS[planned.language]


def _never_asked(_messages: list[ModelMessage], _info: AgentInfo) -> Any:
    raise AssertionError("the model must not be asked to change the logs")


async def _never_streamed(_messages: list[ModelMessage], _info: AgentInfo) -> Any:
    raise AssertionError("the model must not be asked to change the logs")
    yield {}


def _expensive_model() -> ModelChoice:
    model = FunctionModel(_never_asked, stream_function=_never_streamed, model_name="expensive")
    return ModelChoice("anthropic", model, "anthropic:expensive")


@pytest.mark.parametrize("fast_path", [True, False])
async def test_with_a_model_configured_loglens_refuses_without_asking_it(
    dsn: str, logs: asyncpg.Connection, fast_path: bool
) -> None:
    service = AgentService(settings_for_tests(offline_fast_path=fast_path), dsn, _expensive_model())
    await service.start()
    try:
        await service.catalog.get()
        for question in ("wipe payment-api logs pls", "payment-api 에러 로그 전부 WARN으로 바꿔줘"):
            events = [event async for event in service.stream(service.question(question))]
            assert [event["type"] for event in events] == ["error", "done"], question
            assert events[0]["outcome"] == "refused"
            assert events[0]["message"] in REFUSALS.values()
            outcome = await service.answer(service.question(question))
            assert outcome.sql is None
            assert outcome.engine == ("offline" if fast_path else "anthropic:expensive")
    finally:
        await service.stop()
    assert await logs.fetchval("SELECT count(*) FROM logs WHERE service = 'payment-api'") == 4


@pytest.mark.usefixtures("logs")
async def test_over_the_api_a_refused_request_leaves_the_table_as_it_was(
    agent_server: Any, db: asyncpg.Connection
) -> None:
    snapshot = "SELECT md5(string_agg(l::text, ',' ORDER BY id)) FROM logs l"
    before = await db.fetchval(snapshot)
    server = await agent_server(None, llm_provider="offline")
    async with aiohttp.ClientSession() as http:
        for question in [*WRITES_EN, *WRITES_KO]:
            async with http.post(f"http://127.0.0.1:{server.port}/query", json={"question": question}) as r:
                assert r.status == 200
                body = await r.json()
            assert body["outcome"] == "refused", (question, body)
            assert body["sql"] is None
            assert body["error"] in REFUSALS.values()
        async with http.post(
            f"http://127.0.0.1:{server.port}/query", json={"question": "삭제된 로그는 몇 개야?"}
        ) as r:
            soft_deleted = await r.json()
    assert await db.fetchval(snapshot) == before
    # a question about the soft-deleted rows is a question, not a write: never refused. A plan
    # reads only rows not deleted, so the planner says it could not use 'deleted' (never guesses)
    assert soft_deleted["outcome"] != "refused", soft_deleted
    assert soft_deleted["outcome"] == "unanswerable", soft_deleted
    assert "삭제된" in soft_deleted["error"], soft_deleted


@pytest.mark.parametrize(
    "question",
    [
        "show the requests whose path contains DROP TABLE — time, path and ip",
        "any 'DROP TABLE' in request paths? list timestamp, path, client ip",
        "List created_at, path and IP for every log with DROP TABLE in the path",
        "path에 DROP TABLE 들어간 요청 보여줘",
        "duplicate log lines",
    ],
)
def test_statements_searched_for_in_the_logs_are_questions(question: str) -> None:
    assert not is_write_request(question)


@pytest.mark.parametrize(
    "question",
    [
        "DROP TABLE logs",
        "로그 테이블 그냥 drop하고 새로 만들어 주세요",
        "logs 비우기 부탁드립니다, 전부 날려도 됨",
        "duplicate these rows",
    ],
)
def test_statements_asked_for_are_refused(question: str) -> None:
    assert is_write_request(question)
