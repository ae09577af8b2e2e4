"""The offline engine as a pydantic-ai model: it plans instead of thinking, then drives the
same tools, validation, execution, insight and streaming as any model.

Turn 1: plan the question; call ``execute_sql`` with the plan's SQL (or ``cannot_answer``
with examples of what it can answer). Turn 2: read the rows the tool returned and call
``final_result`` with the SQL, the plan's reading (``reading.py``), an insight written from
the rows, and the chart.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import AsyncIterator, Callable
from typing import Any

import orjson
from pydantic_ai.messages import (
    ModelMessage,
    ModelRequest,
    ModelResponse,
    RetryPromptPart,
    ToolCallPart,
    ToolReturnPart,
    UserPromptPart,
)
from pydantic_ai.models.function import AgentInfo, DeltaToolCall, DeltaToolCalls, FunctionModel

from loglens.agent.offline.insight import describe_window, write_insight
from loglens.agent.offline.parse import Planned, Planner, language_of
from loglens.agent.offline.plan import render_sql
from loglens.agent.offline.planner import coverage
from loglens.agent.offline.reading import read_plan
from loglens.agent.schema import Schema

CHUNK_CHARS = 24
ROWS = re.compile(r"<log_rows>(.*)</log_rows>\s*$", re.DOTALL)

EXAMPLES = {
    "en": [
        "How many errors happened in the last hour?",
        "Which service had the most errors today?",
        "What is the p95 latency per endpoint over the last 24 hours?",
        "Show the 10 most recent FATAL logs",
    ],
    "ko": [
        "최근 1시간 에러 로그 몇 건이야?",
        "오늘 에러가 가장 많은 서비스는?",
        "지난 24시간 엔드포인트별 p95 응답 시간",
        "가장 최근 FATAL 로그 10개 보여줘",
    ],
}
CANNOT = {
    "en": "I can't answer that from the logs offline ({reason}). Try a question like these.",
    "ko": "이 질문은 오프라인 엔진으로 로그에서 답할 수 없습니다({reason}). 이런 질문을 해 보세요.",
}


NARROWER = {
    "en": "{reason}, so I did not answer it: an answer without those words would be to another question. "
    "I can answer this narrower one: “{narrower}”.",
    "ko": "{reason}. 그 부분을 빼고 답하면 다른 질문에 대한 답이 되므로 답하지 않았습니다. "
    "대신 이 질문에는 답할 수 있습니다: “{narrower}”",
}


class OfflineEngine:
    """Plans questions against the schema the agent's catalog holds."""

    def __init__(self, schema: Callable[[], Schema | None], zone: dt.tzinfo = dt.UTC) -> None:
        self._schema = schema
        self._zone = zone  # the insight's times are written in it (LOGLENS_TIMEZONE)

    def planned(self, question: str) -> Planned:
        schema = self._schema()
        if schema is None:
            return Planned(None, language_of(question), reason="the logs have not been profiled yet")
        return Planner(schema, str(self._zone)).plan(question)

    def _narrower(self, question: str, planned: Planned) -> str | None:
        """A narrower question than one with unusable words, if the planner can answer it."""
        if not planned.unused:
            return None
        narrower = coverage.narrower(question, planned.unused)
        if not narrower or narrower == question:
            return None
        return narrower if self.planned(narrower).plan is not None else None

    def model(self) -> FunctionModel:
        return FunctionModel(self._respond, stream_function=self._stream, model_name="offline")

    def _respond(self, messages: list[ModelMessage], _info: AgentInfo) -> ModelResponse:
        tool, args = self._next_call(messages)
        return ModelResponse(parts=[ToolCallPart(tool, args)])

    async def _stream(self, messages: list[ModelMessage], _info: AgentInfo) -> AsyncIterator[DeltaToolCalls]:
        tool, args = self._next_call(messages)
        text = orjson.dumps(args).decode()
        for start in range(0, len(text), CHUNK_CHARS):
            yield {
                0: DeltaToolCall(name=tool if start == 0 else None, json_args=text[start : start + CHUNK_CHARS])
            }

    def _next_call(self, messages: list[ModelMessage]) -> tuple[str, dict[str, Any]]:
        question = _question_of(messages)
        planned = self.planned(question)
        if planned.plan is None:
            return "cannot_answer", _cannot(planned, self._narrower(question, planned))
        sql = render_sql(planned.plan)
        returned = _last_tool_result(messages)
        if returned is None:
            return "execute_sql", {"sql": sql}
        if isinstance(returned, RetryPromptPart):
            planned.reason = f"its query failed: {returned.model_response()[:200]}"
            return "cannot_answer", _cannot(planned)
        columns, rows, overview = _rows_of(str(returned.content))
        insight = write_insight(
            planned.plan,
            planned.language,
            planned.subject,
            columns,
            rows,
            describe_window(planned.plan, planned.language),
            overview,
            self._zone,
        )
        return "final_result", {
            "sql": sql,
            "reading": read_plan(planned.plan, planned.language, planned.subject),
            "insight": insight,
            "chart": _chart(planned, rows),
        }


def _question_of(messages: list[ModelMessage]) -> str:
    for message in messages:
        if isinstance(message, ModelRequest):
            for part in message.parts:
                if isinstance(part, UserPromptPart) and isinstance(part.content, str):
                    text = part.content
                    return text.rsplit("Question:", 1)[-1].strip() if "Question:" in text else text
    return ""


def _last_tool_result(messages: list[ModelMessage]) -> ToolReturnPart | RetryPromptPart | None:
    if not any(isinstance(message, ModelResponse) for message in messages):
        return None
    last = messages[-1]
    if isinstance(last, ModelRequest):
        for part in last.parts:
            if isinstance(part, ToolReturnPart | RetryPromptPart):
                return part
    return None


def _rows_of(content: str) -> tuple[list[str], list[dict[str, Any]], dict[str, Any]]:
    """The columns, the rows shown, and what the tool said of all rows (count, totals, peaks)."""
    match = ROWS.search(content)
    if match is None:
        return [], [], {}
    try:
        document = orjson.loads(html.unescape(match.group(1)))
    except orjson.JSONDecodeError:
        return [], [], {}
    rows = list(document.pop("rows", []))
    return list(document.get("columns", [])), rows, document


def _cannot(planned: Planned, narrower: str | None = None) -> dict[str, Any]:
    language = planned.language if planned.language in CANNOT else "en"
    if narrower is not None:
        # "I could not use 'deploy'": the narrower question the planner can answer comes first
        reason = NARROWER[language].format(reason=planned.reason, narrower=narrower)
        return {"reason": reason, "suggestions": [narrower, *EXAMPLES[language][:3]]}
    return {"reason": CANNOT[language].format(reason=planned.reason), "suggestions": EXAMPLES[language]}


def _chart(planned: Planned, rows: list[dict[str, Any]]) -> str:
    plan = planned.plan
    assert plan is not None
    if plan.shape in ("rows", "distinct"):
        return "table"
    if plan.group_by is None:
        return "stat" if len(rows) == 1 and len(plan.measures) == 1 else "table"
    return "line" if plan.group_by.bucket is not None else "bar"
