"""A question about logs as a typed structure, and the one way it becomes SQL.

``QueryPlan`` is what the offline planner produces from a question, and what a model can fill
in instead of writing SQL (plan mode): it can only say things that render to a safe query —
columns come from a fixed list, metadata keys must look like keys, values are quoted by the
renderer — so a plan cannot carry SQL of its own.
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel, Field, field_validator

from loglens.logs_table import Level

# The columns a plan may name: every column of logs (loglens/logs_table.py) but id, deleted and
# metadata, whose keys a plan names instead. A Literal so that mypy and pydantic both check the
# names; tests/test_logs_table.py holds it to the table.
ColumnName = Literal[
    "created_at",
    "level",
    "log_type",
    "service",
    "environment",
    "service_version",
    "trace_id",
    "span_id",
    "user_id",
    "session_id",
    "error_type",
    "message",
    "stack_trace",
    "path",
    "method",
    "action_type",
    "function_name",
    "file_path",
    "duration_ms",
]
METADATA_KEY = re.compile(r"^[A-Za-z0-9_.\-]{1,64}$")
ERROR_LEVELS = ("ERROR", "FATAL")
ROW_COLUMNS: tuple[ColumnName, ...] = (
    "created_at",
    "level",
    "service",
    "error_type",
    "message",
    "path",
    "user_id",
    "trace_id",
)

Scalar = str | int | float


class Attribute(BaseModel):
    """A column of logs, or a key of its metadata."""

    column: ColumnName | None = None
    metadata_key: str | None = None
    numeric: bool = False  # compare or aggregate a metadata key as a number

    @field_validator("metadata_key")
    @classmethod
    def _looks_like_a_key(cls, key: str | None) -> str | None:
        if key is not None and not METADATA_KEY.match(key):
            raise ValueError("a metadata key is letters, digits, '_', '.' or '-', at most 64 characters")
        return key

    @property
    def name(self) -> str:
        return self.column or self.metadata_key or "value"

    def sql(self) -> str:
        if self.column is not None:
            return self.column
        key = _literal(self.metadata_key or "")
        if self.numeric:
            # CASE keeps the cast from ever seeing a value that is not a JSON number
            return f"(CASE WHEN jsonb_typeof(metadata->{key}) = 'number' THEN (metadata->>{key})::numeric END)"
        return f"metadata->>{key}"

    def present(self) -> str:
        if self.column is not None:
            return f"{self.column} IS NOT NULL"
        return f"metadata ? {_literal(self.metadata_key or '')}"


class Condition(BaseModel):
    attribute: Attribute
    op: Literal["=", "!=", "in", ">", ">=", "<", "<=", "contains", "contains_any", "is_null", "is_not_null"]
    values: list[Scalar] = Field(default_factory=list)

    def sql(self) -> str:
        target = self.attribute.sql()
        if self.op == "is_null":
            return f"{target} IS NULL"
        if self.op == "is_not_null":
            return self.attribute.present()
        if self.op == "in":
            return f"{target} IN ({', '.join(_literal(v) for v in self.values)})"
        if self.op == "contains":
            return f"{target} ILIKE {_literal('%' + _like_escape(str(self.values[0])) + '%')}"
        if self.op == "contains_any":
            # one case-insensitive regular expression reads each value once, where ORed ILIKEs
            # would read it once per pattern
            alternatives = "|".join(_regex_escape(str(value)) for value in self.values)
            return f"{target} ~* {_literal('(?:' + alternatives + ')')}"
        return f"{target} {self.op} {_literal(self.values[0])}"


class AnyOf(BaseModel):
    """Conditions of which at least one must hold (e.g. a pattern in the path or the message)."""

    conditions: list[Condition]

    def sql(self) -> str:
        return "(" + " OR ".join(condition.sql() for condition in self.conditions) + ")"


class TimeWindow(BaseModel):
    kind: Literal["last", "today", "yesterday", "since_yesterday", "this_week", "last_week"]
    amount: int = Field(default=1, ge=1, le=100_000)
    unit: Literal["minute", "hour", "day", "week"] = "hour"

    def sql(self) -> list[str]:
        if self.kind == "last":
            plural = "" if self.amount == 1 else "s"
            return [f"created_at > now() - interval '{self.amount} {self.unit}{plural}'"]
        if self.kind == "today":
            return ["created_at >= date_trunc('day', now())"]
        if self.kind == "since_yesterday":
            return ["created_at >= date_trunc('day', now()) - interval '1 day'"]
        if self.kind == "yesterday":
            return [
                "created_at >= date_trunc('day', now()) - interval '1 day'",
                "created_at < date_trunc('day', now())",
            ]
        if self.kind == "this_week":
            return ["created_at >= date_trunc('week', now())"]
        return [
            "created_at >= date_trunc('week', now()) - interval '1 week'",
            "created_at < date_trunc('week', now())",
        ]


class Measure(BaseModel):
    kind: Literal[
        "count",
        "count_distinct",
        "avg",
        "max",
        "min",
        "sum",
        "percentile",
        "error_rate",
        "level_share",
        "avg_length",
        "first_seen",
        "last_seen",
    ]
    attribute: Attribute | None = None
    fraction: float | None = Field(default=None, gt=0, lt=1)
    level: Level | None = None
    alias: str = "count"

    @field_validator("alias")
    @classmethod
    def _plain_alias(cls, alias: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", alias):
            raise ValueError("an alias is lowercase letters, digits and '_'")
        return alias

    def sql(self) -> str:
        target = self.attribute.sql() if self.attribute else "*"
        expression = {
            "count": "COUNT(*)",
            "count_distinct": f"COUNT(DISTINCT {target})",
            "avg": f"AVG({target})",
            "max": f"MAX({target})",
            "min": f"MIN({target})",
            "sum": f"SUM({target})",
            "percentile": f"percentile_cont({self.fraction}) WITHIN GROUP (ORDER BY {target})",
            "error_rate": "ROUND(100.0 * COUNT(*) FILTER (WHERE level IN ('ERROR','FATAL')) / COUNT(*), 2)",
            "level_share": f"ROUND(100.0 * COUNT(*) FILTER (WHERE level = '{self.level}') / COUNT(*), 2)",
            "avg_length": "AVG(length(message))",
            "first_seen": "MIN(created_at)",
            "last_seen": "MAX(created_at)",
        }[self.kind]
        return f"{expression} AS {self.alias}"


class Grouping(BaseModel):
    attribute: Attribute | None = None
    bucket: Literal["minute", "5 minutes", "15 minutes", "hour", "day", "week"] | None = None
    alias: str = "group"

    def sql(self) -> str:
        if self.bucket is None:
            assert self.attribute is not None
            return self.attribute.sql()
        if " " in self.bucket:
            return f"date_bin(interval '{self.bucket}', created_at, timestamptz '2000-01-01')"
        return f"date_trunc('{self.bucket}', created_at)"


class Having(BaseModel):
    measure: Measure
    op: Literal[">", ">=", "<", "<="]
    value: float


class QueryPlan(BaseModel):
    """A log question in structured form; ``render_sql`` turns it into one read-only SELECT."""

    shape: Literal["aggregate", "rows", "distinct", "count_groups"] = "aggregate"
    window: TimeWindow | None = None
    errors_only: bool = False
    conditions: list[Condition | AnyOf] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    group_by: Grouping | None = None
    having: Having | None = None
    # Rows are shown newest first, "oldest" first (a trace, as it happened) or "slowest" first.
    order: Literal["measure_desc", "measure_asc", "group_asc", "newest", "oldest", "slowest", "none"] = "measure_desc"
    limit: int | None = Field(default=None, ge=1, le=10_000)
    columns: list[ColumnName] = Field(default_factory=lambda: list(ROW_COLUMNS))


def render_sql(plan: QueryPlan) -> str:
    where = _where(plan)
    if plan.shape == "rows":
        order = {
            "slowest": " ORDER BY duration_ms DESC NULLS LAST",
            "oldest": " ORDER BY created_at",
        }.get(plan.order, " ORDER BY created_at DESC")
        limit = f" LIMIT {plan.limit}" if plan.limit else ""
        return f"SELECT {', '.join(plan.columns)} FROM logs WHERE {where}{order}{limit}"
    if plan.shape == "distinct":
        assert plan.group_by is not None
        alias = plan.group_by.alias
        return f"SELECT DISTINCT {_named(plan.group_by.sql(), alias)} FROM logs WHERE {where} ORDER BY 1"
    if plan.shape == "count_groups":
        assert plan.group_by is not None
        assert plan.having is not None
        inner = f"SELECT {plan.group_by.sql()} FROM logs WHERE {where} GROUP BY 1 HAVING {_having(plan.having)}"
        return f"SELECT COUNT(*) AS {plan.measures[0].alias if plan.measures else 'groups'} FROM ({inner}) AS t"
    measures = ", ".join(measure.sql() for measure in plan.measures or [Measure(kind="count")])
    if plan.group_by is None:
        return f"SELECT {measures} FROM logs WHERE {where}"
    group = plan.group_by
    sql = f"SELECT {_named(group.sql(), group.alias)}, {measures} FROM logs WHERE {where} GROUP BY 1"
    if plan.having is not None:
        sql += f" HAVING {_having(plan.having)}"
    first = (plan.measures or [Measure(kind="count")])[0].alias
    if plan.order == "measure_desc":
        sql += f" ORDER BY {first} DESC NULLS LAST"
    elif plan.order == "measure_asc":
        sql += f" ORDER BY {first} ASC NULLS LAST"
    elif plan.order == "group_asc":
        sql += " ORDER BY 1"
    if plan.limit:
        sql += f" LIMIT {plan.limit}"
    return sql


def _named(expression: str, alias: str) -> str:
    return expression if expression == alias else f"{expression} AS {alias}"


def _where(plan: QueryPlan) -> str:
    parts = ["NOT deleted"]
    if plan.errors_only:
        parts.append("level IN ('ERROR','FATAL')")
    parts += [condition.sql() for condition in plan.conditions]
    if plan.window is not None:
        parts += plan.window.sql()
    return " AND ".join(parts)


def _having(having: Having) -> str:
    expression = having.measure.sql().rsplit(" AS ", 1)[0]
    value = int(having.value) if float(having.value).is_integer() else having.value
    return f"{expression} {having.op} {value}"


def _literal(value: Scalar) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    return "'" + str(value).replace("'", "''") + "'"


def _regex_escape(text: str) -> str:
    return re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", text)


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
