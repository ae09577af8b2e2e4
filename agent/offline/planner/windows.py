"""When: the time window ("last 24 h", "today", "하루"), a second window to compare with ("the hour
before", "yesterday until now"), and the time bucket of a series ("per 5 minutes").

Each pass reads the question through ``Planning`` (planner/state.py) and fills in its plan.
"""

from __future__ import annotations

import re

from loglens.agent.offline import lexicon
from loglens.agent.offline.plan import (
    TimeWindow,
)
from loglens.agent.offline.planner.state import Planning


def read_window(p: Planning) -> None:
    reader = p.reader
    if (clock := _clock(p)) is not None:
        p.plan.window = clock
    elif (match := reader.take(lexicon.SINCE_AGO) or reader.take(lexicon.LAST_N)) is not None:
        p.plan.window = _last(match)
    elif reader.peek(lexicon.YESTERDAY_SO_FAR) is not None:
        p.plan.window = TimeWindow(kind="today")  # "today vs yesterday until now": compared_window says the rest
        reader.take(lexicon.TODAY)
    elif reader.take(lexicon.DAY_BEFORE_YESTERDAY) is not None:
        p.plan.window = TimeWindow(kind="clock", from_hour=0, to_hour=24, days_ago=2)  # that whole day
    elif reader.take(lexicon.SINCE_YESTERDAY) is not None:
        p.plan.window = TimeWindow(kind="since_yesterday")
    elif reader.take(lexicon.YESTERDAY) is not None:
        p.plan.window = TimeWindow(kind="yesterday")
    elif reader.take(lexicon.TODAY) is not None:
        p.plan.window = TimeWindow(kind="today")
    elif reader.take(lexicon.THIS_WEEK) is not None:
        p.plan.window = TimeWindow(kind="this_week")
    elif reader.take(lexicon.LAST_WEEK) is not None:
        p.plan.window = TimeWindow(kind="last_week")
    if p.plan.window is not None:
        p.signals += 1
        restated(p, p.plan.window)
        if reader.take_all(lexicon.UTC):
            p.zone = "UTC"  # "since 01:00 UTC": in UTC, whatever the configured zone


def restated(p: Planning, window: TimeWindow) -> None:
    """The window said twice ("this past week (7d)", "today … before today"): read once, both taken."""
    reader = p.reader
    if window.kind == "last":
        for pattern in (lexicon.LAST_N, lexicon.SINCE_AGO):
            for match in list(pattern.finditer(reader.text)):
                if not reader.free(match.start(), match.end()) or _minutes(_last(match)) != _minutes(window):
                    continue
                before = reader.text[max(0, match.start() - 24) : match.start()]
                if (
                    lexicon.EARLIER.search(match.group(0))
                    or lexicon.SET_AGAINST.search(before)
                    or lexicon.EARLIER_BEFORE.search(before)
                ):
                    continue  # "24h vs the previous 24h": a second window, not the first said again
                reader.mark(match.start(), match.end())
        return
    said = {"today": lexicon.TODAY, "yesterday": lexicon.YESTERDAY, "this_week": lexicon.THIS_WEEK}.get(
        window.kind
    )
    if said is not None:
        reader.take_all(said)


def _minutes(window: TimeWindow) -> int:
    return {"minute": 1, "hour": 60, "day": 1440, "week": 10080}[window.unit] * window.amount


def compared_window(p: Planning) -> None:
    """A second, earlier window to set beside the first: "today vs yesterday", "the hour
    before", "the same hour yesterday", "yesterday until this time"."""
    compared = shifted_window(p) or named_pair(p)
    if compared is None:
        return
    p.plan.window, p.plan.compared_window = compared
    p.reader.take_all(lexicon.COMPARISON_WORDS)
    p.signals += 1


