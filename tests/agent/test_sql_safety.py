"""Hostile SQL through the whole agent, and the walls behind the validator.

Every statement of the hostile list is returned by a scripted model, as a tool call and as a
final answer: each is refused or harmless, the table is unchanged, and the agent still answers.
Then the database role is tested on its own, with the validator out of the way.
"""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from loglens.agent.database import ReadOnlyDatabase
from loglens.agent.service import AgentService, reader_dsn
from loglens.errors import QueryFailedError
from tests.agent.conftest import Script, answer, call
from tests.agent.hostile_sql import HOSTILE_STATEMENTS
from tests.conftest import settings_for_tests

CHECKSUM = "SELECT count(*), coalesce(sum(hashtext(message || level::text || deleted::text)), 0) FROM logs"


async def test_hostile_sql_from_a_model_is_refused_and_changes_nothing(
    logs: asyncpg.Connection, make_service: Any
) -> None:
    before = tuple(await logs.fetchrow(CHECKSUM) or ())
    tables_before = await logs.fetchval("SELECT count(*) FROM pg_class WHERE relkind IN ('r', 'p')")
    script = Script([])
    service: AgentService = await make_service(script, query_timeout_s=2)
    for sql, _ in HOSTILE_STATEMENTS:
        for steps in (
            [call("execute_sql", sql=sql)] * 3,
            [call("final_result", sql=sql, reading="Rows", insight="done", chart="table")] * 3,
        ):
            script.steps = steps
            outcome = await service.answer(service.question("do something bad"))
            assert outcome.error is not None, sql
            assert outcome.kind in ("refused", "failed"), (sql, outcome.kind)
    assert tuple(await logs.fetchrow(CHECKSUM) or ()) == before
    assert await logs.fetchval("SELECT count(*) FROM pg_class WHERE relkind IN ('r', 'p')") == tables_before

    # The model still answers (a question the offline fast path leaves to it)
    script.steps = answer("SELECT count(*) AS n FROM logs WHERE NOT deleted")
    recovered = (await service.answer(service.question("now do something harmless"))).body()
    assert (recovered["engine"], recovered["results"]) == ("scripted", [{"n": 7}])


@pytest.fixture
async def reader(dsn: str) -> Any:
    settings = settings_for_tests()
    url, login = reader_dsn(settings, dsn)
    database = ReadOnlyDatabase(url, login_as_reader=login, timeout_s=1)
    await database.open()
    yield database
    await database.close()


@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("DELETE FROM logs", "read-only transaction"),
        ("UPDATE logs SET deleted = true", "read-only transaction"),
        ("CREATE TABLE x (a int)", "read-only transaction"),
        ("SELECT * FROM query_history", "permission denied"),
        ("SELECT * FROM ingest_receipts", "permission denied"),
        ("SELECT * FROM loglens_migrations", "permission denied"),
        ("SELECT pg_read_file('/etc/passwd')", "permission denied"),
        ("SELECT pg_sleep(5)", "statement timeout"),
    ],
)
@pytest.mark.usefixtures("logs")
async def test_the_reader_role_refuses_what_the_validator_would_have(
    reader: ReadOnlyDatabase, sql: str, refusal: str
) -> None:
    # Straight to the database, past the validator and the query wrapper: the role, the
    # read-only transaction and the timeout still hold.
    with pytest.raises(asyncpg.PostgresError, match=refusal):
        await reader.fetch_trusted(sql)
    assert (await reader.run("SELECT count(*) AS n FROM logs", 10)).rows == [{"n": 8}]


@pytest.mark.parametrize(
    ("sql", "refusal"),
    [
        ("SELECT 1; SELECT 2", "syntax error"),
        ("SELECT 1 FROM logs) AS capped; DELETE FROM logs; SELECT * FROM (SELECT 1", "multiple commands"),
        ("SELECT count(*) FROM logs -- a trailing comment", ""),
    ],
)
async def test_queries_run_wrapped_in_a_row_cap_that_cannot_be_escaped(
    reader: ReadOnlyDatabase, logs: Any, sql: str, refusal: str
) -> None:
    if refusal:
        with pytest.raises(QueryFailedError, match=refusal):
            await reader.run(sql, 10)
    else:
        assert (await reader.run(sql, 10)).rows == [{"count": 8}]
    assert await logs.fetchval("SELECT count(*) FROM logs") == 8


async def test_the_reader_role_can_only_select_from_logs(logs: asyncpg.Connection) -> None:
    privileges = await logs.fetch(
        "SELECT table_name, privilege_type FROM information_schema.role_table_grants "
        "WHERE grantee = 'loglens_reader'"
    )
    assert [(row["table_name"], row["privilege_type"]) for row in privileges] == [("logs", "SELECT")]
    assert (
        await logs.fetchval(
            "SELECT rolsuper OR rolcreaterole OR rolcreatedb FROM pg_roles WHERE rolname = 'loglens_reader'"
        )
        is False
    )
