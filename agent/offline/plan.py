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
_ROWS = "NULLIF(COUNT(*), 0)"  # the denominator of a rate
# what makes two log lines the same line logged twice
DUPLICATE_KEY = ("created_at", "service", "message")
# measures that can be taken over one window of several (FILTER (WHERE ...))
# Measures of a value's rows (a duration's average, extremes, sum, percentile): they have a unit.
VALUE_KINDS = ("avg", "max", "min", "sum", "percentile")
WINDOWED_KINDS = ("count", "count_distinct", "avg", "max", "min", "sum", "percentile", "first_seen", "last_seen")
RowOrder = Literal["measure_desc", "measure_asc", "group_asc", "newest", "oldest", "slowest", "none"]


class Attribute(BaseModel):
    """A column of logs, or a key of its metadata."""

    column: ColumnName | None = None
    metadata_key: str | None = None
    numeric: bool = False  # compare or aggregate a metadata key as a number
    length: bool = False  # the length of a text column ("messages over 10,000 characters")

    @field_validator("metadata_key")
    @classmethod
    def _looks_like_a_key(cls, key: str | None) -> str | None:
        if key is not None and not METADATA_KEY.match(key):
            raise ValueError("a metadata key is letters, digits, '_', '.' or '-', at most 64 characters")
        return key

    @property
    def name(self) -> str:
        if self.length:
            return f"{self.column}_length"
        return self.column or self.metadata_key or "value"

    def sql(self) -> str:
        if self.column is not None:
            return f"length({self.column})" if self.length else self.column
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
    # "range": from values[0] up to (not including) values[1], e.g. a status class (4xx: 400 to 500)
    op: Literal[
        "=",
        "!=",
        "is_distinct_from",  # "!=" that keeps the rows with no value ("errors except 404s")
        "in",
        ">",
        ">=",
        "<",
        "<=",
        "range",
        "contains",
        "contains_any",
        "starts_with",
        "is_null",
        "is_not_null",
    ]
    values: list[Scalar] = Field(default_factory=list)

    def sql(self) -> str:
        target = self.attribute.sql()
        if self.op == "is_null":
            return f"{target} IS NULL"
        if self.op == "is_not_null":
            return self.attribute.present()
        if self.op == "is_distinct_from" and len(self.values) > 1:  # "no debug/trace": none of them
            return f"({target} IS NULL OR {target} NOT IN ({', '.join(_literal(v) for v in self.values)}))"
        if self.op == "is_distinct_from":
            return f"{target} IS DISTINCT FROM {_literal(self.values[0])}"
        if self.op == "in":
            return f"{target} IN ({', '.join(_literal(v) for v in self.values)})"
        if self.op == "range":
            return f"({target} >= {_literal(self.values[0])} AND {target} < {_literal(self.values[1])})"
        if self.op == "contains":
            return f"{target} ILIKE {_literal('%' + _like_escape(str(self.values[0])) + '%')}"
        if self.op == "starts_with":
            return f"{target} LIKE {_literal(_like_escape(str(self.values[0])) + '%')}"
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


Unit = Literal["minute", "hour", "day", "week"]


