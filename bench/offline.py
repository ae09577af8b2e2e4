"""Offline answers end to end over HTTP (POST /query) on ~1M logs: the shared questions, each
asked through the agent's API with the offline engine, timed from request to response.

Beside it, in the same run, the floor: the questions' gold SQL executed directly over one
asyncpg connection, the time PostgreSQL itself needs for the right answers on this machine.

    python -m bench.offline
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import asyncpg

from bench.agent import percentile
from bench.data import million_logs
from bench.report import Report
from loglens.agent.evaluation import bundled_questions
from loglens.agent.models import ModelChoice
from loglens.run import ReadSideServer
from loglens.settings import Settings

ROUNDS = 3
TARGET_P95_MS = 300


async def measure(report: Report) -> None:
    bundled = bundled_questions()
    questions = [question.question for question in bundled]
    async with million_logs() as (dsn, count):
        server = ReadSideServer(
            Settings(agent_port=0, llm_provider="offline"), dsn, ModelChoice("offline", None, "offline")
        )
        await server.start()
        latencies: list[float] = []
        slowest: tuple[float, str] = (0.0, "")
        failures = 0
        try:
            await server.service.catalog.get()
            async with aiohttp.ClientSession() as http:
                for _ in range(ROUNDS):
                    for question in questions:
                        started = time.perf_counter()
                        async with http.post(
                            f"http://127.0.0.1:{server.port}/query", json={"question": question}
                        ) as response:
                            body = await response.json()
                        elapsed = (time.perf_counter() - started) * 1000
                        latencies.append(elapsed)
                        failures += "error" in body
                        slowest = max(slowest, (elapsed, question))
        finally:
            await server.stop()
        gold = await gold_sql_latencies(dsn, [q.gold_sql for q in bundled if q.gold_sql is not None])
    p95 = percentile(latencies, 0.95)
    report.section(f"Offline engine over HTTP: the {len(questions)} shared questions x {ROUNDS}, {count:,} logs")
    report.row(
        "latency",
        f"p50 {percentile(latencies, 0.5):.0f} ms, p95 {p95:.0f} ms "
        f"(target p95 < {TARGET_P95_MS} ms: {'met' if p95 < TARGET_P95_MS else 'NOT met'})",
    )
    report.row(
        "gold SQL alone",
        f"p50 {percentile(gold, 0.5):.0f} ms, p95 {percentile(gold, 0.95):.0f} ms (the right answers' own "
        f"execution, same data, same run: the floor for any engine)",
    )
    report.row("ratio", f"p95 {p95 / percentile(gold, 0.95):.2f} x the gold SQL's")
    report.row("slowest", f"{slowest[0]:.0f} ms: {slowest[1]}")
    report.row("unanswered", f"{failures} of {len(latencies)}")


async def gold_sql_latencies(dsn: str, statements: list[str]) -> list[float]:
    """Milliseconds per execution of each statement, ROUNDS times, in the order the engine asks."""
    connection = await asyncpg.connect(dsn)
    latencies: list[float] = []
    try:
        for _ in range(ROUNDS):
            for statement in statements:
                started = time.perf_counter()
                await connection.fetch(statement)
                latencies.append((time.perf_counter() - started) * 1000)
    finally:
        await connection.close()
    return latencies


def main() -> None:
    report = Report()
    asyncio.run(measure(report))
    report.print()


if __name__ == "__main__":
    main()
