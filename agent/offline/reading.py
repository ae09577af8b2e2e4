"""What a plan computes, said in one line in the question's language: the reading.

"Number of errors, service payment-api, last 24 h, per hour" / "에러 수, 서비스 payment-api,
최근 24시간, 시간별". Every field of ``QueryPlan`` has a clause here (``CLAUSES``, which
tests/agent/test_reading.py holds to the model's fields): a clause reads its field, with the
rest of the plan for context, and says what it adds in one or more slots; the slots come out
in a fixed order (``SLOTS``) joined by commas. A field added to the plan later needs only a
clause of its own. A value the words here do not know yet (a new window kind, a new measure)
is said by its name rather than left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Literal

from loglens.agent.offline.insight import KOREAN_SUBJECTS
from loglens.agent.offline.plan import (
    ROW_COLUMNS,
    AnyOf,
    Attribute,
    Condition,
    Having,
    Measure,
    QueryPlan,
    Scalar,
    TimeWindow,
)

Slot = Literal["head", "filter", "window", "group", "having", "order", "limit", "columns"]
SLOTS: tuple[Slot, ...] = ("head", "filter", "window", "group", "having", "order", "limit", "columns")
LISTED_VALUES = 3  # "a, b or c (+4 more)"

# What a column is called, in English and Korean.
COLUMN_WORDS: dict[str, tuple[str, str]] = {
    "created_at": ("time", "시각"),
    "level": ("level", "레벨"),
    "log_type": ("log type", "로그 유형"),
    "service": ("service", "서비스"),
    "environment": ("environment", "환경"),
    "service_version": ("version", "버전"),
    "trace_id": ("trace", "트레이스"),
    "span_id": ("span", "스팬"),
    "user_id": ("user", "사용자"),
    "session_id": ("session", "세션"),
    "error_type": ("error type", "에러 유형"),
    "message": ("message", "메시지"),
    "stack_trace": ("stack trace", "스택 트레이스"),
    "path": ("endpoint", "엔드포인트"),
    "method": ("method", "메서드"),
    "action_type": ("action type", "액션 유형"),
    "function_name": ("function", "함수"),
    "file_path": ("file", "파일"),
    "duration_ms": ("duration", "응답 시간"),
}
# Subjects that are things counted; any other ("duration", "error rate") is measured over logs.
COUNTED = ("logs", "errors", "failures", "warnings", "requests", "fatal logs")
ERROR_SUBJECTS = ("errors", "failures", "fatal logs")
ENGLISH_SUBJECTS = {"fatal logs": "FATAL logs"}
# A level the subject already names; ERROR is not one: "errors" alone are ERROR and FATAL.
LEVEL_SUBJECTS = {"WARN": "warnings", "FATAL": "fatal logs"}

# {a}: the attribute measured, {p}: what is counted, {q}: the percentile, {level}: a level.
MEASURE_WORDS: dict[str, tuple[str, str]] = {
    "count": ("number of {p}", "{p} 수"),
    "count_distinct": ("number of distinct {as_}", "고유 {a} 수"),
    "avg": ("average {a}", "평균 {a}"),
    "max": ("maximum {a}", "최대 {a}"),
    "min": ("minimum {a}", "최소 {a}"),
    "sum": ("total {a}", "{a} 합계"),
    "percentile": ("p{q} {a}", "p{q} {a}"),
    "error_rate": ("error rate (% ERROR or FATAL)", "에러율(ERROR·FATAL %)"),
    "level_share": ("share of {level} logs (%)", "{level} 로그 비율(%)"),
    "avg_length": ("average message length", "평균 메시지 길이"),
    "first_seen": ("first seen", "처음 발생 시각"),
    "last_seen": ("last seen", "마지막 발생 시각"),
    "share": ("% of {p} with {part}", "{p} 중 {part} 비율(%)"),
    "share_of_total": ("share of all {p} (%)", "전체 {p} 중 비율(%)"),
}
# {l}: the attribute, {v}: the value(s).
CONDITION_WORDS: dict[str, tuple[str, str]] = {
    "=": ("{l} {v}", "{l} {v}"),
    "!=": ("{l} not {v}", "{l} {v} 제외"),
    "is_distinct_from": ("{l} not {v}", "{l} {v} 제외"),
    "in": ("{l} {v}", "{l} {v}"),
    ">": ("{l} over {v}", "{l} {v} 초과"),
    ">=": ("{l} at least {v}", "{l} {v} 이상"),
    "<": ("{l} under {v}", "{l} {v} 미만"),
    "<=": ("{l} at most {v}", "{l} {v} 이하"),
    "contains": ("{l} containing {v}", "{l}에 {v} 포함"),
    "contains_any": ("{l} containing {v}", "{l}에 {v} 포함"),
    "starts_with": ("{l} starting with {v}", "{v}(으)로 시작하는 {l}"),
    "range": ("{l} {v}", "{l} {v}"),
    "is_null": ("without {l}", "{l} 없음"),
    "is_not_null": ("with {l}", "{l} 있음"),
}
HAVING_WORDS: dict[str, tuple[str, str]] = {
    ">": ("more than", "초과"),
    ">=": ("at least", "이상"),
    "<": ("fewer than", "미만"),
    "<=": ("at most", "이하"),
}
WINDOW_WORDS: dict[str, tuple[str, str]] = {
    "today": ("today", "오늘"),
    "yesterday": ("yesterday", "어제"),
    "since_yesterday": ("since yesterday", "어제부터"),
    "this_week": ("this week", "이번 주"),
    "last_week": ("last week", "지난주"),
    "clock": ("from an hour of the day", "정해진 시각부터"),  # said with its hours (_unshifted_window_words)
}
ALL_TIME = ("all time", "전체 기간")
# "last 24 h", "최근 24시간": (one, several) in English, then the Korean unit.
UNIT_WORDS: dict[str, tuple[str, str, str]] = {
    "minute": ("minute", "{n} min", "분"),
    "hour": ("hour", "{n} h", "시간"),
    "day": ("day", "{n} days", "일"),
    "week": ("week", "{n} weeks", "주"),
}
BUCKET_WORDS: dict[str, tuple[str, str]] = {
    "minute": ("per minute", "분별"),
    "5 minutes": ("per 5 minutes", "5분 단위"),
    "15 minutes": ("per 15 minutes", "15분 단위"),
    "hour": ("per hour", "시간별"),
    "day": ("per day", "일별"),
    "week": ("per week", "주별"),
}
# The order of groups (aggregate) and of rows; "counted" is for a count, "measured" for the rest.
ORDER_WORDS: dict[str, dict[str, tuple[str, str]]] = {
    "measure_desc": {"counted": ("most first", "많은 순"), "measured": ("highest first", "높은 순")},
    "measure_asc": {"counted": ("fewest first", "적은 순"), "measured": ("lowest first", "낮은 순")},
    "group_asc": {"counted": ("by {g}", "{g} 순"), "measured": ("by {g}", "{g} 순")},
    "newest": {"rows": ("newest first", "최신순")},
    "slowest": {"rows": ("slowest first", "느린 순")},
    "oldest": {"rows": ("in the order they happened", "발생 순")},
    "none": {},
}
SHAPE_WORDS: dict[str, tuple[str, str]] = {
    "aggregate": ("", ""),  # the measures say what is computed
    "rows": ("{P}", "{p}"),
    "distinct": ("distinct {as_}", "{a} 목록(중복 제외)"),
    "count_groups": ("number of {gs} with {having}", "{having}인 {g} 수"),
    "duplicates": (
        "log lines logged more than once (same time, service and message), with their copies",
        "시각·서비스·메시지가 같은 중복 로그와 그 개수",
    ),
}


@dataclass
class _Reading:
    """A plan being read: what each slot says so far."""

    plan: QueryPlan
    korean: bool
    subject: str
    said: dict[Slot, list[str]] = field(default_factory=lambda: {slot: [] for slot in SLOTS})
    counted_said: bool = False  # the head names what is counted ("errors"): its level need not be said

    def say(self, slot: Slot, text: str) -> None:
        if text:
            self.said[slot].append(text)

    def words(self, pair: tuple[str, str]) -> str:
        return pair[1] if self.korean else pair[0]

    @property
    def counted(self) -> str:
        """What is counted: the subject when it is a thing ("errors"), else logs."""
        subject = self.subject
        return subject if subject in COUNTED or subject.endswith(" logs") else "logs"

    def counted_words(self) -> str:
        self.counted_said = True
        counted = self.counted
        if not self.korean:
            return ENGLISH_SUBJECTS.get(counted, counted)
        if counted in KOREAN_SUBJECTS:
            return KOREAN_SUBJECTS[counted]
        return counted.removesuffix(" logs") + " 로그" if counted.endswith(" logs") else counted

    def label(self, attribute: Attribute | None, plural: bool = False) -> str:
        if attribute is None:
            return self.words(("logs", "로그"))
        if attribute.column is not None:
            words = self.words(COLUMN_WORDS.get(attribute.column, (attribute.column, attribute.column)))
            if attribute.length:
                words += self.words((" length (characters)", " 길이(글자 수)"))
        else:
            words = attribute.name
        if plural and not self.korean:
            return _plural(words)
        return words


def read_plan(plan: QueryPlan, language: str, subject: str = "logs") -> str:
    """What ``plan`` computes, in one line in ``language`` ("en" or "ko"); ``subject`` is what the
    planner took the question to count ("errors", "requests", "logs")."""
    reading = _Reading(plan, language == "ko", subject)
    for clause in CLAUSES.values():
        clause(reading)
    parts = [text for slot in SLOTS for text in reading.said[slot]]
    if not parts:
        parts = [reading.words(("logs", "로그"))]
    line = ", ".join(parts)
    return line if reading.korean or _starts_lower(line) else line[0].upper() + line[1:]


# --- the clauses, one per field of QueryPlan ---------------------------------------------------


def _shape(reading: _Reading) -> None:
    plan = reading.plan
    template = reading.words(SHAPE_WORDS.get(plan.shape, (plan.shape.replace("_", " "),) * 2))
    if plan.count_listed:
        template = reading.words(("number of distinct {as_}", "고유 {a} 수"))
    group = plan.group_by.attribute if plan.group_by is not None else None
    having = _having_words(reading, plan.having) if plan.having is not None else ""
    counted = reading.counted_words() if "{p" in template.lower() else ""
    reading.say(
        "head",
        template.format(
            P=counted,
            p=counted,
            a=reading.label(group),
            as_=reading.label(group, plural=True),
            g=reading.label(group),
            gs=reading.label(group, plural=True),
            having=having,
        ),
    )


def _measures(reading: _Reading) -> None:
    plan = reading.plan
    if plan.shape != "aggregate":
        return  # the shape says what rows, values or groups come back
    measures = plan.measures or [Measure(kind="count")]
    said = (" 및 " if reading.korean else " and ").join(_measure_words(reading, m) for m in measures)
    reading.say("head", _of_counted(reading, measures, said))


def _errors_only(reading: _Reading) -> None:
    if reading.plan.errors_only and not (reading.counted_said and reading.counted in ERROR_SUBJECTS):
        reading.say("filter", reading.words(("ERROR and FATAL only", "ERROR·FATAL만")))


def _conditions(reading: _Reading) -> None:
    for condition in reading.plan.conditions:
        if isinstance(condition, AnyOf):
            parts = [_condition_words(reading, c) for c in condition.conditions]
            reading.say("filter", (" 또는 " if reading.korean else " or ").join(p for p in parts if p))
        elif not _implied(reading, condition):
            reading.say("filter", _condition_words(reading, condition))


def _window(reading: _Reading) -> None:
    window = reading.plan.window
    if window is None:
        reading.say("window", reading.words(ALL_TIME))
    else:
        reading.say("window", _window_words(reading, window))


MINUTES = {"minute": 1, "hour": 60, "day": 1440, "week": 10080}


def window_words(window: TimeWindow, korean: bool) -> str:
    """A window in words ("last 24 h", "어제"), for the insight of a comparison."""
    return _window_words(_Reading(QueryPlan(), korean, "logs"), window)


def _window_words(reading: _Reading, window: TimeWindow) -> str:
    """A window, moved back in time when it is shifted: "the 24 h before", "yesterday up to this
    time", "last hour, 1 day earlier"."""
    said = _unshifted_window_words(reading, window)
    if not window.shift_amount:
        return said
    shift = window.shift_amount * MINUTES.get(window.shift_unit, 0)
    if window.kind == "last" and shift == window.amount * MINUTES.get(window.unit, -1):
        return (
            f"그 전 {said.removeprefix('최근 ')}" if reading.korean else f"the {said.removeprefix('last ')} before"
        )
    if window.kind == "today" and shift == MINUTES["day"]:
        return reading.words(("yesterday up to this time", "어제 같은 시각까지"))
    _one, _several, korean_unit = UNIT_WORDS.get(window.shift_unit, (window.shift_unit, "", window.shift_unit))
    if reading.korean:
        return f"{window.shift_amount:,}{korean_unit} 전의 {said}"
    plural = "" if window.shift_amount == 1 else "s"
    return f"{said}, {window.shift_amount:,} {window.shift_unit}{plural} earlier"


