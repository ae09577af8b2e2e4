"""A short insight from the rows, in the question's language, with the concrete numbers.

Times are written for people, in the configured time zone (``LOGLENS_TIMEZONE``): "Nov 24 21:23
UTC", "11월 24일 21:23" (``human_time``), never as the ISO strings the rows hold.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

from loglens.agent.offline.plan import QueryPlan

KOREAN_SUBJECTS = {
    "errors": "에러",
    "logs": "로그",
    "failures": "실패",
    "warnings": "경고 로그",
    "users": "사용자",
    "sessions": "세션",
    "requests": "요청",
    "fatal logs": "FATAL 로그",
    "duration": "응답 시간",
    "error rate": "에러율",
    "message length": "메시지 길이",
    "traces": "트레이스",
    "services": "서비스",
    "endpoints": "엔드포인트",
    "error types": "에러 유형",
}
MEASURE_WORDS = {
    "avg": ("average", "평균"),
    "max": ("maximum", "최대"),
    "min": ("minimum", "최소"),
    "sum": ("total", "합계"),
    "percentile": ("p{p}", "p{p}"),
    "error_rate": ("error rate", "에러율"),
    "level_share": ("{level} share", "{level} 비율"),
    "avg_length": ("average message length", "평균 메시지 길이"),
    "count": ("count", "건수"),
    "count_distinct": ("distinct count", "고유 개수"),
    "first_seen": ("first seen", "처음 발생"),
    "last_seen": ("last seen", "마지막 발생"),
    "share": ("share (%)", "비율(%)"),
    "share_of_total": ("share of the total (%)", "전체 중 비율(%)"),
}


MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
ISO_TIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
Clock = Callable[[Any], str]  # a value as a person reads it: times in words, anything else as is


def human_time(value: Any, language: str, zone: dt.tzinfo = dt.UTC, now: dt.datetime | None = None) -> str:
    """A time from the rows (an ISO string, or a datetime) as people write it, in ``zone``:
    "Nov 24 21:23 UTC" / "11월 24일 21:23", with the year when it is not this year's. A time
    without an offset is UTC (the database's). Anything else is returned as text."""
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and ISO_TIME.match(value.strip()):
        try:
            moment = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            return value
    else:
        return str(value)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    local = moment.astimezone(zone)
    this_year = (now or dt.datetime.now(zone)).astimezone(zone).year
    if language == "ko":
        year = "" if local.year == this_year else f"{local.year}년 "
        return f"{year}{local.month}월 {local.day}일 {local:%H:%M}"
    year = "" if local.year == this_year else f", {local.year}"
    return f"{MONTHS[local.month - 1]} {local.day}{year} {local:%H:%M} {local.tzname() or 'UTC'}"


def write_insight(
    plan: QueryPlan,
    language: str,
    subject: str,
    columns: list[str],
    rows: list[dict[str, Any]],
    window: str,
    overview: dict[str, Any] | None = None,
    zone: dt.tzinfo = dt.UTC,
) -> str:
    """``rows`` may be the first of more: ``overview`` (the execute tool's summary) has the whole
    result's ``row_count``, and its ``column_totals`` and ``column_peaks`` when rows were left out.
    Times are written in ``zone``."""
    overview = overview or {}
    count = int(overview.get("row_count") or len(rows))
    korean = language == "ko"

    def when(value: Any) -> str:
        return human_time(value, language, zone)

    label = KOREAN_SUBJECTS.get(subject, subject) if korean else subject
    if not rows:
        return (
            f"{window} 조건에 맞는 {label}가 없습니다.".strip()
            if korean
            else f"No {label} matched{(' ' + window) if window else ''}."
        )
    if plan.shape == "rows":
        return (
            _slowest_rows(rows, count, korean, label, when)
            if plan.order == "slowest"
            else _rows(rows, count, korean, label, when)
        )
    if plan.shape == "distinct" and plan.count_listed:
        number = _number(next(iter(rows[0].values()))) if rows else "0"
        return (
            f"{window} {label} {number}개".strip()
            if korean
            else f"{number} {label}{(' ' + window) if window else ''}."
        )
    if plan.shape == "distinct":
        values = [when(next(iter(row.values()))) for row in rows]
        shown = ", ".join(values[:5]) + ("…" if count > 5 else "")
        return (
            f"{window} {label} {count}명/개: {shown}".strip()
            if korean
            else f"{count} distinct {columns[0]} values{(' ' + window) if window else ''}: {shown}."
        )
    if plan.shape == "duplicates":
        return _duplicates(rows, count, korean, when)
    if plan.compared_window is not None and len(rows) == 1:
        return _two_windows(plan, rows[0], columns, korean, label)
    if plan.group_by is None or plan.shape == "count_groups" or len(columns) < 2:
        return _single(plan, rows[0], columns, korean, label, window, when)
    if plan.group_by.bucket is not None:
        if plan.measures and plan.measures[0].kind != "count":
            return _series_of_values(columns, rows, overview, korean, window, plan.group_by.bucket, when)
        return _series(columns, rows, overview, korean, label, window, plan.group_by.bucket, when)
    return _grouped(plan, columns, rows, count, korean, label, window, when)


def _single(
    plan: QueryPlan, row: dict[str, Any], columns: list[str], korean: bool, label: str, window: str, when: Clock
) -> str:
    if plan.shape == "count_groups":
        value = _number(row[columns[0]])
        return f"조건에 맞는 {label}는 {value}명입니다." if korean else f"{value} {label} match."
    parts = []
    for measure, column in zip(plan.measures, columns, strict=False):
        value = row[column]
        words = MEASURE_WORDS[measure.kind][1 if korean else 0].format(
            p=int((measure.fraction or 0.5) * 100), level=measure.level or ""
        )
        if measure.kind == "count":
            parts.append(f"{label} {_number(value)}건" if korean else f"{_number(value)} {label}")
        elif measure.kind == "count_distinct":
            parts.append(f"{label} {_number(value)}명" if korean else f"{_number(value)} distinct {label}")
        elif measure.kind in ("first_seen", "last_seen"):
            parts.append(f"{words} {when(value)}")
        else:
            parts.append(f"{words} {_number(value, when)}{_unit(column)}")
    if korean:
        return f"{window} {', '.join(parts)}입니다.".strip()
    sentence = ", ".join(parts)
    return f"{sentence[0].upper()}{sentence[1:]}{(' ' + window) if window else ''}."


def _grouped(
    plan: QueryPlan,
    columns: list[str],
    rows: list[dict[str, Any]],
    count: int,
    korean: bool,
    label: str,
    window: str,
    when: Clock,
) -> str:
    key, measure = columns[0], columns[1]
    top = rows[0]
    if _is_time(top[measure]):  # when each group was first or last seen: the times, not a ranking
        shown = [f"{when(row[key])}: {when(row[measure])}" for row in rows[:2]]
        if korean:
            return f"{window} {', '.join(shown)} 등 총 {count}개입니다.".strip()
        return f"{'; '.join(shown)}{(' ' + window) if window else ''}; {count} in total."
    unit = _unit(measure)
    value = f"{_number(top[measure])}{unit or '건'}" if korean else f"{_number(top[measure])}{unit or ' ' + label}"
    if len(rows) == 1:
        if korean:
            return f"{window} {label}가 가장 많은 {key}는 {when(top[key])}({value})입니다.".strip()
        return f"{when(top[key])} leads with {value}{(' ' + window) if window else ''}."
    second = rows[1]
    if korean:
        return (
            f"{window} {when(top[key])}가 {_number(top[measure])}{unit or '건'}{'으로' if not unit else '로'} "
            f"{_korean_superlative(plan, measure)}, "
            f"다음은 {when(second[key])}({_number(second[measure])}{unit or '건'})입니다. 총 {count}개."
        ).strip()
    return (
        f"{when(top[key])} leads with {_number(top[measure])}{unit or ' ' + label}, "
        f"followed by {when(second[key])} ({_number(second[measure])}){(' ' + window) if window else ''}; "
        f"{count} in total."
    )


def _korean_superlative(plan: QueryPlan, measure: str) -> str:
    """가장 많고 / 가장 느리고 ...: what the first row is the most of."""
    ascending = plan.order == "measure_asc"
    if measure.endswith(("_ms", "_s")):
        return "가장 빠르고" if ascending else "가장 느리고"
    if measure.endswith("_pct") or measure.startswith(("avg", "max", "min", "p")):
        return "가장 낮고" if ascending else "가장 높고"
    return "가장 적고" if ascending else "가장 많고"


# "over 11 five-minute buckets"
BUCKET_WORDS = {
    "minute": "one-minute",
    "5 minutes": "five-minute",
    "15 minutes": "15-minute",
    "hour": "hourly",
    "day": "daily",
    "week": "weekly",
}


def _peak_and_buckets(
    measure: str, rows: list[dict[str, Any]], overview: dict[str, Any]
) -> tuple[dict[str, Any], int]:
    """The row where ``measure`` peaks and how many buckets there are, over every row of the
    result (the execute tool's overview) when only the first ones were shown."""
    peak = overview.get("column_peaks", {}).get(measure) or max(rows, key=lambda row: row[measure] or 0)
    return peak, int(overview.get("row_count") or len(rows))


def _series_of_values(
    columns: list[str],
    rows: list[dict[str, Any]],
    overview: dict[str, Any],
    korean: bool,
    window: str,
    bucket: str,
    when: Clock,
) -> str:
    """An average or a percentile over time: its range and its peak, never a sum."""
    key, measure = columns[0], columns[1]
    peak, buckets = _peak_and_buckets(measure, rows, overview)
    values = [row[measure] for row in rows if isinstance(row[measure], int | float)]
    low = min(values) if values else None
    unit = _unit(measure)
    if korean:
        return (
            f"{window} {buckets}개 구간에서 {measure}는 {_number(low)}{unit}~{_number(peak[measure])}{unit}였고, "
            f"{when(peak[key])}에 가장 높았습니다."
        ).strip()
    return (
        f"{measure} ranged from {_number(low)}{unit} to {_number(peak[measure])}{unit} over {buckets} "
        f"{BUCKET_WORDS.get(bucket, bucket)} buckets{(' ' + window) if window else ''}, "
        f"peaking at {when(peak[key])}."
    )


def _series(
    columns: list[str],
    rows: list[dict[str, Any]],
    overview: dict[str, Any],
    korean: bool,
    label: str,
    window: str,
    bucket: str,
    when: Clock,
) -> str:
    key, measure = columns[0], columns[1]
    peak, buckets = _peak_and_buckets(measure, rows, overview)
    total = overview.get("column_totals", {}).get(measure, sum(row[measure] or 0 for row in rows))
    if korean:
        return (
            f"{window} {label} 총 {_number(total)}건, {buckets}개 구간 중 {when(peak[key])}에 "
            f"{_number(peak[measure])}건으로 가장 많았습니다."
        ).strip()
    return (
        f"{_number(total)} {label} over {buckets} {BUCKET_WORDS.get(bucket, bucket)} buckets"
        f"{(' ' + window) if window else ''}; "
        f"the peak was {_number(peak[measure])} at {when(peak[key])}."
    )


def _slowest_rows(rows: list[dict[str, Any]], count: int, korean: bool, label: str, when: Clock) -> str:
    slowest = rows[0]
    took = f"{_number(slowest.get('duration_ms'))} ms"
    request = " ".join(str(slowest[key]) for key in ("method", "path") if slowest.get(key))
    what = request or str(slowest.get("message") or "")
    where = f"{slowest.get('service') or ''}, {when(slowest.get('created_at'))}"
    if korean:
        return f"가장 느린 {label} {count}건 중 1위는 {took}: {what} ({where})입니다."
    return f"The slowest of these {count} {label} took {took}: {what} ({where})."


def _rows(rows: list[dict[str, Any]], count: int, korean: bool, label: str, clock: Clock) -> str:
    newest = rows[0]
    when = clock(newest.get("created_at"))
    where = newest.get("service") or ""
    message = str(newest.get("message") or "")[:80]
    if korean:
        return f"{label} {count:,}건을 찾았습니다. 가장 최근은 {when} {where}: {message}".strip()
    return f"Found {count:,} {label}; the most recent at {when} ({where}): {message}".strip()


def _number(value: Any, when: Clock | None = None) -> str:
    if isinstance(value, bool) or value is None:
        return str(value)
    if _is_time(value):
        return when(value) if when is not None else human_time(value, "en")
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:,.2f}"
    return str(value)