def _span_just_before(p: Planning, window: TimeWindow) -> re.Match[str] | None:
    """ "the last 3 hours vs 3-6 hours ago": from as far back as the window reaches to twice that."""
    for match in lexicon.SPAN_BEFORE_AGO.finditer(p.reader.text):
        unit = (match.group("u1") or match.group("u2") or "").rstrip("s")
        near, far = int(match.group("a")), int(match.group("b"))
        if unit == window.unit and near == window.amount and far == 2 * near and p.reader.free(*match.span()):
            return match
    return None


def shifted_window(p: Planning) -> tuple[TimeWindow, TimeWindow] | None:
    reader, window = p.reader, p.plan.window
    a_day_back = {"shift_amount": 1, "shift_unit": "day"}
    if reader.take(lexicon.YESTERDAY_SO_FAR) is not None:
        today = window if window is not None and window.kind == "today" else TimeWindow(kind="today")
        return today, today.model_copy(update=a_day_back)
    if reader.take(lexicon.SAME_TIME_YESTERDAY) is not None:
        window = window or TimeWindow(kind="last", amount=1, unit="hour")
        return (window, window.model_copy(update=a_day_back)) if window.kind in ("last", "today") else None
    if window is not None and window.kind == "last" and (span := _span_just_before(p, window)) is not None:
        reader.mark(span.start(), span.end())
        return window, window.model_copy(update={"shift_amount": window.amount, "shift_unit": window.unit})
    if window is None or reader.take(lexicon.PREVIOUS_WINDOW) is None:
        return None
    if window.kind == "last":
        return window, window.model_copy(update={"shift_amount": window.amount, "shift_unit": window.unit})
    before = {"today": "yesterday", "this_week": "last_week"}.get(window.kind)
    return (window, TimeWindow(kind=before)) if before else None


def named_pair(p: Planning) -> tuple[TimeWindow, TimeWindow] | None:
    """ "today vs yesterday", "이번 주랑 지난주": both windows named."""
    window = p.plan.window
    a_week = window is not None and (window.kind, window.amount, window.unit) == ("last", 1, "week")
    # "this week vs last week": "last week" was read as the last 7 days before "this week" was seen
    if a_week and p.reader.take_all(lexicon.THIS_WEEK):
        return TimeWindow(kind="this_week"), TimeWindow(kind="last_week")
    pairs = {"today": ("yesterday", lexicon.YESTERDAY), "yesterday": ("today", lexicon.TODAY)}
    pairs |= {"this_week": ("last_week", lexicon.LAST_WEEK), "last_week": ("this_week", lexicon.THIS_WEEK)}
    if window is None or window.kind not in pairs:
        return None
    _, other = pairs[window.kind]
    if p.reader.take(other) is None:
        return None
    current = "today" if window.kind in ("today", "yesterday") else "this_week"
    previous = "yesterday" if current == "today" else "last_week"
    return TimeWindow(kind=current), TimeWindow(kind=previous)


def sized_bucket(p: Planning) -> None:
    """ "5-minute buckets", "per 2 hours": read before "min" can be taken for a minimum."""
    match = p.reader.peek(lexicon.BUCKET_N)
    if match is not None and not p.reader.text[: match.start()].rstrip().endswith("same"):
        # ("the same 1-hour window 24 hours ago" is a window to compare with, not a bucket)
        p.reader.take(lexicon.BUCKET_N)
        p.sized_bucket = _bucket_of(match)


def series_bucket(p: Planning) -> str | None:
    if p.sized_bucket is not None:
        p.reader.take(lexicon.SERIES)
        return p.sized_bucket
    for pattern, bucket in lexicon.BUCKETS:
        if p.reader.take(pattern) is not None:
            p.reader.take(lexicon.SERIES)
            return bucket
    if p.reader.take(lexicon.SERIES) is not None:
        return _bucket_for(p.plan.window)
    return None


