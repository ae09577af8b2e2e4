"""A profile that is never stale: logs sent to a freshly started loglens are known to the very
next question, with no waiting out the cache; refreshes for questions stay rate-limited."""

from __future__ import annotations

import datetime as dt
from typing import Any

import asyncpg
import pytest
from pydantic_ai.messages import ModelMessage
from pydantic_ai.models.function import AgentInfo, FunctionModel

from loglens.agent.evaluation import bundled_questions, evaluate
from loglens.agent.models import ModelChoice
from loglens.agent.schema import Schema, SchemaCatalog, missing_names, names_in
from loglens.agent.service import AgentService
from loglens.collector.server import Collector
from loglens.demo import otlp, scenario
from tests.agent.conftest import SAMPLE_LOGS, insert_logs, log_row
from tests.conftest import settings_for_tests, wait_for


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("How many errors did payment-api log?", ["payment-api"]),
        ("payment-api에서 에러 몇 건?", ["payment-api"]),
        (
            "DatabaseConnectionTimeout since v4.9.0 on /api/v1/orders.",
            ["DatabaseConnectionTimeout", "v4.9.0", "/api/v1/orders"],
        ),
        ("errors of user_0003 and inventory_worker", ["user_0003", "inventory_worker"]),
        # ids, IPs, numbers, windows and plain words are no names the profile could have
        ("trace 4bf92f3577b34da6a3ce929d0e0e4736 from 10.0.0.1, p95 over 24h, 5xx", []),
        ("how many errors in the last hour?", []),
        ("최근 1시간 결제 서비스 에러", []),
    ],
)
def test_the_words_written_like_names_are_found(question: str, names: list[str]) -> None:
    assert names_in(question) == names


def test_a_name_is_missing_when_no_profiled_value_or_metadata_has_it() -> None:
    schema = Schema(
        table="logs",
        columns=[],
        conventions=[],
        values={
            "service": [{"value": "payment-api", "count": 3}],
            "path": [{"value": "/api/v1/orders", "count": 1}],
        },
    )
    assert missing_names(schema, "payment-api errors on api/v1/orders") == []
    assert missing_names(schema, "Payment-API errors") == []  # case does not matter
    assert missing_names(schema, "errors of quasar-billing and payment-api") == ["quasar-billing"]


async def _offline_service(dsn: str) -> AgentService:
    service = AgentService(settings_for_tests(llm_provider="offline"), dsn)
    await service.start()
    return service


async def test_logs_sent_to_a_fresh_loglens_are_known_to_the_next_question(
    dsn: str, db: asyncpg.Connection, collector: Collector
) -> None:
    service = await _offline_service(dsn)
    try:
        empty = await service.catalog.get()  # started on an empty database: profiled empty
        assert empty.distinct("service") == []
        question = "How many errors did payment-api log?"
        before = await service.answer(service.question(question))
        assert before.sql is None or "payment-api" not in before.sql  # nothing of it to find yet

        records = scenario.Gen(dict(scenario.DEFAULT_VOCAB), 7, dt.datetime.now(dt.UTC)).all(1000)
        sent, rejected = await otlp.send(
            otlp.export_requests(records), f"http://127.0.0.1:{collector.ports.otlp_http}/v1/logs"
        )
        assert (sent, rejected) == (len(records), 0)
        assert await wait_for("SELECT count(*) FROM logs", db, sent) == sent  # stored: ask at once
        expected = await db.fetchval(
            "SELECT count(*) FROM logs "
            "WHERE NOT deleted AND level IN ('ERROR','FATAL') AND service = 'payment-api'"
        )
        assert expected > 0

        after = (await service.answer(service.question(question))).body()
        assert "service = 'payment-api'" in after["sql"], after
        assert after["results"] == [{"errors": expected}]
    finally:
        await service.stop()


async def test_a_question_naming_nothing_sees_a_table_that_was_empty_at_start(
    dsn: str, db: asyncpg.Connection
) -> None:
    service = await _offline_service(dsn)
    try:
        assert (await service.catalog.get()).time_range.get("to") is None
        await insert_logs(db, SAMPLE_LOGS)
        body = (await service.answer(service.question("how many 503 responses?"))).body()
        assert "http_status" in body["sql"], body  # the metadata key the profile did not have at start
        assert body["results"] == [{"logs": 2}]
        assert service.catalog.cached is not None
        assert "order-api" in service.catalog.cached.distinct("service")
    finally:
        await service.stop()