def _unit(column: str) -> str:
    if column.endswith("_ms"):
        return " ms"
    if column.endswith("_s"):
        return " s"
    if column.endswith("_pct"):
        return "%"
    return ""


def _is_time(value: Any) -> bool:
    return isinstance(value, dt.datetime) or (isinstance(value, str) and ISO_TIME.match(value) is not None)


def describe_window(plan: QueryPlan, language: str) -> str:
    window = plan.window
    if window is None:
        return ""
    korean = language == "ko"
    if window.kind == "last":
        units_ko = {"minute": "분", "hour": "시간", "day": "일", "week": "주"}
        if korean:
            return f"최근 {window.amount}{units_ko[window.unit]} 동안"
        if window.amount == 1:
            return f"in the last {window.unit}"
        return f"in the last {window.amount} {window.unit}s"
    names = {
        "today": ("today", "오늘"),
        "yesterday": ("yesterday", "어제"),
        "since_yesterday": ("since yesterday", "어제부터"),
        "this_week": ("this week", "이번 주"),
        "last_week": ("last week", "지난주"),
    }
    if window.kind == "clock":
        from loglens.agent.offline.reading import window_words

        return window_words(window, korean)
    return names[window.kind][1 if korean else 0]


def _duplicates(rows: list[dict[str, Any]], count: int, korean: bool, when: Clock) -> str:
    """How many lines were logged more than once, and the one with the most copies."""
    top = max(rows, key=lambda row: row.get("copies") or 0)
    message = str(top.get("message") or "")[:80]
    if korean:
        return (
            f"시각·서비스·메시지가 같은 로그가 {count:,}건 중복되어 있습니다. 가장 많은 것은 "
            f"{top.get('service')}의 “{message}”({when(top.get('created_at'))}, {top.get('copies')}번)입니다."
        )
    return (
        f"{count:,} log lines were logged more than once with the same time, service and message; the most "
        f"copies: “{message}” from {top.get('service')} at {when(top.get('created_at'))} "
        f"({top.get('copies')} times)."
    )


def _two_windows(plan: QueryPlan, row: dict[str, Any], columns: list[str], korean: bool, label: str) -> str:
    """ "120 errors today vs 80 yesterday (+50.0%)": each window's value and the change."""
    from loglens.agent.offline.reading import window_words  # the reading says windows for people

    now, before = (row.get(column) for column in columns[:2])
    change = row.get("change_pct")
    assert plan.window is not None
    assert plan.compared_window is not None
    this, that = window_words(plan.window, korean), window_words(plan.compared_window, korean)
    shown_change = "" if change is None else f" ({'+' if float(change) >= 0 else ''}{_number(change)}%)"
    if korean:
        return f"{label}: {this} {_number(now)}, {that} {_number(before)}{shown_change}."
    return f"{label.capitalize()}: {_number(now)} {this} vs {_number(before)} {that}{shown_change}."
