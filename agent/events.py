"""The agent's event protocol: what answering one question streams, over ``WS /ws/query`` (as JSON)
and to the Slack bot (as these models).

    node_start retrieve_schema → node_end
    node_start generate_sql → token(sql)… → node_end
    node_start validate_sql → node_end (ok or error; a refused query goes back to the model)
    node_start execute_query → node_end
    node_start generate_insight → token(insight)… → node_end
    result → done                      (or error → done)

Each event is a JSON object named by its ``type``. ``progress`` (0 to 100) says how far the run
is, from each step's values in ``STEPS``; it can step back, and clients show the highest so far:
a retry starts generate_sql and validate_sql again (``attempt`` counts the validations), and
the model may ask for the schema again. A field that has nothing to say is left out, never
sent as null. ``result`` carries the same fields as the
answer ``POST /query`` returns; an ``error`` that ends a run says its ``outcome`` (refused,
failed or unanswerable) and ``suggestions``, one about a malformed request only its ``message``.

The web client keeps its own copy of these types (``QueryEvent`` in bots/web/src/lib/types.ts);
tests/agent/test_events.py holds it to ``json_schema()``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, NamedTuple

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter
from pydantic.json_schema import SkipJsonSchema
from typing_extensions import TypedDict  # before Python 3.12, pydantic wants this one, not typing's

from loglens.agent.answer import ChartType

Step = Literal["retrieve_schema", "generate_sql", "validate_sql", "execute_query", "generate_insight"]
TokenField = Literal["sql", "insight"]  # what a token event writes, piece by piece
# A field typed ``X | Absent`` is left out of the event when it is None (and the JSON Schema says
# it may be missing, not that it may be null).
Absent = SkipJsonSchema[None]


class StepInfo(NamedTuple):
    label: str  # what a person reads while the step runs (in Slack; the web client words its own)
    start: int  # the progress when it starts
    end: int  # when it ends (well)
    failed: int | None = None  # when it ends badly, for the steps that can
    restart: int | None = None  # when it starts again after the run had moved on


STEPS: dict[Step, StepInfo] = {
    "retrieve_schema": StepInfo("Reading what the logs hold", start=5, end=15, restart=10),
    "generate_sql": StepInfo("Writing the SQL", start=20, end=40),
    "validate_sql": StepInfo("Checking the SQL is a safe, read-only query", start=45, end=55, failed=50),
    "execute_query": StepInfo("Running the query", start=60, end=75, failed=65),
    "generate_insight": StepInfo("Writing the answer", start=80, end=100),
}


def _as_sent(schema: dict[str, Any], model: type[BaseModel]) -> None:
    """The JSON Schema of an event as it is sent: ``type`` is always there, a field typed
    ``X | Absent`` may be missing, and no default is advertised (the sender fills none in)."""
    for prop in schema.get("properties", {}).values():
        prop.pop("default", None)
    schema["required"] = [name for name, field in model.model_fields.items() if field.default is not None]


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, json_schema_extra=_as_sent)

    def wire(self) -> dict[str, Any]:
        """The event as sent, ready for JSON: its fields in order, the absent ones left out.

        Values are the validated Python values themselves (rows included), so that the JSON is
        exactly what serializing them gives."""
        fields = type(self).model_fields
        return {
            name: value
            for name in fields
            if (value := getattr(self, name)) is not None or fields[name].default is not None
        }


class NodeStartEvent(_Event):
    """A step starts; validate_sql says which ``attempt`` it is (1, 2, …)."""

    type: Literal["node_start"] = "node_start"
    node: Step
    progress: int
    attempt: int | Absent = None


class NodeEndEvent(_Event):
    """A step ends. validate_sql and execute_query say whether it went ``ok`` (with the
    ``error`` when not); execute_query also how many rows came back, and how fast."""

    type: Literal["node_end"] = "node_end"
    node: Step
    progress: int
    ok: bool | Absent = None
    error: str | Absent = None
    row_count: int | Absent = None
    execution_time_ms: float | Absent = None


class TokenEvent(_Event):
    """The next piece of the SQL or of the insight, as the model writes it."""

    type: Literal["token"] = "token"
    field: TokenField
    content: str


class ChartSpecJson(TypedDict):
    """The chart the rows call for (``answer.ChartSpec.as_json()``)."""

    type: ChartType
    x: str | None
    y: list[str]


class ResultEvent(_Event):
    """The answer: the SQL that ran, the reading of what it computes, its rows, the insight and the chart."""

    type: Literal["result"] = "result"
    sql: str
    reading: str  # one line, in the question's language: measure, filters, window, grouping, order
    columns: list[str]
    results: list[dict[str, Any]]
    count: int
    truncated: bool  # the row cap was reached: more rows matched
    execution_time_ms: float
    total_time_ms: float
    insight: str
    chart: ChartType
    chart_spec: ChartSpecJson
    engine: str
    attempts: int


class ErrorEvent(_Event):
    """There is no answer, and why: ``outcome`` is refused, failed or unanswerable."""

    type: Literal["error"] = "error"
    message: str
    outcome: str | Absent = None
    suggestions: list[str] | Absent = None  # questions the logs can answer instead


class DoneEvent(_Event):
    """The last event of every question, answered or not."""

    type: Literal["done"] = "done"


Event = Annotated[
    NodeStartEvent | NodeEndEvent | TokenEvent | ResultEvent | ErrorEvent | DoneEvent,
    Field(discriminator="type"),
]
EVENTS: TypeAdapter[Event] = TypeAdapter(Event)


def json_schema() -> dict[str, Any]:
    """The protocol as JSON Schema: a ``oneOf`` of the events, discriminated by ``type``."""
    return {"title": "QueryEvent", **EVENTS.json_schema(mode="serialization")}


def started(step: Step, *, attempt: int | None = None, again: bool = False) -> NodeStartEvent:
    """``step`` starts; ``again`` when the run had already moved past it."""
    info = STEPS[step]
    progress = (info.restart or info.start) if again else info.start
    return NodeStartEvent(node=step, progress=progress, attempt=attempt)


def ended(
    step: Step, *, ok: bool | None = None, row_count: int | None = None, execution_time_ms: float | None = None
) -> NodeEndEvent:
    return NodeEndEvent(
        node=step, progress=STEPS[step].end, ok=ok, row_count=row_count, execution_time_ms=execution_time_ms
    )


def failed(step: Step, error: str) -> NodeEndEvent:
    progress = STEPS[step].failed
    if progress is None:
        raise ValueError(f"{step} has no failure of its own")
    return NodeEndEvent(node=step, progress=progress, ok=False, error=error)
