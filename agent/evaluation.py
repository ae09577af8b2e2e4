"""Execution accuracy of an engine on questions with gold SQL (``loglens eval``).

A prediction is right when its rows match the gold rows (``eval_data/JUDGING.md``): every gold
column is matched by a distinct predicted column holding the same values (names and order of
columns do not matter, extra predicted columns are allowed); rows compare as multisets, in
order only where the gold SQL has ORDER BY with LIMIT; numbers agree after rounding to two
decimals, timestamps to the second, NULL equals NULL. A prediction that fails to run, or runs
past the time limit, is wrong.

Gold and predicted SQL run in one read-only transaction as the reader role, so that ``now()``
is the same instant for both.
"""

from __future__ import annotations

import datetime as dt
import decimal
import itertools
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

import asyncpg

from loglens.agent.service import AgentService, reader_dsn

TIME_LIMIT_MS = 10_000


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    lang: str
    question: str
    gold_sql: str


@dataclass
class Verdict:
    question: EvalQuestion
    right: bool
    predicted_sql: str | None
    detail: str = ""


@dataclass
class EvalReport:
    verdicts: list[Verdict] = field(default_factory=list)

    def accuracy(self, lang: str | None = None) -> float:
        chosen = [v for v in self.verdicts if lang is None or v.question.lang == lang]
        return sum(v.right for v in chosen) / len(chosen) if chosen else 0.0

    def counts(self, lang: str | None = None) -> tuple[int, int]:
        chosen = [v for v in self.verdicts if lang is None or v.question.lang == lang]
        return sum(v.right for v in chosen), len(chosen)

    def languages(self) -> list[str]:
        return sorted({v.question.lang for v in self.verdicts})

    def summary(self) -> str:
        right, total = self.counts()
        lines = [f"execution accuracy: {right}/{total} = {self.accuracy():.1%}"]
        for lang in self.languages():
            right, total = self.counts(lang)
            lines.append(f"  {lang}: {right}/{total} = {self.accuracy(lang):.1%}")
        return "\n".join(lines)

    def details(self) -> str:
        lines = []
        for verdict in self.verdicts:
            mark = "ok  " if verdict.right else "MISS"
            lines.append(f"{mark} {verdict.question.id} [{verdict.question.lang}] {verdict.question.question}")
            if not verdict.right:
                lines.append(f"       gold: {verdict.question.gold_sql}")
                lines.append(f"       ours: {verdict.predicted_sql}")
                if verdict.detail:
                    lines.append(f"       why:  {verdict.detail}")
        return "\n".join(lines)


def bundled_questions(name: str = "dev.jsonl") -> list[EvalQuestion]:
    text = resources.files("loglens.agent").joinpath("eval_data", name).read_text(encoding="utf-8")
    return [EvalQuestion(**json.loads(line)) for line in text.splitlines() if line.strip()]


def bundled_vocabulary(name: str = "vocab_alt.json") -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        resources.files("loglens.agent").joinpath("eval_data", name).read_text("utf-8")
    )
    return document


BUNDLED_SETS = {"shared": ["dev.jsonl"], "extra": ["extra.jsonl"], "all": ["dev.jsonl", "extra.jsonl"]}


def load_questions(
    which: str, default_vocabulary: dict[str, Any], vocabulary: dict[str, Any]
) -> list[EvalQuestion]:
    """A bundled set (shared, extra, all) or a JSONL file, renamed for the vocabulary the data uses."""
    if which in BUNDLED_SETS:
        questions = [question for name in BUNDLED_SETS[which] for question in bundled_questions(name)]
    else:
        with open(which, encoding="utf-8") as lines:
            questions = [EvalQuestion(**json.loads(line)) for line in lines if line.strip()]
    if vocabulary != default_vocabulary:
        questions = swap_vocabulary(questions, default_vocabulary, vocabulary)
    return questions