class TimeWindow(BaseModel):
    # "clock": from ``from_hour`` o'clock (to ``to_hour``), ``days_ago`` days back ("since 9am",
    # "between 2 and 3 pm yesterday", "오늘 아침 9시 이후"), in ``zone``
    kind: Literal["last", "today", "yesterday", "since_yesterday", "this_week", "last_week", "clock"]
    amount: int = Field(default=1, ge=1, le=100_000)
    unit: Unit = "hour"
    # The same window moved back in time: "the hour before" is the last hour shifted by 1 hour,
    # "the same hour yesterday" by 1 day, "yesterday until this time" is today shifted by 1 day.
    shift_amount: int = Field(default=0, ge=0, le=100_000)
    shift_unit: Unit = "hour"
    # "today" and "this week" begin at midnight in this zone (LOGLENS_TIMEZONE)
    zone: str = Field(default="UTC", pattern=r"^[A-Za-z][A-Za-z0-9_+\-/]{0,63}$")
    from_hour: int = Field(default=0, ge=0, le=23)
    to_hour: int | None = Field(default=None, ge=1, le=24)
    days_ago: int = Field(default=0, ge=0, le=31)

    def _day(self) -> str:
        return f"date_trunc('day', now(), '{self.zone}')"

    def _week(self) -> str:
        return f"date_trunc('week', now(), '{self.zone}')"

    def before_sql(self) -> str:
        """The rows before the window starts (for "never seen before it")."""
        first = self.sql()[0]  # "created_at > X" or "created_at >= X"
        column, op, start = first.split(" ", 2)
        return f"{column} {'<=' if op == '>' else '<'} {start}"

    def sql(self) -> list[str]:
        if self.shift_amount:
            return self._shifted_sql()
        if self.kind == "last":
            return [f"created_at > now() - {_interval(self.amount, self.unit)}"]
        if self.kind == "today":
            return [f"created_at >= {self._day()}"]
        if self.kind == "clock":
            day = self._day() + (
                f" - interval '{self.days_ago} day{'s' if self.days_ago > 1 else ''}'" if self.days_ago else ""
            )
            bounds = [f"created_at >= {day} + interval '{self.from_hour} hours'"]
            if self.to_hour is not None:
                bounds.append(f"created_at < {day} + interval '{self.to_hour} hours'")
            return bounds
        if self.kind == "since_yesterday":
            return [f"created_at >= {self._day()} - interval '1 day'"]
        if self.kind == "yesterday":
            return [
                f"created_at >= {self._day()} - interval '1 day'",
                f"created_at < {self._day()}",
            ]
        if self.kind == "this_week":
            return [f"created_at >= {self._week()}"]
        return [
            f"created_at >= {self._week()} - interval '1 week'",
            f"created_at < {self._week()}",
        ]

    def _shifted_sql(self) -> list[str]:
        shift = _interval(self.shift_amount, self.shift_unit)
        if self.kind == "last":
            return [
                f"created_at > now() - {shift} - {_interval(self.amount, self.unit)}",
                f"created_at <= now() - {shift}",
            ]
        if self.kind == "today":
            return [
                f"created_at >= {self._day()} - {shift}",
                f"created_at < now() - {shift}",
            ]
        raise ValueError(f"a {self.kind} window cannot be shifted")


def _interval(amount: int, unit: str) -> str:
    return f"interval '{amount} {unit}{'' if amount == 1 else 's'}'"


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
        "share",
        "share_of_total",
    ]
    attribute: Attribute | None = None
    # "share": the % of rows for which this holds ("% of requests over 1 s", "401s among requests")
    part: Condition | None = None
    fraction: float | None = Field(default=None, gt=0, lt=1)
    level: Level | None = None
    # a duration answered in seconds ("p95 in seconds"); durations are kept in milliseconds
    in_seconds: bool = False
    alias: str = "count"

    @field_validator("alias")
    @classmethod
    def _plain_alias(cls, alias: str) -> str:
        if not re.fullmatch(r"[a-z][a-z0-9_]{0,40}", alias):
            raise ValueError("an alias is lowercase letters, digits and '_'")
        return alias

    def sql(self) -> str:
        return f"{self.expression()} AS {self.alias}"

    def expression(self) -> str:
        """The aggregate alone, without its alias (for HAVING, ORDER BY and FILTER)."""
        if self.in_seconds and self.kind in VALUE_KINDS:
            return f"{self.model_copy(update={'in_seconds': False}).expression()} / 1000.0"
        target = self.attribute.sql() if self.attribute else "*"
        return {
            "count": "COUNT(*)",
            "count_distinct": f"COUNT(DISTINCT {target})",
            "avg": f"AVG({target})",
            "max": f"MAX({target})",
            "min": f"MIN({target})",
            "sum": f"SUM({target})",
            "percentile": f"percentile_cont({self.fraction}) WITHIN GROUP (ORDER BY {target})",
            # NULLIF: no rows is no rate, not a division by zero
            "error_rate": f"ROUND(100.0 * COUNT(*) FILTER (WHERE level IN ('ERROR','FATAL')) / {_ROWS}, 2)",
            "level_share": f"ROUND(100.0 * COUNT(*) FILTER (WHERE level = '{self.level}') / {_ROWS}, 2)",
            "avg_length": "AVG(length(message))",
            "first_seen": "MIN(created_at)",
            "last_seen": "MAX(created_at)",
            "share_of_total": "ROUND(100.0 * COUNT(*) / SUM(COUNT(*)) OVER (), 2)",
            "share": f"ROUND(100.0 * COUNT(*) FILTER (WHERE {self._part_sql()}) / {_ROWS}, 2)",
        }[self.kind]

    def _part_sql(self) -> str:
        return self.part.sql() if self.part is not None else "true"

    def filtered(self, window: TimeWindow) -> str:
        """The measure over one window only: "errors today" beside "errors yesterday"."""
        if self.kind not in WINDOWED_KINDS:
            raise ValueError(f"a {self.kind} measure cannot be compared across windows")
        return f"{self.expression()} FILTER (WHERE {' AND '.join(window.sql())})"


