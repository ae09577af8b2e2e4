"""`loglens eval`: the judging rules, and the offline engine's accuracy on the shared questions,
on the data's own names and on swapped ones."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import os
import re
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from loglens.agent.evaluation import (
    EvalQuestion,
    EvalReport,
    Verdict,
    bundled_questions,
    bundled_vocabulary,
    classify,
    load_questions,
    parse_questions,
    rows_match,
    swap_vocabulary,
)
from loglens.demo.scenario import DEFAULT_VOCAB

MIN_ACCURACY = 0.85


def test_columns_match_by_values_not_names_or_order_and_extra_columns_are_fine() -> None:
    gold = [{"service": "a", "errors": 3}, {"service": "b", "errors": 1}]
    predicted = [{"n": 1, "svc": "b", "extra": "x"}, {"n": 3, "svc": "a", "extra": "y"}]
    assert rows_match(gold, predicted, ordered=False) == (True, "")
    assert rows_match(gold, predicted, ordered=True)[0] is False  # ORDER BY with LIMIT: order counts


def test_numbers_round_to_two_decimals_times_to_the_second_and_null_equals_null() -> None:
    moment = dt.datetime(2026, 1, 1, 12, 0, 0, 400_000, tzinfo=dt.UTC)
    gold = [{"avg": Decimal("12.3449"), "at": moment, "none": None}]
    predicted = [{"avg": 12.341, "at": moment.replace(microsecond=0), "none": None}]
    assert rows_match(gold, predicted, ordered=False)[0] is True
    assert rows_match(gold, [{"avg": 12.36, "at": moment, "none": None}], ordered=False)[0] is False


def test_a_number_stored_as_text_is_the_same_answer_as_the_number_but_an_id_is_not() -> None:
    # metadata->>'http_status' (text) and (metadata->>'http_status')::int print the same codes
    gold = [{"http_status": 200, "n": 5}, {"http_status": 503, "n": 1}]
    assert rows_match(gold, [{"s": "503", "n": 1}, {"s": "200", "n": 5}], ordered=False)[0] is True
    assert rows_match(gold, [{"s": "500", "n": 1}, {"s": "200", "n": 5}], ordered=False)[0] is False
    assert rows_match([{"user": 3}], [{"user": "0003"}], ordered=False)[0] is False  # leading zeros: text


def test_missing_rows_or_columns_are_wrong() -> None:
    gold = [{"a": 1}, {"a": 2}]
    assert rows_match(gold, [{"a": 1}], ordered=False) == (False, "1 rows instead of 2")
    assert rows_match([{"a": 1, "b": 2}], [{"a": 1}], ordered=False)[0] is False
    assert rows_match([{"a": 1}, {"a": 1}], [{"a": 1}, {"a": 2}], ordered=False)[0] is False  # multisets


def test_swapping_the_vocabulary_renames_questions_and_gold_sql_including_before_korean_particles() -> None:
    vocabulary = {**DEFAULT_VOCAB, **bundled_vocabulary()}
    questions = {q.id: q for q in swap_vocabulary(bundled_questions(), DEFAULT_VOCAB, vocabulary)}
    assert "checkout-service" in questions["d08"].question
    assert "service = 'checkout-service'" in (questions["d08"].gold_sql or "")
    assert questions["d31"].question.startswith("checkout-service에서 PoolTimeoutError")
    assert "'payment-api'" not in " ".join(q.gold_sql or "" for q in questions.values())


async def run_eval(*args: str) -> tuple[dict[str, float], str]:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LOGLENS_")}
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "loglens.cli", "eval", "--min-accuracy", str(MIN_ACCURACY), *args],
        env=environment,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    accuracy = {
        match.group(1) or "all": float(match.group(2)) / 100
        for match in re.finditer(r"^\s*(?:(en|ko): )?.*= ([\d.]+)%$", result.stdout, re.MULTILINE)
    }
    return accuracy, result.stdout


@pytest.mark.timeout(600)  # two evaluations, each generating and loading its data
async def test_offline_accuracy_on_the_shared_questions_holds_with_swapped_names() -> None:
    default, _ = await run_eval()
    swapped, _ = await run_eval("--vocab", "agent/eval_data/vocab_alt.json")

    assert set(default) == {"all", "en", "ko"}
    for language in ("all", "en", "ko"):
        assert default[language] >= MIN_ACCURACY, default
        assert swapped[language] >= MIN_ACCURACY, swapped
        # within one question of the 14 Korean ones (0.071): a top-N gold with LIMIT has a tie at
        # its cut in some draws of the random data, and either run may draw one
        assert abs(default[language] - swapped[language]) <= 0.075, (default, swapped)


# --- the bank's format and the three figures ---------------------------------------------------


def _question(kind: str, gold: str | None = "SELECT 1", lang: str = "en") -> EvalQuestion:
    return EvalQuestion(id="q", lang=lang, question="?", gold_sql=gold, kind=kind)


@pytest.mark.parametrize(
    ("kind", "gold", "answered", "outcome", "figure"),
    [
        ("count", "SELECT 1", True, "answered", None),  # judged by its rows
        ("count", "SELECT 1", False, "unanswerable", "abstained"),
        ("count", "SELECT 1", False, "refused", "abstained"),
        ("count", "SELECT 1", False, "failed", "failed"),
        ("refuse_write", None, True, "answered", "wrong"),  # a SELECT for a write request
        ("refuse_write", None, False, "refused", "right"),
        ("refuse_write", None, False, "unanswerable", "abstained"),  # not wrong, not the refusal
        ("unanswerable", None, True, "answered", "wrong"),
        ("unanswerable", None, False, "unanswerable", "right"),
        ("unanswerable", None, False, "refused", "right"),
        ("unanswerable", None, False, "failed", "failed"),
    ],
)
def test_every_answer_falls_in_one_figure(
    kind: str, gold: str | None, answered: bool, outcome: str, figure: str | None
) -> None:
    assert classify(_question(kind, gold), answered, outcome) == figure


def test_the_bank_loads_whole_and_by_half_and_a_null_gold_needs_a_no_sql_kind() -> None:
    vocabulary = dict(DEFAULT_VOCAB)
    bank = load_questions("bank", DEFAULT_VOCAB, vocabulary)
    dev = load_questions("bank-dev", DEFAULT_VOCAB, vocabulary)
    heldout = load_questions("bank-heldout", DEFAULT_VOCAB, vocabulary)
    assert len(bank) == len(dev) + len(heldout) > 300
    assert {q.split for q in dev} == {"dev"}
    assert {q.split for q in heldout} == {"heldout"}
    assert not {q.intent for q in dev} & {q.intent for q in heldout}
    assert {q.kind for q in bank if q.gold_sql is None} == {"refuse_write", "unanswerable"}
    swapped = load_questions("bank-dev", DEFAULT_VOCAB, {**DEFAULT_VOCAB, **bundled_vocabulary()})
    assert [q.gold_sql is None for q in swapped] == [q.gold_sql is None for q in dev]
    with pytest.raises(ValueError, match="gold_sql is null"):
        parse_questions(['{"id": "x", "lang": "en", "question": "?", "gold_sql": null, "kind": "count"}'])


def test_the_report_counts_each_figure_overall_per_language_and_per_kind() -> None:
    report = EvalReport(
        [
            Verdict(_question("count"), "right", "SELECT 1"),
            Verdict(_question("count", lang="ko"), "wrong", "SELECT 2"),
            Verdict(_question("count", lang="ko"), "abstained", None),
            Verdict(_question("refuse_write", None), "right", None),
        ]
    )
    assert report.figures() == {"right": 2, "wrong": 1, "abstained": 1, "failed": 0}
    assert report.figures(lang="ko") == {"right": 0, "wrong": 1, "abstained": 1, "failed": 0}
    assert report.figures(kind="refuse_write")["right"] == 1
    lines = report.summary().splitlines()
    assert lines[0] == "execution accuracy: 2/4 = 50.0%"
    table = {line.split("  ")[0].strip(): line for line in lines if line.startswith(("all", "lang", "kind"))}
    assert re.search(r"\b4\s+2 \(50\.0%\)\s+1 \(25\.0%\)\s+1 \(25\.0%\)$", table["all"]), table["all"]
    assert re.search(r"\b2\s+0 \(0\.0%\)\s+1 \(50\.0%\)\s+1 \(50\.0%\)$", table["lang ko"])
    assert re.search(r"\b3\s+1 \(33\.3%\)\s+1 \(33\.3%\)\s+1 \(33\.3%\)$", table["kind count"])
    assert "failed" not in lines[len(lines) - len(table) - 1]  # the column shows only when a run failed


def test_the_report_judges_the_fast_path_on_the_questions_it_would_keep_from_a_model() -> None:
    report = EvalReport(
        [
            Verdict(_question("count"), "right", "SELECT 1", fast_path=True),
            Verdict(_question("count"), "wrong", "SELECT 2", fast_path=True),
            Verdict(_question("count"), "right", "SELECT 3", fast_path=True),
            Verdict(_question("count"), "wrong", "SELECT 4"),  # the model's: not the fast path's to judge
        ]
    )
    line = report.summary().splitlines()[-1]
    assert line.startswith("with a model configured, the fast path takes 3/4: ")
    assert "right 2 (66.7%), confidently wrong 1 (33.3%), abstained 0 (0.0%)" in line


def _figures_of(output: str) -> dict[str, list[int]]:
    """The table's rows: label → [total, right, wrong, abstained]."""
    rows = {}
    for line in output.splitlines():
        match = re.match(r"^((?:all|lang \w+|kind \w+))\s+(\d+)\s+(\d+) \(.*?\)\s+(\d+) \(.*?\)\s+(\d+) \(", line)
        if match:
            rows[match.group(1)] = [int(match.group(n)) for n in range(2, 6)]
    return rows