def _unshifted_window_words(reading: _Reading, window: TimeWindow) -> str:
    if window.kind == "last":
        one, several, korean_unit = UNIT_WORDS.get(
            window.unit, (window.unit, f"{{n}} {window.unit}s", window.unit)
        )
        if reading.korean:
            return f"최근 {window.amount:,}{korean_unit}"
        return f"last {one}" if window.amount == 1 else "last " + several.format(n=f"{window.amount:,}")
    if window.kind == "clock":
        day = reading.words(("yesterday", "어제")) if window.days_ago == 1 else reading.words(("today", "오늘"))
        if window.days_ago > 1:
            day = f"{window.days_ago}일 전" if reading.korean else f"{window.days_ago} days ago"
        if window.to_hour is None:
            return (
                f"{day} {window.from_hour}시 이후" if reading.korean else f"{day} since {window.from_hour:02d}:00"
            )
        span = f"{window.from_hour:02d}:00–{window.to_hour:02d}:00"
        return f"{day} {window.from_hour}시–{window.to_hour}시" if reading.korean else f"{day} {span}"
    return reading.words(WINDOW_WORDS.get(window.kind, (window.kind.replace("_", " "),) * 2))


def _group_by(reading: _Reading) -> None:
    group = reading.plan.group_by
    if group is None or reading.plan.shape in ("distinct", "count_groups"):
        return  # the shape already says what is listed or counted
    if group.bucket is not None:
        known = BUCKET_WORDS.get(group.bucket)
        if known is None:
            amount, _, unit = group.bucket.partition(" ")
            known = (f"per {group.bucket}", f"{amount}{UNIT_WORDS.get(unit.rstrip('s'), ('', '', unit))[2]} 단위")
        reading.say("group", reading.words(known))
    else:
        label = reading.label(group.attribute)
        reading.say("group", f"{label}별" if reading.korean else f"per {label}")