# The calendar buckets of a series; a bin of several minutes or hours is written "5 minutes".
CALENDAR_BUCKETS = ("minute", "hour", "day", "week")


class Grouping(BaseModel):
    attribute: Attribute | None = None
    # a calendar unit, or a bin of several minutes or hours ("5 minutes", "2 hours")
    bucket: str | None = Field(default=None, pattern=r"^(?:minute|hour|day|week|[1-9]\d{0,3} (?:minutes|hours))$")
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

    # "duplicates": rows logged more than once with the same time, service and message
    shape: Literal["aggregate", "rows", "distinct", "count_groups", "duplicates"] = "aggregate"
    window: TimeWindow | None = None
    errors_only: bool = False
    conditions: list[Condition | AnyOf] = Field(default_factory=list)
    measures: list[Measure] = Field(default_factory=list)
    group_by: Grouping | None = None
    having: Having | None = None
    # Rows are shown newest first, "oldest" first (a trace, as it happened) or "slowest" first.
    order: RowOrder = "measure_desc"
    limit: int | None = Field(default=None, ge=1, le=10_000)
    # a top N the question asked for keeps the groups tied at the cut (rank() <= N, not LIMIT N)
    keep_ties: bool = False
    # the top ``limit`` of ``group_by_also`` within each ``group_by`` ("top 2 services per environment")
    rank_within_groups: bool = False
    columns: list[ColumnName] = Field(default_factory=lambda: list(ROW_COLUMNS))
    # rows shown with every column ("everything for trace …", "all columns"), metadata too
    all_columns: bool = False
    # A second dimension to group by, beside ``group_by``'s attribute ("by service and error type")
    group_by_also: Attribute | None = None
    # Metadata shown beside ``columns`` in rows ("with their host", "path and status code")
    row_metadata: list[Attribute] = Field(default_factory=list)
    # Two windows side by side: ``window`` and this earlier one, each measure once per window.
    compared_window: TimeWindow | None = None
    # "distinct" shape only: the values seen in ``window`` and never before it ("new error types today")
    new_in_window: bool = False
    # "distinct" shape only: the number of values listed, not the values ("how many new IPs today")
    count_listed: bool = False
    # "distinct" shape only: values that also never occur where these hold ("in production, not in staging")
    absent_where: list[Condition] = Field(default_factory=list)
    absent_errors_only: bool = False


def render_sql(plan: QueryPlan) -> str:
    where = _where(plan)
    if plan.shape == "rows":
        order = {
            "slowest": " ORDER BY duration_ms DESC NULLS LAST",
            "oldest": " ORDER BY created_at",
        }.get(plan.order, " ORDER BY created_at DESC")
        limit = f" LIMIT {plan.limit}" if plan.limit else ""
        computed = [  # "messages over 10,000 characters" shows each message's length
            f"{c.attribute.sql()} AS {c.attribute.name}"
            for c in plan.conditions
            if isinstance(c, Condition) and c.attribute.length
        ] + [f"{a.sql()} AS {re.sub(r'[^a-z0-9_]', '_', a.name.lower())}" for a in plan.row_metadata]
        shown = "*" if plan.all_columns else ", ".join([*plan.columns, *dict.fromkeys(computed)])
        return f"SELECT {shown} FROM logs WHERE {where}{order}{limit}"
    if plan.shape == "distinct":
        if plan.count_listed:
            listed = _distinct(plan, where).removesuffix(" ORDER BY 1")
            alias = f"{plan.group_by.alias if plan.group_by else 'value'}s"
            return f"SELECT COUNT(*) AS {alias} FROM ({listed}) AS listed"
        return _distinct(plan, where)
    if plan.shape == "duplicates":
        same = ", ".join(DUPLICATE_KEY)
        return (
            f"SELECT {same}, COUNT(*) AS copies FROM logs WHERE {where} GROUP BY {same} "
            f"HAVING COUNT(*) > 1 ORDER BY created_at"
        )
    if plan.compared_window is not None:
        return _two_windows(plan)
    if plan.shape == "count_groups":
        assert plan.group_by is not None
        assert plan.having is not None
        inner = f"SELECT {plan.group_by.sql()} FROM logs WHERE {where} GROUP BY 1 HAVING {_having(plan.having)}"
        return f"SELECT COUNT(*) AS {plan.measures[0].alias if plan.measures else 'groups'} FROM ({inner}) AS t"
    if plan.group_by is None:
        measures = ", ".join(measure.sql() for measure in plan.measures or [Measure(kind="count")])
        return f"SELECT {measures} FROM logs WHERE {where}"
    return _grouped(plan, where)


