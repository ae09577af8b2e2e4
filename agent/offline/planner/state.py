"""The state of planning one question: the question, which of its characters are read, and the
plan so far — with the helpers every pass uses (names in the data, adding a filter).

A pass is a function of ``Planning`` in one of the concern modules (filters, windows, measures,
sets, shapes); ``parse.Planner`` runs them in order and ``coverage`` checks what is left.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from loglens.agent.offline import lexicon, shorthand, spelling
from loglens.agent.offline.plan import Attribute, Condition, QueryPlan
from loglens.agent.schema import Schema

HANGUL = re.compile(r"[\uac00-\ud7a3]")
# columns whose two values named in one question are set side by side ("v2.9.0 vs v2.10.0")
SIDE_BY_SIDE = ("service", "service_version", "environment", "error_type", "log_type")


@dataclass
class Planned:
    plan: QueryPlan | None
    language: str
    reason: str = ""
    subject: str = "logs"  # what is counted, for the insight ("errors", "logs", "requests")
    notes: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)  # words of the question no pass could use
    zone: str | None = None  # the time zone the question names ("since 01:00 UTC"), if it names one
    # words read one way that people also use another ("400s": every 4xx, or status 400 only)
    ambiguous: list[str] = field(default_factory=list)

    @property
    def confident(self) -> bool:
        """Whether the fast path may answer: a plan is only ever made of a question whose every
        word was used or carries nothing (``planner/coverage.py``), and the fast path leaves to the
        model a question with a word of two meanings."""
        return self.plan is not None and not self.ambiguous


def counted_alias(attribute: Attribute) -> str:
    """The alias of a count of an attribute's values: "users", "sessions", "ips"."""
    return re.sub(r"[^a-z0-9_]", "_", f"{attribute.name.removesuffix('_id').split('.')[-1]}s")


def language_of(text: str) -> str:
    return "ko" if HANGUL.search(text) else "en"