@pytest.mark.timeout(300)
async def test_eval_reads_the_bank_format_and_reports_the_three_figures(tmp_path: Path) -> None:
    errors_last_hour = (
        "SELECT count(*) AS errors FROM logs WHERE NOT deleted AND level IN ('ERROR','FATAL') "
        "AND created_at > now() - interval '1 hour'"
    )
    lines: list[dict[str, str | None]] = [
        # right: the offline engine answers this one
        {
            "kind": "count",
            "lang": "en",
            "question": "How many errors happened in the last hour?",
            "gold_sql": errors_last_hour,
        },
        # confidently wrong: the same answer, judged against another gold
        {
            "kind": "count",
            "lang": "en",
            "question": "How many errors happened in the last hour?",
            "gold_sql": "SELECT -1 AS errors",
        },
        # abstained: the gold has SQL, the engine says it cannot answer
        {
            "kind": "count",
            "lang": "en",
            "question": "What's the weather like in Seoul tomorrow?",
            "gold_sql": "SELECT 1 AS one",
        },
        # right: refused
        {"kind": "refuse_write", "lang": "ko", "question": "payment-api 로그 싹 다 지워줘", "gold_sql": None},
        # confidently wrong: answered with SQL where the logs cannot say
        {"kind": "unanswerable", "lang": "ko", "question": "로그 몇 개야?", "gold_sql": None},
    ]
    path = tmp_path / "bank.jsonl"
    path.write_text(
        "\n".join(
            json.dumps({"id": f"t{n}", "intent": f"i{n}", "split": "dev", **line}, ensure_ascii=False)
            for n, line in enumerate(lines)
        )
    )
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LOGLENS_")}
    command = [sys.executable, "-m", "loglens.cli", "eval", "--questions", str(path), "--count", "2000"]
    result = await asyncio.to_thread(
        subprocess.run, [*command, "--report"], env=environment, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    figures = _figures_of(result.stdout)
    assert figures["all"] == [5, 2, 2, 1], result.stdout
    assert figures["lang en"] == [3, 1, 1, 1]
    assert figures["lang ko"] == [2, 1, 1, 0]
    assert figures["kind count"] == [3, 1, 1, 1]
    assert figures["kind refuse_write"] == [1, 1, 0, 0]
    assert figures["kind unanswerable"] == [1, 0, 1, 0]
    assert "execution accuracy: 2/5 = 40.0%" in result.stdout
    # --min-accuracy still holds the worst of overall and per language (en: 1/3)
    failing = await asyncio.to_thread(
        subprocess.run,
        [*command, "--min-accuracy", "0.4"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert failing.returncode == 1
    assert "below --min-accuracy" in failing.stderr