async def test_refreshes_for_questions_are_rate_limited_and_skipped_when_nothing_arrived(
    dsn: str,
    db: asyncpg.Connection,
    logs: asyncpg.Connection,  # noqa: ARG001
) -> None:
    service = await _offline_service(dsn)
    catalog: SchemaCatalog = service.catalog
    try:
        await catalog.get()
        assert catalog.profiles == 1
        # a name nothing has, and nothing arrived since: no refresh (the profile is young)
        await catalog.for_question("errors of ghost-service")
        assert catalog.profiles == 1

        await insert_logs(db, [log_row(1, "ERROR", "quasar-billing", "boom")])
        schema = await catalog.for_question("errors of quasar-billing")
        assert catalog.profiles == 2
        assert "quasar-billing" in schema.distinct("service")

        # within the interval, another new name waits for the next refresh
        catalog._min_refresh_interval_s = 3600.0
        await insert_logs(db, [log_row(1, "ERROR", "nebula-search", "boom")])
        schema = await catalog.for_question("errors of nebula-search")
        assert catalog.profiles == 2
        assert "nebula-search" not in schema.distinct("service")
    finally:
        await service.stop()


@pytest.mark.timeout(300)
async def test_the_shared_questions_asked_as_their_logs_land_score_as_on_settled_data(
    dsn: str, db: asyncpg.Connection, collector: Collector
) -> None:
    """The measurement of the issue: an agent started on an empty database, the shared questions'
    20k logs sent through the collector, every question asked as soon as they are stored."""
    service = await _offline_service(dsn)
    try:
        await service.catalog.get()
        records = scenario.Gen(dict(scenario.DEFAULT_VOCAB), 1, dt.datetime.now(dt.UTC)).all(20_000)
        sent, _ = await otlp.send(
            otlp.export_requests(records), f"http://127.0.0.1:{collector.ports.otlp_http}/v1/logs"
        )
        assert await wait_for("SELECT count(*) FROM logs", db, sent, within_s=60) == sent
        report = await evaluate(service, dsn, bundled_questions())
    finally:
        await service.stop()
    print(report.summary())  # noqa: T201 - the figure the issue asks for, in the test's output
    assert report.accuracy() >= 0.85, report.details()
    for language in report.languages():
        assert report.accuracy(language) >= 0.85, report.details()


async def test_with_a_model_the_fast_path_is_chosen_on_the_current_profile(
    dsn: str, db: asyncpg.Connection
) -> None:
    async def never_stream(_messages: list[ModelMessage], _info: AgentInfo) -> Any:
        raise AssertionError("the planner covers this question: the model should not have been asked")
        yield {}

    model = FunctionModel(stream_function=never_stream, model_name="expensive")
    service = AgentService(settings_for_tests(), dsn, ModelChoice("anthropic", model, "anthropic:expensive"))
    await service.start()
    try:
        await service.catalog.get()  # profiled empty
        await insert_logs(db, SAMPLE_LOGS)
        # planned only with the metadata key (http_status) the empty profile did not have
        outcome = await service.answer(service.question("how many 503 responses?"))
        assert outcome.engine == "offline", outcome.error
        assert outcome.body()["results"] == [{"logs": 2}]
    finally:
        await service.stop()


async def test_the_profile_keeps_each_services_versions_in_the_order_they_appeared(
    dsn: str, db: asyncpg.Connection
) -> None:
    await insert_logs(
        db,
        [
            log_row(600, "INFO", "payment-api", "started", service_version="v2.9.0"),
            log_row(200, "INFO", "payment-api", "serving", service_version="v2.9.0"),
            log_row(180, "INFO", "payment-api", "started", service_version="v2.10.0"),
            log_row(5, "ERROR", "payment-api", "pool exhausted", service_version="v2.10.0"),
            log_row(60, "INFO", "order-api", "serving", service_version="v1.4.0"),
        ],
    )
    service = await _offline_service(dsn)
    try:
        schema = await service.catalog.get()
        assert schema.versions_of("payment-api") == ["v2.9.0", "v2.10.0"]  # v2.10.0 appeared last
        assert schema.versions_of("order-api") == ["v1.4.0"]
        body = (await service.answer(service.question("payment-api errors since the deploy"))).body()
        assert "service_version = 'v2.10.0'" in body["sql"], body
        assert body["results"] == [{"errors": 1}]
    finally:
        await service.stop()