def _grouped(plan: QueryPlan, where: str) -> str:
    """Measures per group (one dimension or two, or a time bucket), ordered, cut to a top N."""
    assert plan.group_by is not None
    measures = ", ".join(measure.sql() for measure in plan.measures or [Measure(kind="count")])
    group = plan.group_by
    groups = _named(group.sql(), group.alias)
    shown = [group.alias]
    if plan.group_by_also is not None:  # "errors by service and error type"
        also = plan.group_by_also
        groups += f", {_named(also.sql(), also.name.split('.')[-1])}"
        shown.append(also.name.split(".")[-1])
    shown += [measure.alias for measure in plan.measures or [Measure(kind="count")]]
    by = "1, 2" if plan.group_by_also is not None else "1"
    sql = f"SELECT {groups}, {measures} FROM logs WHERE {where} GROUP BY {by}"
    if plan.having is not None:
        sql += f" HAVING {_having(plan.having)}"
    first_measure = (plan.measures or [Measure(kind="count")])[0]
    first = first_measure.alias
    direction = {"measure_desc": "DESC", "measure_asc": "ASC"}.get(plan.order)
    within = plan.rank_within_groups and plan.group_by_also is not None
    counted = first_measure.kind in ("count", "count_distinct")
    if plan.limit and direction and (within or (plan.keep_ties and counted)):
        # "top 5 users by errors": ties at the cut are kept, so a tie never hides a group;
        # "top 2 services per environment": ranked within each environment
        partition = f"PARTITION BY {group.sql()} " if within else ""
        rank = f", rank() OVER ({partition}ORDER BY {_aggregate(first_measure)} {direction}) AS rank FROM logs"
        ranked = sql.replace(" FROM logs", rank, 1)
        columns = ", ".join(f'"{name}"' for name in shown)  # the rank decides, it is not shown
        order = f'"{group.alias}", {first}' if within else first
        return (
            f"SELECT {columns} FROM ({ranked}) AS ranked WHERE rank <= {plan.limit} ORDER BY {order} {direction}"
        )
    if direction:
        sql += f" ORDER BY {first} {direction} NULLS LAST"
    elif plan.order == "group_asc":
        sql += " ORDER BY 1"
    if plan.limit:
        sql += f" LIMIT {plan.limit}"
    return sql


def _aggregate(measure: Measure) -> str:
    return measure.expression()


