"""The agent's final outputs, and the chart a result's shape calls for.

``final_result`` (``Answer``) is the output tool every engine ends with: the SQL whose rows
answer the question, a one-line reading of what that SQL computes, a short insight, and a chart
type. ``cannot_answer`` (``CannotAnswer``)
is the honest alternative for a question logs cannot answer.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, Field

ChartType = Literal["line", "bar", "stat", "table"]


class Answer(BaseModel):
    """Call this once execute_sql has returned the rows that answer the question."""

    sql: str = Field(
        description="The SQL query, exactly as passed to execute_sql, whose rows answer the question."
    )
    reading: str = Field(
        description=(
            "One line, in the language of the question, saying what the SQL computes: the measure, the "
            "filters, the time window, the grouping and the order or limit, so that the reader can check "
            "the question was understood (e.g. 'Number of errors, service payment-api, last 24 h, per hour'; "
            "'에러 수, 서비스 payment-api, 최근 24시간, 시간별'). Describe the SQL, not the rows."
        )
    )
    insight: str = Field(
        description="1 to 3 sentences in the language of the question, with the concrete numbers from the rows."
    )
    chart: ChartType = Field(
        description="line for a time series, bar for counts by category, stat for a single number, else table."
    )


class CannotAnswer(BaseModel):
    """Call this when the logs cannot answer the question (it is not about logs, or needs data they lack)."""

    reason: str = Field(description="One sentence, in the language of the question, saying why.")
    suggestions: list[str] = Field(
        default_factory=list,
        description="Up to 4 related questions these logs can answer, in the same language.",
    )


@dataclass(frozen=True)
class ChartSpec:
    type: ChartType
    x: str | None = None
    y: tuple[str, ...] = ()

    def as_json(self) -> dict[str, Any]:
        return {"type": self.type, "x": self.x, "y": list(self.y)}


def chart_for(columns: list[str], rows: list[dict[str, Any]], suggested: ChartType | None = None) -> ChartSpec:
    """The chart the data supports; the suggestion wins when the data supports it too."""
    numeric = [c for c in columns if rows and all(_is_number(row.get(c)) for row in rows)]
    fitting = _fitting_charts(columns, rows, numeric)
    chosen = suggested if suggested in fitting else next(iter(fitting))
    if chosen == "line":
        x = next(c for c in columns if _is_time_column(c, rows))
        return ChartSpec("line", x, tuple(c for c in numeric if c != x))
    if chosen == "bar":
        x = next(c for c in columns if c not in numeric)
        return ChartSpec("bar", x, tuple(numeric))
    if chosen == "stat":
        return ChartSpec("stat", None, (numeric[0],))
    return ChartSpec("table")


def _fitting_charts(columns: list[str], rows: list[dict[str, Any]], numeric: list[str]) -> dict[ChartType, None]:
    fitting: dict[ChartType, None] = {}
    if len(rows) == 1 and numeric and len(columns) <= 2:
        fitting["stat"] = None
    time_columns = [c for c in columns if _is_time_column(c, rows)]
    others = [c for c in columns if c not in numeric]
    if time_columns and numeric and len(rows) >= 2:
        fitting["line"] = None
    if others and numeric and len(rows) >= 2 and len(rows) <= 100:
        fitting["bar"] = None
    fitting["table"] = None
    return fitting


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _is_time_column(column: str, rows: list[dict[str, Any]]) -> bool:
    values = [row[column] for row in rows if row.get(column) is not None]
    if not values or not all(isinstance(value, str) for value in values):
        return False
    try:
        for value in values[:20]:
            dt.datetime.fromisoformat(str(value))
    except ValueError:
        return False
    return True