def _having(reading: _Reading) -> None:
    plan = reading.plan
    if plan.having is None or plan.shape == "count_groups" or plan.group_by is None:
        return  # count_groups says it in its head; without groups the SQL has no HAVING
    having = _having_words(reading, plan.having)
    reading.say("having", f"{having}인 그룹만" if reading.korean else f"only groups with {having}")


def _order(reading: _Reading) -> None:
    plan = reading.plan
    if plan.shape == "rows":
        # render_sql shows rows in any other order newest first
        kind = plan.order if plan.order in ("slowest", "oldest") else "newest"
        reading.say("order", reading.words(ORDER_WORDS[kind]["rows"]))
        return
    if plan.shape != "aggregate" or plan.group_by is None:
        return  # one row, or a list in its natural order
    if plan.order == "group_asc" and plan.group_by.bucket is not None:
        return  # a series is in time order: nothing to say
    first = (plan.measures or [Measure(kind="count")])[0]
    ranked = "counted" if first.kind in ("count", "count_distinct") else "measured"
    words = ORDER_WORDS.get(plan.order, {}).get(ranked)
    if words is None:
        return
    group = plan.group_by
    name = reading.label(group.attribute) if group.attribute is not None else reading.words(("time", "시간"))
    reading.say("order", reading.words(words).format(g=name))