def _bucket_of(match: re.Match[str]) -> str:
    """ "5-minute" → "5 minutes", "1 hour" → "hour", "2시간" → "2 hours"."""
    amount = int(next(match.group(g) for g in ("n", "an", "bn", "kn", "cn") if match.group(g)))
    unit = next(match.group(g) for g in ("u", "au", "bu", "ku", "cu") if match.group(g)).lower()
    hours = unit.startswith("h") or unit == "시간"
    if amount == 1:
        return "hour" if hours else "minute"
    return f"{amount} {'hours' if hours else 'minutes'}"


def _bucket_for(window: TimeWindow | None) -> str:
    if window is None:
        return "day"
    minutes = (
        {"minute": 1, "hour": 60, "day": 1440, "week": 10080}[window.unit] * window.amount
        if window.kind == "last"
        else 1440
    )
    if minutes <= 120:
        return "minute"
    if minutes <= 2 * 1440:
        return "hour"
    return "day"


def _last(match: re.Match[str]) -> TimeWindow:
    """ "last 24 hours", "최근 1시간", "24h", "since 3h ago": the last N units."""
    groups = match.groupdict()
    amount_text = next(
        (groups[g] for g in ("n", "kn", "sn", "xn", "bn", "yn", "en", "zn", "pn", "wn") if groups.get(g)), "1"
    )
    unit_text = next(
        groups[g]
        for g in ("unit", "kunit", "sunit", "xunit", "bunit", "yunit", "eunit", "zunit", "punit", "wunit", "tunit")
        if groups.get(g)
    )
    amount = int(amount_text) if amount_text.isdigit() else lexicon.NUMBER_WORDS.get(amount_text, 1)
    return TimeWindow(kind="last", amount=amount, unit=lexicon.TIME_UNITS[unit_text.lower()])


def _clock(p: Planning) -> TimeWindow | None:
    """ "since 9am", "between 2 and 3 pm yesterday", "오늘 아침 9시 이후": from an hour of the day."""
    reader = p.reader
    between = reader.take(lexicon.CLOCK_BETWEEN)
    since = None if between is not None else reader.take(lexicon.CLOCK_SINCE)
    if between is None and since is None:
        return None
    days_ago = 2 if reader.take(lexicon.DAY_BEFORE_YESTERDAY) is not None else 0
    days_ago = days_ago or (1 if reader.take(lexicon.YESTERDAY) is not None else 0)
    if days_ago == 0:
        reader.take_all(lexicon.MORNING_WORDS)
    if between is not None:
        g = between.groupdict()
        afternoon = g.get("ap2") == "pm" or g.get("kp") in ("오후", "저녁", "밤")
        meridiem = g.get("ap1") or g.get("ap2") or g.get("ap5")
        start = _hour(
            int(g.get("h1") or g.get("h3") or g.get("h5") or g.get("h6") or g.get("kh1") or 0), meridiem, afternoon
        )
        end = _hour(int(g.get("h2") or g.get("h4") or g.get("h7") or g.get("kh2") or 0), g.get("ap2"), afternoon)
        if g.get("mid") or g.get("kmid") or (end == 12 and start > 12):
            end = 24  # "10 pm to midnight", "밤 10시부터 12시까지": the end of the day
        if not 0 <= start < end <= 24:
            return None
        return TimeWindow(kind="clock", from_hour=start, to_hour=end, days_ago=days_ago)
    assert since is not None
    g = since.groupdict()
    hour = _hour(int(g.get("h") or g.get("kh") or 0), g.get("ap"), g.get("kp") in ("오후", "저녁", "밤"))
    return TimeWindow(kind="clock", from_hour=hour, days_ago=days_ago) if 0 <= hour <= 23 else None


def _hour(hour: int, meridiem: str | None, afternoon: bool) -> int:
    """9 → 9, "2 pm" → 14, "12 am" → 0, "오후 3시" → 15."""
    pm = (meridiem or "").startswith("p") or (afternoon and not meridiem)
    if hour == 12:
        return 0 if (meridiem or "").startswith("a") else 12
    return hour + 12 if pm and hour < 12 else hour
