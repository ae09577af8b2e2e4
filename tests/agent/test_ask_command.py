"""``loglens ask`` in a terminal, against a configured PostgreSQL and an OpenAI-compatible server."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from typing import Any

import asyncpg
import orjson
import pytest

from tests.agent.fake_llm import FakeOpenAI, Turn

SQL = (
    "SELECT service, count(*) AS errors FROM logs WHERE NOT deleted AND level >= 'ERROR' "
    "GROUP BY 1 ORDER BY 2 DESC"
)
READING = "Number of errors, all time, per service, most first"


async def ask(dsn: str, fake: FakeOpenAI | None, *args: str) -> subprocess.CompletedProcess[str]:
    """``loglens ask`` against ``fake``, or with the offline engine when there is none."""
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LOGLENS_")}
    environment.update(LOGLENS_DATABASE_URL=dsn, LOGLENS_LLM_PROVIDER="offline")
    if fake is not None:
        environment.update(
            LOGLENS_LLM_PROVIDER="openai-compatible",
            LOGLENS_LLM_BASE_URL=fake.base_url,
            LOGLENS_LLM_MODEL="local-model",
            LOGLENS_LLM_API_KEY=fake.api_key,
        )
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "loglens.cli", "ask", *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_ask_prints_the_insight_the_reading_the_sql_and_a_table(logs: asyncpg.Connection, dsn: str) -> None:
    fake = FakeOpenAI(
        [
            Turn("execute_sql", {"sql": SQL}),
            Turn(
                "final_result",
                {"sql": SQL, "reading": READING, "insight": "payment-api leads with 2 errors.", "chart": "bar"},
            ),
        ]
    )
    await fake.start()
    try:
        text = await ask(dsn, fake, "Which service has the most errors?")
        as_json = await ask(dsn, fake, "Which service has the most errors?", "--json")
    finally:
        await fake.stop()

    assert text.returncode == 0, text.stderr
    assert text.stdout.startswith("payment-api leads with 2 errors.")
    assert f"\nRead as: {READING}\n{SQL}\n" in text.stdout  # what was computed, just above the SQL
    assert "payment-api  2" in text.stdout.replace("   ", "  ")
    body: dict[str, Any] = orjson.loads(as_json.stdout)
    assert body["results"][0] == {"service": "payment-api", "errors": 2}
    assert body["reading"] == READING
    assert body["engine"] == "openai-compatible:local-model"
    sources = await logs.fetch("SELECT source FROM query_history")
    assert [row["source"] for row in sources] == ["cli", "cli"]


@pytest.mark.usefixtures("logs")
async def test_ask_prints_the_offline_engines_reading_in_the_questions_language(dsn: str) -> None:
    english = await ask(dsn, None, "How many errors happened in the last hour?")
    korean = await ask(dsn, None, "최근 1시간 에러 몇 건이야?")

    assert english.returncode == 0, english.stderr
    assert "\nRead as: Number of errors, last hour\nSELECT " in english.stdout
    assert korean.returncode == 0, korean.stderr
    assert "\nRead as: 에러 수, 최근 1시간\nSELECT " in korean.stdout


@pytest.mark.usefixtures("logs")
async def test_ask_exits_non_zero_with_a_sentence_when_it_cannot_answer(dsn: str) -> None:
    fake = FakeOpenAI(
        [
            Turn(
                "cannot_answer",
                {"reason": "Logs do not know the weather.", "suggestions": ["How many errors today?"]},
            )
        ]
    )
    await fake.start()
    try:
        result = await ask(dsn, fake, "weather?")
    finally:
        await fake.stop()
    assert result.returncode == 1
    assert "Cannot answer: Logs do not know the weather." in result.stdout
    assert "try: How many errors today?" in result.stdout