def _limit(reading: _Reading) -> None:
    plan = reading.plan
    if plan.limit is None:
        return
    if plan.shape == "rows":
        reading.say("limit", f"최대 {plan.limit:,}건" if reading.korean else f"up to {plan.limit:,}")
    elif plan.shape == "aggregate" and plan.group_by is not None:
        if plan.limit == 1:
            reading.say("limit", reading.words(("the top one", "1위만")))
        else:
            reading.say("limit", f"상위 {plan.limit:,}개" if reading.korean else f"top {plan.limit:,}")
        if plan.rank_within_groups:
            name = reading.label(plan.group_by.attribute)
            reading.say("limit", f"{name}마다" if reading.korean else f"in each {name}")


def _all_columns(reading: _Reading) -> None:
    if reading.plan.shape == "rows" and reading.plan.all_columns:
        reading.say("columns", reading.words(("every column", "모든 열")))


def _columns(reading: _Reading) -> None:
    plan = reading.plan
    if plan.shape != "rows" or plan.all_columns or list(plan.columns) == list(ROW_COLUMNS):
        return  # every column is said by _all_columns
    added = [column for column in plan.columns if column not in ROW_COLUMNS]
    if set(ROW_COLUMNS) <= set(plan.columns):
        listed = ", ".join(added)
        reading.say("columns", f"{listed} 포함" if reading.korean else f"with {listed}")
    else:
        listed = ", ".join(plan.columns)
        reading.say("columns", f"열: {listed}" if reading.korean else f"columns: {listed}")