def swap_vocabulary(
    questions: Sequence[EvalQuestion], default: dict[str, Any], other: dict[str, Any]
) -> list[EvalQuestion]:
    """Rewrite questions and gold SQL for data generated with another vocabulary: every default name
    is replaced by the name at the same place (same key, same position), whole names only."""
    mapping: dict[str, str] = {}
    for key, names in default.items():
        if key not in other:
            continue
        pairs = zip(names, other[key], strict=False) if isinstance(names, list) else [(names, other[key])]
        for old, new in pairs:
            if isinstance(old, str):
                mapping.setdefault(old, new)
    ordered = sorted(mapping, key=len, reverse=True)
    # ASCII boundaries: a Korean particle right after a name ("payment-api에서") does not hide it
    pattern = re.compile(
        "|".join(r"(?<![A-Za-z0-9_/.-])" + re.escape(name) + r"(?![A-Za-z0-9_/.-])" for name in ordered)
    )
    swapped = []
    for question in questions:

        def replace(text: str) -> str:
            return pattern.sub(lambda match: mapping[match.group(0)], text)

        swapped.append(
            EvalQuestion(question.id, question.lang, replace(question.question), replace(question.gold_sql))
        )
    return swapped


async def evaluate(service: AgentService, dsn: str, questions: Sequence[EvalQuestion]) -> EvalReport:
    url, login = reader_dsn(service.settings, dsn)
    connection = await asyncpg.connect(url)
    if not login:
        await connection.execute("SET ROLE loglens_reader")
    report = EvalReport()
    try:
        for question in questions:
            outcome = await service.answer(service.question(question.question, source="eval"))
            if outcome.sql is None:
                report.verdicts.append(Verdict(question, False, None, outcome.error or "no SQL"))
                continue
            right, detail = await _judge(connection, question.gold_sql, outcome.sql)
            report.verdicts.append(Verdict(question, right, outcome.sql, detail))
    finally:
        await connection.close()
    return report


async def _judge(connection: asyncpg.Connection, gold_sql: str, predicted_sql: str) -> tuple[bool, str]:
    async with connection.transaction(readonly=True):
        await connection.execute(f"SET LOCAL statement_timeout = {TIME_LIMIT_MS}")
        gold = await connection.fetch(gold_sql)
        try:
            async with connection.transaction():  # a savepoint: a failing prediction keeps the snapshot usable
                predicted = await connection.fetch(predicted_sql)
        except asyncpg.PostgresError as error:
            return False, f"the prediction failed: {error}"
    ordered = bool(re.search(r"\border\s+by\b", gold_sql, re.I) and re.search(r"\blimit\b", gold_sql, re.I))
    return rows_match(gold, predicted, ordered)


def rows_match(
    gold: Sequence[asyncpg.Record | dict[str, Any]],
    predicted: Sequence[asyncpg.Record | dict[str, Any]],
    ordered: bool,
) -> tuple[bool, str]:
    gold_rows = [[_normalise(value) for value in row.values()] for row in gold]
    predicted_rows = [[_normalise(value) for value in row.values()] for row in predicted]
    if len(gold_rows) != len(predicted_rows):
        return False, f"{len(predicted_rows)} rows instead of {len(gold_rows)}"
    if not gold_rows:
        return True, ""
    gold_width, predicted_width = len(gold_rows[0]), len(predicted_rows[0])
    if predicted_width < gold_width:
        return False, f"{predicted_width} columns, fewer than the gold's {gold_width}"
    candidates = []
    for g in range(gold_width):
        column = [row[g] for row in gold_rows]
        fitting = [
            p for p in range(predicted_width) if _same_column([row[p] for row in predicted_rows], column, ordered)
        ]
        if not fitting:
            return False, f"no column holds the gold column {g + 1}'s values"
        candidates.append(fitting)
    for choice in itertools.product(*candidates):
        if len(set(choice)) != len(choice):
            continue
        projected = [tuple(row[p] for p in choice) for row in predicted_rows]
        expected = [tuple(row) for row in gold_rows]
        if (projected == expected) if ordered else (Counter(projected) == Counter(expected)):
            return True, ""
    return False, "the rows differ"


def _same_column(predicted: list[Any], gold: list[Any], ordered: bool) -> bool:
    return predicted == gold if ordered else Counter(predicted) == Counter(gold)


def _normalise(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float | decimal.Decimal):
        return round(float(value), 2)
    if isinstance(value, dt.datetime):
        return (
            value.astimezone(dt.UTC).replace(microsecond=0).isoformat()
            if value.tzinfo
            else value.replace(microsecond=0).isoformat()
        )
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)