def _distinct(plan: QueryPlan, where: str) -> str:
    assert plan.group_by is not None
    group = listed = plan.group_by.sql()  # what is compared with NOT IN, and what the subquery lists
    shown = _named(group, plan.group_by.alias)
    if plan.group_by_also is not None:  # "new service versions": each with its service
        also = plan.group_by_also
        shown += f", {_named(also.sql(), also.name)}"
        listed = f"{group}, {also.sql()}"
        group = f"({listed})"
    exclusions = []
    if plan.new_in_window and plan.window is not None:
        # seen before at all, whatever its outcome then: "IPs with a 5xx today that were never seen before"
        before = plan.model_copy(
            update={"window": None, "conditions": [c for c in plan.conditions if not _an_outcome(c)]}
        )
        exclusions.append(f"{_where(before)} AND {group} IS NOT NULL AND {plan.window.before_sql()}")
    if plan.absent_where and any(_an_outcome(c) for c in plan.absent_where):
        # "IPs with failed logins but never a 200": never that outcome at all, whatever else they did
        never = plan.model_copy(update={"window": None, "conditions": plan.absent_where, "errors_only": False})
        exclusions.append(f"{_where(never)} AND {group} IS NOT NULL")
    elif plan.absent_where or plan.absent_errors_only:
        elsewhere = plan.model_copy(
            update={
                "conditions": [c for c in plan.conditions if not _same_attribute(c, plan.absent_where)]
                + plan.absent_where,
                "errors_only": plan.absent_errors_only or plan.errors_only,
            }
        )
        exclusions.append(f"{_where(elsewhere)} AND {group} IS NOT NULL")
    sql = f"SELECT DISTINCT {shown} FROM logs WHERE {where}"
    for exclusion in exclusions:
        sql += f" AND {group} NOT IN (SELECT {listed} FROM logs WHERE {exclusion})"
    return sql + " ORDER BY 1"


def _an_outcome(condition: Condition | AnyOf) -> bool:
    """A condition on how a request went (its status, its duration), not on what it was."""
    if not isinstance(condition, Condition) or condition.op == "is_not_null":
        return False
    key = condition.attribute.metadata_key or ""
    return "status" in key or condition.attribute.column == "duration_ms"


def _same_attribute(condition: Condition | AnyOf, others: list[Condition]) -> bool:
    return isinstance(condition, Condition) and any(o.attribute == condition.attribute for o in others)


def _two_windows(plan: QueryPlan) -> str:
    """Each measure in ``window`` and in ``compared_window``, and the change in %."""
    assert plan.window is not None
    assert plan.compared_window is not None
    measures = plan.measures or [Measure(kind="count")]
    columns = []
    for measure in measures:
        columns.append(f"{measure.filtered(plan.window)} AS {measure.alias}_now")
        columns.append(f"{measure.filtered(plan.compared_window)} AS {measure.alias}_before")
    now_sql, before_sql = measures[0].filtered(plan.window), measures[0].filtered(plan.compared_window)
    change = f"100.0 * ({now_sql} - {before_sql}) / NULLIF({before_sql}, 0)"
    columns.append(f"ROUND(({change})::numeric, 1) AS change_pct")
    both = plan.model_copy(update={"window": None})
    span = f"(({' AND '.join(plan.window.sql())}) OR ({' AND '.join(plan.compared_window.sql())}))"
    return f"SELECT {', '.join(columns)} FROM logs WHERE {_where(both)} AND {span}"


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
    # a threshold is read in milliseconds ("over 1 s" is 1000), whatever unit the answer is in
    expression = having.measure.model_copy(update={"in_seconds": False}).expression()
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


PlanKind = Literal[
    "one_number",
    "grouped",
    "top",
    "series",
    "rate",
    "having",
    "two_windows",
    "versus",
    "rows",
    "distinct",
    "new_values",
    "missing_elsewhere",
    "count_groups",
    "duplicates",
]


def _values_side_by_side(plan: QueryPlan) -> bool:
    """ "v2.9.0 vs v2.10.0", "payment-api and order-api": the values named, one row each."""
    grouped = plan.group_by.attribute if plan.group_by is not None else None
    return grouped is not None and any(
        isinstance(c, Condition) and c.op == "in" and c.attribute == grouped for c in plan.conditions
    )


def plan_kind(plan: QueryPlan) -> PlanKind:
    """What a plan does, in one word: what ``loglens eval`` reports answers by, and what the fast
    path is allowed (service.FAST_PATH_KINDS)."""
    if plan.shape == "distinct":
        if plan.new_in_window:
            return "new_values"
        return "missing_elsewhere" if plan.absent_where or plan.absent_errors_only else "distinct"
    if plan.shape != "aggregate":
        return plan.shape
    if plan.compared_window is not None:
        return "two_windows"
    if _values_side_by_side(plan):
        return "versus"
    if plan.having is not None:
        return "having"
    if any(m.kind in ("share", "share_of_total", "error_rate", "level_share") for m in plan.measures):
        return "rate"
    if plan.group_by is None:
        return "one_number"
    if plan.group_by.bucket is not None:
        return "series"
    return "top" if plan.limit else "grouped"