def _keep_ties(reading: _Reading) -> None:
    plan = reading.plan
    if plan.keep_ties and plan.limit and plan.group_by is not None:
        reading.say("limit", reading.words(("ties at the cut kept", "동점 포함")))


def _group_by_also(reading: _Reading) -> None:
    also = reading.plan.group_by_also
    if also is not None:
        label = reading.label(also)
        reading.say("group", f"{label}별" if reading.korean else f"and per {label}")


def _row_metadata(reading: _Reading) -> None:
    shown = [reading.label(attribute) for attribute in reading.plan.row_metadata]
    if shown and reading.plan.shape == "rows":
        listed = ", ".join(shown)
        reading.say("columns", f"{listed} 포함" if reading.korean else f"with {listed}")


def _compared_window(reading: _Reading) -> None:
    previous = reading.plan.compared_window
    if previous is None:
        return
    reading.say("window", ("비교: " if reading.korean else "vs ") + _window_words(reading, previous))
    reading.say("window", reading.words(("and the change in %", "변화율(%) 포함")))


def _new_in_window(reading: _Reading) -> None:
    if reading.plan.new_in_window:
        reading.say("having", reading.words(("never seen before that window", "그 전에는 없던 것만")))


def _absent_where(reading: _Reading) -> None:
    plan = reading.plan
    if not (plan.absent_where or plan.absent_errors_only):
        return
    where = [_condition_words(reading, c) for c in plan.absent_where]
    if plan.absent_errors_only:
        where.append(reading.words(("errors", "에러")))
    said = ", ".join(where)
    reading.say("having", f"{said}에는 없는 것만" if reading.korean else f"never with {said}")


Clause = Callable[[_Reading], None]


def _said_with(_other: str) -> Clause:
    """The clause of a field that the clause of ``_other`` says together with its own."""
    return lambda _reading: None


CLAUSES: dict[str, Clause] = {
    "shape": _shape,
    "measures": _measures,
    "errors_only": _errors_only,
    "conditions": _conditions,
    "window": _window,
    "compared_window": _compared_window,
    "group_by_also": _group_by_also,
    "keep_ties": _keep_ties,
    "row_metadata": _row_metadata,
    "new_in_window": _new_in_window,
    "absent_where": _absent_where,
    "absent_errors_only": _said_with("absent_where"),
    "count_listed": _said_with("shape"),
    "rank_within_groups": _said_with("limit"),
    "group_by": _group_by,
    "having": _having,
    "order": _order,
    "limit": _limit,
    "columns": _columns,
    "all_columns": _all_columns,
}


# --- words -------------------------------------------------------------------------------------


