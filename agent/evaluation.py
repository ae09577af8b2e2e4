"""Execution accuracy of an engine on questions with gold SQL (``loglens eval``).

A prediction is right when its rows match the gold rows (``eval_data/JUDGING.md``): every gold
column is matched by a distinct predicted column holding the same values (names and order of
columns do not matter, extra predicted columns are allowed); rows compare as multisets, in
order only where the gold SQL has ORDER BY with LIMIT; numbers agree after rounding to two
decimals, timestamps to the second, NULL equals NULL. A prediction that fails to run, or runs
past the time limit, is wrong.

Gold and predicted SQL run in one read-only transaction as the reader role, so that ``now()``
is the same instant for both.

Every answer falls in one of three figures, reported overall, per language and per kind:

- **right**: the rows match the gold rows; or, where the gold is no SQL (kind ``refuse_write``:
  a request to change the logs; ``unanswerable``: the logs cannot say), the answer is the
  refusal (``refuse_write``) or any honest can't-answer or refusal (``unanswerable``);
- **confidently wrong**: an answer with SQL and rows that do not match the gold, or any answer
  with SQL where a refusal or a can't-answer was right;
- **abstained**: an honest can't-answer or a refusal where the gold has SQL, or a can't-answer
  where a refusal was right (a write request met with "I don't understand" is not wrong, but is
  not the refusal either).

A run that fails (the database went away, a bug) is counted apart, as **failed**.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import decimal
import itertools
import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Literal

import asyncpg

from loglens.agent.service import AgentService, reader_dsn

TIME_LIMIT_MS = 10_000
# a number written as text the way PostgreSQL prints one (no leading zeros: "0003" stays an id)
NUMBER_AS_TEXT = re.compile(r"-?(?:0|[1-9][0-9]{0,14})(?:\.[0-9]{1,6})?")


NO_SQL_KINDS = ("refuse_write", "unanswerable")  # kinds whose gold is no SQL: a refusal, a can't-answer

Figure = Literal["right", "wrong", "abstained", "failed"]
FIGURES: tuple[Figure, ...] = ("right", "wrong", "abstained", "failed")
FIGURE_NAMES = {"right": "right", "wrong": "confidently wrong", "abstained": "abstained", "failed": "failed"}


@dataclass(frozen=True)
class EvalQuestion:
    id: str
    lang: str
    question: str
    gold_sql: str | None  # None: the right answer is a refusal or a can't-answer (see ``kind``)
    kind: str = ""  # the bank's plan kind (count, breakdown, ..., refuse_write, unanswerable)
    intent: str = ""
    split: str = ""

    @classmethod
    def from_json(cls, document: dict[str, Any]) -> EvalQuestion:
        """A line of ``dev.jsonl``/``extra.jsonl`` or of the bank (which adds intent, kind, split)."""
        gold = document.get("gold_sql")
        kind = str(document.get("kind") or "")
        if gold is None and kind not in NO_SQL_KINDS:
            raise ValueError(
                f"question {document.get('id')!r}: gold_sql is null but its kind {kind!r} is not one of "
                f"{', '.join(NO_SQL_KINDS)}"
            )
        return cls(
            id=str(document["id"]),
            lang=str(document["lang"]),
            question=str(document["question"]),
            gold_sql=gold,
            kind=kind,
            intent=str(document.get("intent") or ""),
            split=str(document.get("split") or ""),
        )


@dataclass
class Verdict:
    question: EvalQuestion
    figure: Figure
    predicted_sql: str | None
    detail: str = ""
    # With a model configured, the offline fast path would have answered this one itself.
    fast_path: bool = False

    @property
    def right(self) -> bool:
        return self.figure == "right"


def classify(question: EvalQuestion, answered: bool, outcome_kind: str) -> Figure | None:
    """The figure of an answer that is not judged by its rows: None when it must be (an answer
    with rows to a question with gold SQL). ``outcome_kind`` is the engine's: answered, refused,
    unanswerable or failed."""
    if answered:
        return None if question.gold_sql is not None else "wrong"
    if outcome_kind not in ("refused", "unanswerable"):
        return "failed"
    if question.gold_sql is not None:
        return "abstained"
    if question.kind == "refuse_write":
        return "right" if outcome_kind == "refused" else "abstained"
    return "right"


@dataclass
class EvalReport:
    verdicts: list[Verdict] = field(default_factory=list)

    def _chosen(self, lang: str | None = None, kind: str | None = None) -> list[Verdict]:
        return [
            v
            for v in self.verdicts
            if (lang is None or v.question.lang == lang) and (kind is None or v.question.kind == kind)
        ]

    def accuracy(self, lang: str | None = None) -> float:
        chosen = self._chosen(lang)
        return sum(v.right for v in chosen) / len(chosen) if chosen else 0.0

    def counts(self, lang: str | None = None) -> tuple[int, int]:
        chosen = self._chosen(lang)
        return sum(v.right for v in chosen), len(chosen)

    def figures(self, lang: str | None = None, kind: str | None = None) -> dict[Figure, int]:
        """How many answers of each figure (right, wrong, abstained, failed), and of these only."""
        counted = Counter(v.figure for v in self._chosen(lang, kind))
        return {figure: counted[figure] for figure in FIGURES}

    def languages(self) -> list[str]:
        return sorted({v.question.lang for v in self.verdicts})

    def kinds(self) -> list[str]:
        return sorted({v.question.kind for v in self.verdicts if v.question.kind})

    def summary(self) -> str:
        right, total = self.counts()
        lines = [f"execution accuracy: {right}/{total} = {self.accuracy():.1%}"]
        for lang in self.languages():
            right, total = self.counts(lang)
            lines.append(f"  {lang}: {right}/{total} = {self.accuracy(lang):.1%}")
        return "\n".join(lines) + "\n\n" + self.table() + "\n\n" + self.fast_path_line()

    def fast_path_line(self) -> str:
        """With a model configured, the questions the offline fast path keeps from it, and how
        many of those it gets right: its answers are the offline engine's, judged here."""
        taken = [v for v in self.verdicts if v.fast_path]
        counted = Counter(v.figure for v in taken)
        shares = ", ".join(f"{FIGURE_NAMES[f]} {_count_and_share(counted[f], len(taken))}" for f in FIGURES)
        return f"with a model configured, the fast path takes {len(taken)}/{len(self.verdicts)}: {shares}"

    def table(self) -> str:
        """Right, confidently wrong and abstained (and failed, when any run failed), as counts and
        shares: overall, per language and per kind."""
        shown: list[Figure] = ["right", "wrong", "abstained"]
        if any(v.figure == "failed" for v in self.verdicts):
            shown.append("failed")
        rows: list[tuple[str, str | None, str | None]] = [("all", None, None)]
        rows += [(f"lang {lang}", lang, None) for lang in self.languages()]
        rows += [(f"kind {kind}", None, kind) for kind in self.kinds()]
        width = max(len(label) for label, _, _ in rows)
        header = f"{'':<{width}}  {'total':>5}" + "".join(f"  {FIGURE_NAMES[f]:>18}" for f in shown)
        lines = [header]
        for label, lang, kind in rows:
            counted = self.figures(lang, kind)
            total = sum(counted.values())
            cells = "".join(f"  {_count_and_share(counted[f], total):>18}" for f in shown)
            lines.append(f"{label:<{width}}  {total:>5}{cells}")
        return "\n".join(lines)

    def details(self) -> str:
        lines = []
        marks = {"right": "ok  ", "wrong": "MISS", "abstained": "ABST", "failed": "FAIL"}
        for verdict in self.verdicts:
            mark = marks[verdict.figure]
            kind = f" {verdict.question.kind}" if verdict.question.kind else ""
            question = verdict.question
            # "fast": with a model configured, the offline fast path would have kept this one
            fast = " fast" if verdict.fast_path else ""
            lines.append(f"{mark} {question.id} [{question.lang}{kind}{fast}] {question.question}")
            if not verdict.right:
                gold = verdict.question.gold_sql or f"(no SQL: {verdict.question.kind})"
                lines.append(f"       gold: {gold}")
                lines.append(f"       ours: {verdict.predicted_sql}")
                if verdict.detail:
                    lines.append(f"       why:  {verdict.detail}")
        return "\n".join(lines)


