"""The agent's own cost per question, and the time to the first WebSocket event, on ~1M logs.

An instant scripted model (pydantic-ai's FunctionModel: no network, no thinking) answers 200
questions with realistic SQL, so what is measured is loglens: validation, EXPLAIN, the
read-only transaction, the schema catalog, event streaming and the history. The SQL's own
execution time is measured too, and subtracted to give the overhead.

    python -m bench.agent
"""

from __future__ import annotations

import asyncio
import statistics
import time
from typing import Any

import aiohttp
import orjson
from pydantic_ai.messages import ModelMessage, ModelResponse, ToolCallPart
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from bench.data import million_logs
from bench.report import Report
from loglens.agent.models import ModelChoice
from loglens.agent.service import AgentService
from loglens.run import ReadSideServer
from loglens.settings import Settings

QUERIES = [
    "SELECT count(*) AS errors FROM logs WHERE NOT deleted AND level IN ('ERROR','FATAL') "
    "AND created_at > now() - interval '1 hour'",
    "SELECT service, count(*) AS errors FROM logs WHERE NOT deleted AND level IN ('ERROR','FATAL') "
    "AND created_at > now() - interval '24 hours' GROUP BY service ORDER BY errors DESC",
    "SELECT error_type, count(*) AS n FROM logs WHERE NOT deleted AND level IN ('ERROR','FATAL') "
    "AND created_at > now() - interval '1 hour' GROUP BY 1 ORDER BY 2 DESC LIMIT 5",
    "SELECT date_trunc('hour', created_at) AS hour, count(*) AS errors FROM logs WHERE NOT deleted "
    "AND level IN ('ERROR','FATAL') AND created_at > now() - interval '12 hours' GROUP BY 1 ORDER BY 1",
    "SELECT * FROM logs WHERE NOT deleted AND level = 'ERROR' ORDER BY created_at DESC LIMIT 20",
]


def instant_model() -> FunctionModel:
    def turn(messages: list[ModelMessage]) -> tuple[str, dict[str, Any]]:
        asked = sum(isinstance(message, ModelResponse) for message in messages)
        sql = QUERIES[len(str(messages[0])) % len(QUERIES)]
        if asked == 0:
            return "execute_sql", {"sql": sql}
        return "final_result", {"sql": sql, "reading": "Measured.", "insight": "Measured.", "chart": "table"}

    def respond(messages: list[ModelMessage], _info: AgentInfo) -> ModelResponse:
        tool, args = turn(messages)
        return ModelResponse(parts=[ToolCallPart(tool, args)])

    async def stream(messages: list[ModelMessage], _info: AgentInfo) -> Any:
        tool, args = turn(messages)
        chunk: DeltaToolCalls = {0: DeltaToolCall(name=tool, json_args=orjson.dumps(args).decode())}
        yield chunk

    return FunctionModel(respond, stream_function=stream, model_name="instant")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


async def measure_overhead(service: AgentService, questions: int) -> tuple[list[float], list[float]]:
    overheads, totals = [], []
    for n in range(questions):
        started = time.perf_counter()
        outcome = await service.answer(service.question(f"question {n} {'?' * (n % 5)}"))
        total_ms = (time.perf_counter() - started) * 1000
        if outcome.result is None:
            raise RuntimeError(f"the benchmark question failed: {outcome.error}")
        totals.append(total_ms)
        overheads.append(total_ms - outcome.result.execution_time_ms)
    return overheads, totals


async def measure_first_event(port: int, questions: int) -> list[float]:
    latencies = []
    async with aiohttp.ClientSession() as http, http.ws_connect(f"http://127.0.0.1:{port}/ws/query") as ws:
        for n in range(questions):
            started = time.perf_counter()
            await ws.send_str(orjson.dumps({"question": f"first event {n}"}).decode())
            await ws.receive_json()
            latencies.append((time.perf_counter() - started) * 1000)
            while (await ws.receive_json())["type"] != "done":
                pass
    return latencies


async def measure(report: Report, questions: int = 200) -> None:
    async with million_logs() as (dsn, count):
        settings = Settings(agent_port=0, database_url=None)
        choice = ModelChoice("instant", instant_model(), "instant")
        server = ReadSideServer(settings, dsn, choice)
        await server.start()
        try:
            await server.service.catalog.get()  # the first question's one-time profile, reported apart
            profile_started = time.perf_counter()
            server.service.catalog.forget()
            await server.service.catalog.get()
            profile_ms = (time.perf_counter() - profile_started) * 1000
            overheads, totals = await measure_overhead(server.service, questions)
            first_events = await measure_first_event(server.port, 50)
        finally:
            await server.stop()
    report.section(f"Agent: {questions} questions answered by an instant scripted model, {count:,} logs")
    report.row(
        "overhead",
        f"p50 {percentile(overheads, 0.5):.1f} ms, p95 {percentile(overheads, 0.95):.1f} ms "
        "(total minus the SQL's own execution)",
    )
    report.row(
        "total",
        f"p50 {percentile(totals, 0.5):.1f} ms, p95 {percentile(totals, 0.95):.1f} ms, "
        f"mean {statistics.mean(totals):.1f} ms",
    )
    report.row(
        "first WS event",
        f"p50 {percentile(first_events, 0.5):.2f} ms, p95 {percentile(first_events, 0.95):.2f}"
        " ms (mission: < 100 ms)",
    )
    report.row("schema profile", f"{profile_ms:.0f} ms once per {120} s, refreshed in the background")


def main() -> None:
    report = Report()
    asyncio.run(measure(report))
    report.print()


if __name__ == "__main__":
    main()