def _measure_words(reading: _Reading, measure: Measure) -> str:
    template = reading.words(MEASURE_WORDS.get(measure.kind, (measure.kind.replace("_", " "),) * 2))
    if measure.part is not None and measure.part.op in ("is_null", "is_not_null"):
        template = template.replace(" with {part}", " {part}")  # "% of logs without trace"
    text = template.format(
        a=reading.label(measure.attribute),
        as_=reading.label(measure.attribute, plural=True),
        p=reading.counted_words() if "{p}" in template else "",
        part=_condition_words(reading, measure.part) if measure.part is not None else "",
        q=round((measure.fraction or 0.5) * 100),
        level=measure.level or "",
    )
    if measure.in_seconds:
        text += " (초)" if reading.korean else " (s)"
    elif measure.attribute is not None and measure.attribute.column == "duration_ms" and "(" not in text:
        text += " (ms)"
    return text


def _of_counted(reading: _Reading, measures: list[Measure], text: str) -> str:
    """ "average duration (ms) of errors", "distinct users among errors", "에러 평균 응답 시간": what
    measures other than a count are taken over, said once."""
    if reading.counted == "logs" or all(
        "{p}" in reading.words(MEASURE_WORDS.get(m.kind, ("", ""))) for m in measures
    ):
        return text
    counted = reading.counted_words()
    if reading.korean:
        return f"{counted} {text}"
    among = "among" if all(m.kind == "count_distinct" for m in measures) else "of"
    return f"{text} {among} {counted}"


def _condition_words(reading: _Reading, condition: Condition) -> str:
    template = reading.words(CONDITION_WORDS.get(condition.op, (f"{{l}} {condition.op} {{v}}",) * 2))
    values = [_value(condition.attribute, value, condition.op) for value in condition.values]
    if condition.op == "range" and len(condition.values) == 2:  # "http_status 400–499"
        upper = condition.values[1]
        last = upper - 1 if isinstance(upper, int) else upper
        return f"{reading.label(condition.attribute)} {values[0]}–{_value(condition.attribute, last, '=')}"
    joiner = " 또는 " if reading.korean else " or "
    shown = values[:LISTED_VALUES]
    listed = joiner.join(shown)
    if len(values) > LISTED_VALUES:
        more = len(values) - LISTED_VALUES
        listed = ", ".join(shown) + (f" 외 {more}개" if reading.korean else f" or {more} more")
    return template.format(l=reading.label(condition.attribute), v=listed)


def _implied(reading: _Reading, condition: Condition) -> bool:
    """A condition that only says what another part of the plan already needs: a level the
    subject names ("warnings"), or that a grouped or measured attribute is present."""
    plan = reading.plan
    if condition.op == "=" and condition.attribute.column == "level" and condition.values:
        level = str(condition.values[0])
        return reading.counted_said and reading.counted == LEVEL_SUBJECTS.get(level, f"{level} logs")
    if condition.op != "is_not_null":
        return False
    used = [m.attribute for m in plan.measures] + [plan.having.measure.attribute if plan.having else None]
    if plan.group_by is not None:
        used.append(plan.group_by.attribute)
    return any(attribute is not None and attribute.name == condition.attribute.name for attribute in used)


def _having_words(reading: _Reading, having: Having) -> str:
    op = reading.words(HAVING_WORDS.get(having.op, (having.op, having.op)))
    value = _number(having.value)
    measure = having.measure
    if reading.korean:
        return f"{_measure_words(reading, measure)} {value} {op}"
    if measure.kind == "count":
        return f"{op} {value} {reading.counted_words()}"
    if measure.kind == "count_distinct":
        return f"{op} {value} distinct {reading.label(measure.attribute, plural=True)}"
    return f"{_measure_words(reading, measure)} {op} {value}"


def _value(attribute: Attribute, value: Scalar, op: str) -> str:
    if op in ("contains", "contains_any", "starts_with"):
        return f"“{value}”"
    text = _number(value) if isinstance(value, int | float) and not isinstance(value, bool) else str(value)
    if attribute.column == "duration_ms" or (attribute.metadata_key or "").endswith("_ms"):
        text += " ms"
    return text


def _number(value: float | int | str) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    return str(value)


def _plural(words: str) -> str:
    if words.endswith(("s", "x", "ch", "sh")):
        return words + "es"
    if words.endswith("y") and not words.endswith(("ay", "ey", "oy", "uy")):
        return words[:-1] + "ies"
    return words + "s"


def _starts_lower(line: str) -> bool:
    """ "p95 duration": a percentile's name stays as written."""
    return len(line) > 1 and line[0] == "p" and line[1].isdigit()
