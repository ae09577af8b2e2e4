"""The offline engine: answers with no model, in the question's language, says plainly what it
cannot answer, serves as a fast path beside a model, and its plans cannot carry SQL."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest
from pydantic import ValidationError
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, FunctionModel

from loglens.agent.models import ModelChoice
from loglens.agent.offline.plan import Attribute, Condition, Measure, QueryPlan, render_sql
from loglens.agent.service import AgentService
from loglens.agent.sql_validator import validate_sql
from tests.agent.conftest import Script, call
from tests.conftest import settings_for_tests


# `logs` is requested for the rows it inserts (usefixtures marks do not apply to fixtures).
@pytest.fixture
async def offline(dsn: str, logs: asyncpg.Connection) -> Any:  # noqa: ARG001
    service = AgentService(settings_for_tests(llm_provider="offline"), dsn)
    await service.start()
    yield service
    await service.stop()


async def test_a_common_question_is_answered_with_no_model(offline: AgentService) -> None:
    events = [
        event async for event in offline.stream(offline.question("How many errors happened in the last hour?"))
    ]
    result = events[-2]
    assert result["type"] == "result"
    assert result["engine"] == "offline"
    assert result["results"] == [{"errors": 3}]
    assert "3 errors in the last hour" in result["insight"]
    assert result["chart"] == "stat"
    tokens = [event for event in events if event["type"] == "token"]
    assert "".join(t["content"] for t in tokens if t["field"] == "sql") == result["sql"]
    assert len([t for t in tokens if t["field"] == "insight"]) > 1  # streamed, not dropped in one piece


async def test_a_korean_question_gets_a_korean_insight_with_the_numbers(offline: AgentService) -> None:
    outcome = await offline.answer(offline.question("최근 1시간 서비스별 에러 수 보여줘"))
    body = outcome.body()
    assert body["results"][0] == {"service": "payment-api", "errors": 2}
    assert "payment-api" in body["insight"]
    assert "2건" in body["insight"]
    assert "최근 1시간" in body["insight"]


@pytest.mark.parametrize(
    ("question", "language_hint"),
    [
        ("What's the weather like in Seoul tomorrow?", "Try a question like these"),
        ("오늘 점심 메뉴 추천해줘", "이런 질문을 해 보세요"),
    ],
)
async def test_a_question_it_does_not_understand_gets_an_honest_answer_with_examples(
    offline: AgentService, question: str, language_hint: str
) -> None:
    body = (await offline.answer(offline.question(question))).body()
    assert body["outcome"] == "unanswerable"
    assert language_hint in body["error"]
    assert len(body["suggestions"]) == 4
    for suggestion in body["suggestions"]:  # every example it offers, it can answer
        assert (await offline.answer(offline.question(suggestion))).error is None, suggestion


@pytest.mark.parametrize(
    ("question", "unread", "narrower"),
    [
        ("which endpoints got slower after the last deploy?", "'deploy'", "which endpoints got slower?"),
        ("how many errors since the rollout?", "'rollout'", "how many errors?"),
        ("결제 서비스 에러가 언제부터 늘었어?", "'늘었어'", "결제 서비스 에러가 언제부터?"),
    ],
)
async def test_a_question_with_a_word_it_cannot_use_is_not_answered_but_a_narrower_one_is_offered(
    offline: AgentService, question: str, unread: str, narrower: str
) -> None:
    body = (await offline.answer(offline.question(question))).body()
    assert body["outcome"] == "unanswerable"
    assert body.get("sql") is None  # not answered as if the word were absent
    assert unread in body["error"]
    assert narrower in body["error"]
    assert body["suggestions"][0] == narrower
    offered = await offline.answer(offline.question(narrower))  # the narrower question is answered
    assert offered.error is None
    assert offered.sql is not None


async def test_names_come_from_the_data_not_from_lists_in_the_code(
    offline: AgentService, logs: asyncpg.Connection
) -> None:
    from tests.agent.conftest import insert_logs, log_row

    await insert_logs(logs, [log_row(2, "ERROR", "quasar-billing", "boom", error_type="FluxCapacitorOverload")])
    offline.catalog.forget()
    body = (
        await offline.answer(offline.question("How many FluxCapacitorOverload errors did quasar billing have?"))
    ).body()
    assert "service = 'quasar-billing'" in body["sql"]
    assert "error_type = 'FluxCapacitorOverload'" in body["sql"]
    assert body["results"] == [{"errors": 1}]


def test_a_plan_quotes_its_values_and_refuses_keys_that_are_not_keys() -> None:
    plan = QueryPlan(
        conditions=[
            Condition(attribute=Attribute(column="service"), op="=", values=["x'; DROP TABLE logs; --"]),
            Condition(attribute=Attribute(column="message"), op="contains", values=["100%_done"]),
        ],
        measures=[Measure(kind="count", alias="n")],
    )
    sql = render_sql(plan)
    assert "service = 'x''; DROP TABLE logs; --'" in sql
    assert "ILIKE '%100\\%\\_done%'" in sql
    validate_sql(sql)
    with pytest.raises(ValidationError):
        Attribute(metadata_key="ip'); DROP TABLE logs; --")
    with pytest.raises(ValidationError):
        Measure(kind="count", alias="n FROM logs; DROP TABLE logs; --")


def _never_called(_messages: list[ModelMessage], _info: AgentInfo) -> Any:
    raise AssertionError("the model should not have been asked")


@pytest.mark.usefixtures("logs")
async def test_with_a_model_configured_confident_questions_take_the_fast_path(dsn: str) -> None:
    async def never_stream(_messages: list[ModelMessage], _info: AgentInfo) -> Any:
        raise AssertionError("the model should not have been asked")
        yield {}

    model = FunctionModel(_never_called, stream_function=never_stream, model_name="expensive")
    service = AgentService(settings_for_tests(), dsn, ModelChoice("anthropic", model, "anthropic:expensive"))
    await service.start()
    try:
        await service.catalog.get()
        outcome = await service.answer(service.question("How many errors happened in the last hour?"))
        assert (outcome.engine, outcome.body()["results"]) == ("offline", [{"errors": 3}])
        unsure = service.question("Were there any odd patterns around the last deploy of the checkout flow?")
        assert service.engine_for(unsure) is service.engine
        compared = service.question("어제 대비 오늘 에러 수")  # two windows: a plan says it in full
        assert service.engine_for(compared) is service.fast_path
        # values side by side: one row each, or one column each? the model decides the shape
        versus = service.question("payment-api vs order-api errors")
        assert service.offline.planned(versus.text).plan is not None
        assert service.engine_for(versus) is service.engine
        leftovers = ("Did errors go up after the last deploy?", "errors since the rollout, compared to before")
        for leftover in leftovers:
            # a word the planner cannot use ("deploy", "rollout"): the model answers, not the fast path
            assert service.engine_for(service.question(leftover)) is service.engine, leftover
    finally:
        await service.stop()


@pytest.mark.usefixtures("logs")
async def test_plan_mode_gives_the_model_no_tool_that_takes_sql(dsn: str) -> None:
    plan = {
        "errors_only": True,
        "measures": [{"kind": "count", "alias": "errors"}],
        "window": {"kind": "last", "amount": 1, "unit": "hour"},
    }
    sql = render_sql(QueryPlan.model_validate(plan))
    script = Script(
        [
            call("execute_plan", plan=plan),
            call(
                "final_result", sql=sql, reading="Number of errors, last hour", insight="3 errors.", chart="stat"
            ),
        ]
    )
    offered: list[set[str]] = []

    async def stream(messages: list[ModelMessage], info: AgentInfo) -> Any:
        offered.append({tool.name for tool in info.function_tools})
        async for chunk in script._stream(messages, info):
            yield chunk

    model = FunctionModel(stream_function=stream, model_name="planner")
    settings = settings_for_tests(llm_plan_only=True, offline_fast_path=False)
    service = AgentService(settings, dsn, ModelChoice("openai", model, "openai:planner"))
    await service.start()
    try:
        body = (await service.answer(service.question("errors in the last hour?"))).body()
    finally:
        await service.stop()
    assert body["results"] == [{"errors": 3}]
    assert body["sql"] == sql
    assert offered[0] == {"get_schema", "execute_plan"}


async def test_asked_to_delete_logs_it_says_it_only_reads_them(
    offline: AgentService, logs: asyncpg.Connection
) -> None:
    before = await logs.fetchval("SELECT count(*) FROM logs")
    for question, words in (("delete all logs", "only reads logs"), ("payment-api 로그 삭제해줘", "읽기만")):
        body = (await offline.answer(offline.question(question))).body()
        assert body["outcome"] == "refused", question
        assert words in body["error"]
    assert await logs.fetchval("SELECT count(*) FROM logs") == before
    # "DELETE requests" is an HTTP method, not an order
    assert (await offline.answer(offline.question("How many DELETE requests were there?"))).error is None


async def test_the_slowest_requests_are_the_requests_slowest_first(offline: AgentService) -> None:
    body = (await offline.answer(offline.question("show me the slowest requests"))).body()
    durations = [row["duration_ms"] for row in body["results"]]
    assert durations
    assert durations == sorted(durations, reverse=True)
    assert f"took {durations[0]:,.1f} ms" in body["insight"]
    # "which service has the slowest requests" still ranks services by their average
    ranked = (await offline.answer(offline.question("Which service has the slowest requests?"))).body()
    assert ranked["columns"][0] == "service"


async def test_what_went_wrong_lists_the_errors_by_type(offline: AgentService) -> None:
    body = (await offline.answer(offline.question("What went wrong in payment-api?"))).body()
    assert body["columns"] == ["error_type", "errors"]
    assert body["results"][0] == {"error_type": "DatabaseConnectionTimeout", "errors": 2}


@pytest.mark.parametrize(
    ("question", "limit"),
    [("최근 에러 2개 보여줘", 2), ("에러가 가장 많은 서비스 2곳", 2), ("에러가 가장 많은 사용자 1명", 1)],
)
async def test_korean_counters_set_how_many_rows(offline: AgentService, question: str, limit: int) -> None:
    body = (await offline.answer(offline.question(question))).body()
    if "rank()" in body["sql"]:  # a top N asked for keeps the groups tied at the cut
        assert f"rank <= {limit}" in body["sql"], body["sql"]
        assert "rank" not in body["columns"]  # the rank decides what is shown; it is not a column
        counts = [row[body["columns"][-1]] for row in body["results"]]
        assert len(set(counts)) <= limit  # the groups tied at the cut, none below it
    else:
        assert body["sql"].endswith(f"LIMIT {limit}"), body["sql"]
        assert len(body["results"]) <= limit


@pytest.mark.parametrize("question", ["how many 503 responses?", "응답 코드 503 개수"])
async def test_http_status_codes_are_read_however_they_are_asked(
    offline: AgentService, logs: asyncpg.Connection, question: str
) -> None:
    expected = await logs.fetchval("SELECT count(*) FROM logs WHERE metadata->>'http_status' = '503'")
    assert expected > 0
    body = (await offline.answer(offline.question(question))).body()
    assert "http_status" in body["sql"]
    assert body["results"] == [{"logs": expected}]


async def test_the_insight_counts_every_row_not_only_those_shown_to_the_engine(
    offline: AgentService, logs: asyncpg.Connection
) -> None:
    from tests.agent.conftest import insert_logs, log_row

    await insert_logs(logs, [log_row(100 + minute, "ERROR", "batch-api", "boom") for minute in range(45)])
    offline.catalog.forget()
    body = (await offline.answer(offline.question("errors of batch-api per minute over the last 3 hours"))).body()
    assert body["count"] == 45
    assert "45 errors over 45 one-minute buckets" in body["insight"]
    listed = (await offline.answer(offline.question("show batch-api logs"))).body()
    assert listed["count"] == 45
    assert "Found 45" in listed["insight"]


@pytest.mark.parametrize(("question", "method"), [("How many POST requests?", "POST"), ("get 요청 수", "GET")])
async def test_an_http_method_is_a_filter(
    offline: AgentService, logs: asyncpg.Connection, question: str, method: str
) -> None:
    from tests.agent.conftest import insert_logs, log_row

    await insert_logs(logs, [log_row(3, "INFO", "order-api", "served", method=method, path="/api/v1/orders")])
    expected = await logs.fetchval("SELECT count(*) FROM logs WHERE method = $1", method)
    body = (await offline.answer(offline.question(question))).body()
    assert f"method = '{method}'" in body["sql"]
    assert list(body["results"][0].values()) == [expected]


async def test_an_id_named_by_its_kind_is_a_filter_even_when_no_log_has_it(offline: AgentService) -> None:
    trace = (await offline.answer(offline.question("show logs for trace id abc123"))).body()
    assert "trace_id = 'abc123'" in trace["sql"]
    assert trace["results"] == []
    user = (await offline.answer(offline.question("show logs from user Alice42"))).body()
    assert "user_id = 'Alice42'" in user["sql"]  # as written, not lower-cased
    assert user["columns"][0] == "created_at"  # that user's logs, not a count per user


async def test_an_endpoint_named_by_a_word_filters_by_paths_that_have_it(
    offline: AgentService, logs: asyncpg.Connection
) -> None:
    paths = [
        row["path"] for row in await logs.fetch("SELECT DISTINCT path FROM logs WHERE path LIKE '%payments%'")
    ]
    body = (await offline.answer(offline.question("average latency of the payments endpoint"))).body()
    assert paths
    for path in paths:
        assert f"'{path}'" in body["sql"]
    missing = (await offline.answer(offline.question("p99 latency of the checkout endpoint"))).body()
    assert missing["outcome"] == "unanswerable"
    assert "'checkout'" in missing["error"]


async def test_asking_for_stack_traces_shows_them(offline: AgentService) -> None:
    body = (await offline.answer(offline.question("show stack traces of DatabaseConnectionTimeout"))).body()
    assert "stack_trace" in body["columns"]
    assert "trace_id IS NOT NULL" not in body["sql"]  # a stack trace is not a trace id


@pytest.mark.parametrize("question", ["What is the most common error message?", "에러 메시지 중 가장 흔한 것"])
async def test_the_most_common_message_groups_by_message(offline: AgentService, question: str) -> None:
    body = (await offline.answer(offline.question(question))).body()
    assert body["columns"] == ["message", "errors"]
    assert body["results"][0] == {"message": "DatabaseConnectionTimeout: pool exhausted", "errors": 2}


@pytest.mark.parametrize(
    ("question", "measure"),
    [
        ("When did the last FATAL happen?", "last_seen"),
        ("DatabaseConnectionTimeout 에러가 언제부터 발생했어?", "first_seen"),
    ],
)
async def test_when_questions_ask_for_a_time(offline: AgentService, question: str, measure: str) -> None:
    body = (await offline.answer(offline.question(question))).body()
    assert body["columns"] == [measure]


async def test_a_share_of_failures_is_the_error_rate(offline: AgentService, logs: asyncpg.Connection) -> None:
    total, errors = await logs.fetchrow(
        "SELECT count(*), count(*) FILTER (WHERE level IN ('ERROR','FATAL')) FROM logs WHERE NOT deleted"
    )
    body = (await offline.answer(offline.question("What percentage of requests failed?"))).body()
    assert body["results"] == [{"error_rate_pct": pytest.approx(round(100 * errors / total, 2))}]


async def test_short_windows_and_distinct_error_types(offline: AgentService, logs: asyncpg.Connection) -> None:
    expected = await logs.fetchval(
        "SELECT count(DISTINCT error_type) FROM logs "
        "WHERE NOT deleted AND created_at > now() - interval '24 hours'"
    )
    body = (await offline.answer(offline.question("how many distinct error types in the last 24h?"))).body()
    assert "interval '24 hours'" in body["sql"]
    assert body["results"] == [{"error_types": expected}]


async def test_an_average_over_time_is_described_by_its_range_not_summed(offline: AgentService) -> None:
    body = (await offline.answer(offline.question("average latency per hour over the last 2 hours"))).body()
    values = [row["avg_ms"] for row in body["results"] if row["avg_ms"] is not None]
    assert values
    assert f"to {max(values):,.1f} ms" in body["insight"]
    assert "ranged from" in body["insight"]


@pytest.mark.parametrize(
    ("question", "interval"),
    [
        ("error counts per 15 minutes for the last 3 hours", "15 minutes"),
        ("errors every 5 minutes in the last hour", "5 minutes"),
        ("지난 3시간 15분 단위 에러 추이", "15 minutes"),
    ],
)
async def test_several_minute_buckets_are_answered(offline: AgentService, question: str, interval: str) -> None:
    body = (await offline.answer(offline.question(question))).body()
    assert f"date_bin(interval '{interval}'" in body["sql"], body
    assert body["columns"] == ["bucket", "errors"]


async def test_since_yesterday_has_no_end_and_health_is_the_error_rate(offline: AgentService) -> None:
    since = (await offline.answer(offline.question("How many errors has payment-api had since yesterday?"))).body()
    assert "interval '1 day'" in since["sql"]
    assert "created_at <" not in since["sql"]
    health = (await offline.answer(offline.question("Is payment-api healthy?"))).body()
    assert health["columns"] == ["error_rate_pct"]


@pytest.mark.parametrize("question", ["How many logs are there?", "로그 몇 개야?"])
async def test_the_plainest_count_is_answered(
    offline: AgentService, logs: asyncpg.Connection, question: str
) -> None:
    expected = await logs.fetchval("SELECT count(*) FROM logs WHERE NOT deleted")
    body = (await offline.answer(offline.question(question))).body()
    assert body["results"] == [{"logs": expected}]
