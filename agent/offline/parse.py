"""Question → ``QueryPlan``, in English or Korean, with no model.

The planner reads the question in passes, each taking the words it understands so that
later passes do not read them again: literal values (quoted text, IPs, trace ids, paths),
the time window, names that occur in the data (services, error types, environments,
metadata values — matched case-insensitively and tolerant of spaces, hyphens and Korean
particles), concepts (failed logins, SQL injection, front end), levels, thresholds, then the
measure, the dimension and the shape. A question with nothing about logs in it, or with a
shape it cannot tell, is not guessed at: ``Planned.plan`` is None and ``reason`` says why.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from loglens.agent.offline import coverage, lexicon, shorthand
from loglens.agent.offline.plan import (
    ROW_COLUMNS,
    AnyOf,
    Attribute,
    ColumnName,
    Condition,
    Grouping,
    Having,
    Measure,
    QueryPlan,
    TimeWindow,
)
from loglens.agent.schema import MAX_VALUES, Schema
from loglens.agent.write_requests import REFUSALS, is_write_request

HANGUL = re.compile(r"[\uac00-\ud7a3]")
HIGH_CARDINALITY = 20  # a "which X have the most" over more distinct values than this shows the top 10
NULLABLE_GROUPS = {
    "error_type",
    "path",
    "user_id",
    "session_id",
    "method",
    "service_version",
    "action_type",
    "function_name",
    "file_path",
    "trace_id",
}
DEFAULT_ROWS = 100
SLOWEST_ROWS_SHOWN = 10


@dataclass
class Planned:
    plan: QueryPlan | None
    language: str
    # every word of the question is used by the plan or carries nothing: the fast path may answer
    confident: bool = False
    reason: str = ""
    subject: str = "logs"  # what is counted, for the insight ("errors", "logs", "requests")
    notes: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)  # words of the question no pass could use


def language_of(text: str) -> str:
    return "ko" if HANGUL.search(text) else "en"


class _Reader:
    """The question, and which of its characters earlier passes have taken."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.taken = [False] * len(text)

    def free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end])

    def take(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        for match in pattern.finditer(self.text):
            if match.end() > match.start() and self.free(match.start(), match.end()):
                self.mark(match.start(), match.end())
                return match
        return None

    def take_all(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        found = []
        while (match := self.take(pattern)) is not None:
            found.append(match)
        return found

    def peek(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        for match in pattern.finditer(self.text):
            if self.free(match.start(), match.end()):
                return match
        return None

    def mark(self, start: int, end: int) -> None:
        for index in range(start, end):
            self.taken[index] = True


class Planner:
    def __init__(self, schema: Schema, zone: str = "UTC") -> None:
        self.schema = schema
        self.zone = zone  # where "today" begins (LOGLENS_TIMEZONE)

    def plan(self, question: str) -> Planned:
        planned = _Planning(self.schema, question).run()
        if planned.plan is not None:
            for window in (planned.plan.window, planned.plan.compared_window):
                if window is not None:
                    window.zone = self.zone
        return planned


class _Planning:
    def __init__(self, schema: Schema, question: str) -> None:
        self.schema = schema
        self.question = question.strip()
        self.language = language_of(self.question)
        self.reader = _Reader(_normalise(self.question))
        self.plan = QueryPlan()
        self.subject = "logs"
        self.notes: list[str] = []
        self.signals = 0  # things understood that are about logs
        self.group_hint: str | None = None
        self.compared: Attribute | None = None
        self.concept_error_type = False
        self.went_wrong = False
        self.unknown_names: list[str] = []  # names the question gives that nothing in the data has
        self.one_group_asked = False  # "which service had the most": the group named in the singular
        self.unread: list[str] = []  # parts the passes recognised but the plan cannot say
        self.sized_bucket: str | None = None  # "5 minutes", "2 hours"
        self.threshold_span: tuple[int, int] | None = None  # where "more than N times" was read
        self.listing: str | None = None  # "new", "absent", "no_errors": values listed, less others

    # --- the passes -------------------------------------------------------------------------

    def run(self) -> Planned:
        if is_write_request(self.question):
            return Planned(None, self.language, reason=REFUSALS[self.language])
        if not lexicon.LOG_VOCABULARY.search(self.reader.text) and not self._mentions_data():
            return Planned(None, self.language, reason="the question is not about logs")
        for step in (
            self._quoted_text,
            self._thresholds,
            self._literals,
            self._window,
            self._sized_bucket,
            self._compared_window,
            self._concepts,
            self._log_types,
            self._data_names,
            self._new_or_absent,
            self._measures,
            self._levels,
            self._condition_share,
            self._rate_threshold,
            self._shape,
            self._distinct_values,
        ):
            step()
        if self.plan.shape == "rows" and lexicon.STACK_TRACE.search(self.reader.text):
            self.plan.columns = [*dict.fromkeys([*self.plan.columns, "stack_trace"])]
        if not self.plan.measures and self.plan.shape == "aggregate" and not self._asks_for_a_number():
            return Planned(None, self.language, reason="the question does not say what to count or show")
        if self.unknown_names:
            missing = ", ".join(f"'{name}'" for name in self.unknown_names)
            return Planned(None, self.language, reason=f"no endpoint in the logs has {missing} in its path")
        if (
            self.signals == 0
            and lexicon.COUNT.search(self.reader.text)
            and lexicon.ROW_NOUNS.search(self.reader.text)
        ):
            self.signals = 1  # "how many logs are there?": all of them
        if self.signals == 0:
            return Planned(None, self.language, reason="nothing in the question matches the logs")
        self._mark_structure_words()
        unused = self.unread + coverage.unused_words(self.reader.text, self.reader.taken)
        if unused:
            return Planned(None, self.language, reason=_could_not_use(unused, self.language), unused=unused)
        return Planned(self.plan, self.language, confident=True, subject=self.subject, notes=self.notes)

    def _mark_structure_words(self) -> None:
        """The words that shaped the plan without a pass taking them ("how many", "which", "per")."""
        plan = self.plan
        used = [lexicon.SHOW_ROWS, lexicon.ROW_NOUNS, lexicon.EMPTY_PHRASES]
        if any(isinstance(c, Condition) and c.attribute.metadata_key == "ip" for c in plan.conditions) or (
            plan.group_by is not None
            and plan.group_by.attribute is not None
            and plan.group_by.attribute.metadata_key == "ip"
        ):
            used.append(lexicon.IP_WORDS)
        if plan.shape == "rows":
            used.append(lexicon.WHICH)
        counts = plan.shape == "count_groups" or any(m.kind in ("count", "count_distinct") for m in plan.measures)
        if counts:
            used.append(lexicon.COUNT)
        if plan.group_by is not None or plan.shape == "distinct":
            used += [lexicon.WHICH, lexicon.PER, lexicon.LIST_WORDS, lexicon.COMMON]
        if plan.shape == "rows":
            used.append(lexicon.LIST_WORDS)
        if any(m.kind in ("first_seen", "last_seen") for m in plan.measures):
            used.append(lexicon.TIMESTAMP_WORDS)
        grouped_by = plan.group_by.attribute if plan.group_by is not None else None
        if plan.having is not None and grouped_by is not None and grouped_by.column in ("session_id", "user_id"):
            used.append(lexicon.VIEWED_PAGES)
        if any(m.attribute is not None and m.attribute.name == "duration_ms" for m in plan.measures):
            used += [lexicon.DURATION, lexicon.AVERAGE, lexicon.MAXIMUM, lexicon.MINIMUM]  # said twice
        if any(m.kind in ("error_rate", "level_share", "share", "share_of_total") for m in plan.measures):
            used += [lexicon.SHARE]
        if any(m.kind == "avg_length" for m in plan.measures):
            used += [lexicon.MESSAGE_LENGTH, lexicon.AVERAGE]
        if any(isinstance(c, Condition) and c.op in ("contains", "contains_any") for c in plan.conditions):
            used.append(lexicon.CONTAINS_WORDS)
        for pattern in used:
            for match in pattern.finditer(self.reader.text):
                self.reader.mark(match.start(), match.end())

    def _mentions_data(self) -> bool:
        return any(
            self._find_name(value)
            for column in ("service", "error_type")
            for value in self.schema.distinct(column)
        )

    def _quoted_text(self) -> None:
        for match in list(lexicon.QUOTED.finditer(self.reader.text)):
            text = match.group(1).strip()
            if not text or not self.reader.free(match.start(), match.end()):
                continue
            if self._known_value(text):
                continue  # a quoted name is matched with the other names
            self.reader.mark(match.start(), match.end())
            self.plan.conditions.append(
                Condition(attribute=Attribute(column="message"), op="contains", values=[text])
            )
            self.signals += 1
        quoted = any(isinstance(c, Condition) and c.op == "contains" for c in self.plan.conditions)
        containing = None if quoted else self.reader.take(lexicon.CONTAINING)
        if containing is not None:
            word = (containing.group("word") or containing.group("kword")).strip("'\"")
            if word.lower() not in ("the", "a", "an", "word", "text", "phrase", "string"):
                self.plan.conditions.append(
                    Condition(attribute=Attribute(column="message"), op="contains", values=[word])
                )
                self.signals += 1

    def _literals(self) -> None:
        self._identifiers()
        self._status_codes()
        self._http_methods()
        for user in self._users_in_text():
            self._add_equals(Attribute(column="user_id"), user)

    def _identifiers(self) -> None:
        """IPs, trace ids, named ids ("user u-1"), paths and versions, as written."""
        for found in self.reader.take_all(lexicon.IP):
            self._add_equals(Attribute(metadata_key=self._metadata_key("ip") or "ip"), found.group(0))
        for found in self.reader.take_all(lexicon.TRACE_ID):
            self._add_equals(Attribute(column="trace_id"), found.group(0).lower())
        for found in self.reader.take_all(lexicon.NAMED_ID):
            self._named_id(found)
        paths = [found.group(0).rstrip(".,?") for found in self.reader.take_all(lexicon.PATH)]
        if paths:
            self._add_in(Attribute(column="path"), [self._closest("path", p) or p for p in paths], compared=False)
        for found in self.reader.take_all(lexicon.VERSION):
            version = self._closest("service_version", found.group(0)) or found.group(0)
            self._add_equals(Attribute(column="service_version"), version)

    def _named_id(self, found: re.Match[str]) -> None:
        kind = found.group("kind") or found.group("kkind")
        column = lexicon.ID_KINDS.get(kind, "user_id")
        value = found.group("v") or found.group("kv")
        known = next((k for k in self.schema.distinct(column) if k.lower() == value), None)
        self._add_equals(Attribute(column=column), known or self._as_written(value))

    def _status_codes(self) -> None:
        """A status class ("5xx errors") or code ("404s"), where the logs have a status key."""
        status_key = self._metadata_key("status")
        if not status_key:
            return
        if (match := self.reader.take(lexicon.STATUS_CLASS)) is not None:
            hundreds = int(match.group("c") or match.group("d"))
            attribute = Attribute(metadata_key=status_key, numeric=True)
            self.plan.conditions.append(Condition(attribute=attribute, op=">=", values=[hundreds * 100]))
            if hundreds < 5:
                self.plan.conditions.append(Condition(attribute=attribute, op="<", values=[hundreds * 100 + 100]))
            self.signals += 1
        elif (match := self.reader.take(lexicon.STATUS_CODE)) is not None:
            code = int(next(g for g in match.groups() if g))
            self._add_equals(Attribute(metadata_key=status_key, numeric=True), code)

    def _http_methods(self) -> None:
        methods = [match.group("m").upper() for match in self.reader.take_all(lexicon.HTTP_METHOD)]
        for match in lexicon.HTTP_METHOD_CAPITALS.finditer(self.question):
            start = _map_index(self.question, self.reader.text, match.start())
            if start is not None and self.reader.free(start, start + len(match.group(1))):
                self.reader.mark(start, start + len(match.group(1)))
                methods.append(match.group(1))
        if methods:
            self._add_in(Attribute(column="method"), list(dict.fromkeys(methods)))

    def _as_written(self, value: str) -> str:
        """A value read from the lower-cased question, in the case the question wrote it."""
        start = self.question.lower().find(value)
        return self.question[start : start + len(value)] if start >= 0 else value

    def _window(self) -> None:
        reader = self.reader
        if (match := reader.take(lexicon.LAST_N)) is not None:
            amount_text = next(
                (match.group(g) for g in ("n", "kn", "sn", "xn", "bn", "yn") if match.group(g)), "1"
            )
            unit_text = next(
                match.group(g) for g in ("unit", "kunit", "sunit", "xunit", "bunit", "yunit") if match.group(g)
            )
            unit_text = unit_text.lower()
            amount = int(amount_text) if amount_text.isdigit() else lexicon.NUMBER_WORDS.get(amount_text, 1)
            self.plan.window = TimeWindow(kind="last", amount=amount, unit=lexicon.TIME_UNITS[unit_text])
        elif reader.take(lexicon.SINCE_YESTERDAY) is not None:
            self.plan.window = TimeWindow(kind="since_yesterday")
        elif reader.take(lexicon.YESTERDAY) is not None:
            self.plan.window = TimeWindow(kind="yesterday")
        elif reader.take(lexicon.TODAY) is not None:
            self.plan.window = TimeWindow(kind="today")
        elif reader.take(lexicon.THIS_WEEK) is not None:
            self.plan.window = TimeWindow(kind="this_week")
        elif reader.take(lexicon.LAST_WEEK) is not None:
            self.plan.window = TimeWindow(kind="last_week")
        if self.plan.window is not None:
            self.signals += 1

    def _compared_window(self) -> None:
        """A second, earlier window to set beside the first: "today vs yesterday", "the hour
        before", "the same hour yesterday", "yesterday until this time"."""
        compared = self._shifted_window() or self._named_pair()
        if compared is None:
            return
        self.plan.window, self.plan.compared_window = compared
        self.reader.take_all(lexicon.COMPARISON_WORDS)
        self.signals += 1

    def _shifted_window(self) -> tuple[TimeWindow, TimeWindow] | None:
        reader, window = self.reader, self.plan.window
        a_day_back = {"shift_amount": 1, "shift_unit": "day"}
        if reader.take(lexicon.YESTERDAY_SO_FAR) is not None:
            today = window if window is not None and window.kind == "today" else TimeWindow(kind="today")
            return today, today.model_copy(update=a_day_back)
        if reader.take(lexicon.SAME_TIME_YESTERDAY) is not None:
            window = window or TimeWindow(kind="last", amount=1, unit="hour")
            return (window, window.model_copy(update=a_day_back)) if window.kind in ("last", "today") else None
        if window is None or reader.take(lexicon.PREVIOUS_WINDOW) is None:
            return None
        if window.kind == "last":
            return window, window.model_copy(update={"shift_amount": window.amount, "shift_unit": window.unit})
        before = {"today": "yesterday", "this_week": "last_week"}.get(window.kind)
        return (window, TimeWindow(kind=before)) if before else None

    def _named_pair(self) -> tuple[TimeWindow, TimeWindow] | None:
        """ "today vs yesterday", "이번 주랑 지난주": both windows named."""
        window = self.plan.window
        pairs = {"today": ("yesterday", lexicon.YESTERDAY), "yesterday": ("today", lexicon.TODAY)}
        pairs |= {"this_week": ("last_week", lexicon.LAST_WEEK), "last_week": ("this_week", lexicon.THIS_WEEK)}
        if window is None or window.kind not in pairs:
            return None
        _, other = pairs[window.kind]
        if self.reader.take(other) is None:
            return None
        current = "today" if window.kind in ("today", "yesterday") else "this_week"
        previous = "yesterday" if current == "today" else "last_week"
        return TimeWindow(kind=current), TimeWindow(kind=previous)

    def _concepts(self) -> None:
        if self.reader.take(lexicon.LOGIN_FAILURE) is not None:
            error_type = self._error_type_about("login") or self._error_type_about("auth")
            if error_type is not None:
                self._add_equals(Attribute(column="error_type"), error_type)
            else:
                self.plan.conditions.append(
                    Condition(
                        attribute=Attribute(column="message"),
                        op="contains_any",
                        values=["login failed", "authentication failed"],
                    )
                )
            self.concept_error_type = True
            self.subject = "failures"
            self.signals += 1
        if self.reader.take(lexicon.SQL_INJECTION) is not None:
            patterns: list[str | int | float] = list(lexicon.SQL_INJECTION_PATTERNS)
            self.plan.conditions.append(
                AnyOf(
                    conditions=[
                        Condition(attribute=Attribute(column="path"), op="contains_any", values=patterns),
                        Condition(attribute=Attribute(column="message"), op="contains_any", values=patterns),
                    ]
                )
            )
            self.plan.shape = "rows"
            self.plan.columns = ["created_at", "service", "path", "message", "level", "user_id"]
            self.signals += 1
        if (match := self.reader.take(lexicon.WENT_WRONG)) is not None:
            self.plan.errors_only = True
            self.went_wrong = True
            self.subject = "errors"
            self.signals += 1
        ranks_groups = self.reader.peek(lexicon.WHICH) is not None or self.reader.peek(lexicon.PER) is not None
        if not ranks_groups and (match := self.reader.take(lexicon.SLOWEST_ROWS)) is not None:
            count = match.group("p") or match.group("n") or match.group("k")
            self.plan.shape, self.plan.order = "rows", "slowest"
            self.plan.limit = int(count) if count else SLOWEST_ROWS_SHOWN
            self.plan.columns = ["created_at", "service", "method", "path", "duration_ms", "level", "message"]
            self.plan.conditions.append(Condition(attribute=Attribute(column="duration_ms"), op="is_not_null"))
            self.subject = "requests"
            self.signals += 1
        if (match := self.reader.take(lexicon.SESSIONS_PER_USER)) is not None:
            raw = match.group("n") or match.group("k") or "1"
            count = int(raw) if raw.isdigit() else lexicon.NUMBER_WORDS.get(raw, 1)
            sessions = Measure(kind="count_distinct", attribute=Attribute(column="session_id"), alias="sessions")
            self.plan.shape = "count_groups"
            self.plan.group_by = Grouping(attribute=Attribute(column="user_id"), alias="user_id")
            self.plan.conditions += [
                Condition(attribute=Attribute(column="session_id"), op="is_not_null"),
                Condition(attribute=Attribute(column="user_id"), op="is_not_null"),
            ]
            self.plan.having = Having(measure=sessions, op=">", value=count)
            self.plan.measures = [Measure(kind="count", alias="users")]
            self.subject = "users"
            self.signals += 1
        if (match := self.reader.take(lexicon.MISSING)) is not None:
            what = (match.group("what") or match.group("kwhat") or "").strip().replace(" ", "_").lower()
            column = _column_named(what)
            if column is not None:
                self.plan.conditions.append(Condition(attribute=Attribute(column=column), op="is_null"))
                self.signals += 1
            else:
                self.reader.taken[match.start() : match.end()] = [False] * (match.end() - match.start())

    def _condition_share(self) -> None:
        """ "% of requests over 1 s", "share of auth-service requests that are 401s", "5xx rate per
        endpoint": the share of rows for which one condition holds, among those the others select."""
        plan, reader = self.plan, self.reader
        if any(m.kind in ("error_rate", "level_share") for m in plan.measures):
            return
        share = reader.peek(lexicon.SHARE) or reader.peek(lexicon.RATE_WORD)
        if share is None:
            return
        part = self._share_part()
        if part is None:
            if reader.peek(lexicon.PER) is not None or self.reader.peek(lexicon.WHICH) is not None:
                reader.take(lexicon.SHARE) or reader.take(lexicon.RATE_WORD)
                plan.measures.append(Measure(kind="share_of_total", alias="pct_of_total"))
                self.signals += 1
            return
        reader.take(lexicon.SHARE) or reader.take(lexicon.RATE_WORD)
        plan.conditions.remove(part)
        status = part.attribute.metadata_key is not None and "status" in part.attribute.metadata_key
        if status or part.attribute.column == "duration_ms":
            key = self._metadata_key("status")
            if key is not None:
                plan.conditions.append(Condition(attribute=Attribute(metadata_key=key), op="is_not_null"))
        plan.measures = [m for m in plan.measures if m.attribute != Attribute(column="duration_ms")]
        present = Condition(attribute=Attribute(column="duration_ms"), op="is_not_null")
        plan.conditions = [c for c in plan.conditions if c != present]
        if part.attribute.column == "duration_ms":
            plan.conditions.append(present)
        plan.measures.append(Measure(kind="share", part=part, alias=_share_alias(part)))
        self.subject = "share"
        self.signals += 1

    def _share_part(self) -> Condition | None:
        """The condition a share is of: a status, a duration threshold, a metadata value, a method."""
        candidates = [c for c in self.plan.conditions if isinstance(c, Condition)]

        def rank(condition: Condition) -> int:
            attribute = condition.attribute
            if attribute.metadata_key and "status" in attribute.metadata_key and condition.op != "is_not_null":
                return 4
            if attribute.column == "duration_ms" and condition.op in (">", ">=", "<", "<="):
                return 3
            if attribute.metadata_key and condition.op in ("=", "in"):
                return 2
            if attribute.column in ("method", "level", "environment", "log_type") and condition.op in ("=", "in"):
                return 1
            return 0

        ranked = sorted((c for c in candidates if rank(c) > 0), key=rank, reverse=True)
        if not ranked or (len(ranked) > 1 and rank(ranked[0]) == rank(ranked[1]) and ranked[0].op != ">="):
            return ranked[0] if ranked and rank(ranked[0]) == 4 else None
        return ranked[0]

    def _rate_threshold(self) -> None:
        """ "services with an error rate above 11%": a threshold on the rate, per group."""
        rates = [m for m in self.plan.measures if m.kind in ("error_rate", "level_share", "share")]
        if not rates:
            return
        match = self.reader.take(lexicon.RATE_THRESHOLD)
        if match is None:
            return
        words = (match.group("op") or match.group("sym") or match.group("kop") or "").replace(" ", "")
        op = {
            "atleast": ">=",
            ">=": ">=",
            "≥": ">=",
            "이상": ">=",
            "under": "<",
            "below": "<",
            "lessthan": "<",
            "<": "<",
            "미만": "<",
            "<=": "<=",
            "≤": "<=",
            "이하": "<=",
        }.get(words, ">")
        self.plan.having = Having(measure=rates[0], op=op, value=float(match.group("n") or match.group("kn")))
        self.signals += 1

    def _new_or_absent(self) -> None:
        """ "error types new today", "in production, never in staging", "services with no errors
        but still logging": values listed, less those seen before or elsewhere."""
        reader = self.reader
        if self.plan.window is not None and reader.take_all(lexicon.NEW_VALUES):
            self.listing = "new"
        elif reader.take(lexicon.NO_ERRORS) is not None:
            self.listing = "no_errors"
            self.plan.errors_only = False
            reader.take(lexicon.STILL_ACTIVE)
        elif self._absent_value():
            reader.take_all(lexicon.NEGATION)
            reader.take_all(lexicon.ONLY)
            self.listing = "absent"
        else:
            return
        self.signals += 1

    def _absent_value(self) -> bool:
        """Of two values named side by side, the one the negation is about ("not in staging"), or
        the other one than "only" is about ("only in prod")."""
        negation, only = self.reader.peek(lexicon.NEGATION), self.reader.peek(lexicon.ONLY)
        if negation is None and only is None:
            return False
        condition = next(
            (
                c
                for c in self.plan.conditions
                if isinstance(c, Condition) and c.op == "in" and len(c.values) == 2 and c.attribute.column
            ),
            None,
        )
        if condition is None:
            return False
        spans = {value: self._mention(str(value)) for value in condition.values}
        if any(span is None for span in spans.values()):
            return False
        anchor = negation or only
        assert anchor is not None
        # English negates what follows ("not in staging"), Korean what precedes ("staging엔 없고")
        after = [] if self.language == "ko" else [v for v in spans if spans[v][0] >= anchor.end()]  # type: ignore[index]
        nearest = (
            min(after, key=lambda v: spans[v][0] - anchor.end())  # type: ignore[index]
            if after
            else min(
                [v for v in spans if spans[v][1] <= anchor.start()] or list(spans),  # type: ignore[index]
                key=lambda v: abs(anchor.start() - spans[v][1]),  # type: ignore[index]
            )
        )
        other = next(v for v in condition.values if v != nearest)
        if negation is None:
            nearest, other = other, nearest
        self.plan.conditions.remove(condition)
        self.plan.conditions.append(Condition(attribute=condition.attribute, op="=", values=[other]))
        self.plan.absent_where = [Condition(attribute=condition.attribute, op="=", values=[nearest])]
        self.compared = None
        return True

    def _mention(self, value: str) -> tuple[int, int] | None:
        span = self._find_name(value)
        if span is None:
            for word, meant in (("prod", "production"), ("stage", "staging"), ("dev", "development")):
                if meant == value:
                    span = self._find_name(word)
        return span

    def _distinct_values(self) -> None:
        """The listing ``_new_or_absent`` asked for, once the shape has found what is listed."""
        listing, plan = self.listing, self.plan
        if listing is None:
            return
        group = plan.group_by
        if group is None or group.bucket is not None:
            attribute = Attribute(column="service" if listing == "no_errors" else "error_type")
            group = Grouping(attribute=attribute, alias=attribute.name)
        plan.shape, plan.group_by, plan.measures, plan.order, plan.limit = "distinct", group, [], "group_asc", None
        plan.having = None
        if group.attribute is not None and group.attribute.column == "error_type":
            plan.errors_only = True
        if listing == "new":
            plan.new_in_window = True
        if listing == "no_errors":
            plan.absent_errors_only = True
            plan.absent_where = []

    def _data_names(self) -> None:
        for column in ("service", "error_type", "environment", "service_version", "path"):
            found = []
            for value in sorted(self.schema.distinct(column), key=len, reverse=True):
                span = self._find_name(value)
                if span is not None and self.reader.free(*span):
                    self.reader.mark(*span)
                    found.append(value)
                    self._take_following_word(span[1], column)
            if column == "environment":
                found += self._environment_words()
            if found:
                self._add_in(Attribute(column=column), list(dict.fromkeys(found)))
                if column == "error_type":
                    self.concept_error_type = True
        self._path_words()
        self._korean_names()
        for key in self.schema.metadata_keys:
            if key.type != "string" or len(key.examples) > 25:
                continue
            found = []
            for value in sorted((str(v) for v in key.examples), key=len, reverse=True):
                span = self._find_name(value)
                if span is not None and self.reader.free(*span):
                    self.reader.mark(*span)
                    found.append(value)
            if found:
                self._add_in(Attribute(metadata_key=key.key), found)

    def _korean_names(self) -> None:
        """결제 서비스 → payment-api, 로그인 페이지 → /api/v1/login: a Korean word for what a name
        is about, matched against the services and paths of the data."""
        text = self.reader.text
        named_services: list[str] = []
        for word, stems in lexicon.KOREAN_NAME_STEMS.items():
            for match in re.finditer(word, text):
                if not self.reader.free(match.start(), match.end()):
                    continue
                as_path = lexicon.KOREAN_PATH_NOUN.match(text, match.end())
                service_noun = lexicon.KOREAN_SERVICE_NOUN.match(text, match.end())
                services = [v for v in self.schema.distinct("service") if any(stem in v.lower() for stem in stems)]
                paths = [v for v in self.schema.distinct("path") if _path_named(v, stems)]
                path_named = as_path is not None and as_path.end() > match.end()
                if path_named and as_path is not None and paths and not self._has_condition("path"):
                    self.reader.mark(match.start(), as_path.end())
                    self._add_in(Attribute(column="path"), paths, compared=False)
                elif (
                    len(services) == 1
                    and not self._has_condition("service")
                    and (word not in lexicon.KOREAN_COMMON_NOUNS or _noun_follows(service_noun, match.end()))
                ):
                    end = service_noun.end() if service_noun is not None else match.end()
                    self.reader.mark(match.start(), end)
                    named_services.append(services[0])
                elif paths and not self._has_condition("path") and not services:
                    self.reader.mark(match.start(), match.end())
                    self._add_in(Attribute(column="path"), paths, compared=False)
        if named_services:
            self._add_in(Attribute(column="service"), list(dict.fromkeys(named_services)))

    def _path_words(self) -> None:
        """'the checkout endpoint': the endpoints whose path has that word; none is an honest miss."""
        if self._has_condition("path"):
            return
        for match in lexicon.PATH_WORD.finditer(self.reader.text):
            word = match.group("w") or match.group("kw")
            start = match.start("w") if match.group("w") else match.start("kw")
            if word in lexicon.NOT_PATH_WORDS or not self.reader.free(start, start + len(word)):
                continue
            self.reader.mark(start, match.end())
            known = self.schema.distinct("path")
            paths = [path for path in known if word in path.lower()]
            if paths:
                self._add_in(Attribute(column="path"), paths, compared=False)
            elif len(known) >= MAX_VALUES:  # the profile keeps only the commonest paths: search them all
                contains = Condition(attribute=Attribute(column="path"), op="contains", values=[word])
                self.plan.conditions.append(contains)
                self.signals += 1
            else:
                self.unknown_names.append(word)
            return

    def _log_types(self) -> None:
        for pattern, kinds in lexicon.LOG_TYPES:
            if not self.reader.take_all(pattern):
                continue
            present = set(self.schema.distinct("log_type")) or set(kinds)
            chosen = [kind for kind in kinds if kind in present] or list(kinds)
            self._add_in(Attribute(column="log_type"), chosen, compared=False)
            return

    def _thresholds(self) -> None:
        if (match := self.reader.take(lexicon.DURATION_THRESHOLD)) is not None:
            amount = float(match.group("n") or match.group("kn"))
            unit = (match.group("unit") or match.group("kunit") or "ms").lower()
            factor = (
                1
                if unit in ("ms", "millisecond", "milliseconds", "밀리초")
                else (60_000 if unit.startswith(("min", "분")) else 1000)
            )
            op = ">=" if (match.group("op") or match.group("kop") or "").startswith(("at", "이상", ">=")) else ">"
            value = amount * factor
            self.plan.conditions.append(
                Condition(
                    attribute=Attribute(column="duration_ms"),
                    op=op,
                    values=[int(value) if value.is_integer() else value],
                )
            )
            self.signals += 1
        if (match := self.reader.take(lexicon.COUNT_THRESHOLD)) is not None:
            amount = int(match.group("n") or match.group("kn") or match.group("pn"))
            words = (match.group("op") or match.group("kop") or match.group("sym") or "").replace(" ", "")
            at_least = match.group("plus") or match.group("pn") or words in ("atleast", "이상", ">=", "=>", "≥")
            op = ">=" if at_least else ">"
            self.plan.having = Having(measure=Measure(kind="count"), op=op, value=amount)
            self.threshold_span = (match.start(), match.end())
            self.signals += 1

    def _measures(self) -> None:
        duration = self._duration_attribute()
        self._named_measures()
        self._percentiles(duration)
        self._extremes(duration)
        self._ranked_duration(duration)
        self._duration_signal(duration)
        self._level_share()
        if self._distinct_subject():
            return
        if self.plan.measures:
            self.signals += 1

    def _named_measures(self) -> None:
        """The error rate (or health), the message length, when something was first or last seen."""
        reader, measures = self.reader, self.plan.measures
        if reader.take(lexicon.ERROR_RATE) is not None or reader.take(lexicon.HEALTH) is not None:
            measures.append(Measure(kind="error_rate", alias="error_rate_pct"))
            self.subject = "error rate"
        if reader.take(lexicon.MESSAGE_LENGTH) is not None:
            measures.append(Measure(kind="avg_length", alias="avg_message_length"))
            self.subject = "message length"
        first, last = reader.take(lexicon.FIRST_SEEN), reader.take(lexicon.LAST_SEEN)
        when = reader.peek(lexicon.WHEN)
        if when is not None and first is None and last is None:
            # "when did each service last throw an error", "when did X first show up"
            first, last = reader.take(lexicon.FIRST_WORD), reader.take(lexicon.LAST_WORD)
        if first is not None:
            measures.append(Measure(kind="first_seen", alias="first_seen"))
        if last is not None and (first is not None or self.plan.shape != "rows"):
            measures.append(Measure(kind="last_seen", alias="last_seen"))

    def _percentiles(self, duration: Attribute) -> None:
        for match in self.reader.take_all(lexicon.PERCENTILE):
            digits = next((g for g in (match.group("p"), match.group("q"), match.group("kp")) if g), None)
            fraction = int(digits) / 100 if digits else 0.5
            self.plan.measures.append(
                Measure(
                    kind="percentile",
                    attribute=duration,
                    fraction=fraction,
                    alias=f"p{int(fraction * 100)}_{_unit_alias(duration)}",
                )
            )

    def _extremes(self, duration: Attribute) -> None:
        """The average, maximum and minimum duration, in that order."""
        reader, measures = self.reader, self.plan.measures
        averaged = reader.take(lexicon.AVERAGE) is not None
        maximum = reader.take(lexicon.MAXIMUM) is not None
        minimum = reader.take(lexicon.MINIMUM) is not None
        if averaged:
            measures.append(Measure(kind="avg", attribute=duration, alias=f"avg_{_unit_alias(duration)}"))
        if maximum:
            measures.append(Measure(kind="max", attribute=duration, alias=f"max_{_unit_alias(duration)}"))
        if minimum:
            measures.append(Measure(kind="min", attribute=duration, alias=f"min_{_unit_alias(duration)}"))

    def _ranked_duration(self, duration: Attribute) -> None:
        """ "the slowest endpoints", "latency per service": the average duration, ranked."""
        measures = self.plan.measures
        fastest = self.reader.take(lexicon.FAST) is not None
        if not measures and (self._duration_mentioned or fastest) and not self._has_condition("duration_ms"):
            measures.append(Measure(kind="avg", attribute=duration, alias=f"avg_{_unit_alias(duration)}"))
            self._duration_mentioned = True
            if fastest:
                self.plan.order = "measure_asc"

    def _duration_signal(self, duration: Attribute) -> None:
        if any(m.attribute == duration for m in self.plan.measures) and self._duration_mentioned:
            self.signals += 1
            self.subject = "duration"
            if duration.column == "duration_ms":
                self.plan.conditions.append(Condition(attribute=duration, op="is_not_null"))

    def _level_share(self) -> None:
        """ "percentage of DEBUG logs": the share of one level (the error rate is its own measure)."""
        measures = self.plan.measures
        if self.reader.peek(lexicon.SHARE) is not None and not any(m.kind == "error_rate" for m in measures):
            level = self._take_level_word()
            if level is not None:
                self.reader.take(lexicon.SHARE)
                measures.append(Measure(kind="level_share", level=level, alias=f"{level.lower()}_pct"))
                self.subject = f"{level} share"

    _duration_mentioned = False

    def _duration_attribute(self) -> Attribute:
        for key in self.schema.metadata_keys:
            if key.type != "number" or not _is_duration_key(key.key):
                continue
            span = self._find_name(key.key) or self._find_name(_words_of(key.key), loose=True)
            if span is not None:
                unit = _DURATION_NOUN.match(self.reader.text, span[1])
                self.reader.mark(span[0], unit.end() if unit else span[1])
                self._duration_mentioned = True
                self.plan.conditions.append(Condition(attribute=Attribute(metadata_key=key.key), op="is_not_null"))
                return Attribute(metadata_key=key.key, numeric=True)
        if self.reader.take(lexicon.DURATION) is not None:
            self._duration_mentioned = True
        return Attribute(column="duration_ms")

    def _distinct_subject(self) -> bool:
        """'how many distinct users', 'unique sessions': count distinct of a column."""
        match = self.reader.peek(lexicon.DISTINCT)
        counting = self.reader.peek(lexicon.COUNT) is not None
        if match is None and not counting:
            return False
        for pattern, column, dimension in self._counted_dimensions():
            listed = not counting and self.reader.peek(lexicon.SHOW_ROWS) is not None
            plural_counted = (match is not None and not listed) or (counting and self._counts_entities(dimension))
            if not plural_counted:
                continue
            self.reader.take(pattern)
            if match is not None:
                self.reader.take(lexicon.DISTINCT)
            self.reader.take(lexicon.COUNT)
            self.plan.measures.append(
                Measure(
                    kind="count_distinct",
                    attribute=Attribute(column=column),
                    alias=_plural(column),
                )
            )
            self.plan.conditions.append(Condition(attribute=Attribute(column=column), op="is_not_null"))
            self.subject = _plural(column).replace("_", " ")
            self.signals += 1
            return True
        return False

    def _counted_dimensions(self) -> list[tuple[re.Pattern[str], ColumnName, re.Match[str]]]:
        """The dimensions a distinct count may be of, head nouns first: in "user sessions" the
        sessions are counted, and "user" only says whose they are (it is read, not a filter)."""
        found: list[tuple[re.Pattern[str], ColumnName, re.Match[str]]] = []
        for pattern, column in lexicon.DIMENSIONS:
            if column in ("user_id", "session_id", "trace_id", "service", "path", "error_type"):
                match = self.reader.peek(pattern)
                if match is not None:
                    found.append((pattern, column, match))  # type: ignore[arg-type]
        found = [entry for entry in found if not self._marked_as_grouping(entry[2].start(), entry[2].end())]
        anchor = self.reader.peek(lexicon.DISTINCT) or self.reader.peek(lexicon.COUNT)
        if anchor is not None:
            found.sort(key=lambda entry: abs(entry[2].start() - anchor.end()))
        heads = []
        for entry in found:
            modifier_of = [
                other for other in found if other is not entry and 0 <= other[2].start() - entry[2].end() <= 1
            ]
            if modifier_of and self.language == "en":
                self.reader.mark(entry[2].start(), entry[2].end())
                continue
            heads.append(entry)
        return heads

    def _counts_entities(self, dimension: re.Match[str]) -> bool:
        # "how many users ..." counts users; "how many errors ... per user" does not
        text = self.reader.text
        count = self.reader.peek(lexicon.COUNT)
        if count is None:
            return False
        between = text[count.end() : dimension.start()] if dimension.start() >= count.end() else "x"
        english = bool(_ENTITY_ADJECTIVES.fullmatch(between))
        korean = 0 <= count.start() - dimension.end() <= 2  # "사용자 수": the count word follows the noun
        return english or korean

    def _levels(self) -> None:
        reader = self.reader
        if (match := reader.take(lexicon.LEVEL_MENTION)) is not None:
            word = next(g for g in (match.group(n) for n in "abcde") if g)
            self._add_level(lexicon.LEVEL_NAMES[word.lower()])
            return
        original = self.question
        for match in lexicon.EXPLICIT_LEVEL.finditer(original):
            start = _map_index(original, self.reader.text, match.start())
            if start is not None and reader.free(start, start + len(match.group(1))):
                reader.mark(start, start + len(match.group(1)))
                self._add_level(lexicon.LEVEL_NAMES[match.group(1).lower()])
                return
        errors = reader.take_all(lexicon.ERROR_WORDS)
        if errors and not (self.concept_error_type and not self._error_word_outside_concept(errors)):
            if not any(m.kind in ("error_rate",) for m in self.plan.measures):
                self.plan.errors_only = True
            self.subject = "errors" if self.subject == "logs" else self.subject
            self.signals += 1

    def _error_word_outside_concept(self, errors: list[re.Match[str]]) -> bool:
        # "errors of DatabaseConnectionTimeout" still asks for errors; "when did X first happen" does not
        return any(match.group(0).lower() in ("errors", "error", "에러", "오류") for match in errors) and not any(
            m.kind in ("first_seen", "last_seen") for m in self.plan.measures
        )

    def _shape(self) -> None:
        reader, plan = self.reader, self.plan
        if plan.shape in ("rows", "count_groups"):
            if plan.shape == "rows" and (match := reader.take(lexicon.RECENT_ROWS)) is not None:
                plan.limit = int(next(g for g in match.groups() if g))
            return
        if self._recent_rows():
            return
        top = reader.take(lexicon.TOP_N)
        least = reader.take(lexicon.LEAST)  # before MOST, whose bare "가장" would take "가장 빠른"
        most = reader.take(lexicon.MOST) or (reader.take(lexicon.MOST_BARE) if least is None else None)
        bucket = self._bucket()
        dimension = None if bucket else self._dimension()
        if dimension is not None and self._pinned(dimension) and self._shows_rows(None, bucket, top or most):
            dimension = None  # "show logs from user_001": that user's logs, not a count per user
        compared = self.compared
        self._group(bucket, dimension, compared)
        if not plan.measures and self._shown_uncounted(dimension, bucket, top or most):
            return
        if plan.group_by is not None and plan.group_by.bucket is None:
            self._rank(top, most, least, dimension, compared)
        if plan.group_by is None and plan.having is not None:
            self.unread.append("more than N times")  # a count threshold needs something to count per

    def _recent_rows(self) -> bool:
        """ "the last 10 errors", "최근 에러 10개": that many rows, newest first."""
        match = self.reader.take(lexicon.RECENT_ROWS)
        if match is None:
            match = self._recent_rows_korean()
        if match is None:
            return False
        self.plan.shape, self.plan.limit = "rows", int(next(g for g in match.groups() if g))
        self.plan.columns = list(ROW_COLUMNS)
        self.signals += 1
        return True

    def _group(self, bucket: str | None, dimension: Attribute | None, compared: Attribute | None) -> None:
        """Group by the time bucket, else the values compared ("A vs B"), else the dimension."""
        plan = self.plan
        if bucket is not None:
            # "minute", "hour", "day" name their column; a bin of several minutes is a "bucket"
            plan.group_by = Grouping(bucket=bucket, alias="bucket" if " " in bucket else bucket)
            plan.order = "group_asc"
        elif compared is not None and (dimension is None or dimension.name == compared.name):
            plan.group_by = Grouping(attribute=compared, alias=compared.name.split(".")[-1])
            plan.order = "group_asc"
        elif dimension is not None:
            plan.group_by = Grouping(attribute=dimension, alias=dimension.name.split(".")[-1])
            if dimension.column in NULLABLE_GROUPS or dimension.metadata_key:
                plan.conditions.append(Condition(attribute=dimension, op="is_not_null"))
            measures_of_errors = all(m.kind in ("count", "first_seen", "last_seen") for m in plan.measures)
            if dimension.column == "error_type" and self.subject == "logs" and measures_of_errors:
                plan.errors_only = True
                self.subject = "errors"

    def _shown_uncounted(self, dimension: Attribute | None, bucket: str | None, ranked: Any) -> bool:
        """With no measure: the values listed, or the rows shown (True, the shape is set), else a count."""
        plan = self.plan
        if self._lists_values(dimension):
            plan.shape = "distinct"
            return True
        if self._shows_rows(dimension, bucket, ranked):
            plan.shape, plan.limit = "rows", DEFAULT_ROWS
            self.signals += 1
            return True
        if dimension is None and bucket is None and ranked is None and self._traced():
            # "what happened in trace 4bf9…": that trace's logs, in the order they happened
            plan.shape, plan.limit, plan.order = "rows", DEFAULT_ROWS, "oldest"
            return True
        plan.measures.append(Measure(kind="count", alias=_count_alias(self.subject)))
        if plan.group_by is not None:
            self.signals += 1
        return False

    def _rank(
        self,
        top: re.Match[str] | None,
        most: re.Match[str] | None,
        least: re.Match[str] | None,
        dimension: Attribute | None,
        compared: Attribute | None,
    ) -> None:
        """The order and limit of groups: "top 5", "the most", "the least"."""
        if least is not None:
            self.plan.order = "measure_asc"
        if top is not None:
            self.plan.limit = int(next(g for g in top.groups() if g))
        elif (most or least) is not None and compared is None:
            self.plan.limit = self._limit_for_most(dimension)

    # --- helpers ----------------------------------------------------------------------------

    def _recent_rows_korean(self) -> re.Match[str] | None:
        """ "최근 에러 10개 보여줘": 최근, then what to show, then how many."""
        recent = self.reader.peek(lexicon.RECENT_WORD_KO)
        if recent is None or self.reader.peek(lexicon.COUNT) is not None:
            return None
        for counted in lexicon.COUNTED_KO.finditer(self.reader.text):
            if counted.start() > recent.end() and self.reader.free(counted.start(), counted.end()):
                self.reader.mark(recent.start(), recent.end())
                self.reader.mark(counted.start(), counted.end())
                return counted
        return None

    def _sized_bucket(self) -> None:
        """ "5-minute buckets", "per 2 hours": read before "min" can be taken for a minimum."""
        if (match := self.reader.take(lexicon.BUCKET_N)) is not None:
            self.sized_bucket = _bucket_of(match)

    def _bucket(self) -> str | None:
        if self.sized_bucket is not None:
            self.reader.take(lexicon.SERIES)
            return self.sized_bucket
        for pattern, bucket in lexicon.BUCKETS:
            if self.reader.take(pattern) is not None:
                self.reader.take(lexicon.SERIES)
                return bucket
        if self.reader.take(lexicon.SERIES) is not None:
            return _bucket_for(self.plan.window)
        return None

    def _dimension(self) -> Attribute | None:
        """What to group by: the dimension the question groups by ("per X", "by X", "X별"), else the
        first one it names. A metadata key already pinned to a value ("eu-west-1 region") is a filter."""
        candidates = self._dimension_candidates()
        if not candidates:
            return Attribute(column="error_type") if self.went_wrong else None
        grouped = [c for c in candidates if self._marked_as_grouping(c[0], c[1])]
        start, end, attribute = min(grouped or candidates, key=lambda candidate: candidate[0])
        if not grouped and self.threshold_span is not None and len(candidates) > 1:
            start, end, attribute = self._thresholded(candidates, self.threshold_span)
        self.reader.mark(start, end)
        noun = self.reader.text[start:end]
        following = re.match(r"\s+(addresses|ids|codes|names|types|values|numbers)\b", self.reader.text[end:])
        if following is not None:
            noun = following.group(1)
        self.one_group_asked = not grouped and _singular_noun(noun)
        if attribute.column == "path":
            named = self.reader.text[start:end]
            chosen = self._has_condition("log_type") or self._has_condition("path")
            if ("endpoint" in named or "api" in named) and not chosen:
                self._add_in(Attribute(column="log_type"), ["BACKEND"])
        return attribute

    def _dimension_candidates(self) -> list[tuple[int, int, Attribute]]:
        found: list[tuple[int, int, Attribute]] = []
        for key in self.schema.metadata_keys:
            if key.type == "number" and key.key.endswith("_ms"):
                continue
            span = self._find_name(_words_of(key.key), loose=True)
            if span is not None and self.reader.free(*span):
                found.append((span[0], span[1], Attribute(metadata_key=key.key)))
        for pattern, column in lexicon.DIMENSIONS:
            if column == "message" and self.reader.peek(lexicon.COMMON) is None:
                continue
            match = self.reader.peek(pattern)
            if match is not None:
                found.append((match.start(), match.end(), Attribute(column=column)))
        pinned = {c.attribute.name for c in self.plan.conditions if isinstance(c, Condition) and c.op == "="}
        for start, end, attribute in found:
            if attribute.name in pinned:
                self.reader.mark(start, end)  # "trace 4bf9…", "the payment-api service": the name's noun
        return [c for c in found if c[2].name not in pinned]

    def _thresholded(
        self, candidates: list[tuple[int, int, Attribute]], threshold: tuple[int, int]
    ) -> tuple[int, int, Attribute]:
        """What has "more than N": the noun before it in English ("users with more than 10
        failures"), the noun it modifies after it in Korean ("10번 넘게 실패한 사용자")."""
        if self.language == "ko":
            after = [c for c in candidates if c[0] >= threshold[1]]
            return min(after or candidates, key=lambda c: abs(c[0] - threshold[1]))
        before = [c for c in candidates if c[1] <= threshold[0]]
        return min(before or candidates, key=lambda c: abs(threshold[0] - c[1]))

    def _marked_as_grouping(self, start: int, end: int) -> bool:
        text = self.reader.text
        before, after = text[max(0, start - 14) : start], text[end : end + 3]
        return (
            bool(re.search(r"\b(?:per|by|each|every|across|for\s+each)\s+(?:the\s+)?$", before))
            or after.lstrip().startswith(("별", "마다"))
            or bool(re.match(r"\s*(?:별|마다)", after))
        )

    def _pinned(self, attribute: Attribute) -> bool:
        return any(
            isinstance(c, Condition) and c.op == "=" and c.attribute.name == attribute.name
            for c in self.plan.conditions
        )

    def _has_condition(self, column: str) -> bool:
        return any(isinstance(c, Condition) and c.attribute.column == column for c in self.plan.conditions)

    def _lists_values(self, dimension: Attribute | None) -> bool:
        if dimension is None or self.reader.peek(lexicon.COUNT) is not None:
            return False
        listing = self.reader.take(lexicon.LIST_WORDS) is not None
        return (
            listing
            and self.plan.having is None
            and self.plan.group_by is not None
            and self.plan.group_by.bucket is None
            and self._singular_entity(dimension)
        )

    def _singular_entity(self, dimension: Attribute) -> bool:
        return dimension.column in ("user_id", "session_id", "trace_id") or dimension.metadata_key is not None

    def _traced(self) -> bool:
        """A trace or session named by its id, with nothing counted."""
        pinned = any(self._pinned(Attribute(column=column)) for column in ("trace_id", "session_id", "span_id"))
        return pinned and not self.plan.measures and self.reader.peek(lexicon.COUNT) is None

    def _shows_rows(self, dimension: Attribute | None, bucket: str | None, ranked: Any) -> bool:
        if dimension is not None or bucket is not None or ranked is not None:
            return False
        if self.reader.peek(lexicon.COUNT) is not None:
            return False
        return self.reader.peek(lexicon.SHOW_ROWS) is not None or self.reader.peek(lexicon.ROW_NOUNS) is not None

    def _limit_for_most(self, dimension: Attribute | None) -> int | None:
        if self.language == "ko" or self.one_group_asked or self._singular_question():
            return 1
        if dimension is None:
            return 1
        distinct = len(self.schema.distinct(dimension.column)) if dimension.column else 0
        if dimension.metadata_key:
            key = next((k for k in self.schema.metadata_keys if k.key == dimension.metadata_key), None)
            distinct = len(key.examples) if key and len(key.examples) < 25 else HIGH_CARDINALITY + 1
        if dimension.column in ("user_id", "trace_id", "session_id", "message"):
            distinct = HIGH_CARDINALITY + 1
        return 10 if distinct > HIGH_CARDINALITY else None

    def _singular_question(self) -> bool:
        """ "Which service had the most" wants one answer; "which services" a ranking."""
        match = re.search(
            r"\b(?:which|what)\s+((?:[a-z0-9_\-]+\s+){0,4}?)(?:have|has|had|are|is|was|were|did|do|"
            r"does|produce[sd]?|get|got|see|saw|show|return(?:s|ed)?|with|in|of)\b",
            self.reader.text,
        )
        if match is None or not match.group(1).split():
            return False
        noun = match.group(1).split()[-1]
        return not (noun.endswith("s") and not noun.endswith(("ss", "us", "is")))

    def _asks_for_a_number(self) -> bool:
        return self.reader.peek(lexicon.COUNT) is not None or bool(self.plan.conditions) or self.plan.errors_only

    def _add_equals(self, attribute: Attribute, value: Any) -> None:
        self.plan.conditions.append(Condition(attribute=attribute, op="=", values=[value]))
        self.signals += 1

    def _add_in(self, attribute: Attribute, values: list[Any], compared: bool = True) -> None:
        """A filter on one of ``values``; ``compared`` when the question names them side by side
        ("payment-api vs order-api", "A and B"), so that they are shown one row each."""
        if len(values) == 1:
            self._add_equals(attribute, values[0])
            return
        self.plan.conditions.append(Condition(attribute=attribute, op="in", values=values))
        if compared:
            self.compared = attribute
            self.reader.take_all(lexicon.COMPARE)
        self.signals += 1

    def _add_level(self, level: str) -> None:
        self.plan.conditions.append(Condition(attribute=Attribute(column="level"), op="=", values=[level]))
        self.subject = {"WARN": "warnings", "ERROR": "errors", "FATAL": "fatal logs"}.get(level, f"{level} logs")
        self.signals += 1

    def _take_level_word(self) -> str | None:
        """The level a share is about ("percentage of DEBUG logs"); its words are used up."""
        if (match := self.reader.take(lexicon.LEVEL_MENTION)) is not None:
            word = next(g for g in (match.group(n) for n in "abcde") if g)
            return lexicon.LEVEL_NAMES[word.lower()]
        for word, level in lexicon.LEVEL_NAMES.items():
            if word in ("error", "errors"):
                continue  # "error share" is the error rate, handled as its own measure
            match = re.search(rf"{lexicon.WORD_START}{word}{lexicon.WORD_END}", self.reader.text)
            if match and self.reader.free(match.start(), match.end()):
                self.reader.mark(match.start(), match.end())
                return level
        return None

    def _take_following_word(self, end: int, column: str) -> None:
        """'gateway service', 'payment-api 서비스의', 'production environment': the noun is part of the name."""
        words = {
            "service": r"\s*(?:service|서비스)",
            "environment": r"\s*(?:environment|env|환경)",
            "error_type": r"\s*(?:errors?|exceptions?|에러|오류)?",
        }.get(column)
        if words is None:
            return
        match = re.compile(words).match(self.reader.text, end)
        if match and match.end() > end and self.reader.free(end, match.end()):
            self.reader.mark(end, match.end())
            if column == "error_type":
                self.subject = "errors"

    def _environment_words(self) -> list[str]:
        present = set(self.schema.distinct("environment"))
        found = []
        for word, environment in (("prod", "production"), ("stage", "staging"), ("dev", "development")):
            span = self._find_name(word)
            if span is not None and self.reader.free(*span) and environment in present:
                self.reader.mark(*span)
                found.append(environment)
        return found

    def _find_name(self, value: str, loose: bool = False) -> tuple[int, int] | None:
        """Where a name from the data occurs in the question: any case, '-', '_' or space alike."""
        name = value.strip().lower()
        if len(name) < 2:
            return None
        parts = [re.escape(part) for part in re.split(r"[\s\-_.]+", name) if part]
        if not parts:
            return None
        separator = r"[\s\-_.]*" if loose or len(parts) > 1 else ""
        pattern = re.compile(
            lexicon.WORD_START + separator.join(parts) + (r"s?" if loose else "") + lexicon.WORD_END
        )
        match = pattern.search(self.reader.text)
        return (match.start(), match.end()) if match else None

    def _known_value(self, text: str) -> bool:
        lowered = text.lower()
        return any(
            lowered == value.lower()
            for column in ("service", "error_type", "path", "environment")
            for value in self.schema.distinct(column)
        )

    def _closest(self, column: str, text: str) -> str | None:
        lowered = text.lower().lstrip("v")
        for value in self.schema.distinct(column):
            if value.lower().lstrip("v") == lowered:
                return value
        return None

    def _metadata_key(self, word: str) -> str | None:
        for key in self.schema.metadata_keys:
            if word in key.key.lower():
                return key.key
        return None

    def _error_type_about(self, topic: str) -> str | None:
        """The error type whose name or example message is about ``topic`` (e.g. "login")."""
        for entry in self.schema.values.get("error_type", []):
            name, sample = str(entry["value"]).lower(), str(entry.get("sample") or "").lower()
            if topic in name or topic in sample:
                return str(entry["value"])
        return None

    def _users_in_text(self) -> list[str]:
        known = self.schema.distinct("user_id")
        pattern = re.compile(r"(?<![\w])(user[_\-]?\d+|usr[_\-]?\d+|u\d{3,})(?![\w])")
        found = []
        for match in pattern.finditer(self.reader.text):
            if self.reader.free(match.start(), match.end()):
                self.reader.mark(match.start(), match.end())
                value = match.group(1)
                found.append(next((k for k in known if k.lower() == value), value))
        return found


def _could_not_use(words: list[str], language: str) -> str:
    quoted = ", ".join(f"'{word}'" for word in words)
    if language == "ko":
        return f"질문의 {quoted} 부분을 해석하지 못했습니다"
    return f"I could not use {quoted} in the question"


def _normalise(text: str) -> str:
    lowered = shorthand.expand(text.lower())
    for korean, english in lexicon.KOREAN_TERMS.items():
        lowered = re.sub(korean, english.replace("\\", "\\\\") + " ", lowered)
    return lowered


def _map_index(original: str, normalised: str, index: int) -> int | None:
    # Korean terms are replaced before planning, so positions can shift; find the same text again.
    word = original[index : index + 8].lower()
    found = normalised.find(word)
    return found if found >= 0 else None


# What may follow a duration key's words ("page load time")
_DURATION_NOUN = re.compile(r"\s*(?:times?|durations?|\(ms\)|ms|시간|속도)(?![a-z])")
# What may stand between "how many" and the entities counted ("how many distinct users").
_ENTITY_ADJECTIVES = re.compile(
    r"(?:\s|distinct|unique|different|individual|separate|active|of|the|kinds?|types?)*"
)


def _share_alias(part: Condition) -> str:
    name = re.sub(r"[^a-z0-9]+", "_", f"{part.attribute.name}_{'_'.join(str(v) for v in part.values)}".lower())
    return ("pct_" + name.strip("_"))[:40].rstrip("_")


def _noun_follows(noun: re.Match[str] | None, end: int) -> bool:
    return noun is not None and noun.end() > end and bool(noun.group(0).strip())


def _path_named(path: str, stems: tuple[str, ...]) -> bool:
    """Whether a path has a segment named after one of ``stems`` (not a query string's text)."""
    segments = re.split(r"[/?]", path.split("?", 1)[0].lower())
    return any(segment.startswith(stem) for segment in segments for stem in stems)


def _is_duration_key(key: str) -> bool:
    return bool(re.search(r"(?:_ms|_s|_sec|_secs|_seconds|_time|_duration|_latency)$", key.lower()))


def _singular_noun(words: str) -> bool:
    """Whether an English noun (its last word) is singular: "service", not "services"."""
    last = words.split()[-1] if words.split() else ""
    if not re.fullmatch(r"[a-z]+", last):
        return False
    return not (last.endswith("s") and not last.endswith(("ss", "us", "is")))


def _words_of(key: str) -> str:
    return re.sub(r"_(ms|s|pct|count)$", "", key).replace("_", " ").replace(".", " ")


def _unit_alias(attribute: Attribute) -> str:
    return "ms" if attribute.column == "duration_ms" else re.sub(r"[^a-z0-9_]", "_", attribute.name.lower())[:30]


def _plural(column: str) -> str:
    return {
        "user_id": "users",
        "session_id": "sessions",
        "trace_id": "traces",
        "service": "services",
        "path": "endpoints",
        "error_type": "error_types",
    }.get(column, column)


def _count_alias(subject: str) -> str:
    alias = re.sub(r"[^a-z0-9]+", "_", subject.lower()).strip("_") or "count"
    return alias if re.fullmatch(r"[a-z][a-z0-9_]*", alias) else "count"


def _column_named(words: str) -> ColumnName | None:
    candidates = {
        "trace_id": "trace_id",
        "trace": "trace_id",
        "traceid": "trace_id",
        "user": "user_id",
        "user_id": "user_id",
        "session": "session_id",
        "session_id": "session_id",
        "span": "span_id",
        "span_id": "span_id",
        "version": "service_version",
        "service": "service",
        "stack_trace": "stack_trace",
        "stack": "stack_trace",
        "error_type": "error_type",
        "path": "path",
        "environment": "environment",
    }
    return candidates.get(words.strip("_").replace("__", "_"))  # type: ignore[return-value]


def _bucket_of(match: re.Match[str]) -> str:
    """ "5-minute" → "5 minutes", "1 hour" → "hour", "2시간" → "2 hours"."""
    amount = int(next(match.group(g) for g in ("n", "an", "bn", "kn") if match.group(g)))
    unit = next(match.group(g) for g in ("u", "au", "bu", "ku") if match.group(g)).lower()
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
