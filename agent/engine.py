"""One question in, a stream of events out: the run every API, bot and engine shares.

The events, their order and their fields are the protocol of ``agent/events.py``. The first
event leaves before anything is awaited. Tokens are cut from the tool-call arguments as the
model streams them (partial JSON), so the SQL and the insight appear as they are written
whichever provider writes them. Tools emit their own steps into the same queue, so
the order is the order things happened.

A request to change the logs (``agent/write_requests.py``) is refused before anything else: an
``error`` with outcome ``refused``, in the question's language, then ``done``; no model is asked.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import pydantic_core
from pydantic_ai import (
    Agent,
    AgentRunResultEvent,
    FunctionToolCallEvent,
    ModelHTTPError,
    PartDeltaEvent,
    PartStartEvent,
    RunContext,
    ToolCallPart,
    ToolCallPartDelta,
    ToolOutput,
    UnexpectedModelBehavior,
)
from pydantic_ai.exceptions import ModelAPIError
from pydantic_ai.models import Model

from loglens.agent import events, tools
from loglens.agent.answer import Answer, CannotAnswer, chart_for
from loglens.agent.database import QueryResult
from loglens.agent.models import ModelChoice, explain_model_error
from loglens.agent.prompts import instructions
from loglens.agent.schema import SchemaCatalog
from loglens.agent.tools import AgentDeps
from loglens.agent.write_requests import refusal
from loglens.errors import AttemptsExhaustedError, DatabaseUnavailableError, SQLRefusedError

log = logging.getLogger(__name__)

SQL_TOOLS = ("execute_sql", "validate_sql", "execute_plan")


def build_agent(model: Model | None = None, plan_only: bool = False) -> Agent[AgentDeps, Answer | CannotAnswer]:
    """The agent; in plan mode the model gets no tool that takes SQL text, only ``execute_plan``."""
    sql_tools = [] if plan_only else [tools.validate_sql, tools.execute_sql]
    agent: Agent[AgentDeps, Answer | CannotAnswer] = Agent(
        model,
        deps_type=AgentDeps,
        output_type=[ToolOutput(Answer, name="final_result"), ToolOutput(CannotAnswer, name="cannot_answer")],
        tools=[tools.get_schema, *sql_tools, tools.execute_plan],
        # Attempts are counted by the tools themselves (AgentDeps.max_attempts); these only keep
        # pydantic-ai from giving up first.
        retries=5,
        defer_model_check=True,
    )

    @agent.output_validator
    async def _answer_was_run(ctx: RunContext[AgentDeps], output: Answer | CannotAnswer) -> Answer | CannotAnswer:
        # An answer whose SQL was never run (or differs from what ran) is run now: the rows
        # shown are always those of the SQL shown.
        if isinstance(output, Answer) and ctx.deps.result_for(output.sql) is None:
            await tools.run_query(ctx.deps, output.sql)
        return output

    return agent


@dataclass
class Question:
    text: str
    max_results: int
    context: Sequence[str] = ()  # earlier questions of the same conversation
    source: str = "api"


@dataclass
class QuestionReport:
    """Everything the APIs report about one question, filled in as the run goes."""

    question: str
    engine: str
    started: float = field(default_factory=time.perf_counter)
    sql: str | None = None
    reading: str | None = None  # what the SQL computes, in one line (Answer.reading)
    insight: str | None = None
    chart: dict[str, Any] | None = None
    result: QueryResult | None = None
    attempts: int = 0
    error: str | None = None
    kind: str = "answered"  # answered, refused, failed, unanswerable
    suggestions: list[str] = field(default_factory=list)

    @property
    def total_time_ms(self) -> float:
        return round((time.perf_counter() - self.started) * 1000, 1)

    def body(self) -> dict[str, Any]:
        if self.error is not None:
            return {
                "error": self.error,
                "outcome": self.kind,
                "suggestions": self.suggestions,
                "sql": self.sql,
                "engine": self.engine,
                "attempts": self.attempts,
                "total_time_ms": self.total_time_ms,
            }
        assert self.result is not None
        assert self.chart is not None
        return {
            "sql": self.sql,
            "reading": self.reading or "",
            "columns": self.result.columns,
            "results": self.result.rows,
            "count": len(self.result.rows),
            "truncated": self.result.truncated,
            "execution_time_ms": self.result.execution_time_ms,
            "total_time_ms": self.total_time_ms,
            "insight": self.insight,
            "chart": self.chart["type"],
            "chart_spec": self.chart,
            "engine": self.engine,
            "attempts": self.attempts,
        }


class QueryEngine:
    def __init__(
        self,
        choice: ModelChoice,
        catalog: SchemaCatalog,
        deps_factory: Any,
        max_attempts: int = 3,
        plan_only: bool = False,
    ) -> None:
        self.choice = choice
        self._catalog = catalog
        self._new_deps = deps_factory
        self._max_attempts = max_attempts
        self._agent = build_agent(choice.model, plan_only)

    @property
    def agent(self) -> Agent[AgentDeps, Answer | CannotAnswer]:
        return self._agent

    async def stream(
        self, question: Question, outcome: QuestionReport | None = None
    ) -> AsyncIterator[events.Event]:
        """The events of answering ``question``; ``outcome`` is filled in for the caller."""
        outcome = outcome or QuestionReport(question.text, self.choice.name)
        refused = refusal(question.text)
        if refused is not None:
            outcome.error, outcome.kind = refused, "refused"
            log.info("refused a request to change the logs: %r", question.text[:200])
            yield events.ErrorEvent(message=refused, outcome="refused")
            yield events.DoneEvent()
            return
        yield events.started("retrieve_schema")
        queue: asyncio.Queue[events.Event | None] = asyncio.Queue()
        try:
            schema = await self._catalog.for_question(question.text)
        except DatabaseUnavailableError as error:
            outcome.error, outcome.kind = str(error), "failed"
            yield events.ErrorEvent(message=str(error))
            yield events.DoneEvent()
            return
        yield events.ended("retrieve_schema")
        deps: AgentDeps = self._new_deps(
            emit=queue.put_nowait, max_rows=question.max_results, max_attempts=self._max_attempts
        )
        run = asyncio.create_task(self._run(question, instructions(schema), deps, queue, outcome))
        try:
            while (event := await queue.get()) is not None:
                yield event
            await run
        finally:
            if not run.done():
                run.cancel()  # the client went away: stop spending tokens and database time
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await run

    async def answer(self, question: Question) -> QuestionReport:
        outcome = QuestionReport(question.text, self.choice.name)
        async for _ in self.stream(question, outcome):
            pass
        return outcome

    async def _run(
        self,
        question: Question,
        system: str,
        deps: AgentDeps,
        queue: asyncio.Queue[events.Event | None],
        outcome: QuestionReport,
    ) -> None:
        translator = _Translator(queue.put_nowait)
        try:
            async with self._agent.run_stream_events(_prompt(question), deps=deps, instructions=system) as run:
                async for event in run:
                    if isinstance(event, AgentRunResultEvent):
                        self._finish(event.result.output, deps, outcome)
                    else:
                        translator.translate(event)
        except SQLRefusedError as error:
            outcome.error, outcome.kind = str(error), "refused"
        except AttemptsExhaustedError as error:
            outcome.error, outcome.kind = str(error), "failed"
        except DatabaseUnavailableError as error:
            outcome.error, outcome.kind = str(error), "failed"
        except ModelHTTPError as error:
            outcome.error, outcome.kind = (
                explain_model_error(self.choice, error.status_code, str(error.body)),
                "failed",
            )
        except (ModelAPIError, UnexpectedModelBehavior) as error:
            outcome.error, outcome.kind = explain_model_error(self.choice, None, str(error)), "failed"
        except Exception as error:  # a bug of ours: say so, and never leave the client waiting
            log.exception("answering %r failed", question.text)
            outcome.error, outcome.kind = f"loglens failed to answer: {type(error).__name__}: {error}", "failed"
        finally:
            outcome.attempts = deps.attempts
            try:
                for closing in self._closing_events(outcome):
                    queue.put_nowait(closing)
            finally:
                queue.put_nowait(None)  # even if an event would not validate: the stream always ends

    def _closing_events(self, outcome: QuestionReport) -> list[events.Event]:
        if outcome.error is None and outcome.result is None:
            outcome.error, outcome.kind = "the run ended without an answer", "failed"
        if outcome.error is not None:
            if outcome.kind != "unanswerable":
                log.info("question failed (%s): %s", outcome.kind, outcome.error)
            error = events.ErrorEvent(message=outcome.error, outcome=outcome.kind, suggestions=outcome.suggestions)
            return [error, events.DoneEvent()]
        return [events.ended("generate_insight"), events.ResultEvent(**outcome.body()), events.DoneEvent()]

    def _finish(self, output: Answer | CannotAnswer, deps: AgentDeps, outcome: QuestionReport) -> None:
        if isinstance(output, CannotAnswer):
            outcome.error, outcome.kind = output.reason, "unanswerable"
            outcome.suggestions = output.suggestions[:4]
            return
        result = deps.result_for(output.sql)
        assert result is not None, "the output validator runs every answer's SQL"
        outcome.sql, outcome.insight, outcome.result = output.sql.strip(), output.insight.strip(), result
        outcome.reading = " ".join(output.reading.split())  # one line, whatever the model wrote
        outcome.chart = chart_for(result.columns, result.rows, output.chart).as_json()


def _prompt(question: Question) -> str:
    if not question.context:
        return question.text
    earlier = "\n".join(f"- {text}" for text in question.context[-5:])
    return f"Earlier questions in this conversation:\n{earlier}\n\nQuestion: {question.text}"


class _Translator:
    """pydantic-ai stream events → the protocol's node and token events."""

    def __init__(self, emit: tools.Emit) -> None:
        self._emit = emit
        self._calls: dict[int, tuple[str, str, int]] = {}  # part index -> (tool, args so far, chars sent)

    def translate(self, event: Any) -> None:
        if isinstance(event, PartStartEvent) and isinstance(event.part, ToolCallPart):
            tool = event.part.tool_name
            args = event.part.args if isinstance(event.part.args, str) else ""
            self._calls[event.index] = (tool, "", 0)
            if tool in SQL_TOOLS:
                self._emit(events.started("generate_sql"))
            elif tool == "final_result":
                self._emit(events.started("generate_insight"))
            if args or isinstance(event.part.args, dict):
                self._grow(event.index, args if args else pydantic_core.to_json(event.part.args).decode())
        elif isinstance(event, PartDeltaEvent) and isinstance(event.delta, ToolCallPartDelta):
            delta = event.delta.args_delta
            if isinstance(delta, str) and event.index in self._calls:
                self._grow(event.index, delta)
        elif isinstance(event, FunctionToolCallEvent) and event.part.tool_name in SQL_TOOLS:
            self._emit(events.ended("generate_sql"))

    def _grow(self, index: int, delta: str) -> None:
        tool, args, sent = self._calls[index]
        args += delta
        field_name: events.TokenField | None = (
            "sql" if tool in SQL_TOOLS else "insight" if tool == "final_result" else None
        )
        if field_name is None:
            self._calls[index] = (tool, args, sent)
            return
        try:
            partial = pydantic_core.from_json(args, allow_partial="trailing-strings")
        except ValueError:
            partial = {}
        text = partial.get(field_name) if isinstance(partial, dict) else None
        if isinstance(text, str) and len(text) > sent:
            self._emit(events.TokenEvent(field=field_name, content=text[sent:]))
            sent = len(text)
        self._calls[index] = (tool, args, sent)