class Reader:
    """The question, and which of its characters earlier passes have taken."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.taken = [False] * len(text)

    def free(self, start: int, end: int) -> bool:
        return not any(self.taken[start:end])

    def take(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        match = self.peek(pattern)
        if match is not None:
            self.mark(match.start(), match.end())
        return match

    def take_all(self, pattern: re.Pattern[str]) -> list[re.Match[str]]:
        found = []
        while (match := self.take(pattern)) is not None:
            found.append(match)
        return found

    def peek(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        """The first match of ``pattern`` on characters no pass has taken; a match that runs into
        taken ones is tried again one character on, so that a shorter one inside it is found."""
        position = 0
        while (match := pattern.search(self.text, position)) is not None:
            if match.end() > match.start() and self.free(match.start(), match.end()):
                return match
            position = match.start() + 1
        return None

    def mark_all(self, pattern: re.Pattern[str]) -> None:
        """Mark every match of ``pattern``, read by a pass or not (words a plan used twice)."""
        for match in pattern.finditer(self.text):
            self.mark(match.start(), match.end())

    def mark_free(self, pattern: re.Pattern[str]) -> None:
        """Mark every match of ``pattern`` that no pass has taken yet."""
        for match in pattern.finditer(self.text):
            if self.free(match.start(), match.end()):
                self.mark(match.start(), match.end())

    def mark(self, start: int, end: int) -> None:
        for index in range(start, end):
            self.taken[index] = True


class Planning:
    """One question being planned: what the passes share."""

    def __init__(self, schema: Schema, question: str) -> None:
        self.schema = schema
        self.question = question.strip()
        self.language = language_of(self.question)
        self.reader = Reader(spelling.correct(normalise(self.question), name_words(schema)))
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
        self.listing: str | None = None  # "new", "absent", "exclusive", "no_errors": values listed, less others
        self.zone: str | None = None  # "UTC" when the question says so
        self.name_spans: dict[str, tuple[int, int]] = {}  # names read by another word ("결제 서비스")
        self.absent_level: str | None = None  # "services with zero fatals": the level none of them logged
        self.exclusive_words = ""  # "and no other IP", "only": what made the listing exclusive
        self.ambiguous: list[str] = []  # words of two meanings, read in one (Planned.ambiguous)
        # "without a trace_id", "that have a user id": a column's presence said in words (a share may be of it)
        self.presence_said: list[Condition] = []

        self.duration_mentioned = False
        self.superlative: str | None = None  # "slowest"/"fastest" read as the duration word
        self.implied_average = False
        self.group_also: Attribute | None = None  # a second dimension ("by service and error type")
        self.measure_threshold: tuple[str, int | float] | None = (
            None  # "p95 above 1 s", per group  # the average duration was taken for "slow", not asked for
        )

    def mentions_data(self) -> bool:
        return any(
            self.find_name(value) for column in ("service", "error_type") for value in self.schema.distinct(column)
        )

    def as_written(self, value: str) -> str:
        """A value read from the lower-cased question, in the case the question wrote it."""
        start = self.question.lower().find(value)
        return self.question[start : start + len(value)] if start >= 0 else value

    def mention(self, value: str) -> tuple[int, int] | None:
        span = self.find_name(value) or self.name_spans.get(value)
        head = re.split(r"[\-_.]", value.lower())[0]
        if span is None and head != value.lower() and len(head) >= 4:  # "the orders api" for order-api
            match = re.search(rf"{lexicon.WORD_START}{re.escape(head)}s?{lexicon.WORD_END}", self.reader.text)
            span = (match.start(), match.end()) if match else None
        if span is None and value.isdigit():  # a status code said in the plural: "401s"
            match = re.search(rf"(?<![\d.]){value}(?=s?(?![\d.a-z]))", self.reader.text)
            span = (match.start(), match.end()) if match else None
        if span is None and value.isalpha():  # a method or a level in the plural: "GETs", "WARNs"
            match = re.search(rf"{lexicon.WORD_START}{value.lower()}s{lexicon.WORD_END}", self.reader.text)
            span = (match.start(), match.end()) if match else None
        if span is None:
            for word, meant in (("prod", "production"), ("stage", "staging"), ("dev", "development")):
                if meant == value:
                    span = self.find_name(word)
        return span

    def pinned(self, attribute: Attribute) -> bool:
        return any(
            isinstance(c, Condition) and c.op == "=" and c.attribute.name == attribute.name
            for c in self.plan.conditions
        )

    def has_condition(self, column: str) -> bool:
        return any(isinstance(c, Condition) and c.attribute.column == column for c in self.plan.conditions)

    def add_equals(self, attribute: Attribute, value: Any) -> None:
        same = next(
            (
                c
                for c in self.plan.conditions
                if isinstance(c, Condition) and c.attribute == attribute and c.op == "="
            ),
            None,
        )
        side_by_side = attribute.column in SIDE_BY_SIDE or "status" in (attribute.metadata_key or "")
        if same is not None and same.values != [value] and side_by_side:
            # "v2.9.0이랑 v2.10.0", read by two passes: both, side by side, never two contradictory equals
            self.plan.conditions.remove(same)
            self.add_in(attribute, [*same.values, value])
            return
        self.plan.conditions.append(Condition(attribute=attribute, op="=", values=[value]))
        self.signals += 1

    def add_in(self, attribute: Attribute, values: list[Any], compared: bool = True) -> None:
        """A filter on one of ``values``; ``compared`` when the question names them side by side
        ("payment-api vs order-api", "A and B"), so that they are shown one row each."""
        if len(values) == 1:
            self.add_equals(attribute, values[0])
            return
        self.plan.conditions.append(Condition(attribute=attribute, op="in", values=values))
        if compared:
            self.compared = attribute
            self.reader.take_all(lexicon.COMPARE)
        self.signals += 1

    def add_level(self, level: str) -> None:
        self.plan.conditions.append(Condition(attribute=Attribute(column="level"), op="=", values=[level]))
        self.subject = {"WARN": "warnings", "ERROR": "errors", "FATAL": "fatal logs"}.get(level, f"{level} logs")
        self.signals += 1

    def take_following_word(self, end: int, column: str) -> None:
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

    def find_name(self, value: str, loose: bool = False) -> tuple[int, int] | None:
        """Where a name from the data occurs in the question: any case, '-', '_' or space alike."""
        name = value.strip().lower()
        if len(name) < 2:
            return None
        parts = [re.escape(part) for part in re.split(r"[\s\-_.]+", name) if part]
        if not parts:
            return None
        separator = r"[\s\-_.]*" if loose or len(parts) > 1 else ""
        pattern = re.compile(
            lexicon.WORD_START
            + separator.join(parts)
            + (r"s?" if loose else "")
            + lexicon.WORD_END
            + r"(?!-[a-z0-9])"
        )
        match = pattern.search(self.reader.text)
        return (match.start(), match.end()) if match else None

    def known_value(self, text: str) -> bool:
        lowered = text.lower()
        return any(
            lowered == value.lower()
            for column in ("service", "error_type", "path", "environment")
            for value in self.schema.distinct(column)
        )

    def closest(self, column: str, text: str) -> str | None:
        lowered = text.lower().lstrip("v")
        for value in self.schema.distinct(column):
            if value.lower().lstrip("v") == lowered:
                return value
        return None

    def metadata_key(self, word: str) -> str | None:
        for key in self.schema.metadata_keys:
            if word in key.key.lower():
                return key.key
        return None

    def error_type_about(self, topic: str) -> str | None:
        """The error type whose name or example message is about ``topic`` (e.g. "login")."""
        for entry in self.schema.values.get("error_type", []):
            name, sample = str(entry["value"]).lower(), str(entry.get("sample") or "").lower()
            if topic in name or topic in sample:
                return str(entry["value"])
        return None

    def marked_as_grouping(self, start: int, end: int) -> bool:
        text = self.reader.text
        before, after = text[max(0, start - 14) : start], text[end : end + 3]
        return (
            bool(re.search(r"\b(?:per|by|each|every|across|for\s+each)\s+(?:the\s+)?$", before))
            or after.lstrip().startswith(("별", "마다"))
            or bool(re.match(r"\s*(?:별|마다)", after))
        )


def name_words(schema: Schema) -> set[str]:
    """The words the data's names are made of ("payment", "timeout"), for correcting misspellings."""
    words: set[str] = set()
    for value in schema.distinct("service"):
        words.update(part for part in re.split(r"[\-_.\s]+", value.lower()) if part.isalpha())
    for value in schema.distinct("error_type"):
        words.update(part.lower() for part in re.findall(r"[A-Z][a-z]+|[a-z]+", value))
    for key in schema.metadata_keys:
        words.update(part for part in re.split(r"[\-_.]+", key.key.lower()) if part.isalpha())
    return {word for word in words if len(word) >= 4}


def normalise(text: str) -> str:
    lowered = shorthand.expand(text.lower())
    for korean, english in lexicon.KOREAN_TERMS.items():
        lowered = re.sub(korean, english.replace("\\", "\\\\") + " ", lowered)
    return lowered