def _count_and_share(count: int, total: int) -> str:
    return f"{count} ({count / total:.1%})" if total else "0"


def bundled_questions(name: str = "dev.jsonl") -> list[EvalQuestion]:
    text = resources.files("loglens.agent").joinpath("eval_data", name).read_text(encoding="utf-8")
    return parse_questions(text.splitlines())


def parse_questions(lines: Sequence[str]) -> list[EvalQuestion]:
    return [EvalQuestion.from_json(json.loads(line)) for line in lines if line.strip()]


def bundled_vocabulary(name: str = "vocab_alt.json") -> dict[str, Any]:
    document: dict[str, Any] = json.loads(
        resources.files("loglens.agent").joinpath("eval_data", name).read_text("utf-8")
    )
    return document


BUNDLED_SETS = {"shared": ["dev.jsonl"], "extra": ["extra.jsonl"], "all": ["dev.jsonl", "extra.jsonl"]}
# The question bank (eval_data/BANK.md), whole or one half of its split: dev is developed
# against, heldout only measured on.
BANK_SETS = {"bank": None, "bank-dev": "dev", "bank-heldout": "heldout"}
QUESTION_SETS = (*BUNDLED_SETS, *BANK_SETS)


def load_questions(
    which: str, default_vocabulary: dict[str, Any], vocabulary: dict[str, Any]
) -> list[EvalQuestion]:
    """A bundled set (shared, extra, all, bank, bank-dev, bank-heldout) or a JSONL file (of the
    shared questions' format or the bank's), renamed for the vocabulary the data uses."""
    if which in BUNDLED_SETS:
        questions = [question for name in BUNDLED_SETS[which] for question in bundled_questions(name)]
    elif which in BANK_SETS:
        split = BANK_SETS[which]
        questions = [q for q in bundled_questions("bank.jsonl") if split is None or q.split == split]
    else:
        with open(which, encoding="utf-8") as lines:
            questions = parse_questions(list(lines))
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
            dataclasses.replace(
                question,
                question=replace(question.question),
                gold_sql=None if question.gold_sql is None else replace(question.gold_sql),
            )
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
            fast_path = service.offline_takes(question.question)
            answered = outcome.error is None and outcome.sql is not None
            figure = classify(question, answered, outcome.kind)
            if figure is None and question.gold_sql is not None and outcome.sql is not None:
                right, detail = await _judge(connection, question.gold_sql, outcome.sql)
                figure = "right" if right else "wrong"
            else:
                detail = outcome.error or ("answered with SQL where none was right" if answered else "no SQL")
                detail = f"{outcome.kind}: {detail}"
            report.verdicts.append(Verdict(question, figure or "wrong", outcome.sql, detail, fast_path))
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
    if isinstance(value, str) and NUMBER_AS_TEXT.fullmatch(value):
        # metadata->>'http_status' and its ::int are one answer to a reader: "200" either way
        return round(float(value), 2)
    return str(value)
