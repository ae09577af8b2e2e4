"""`loglens eval`: the judging rules, and the offline engine's accuracy on the shared questions,
on the data's own names and on swapped ones."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import re
import subprocess
import sys
from decimal import Decimal

import pytest

from loglens.agent.evaluation import bundled_questions, bundled_vocabulary, rows_match, swap_vocabulary
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


def test_missing_rows_or_columns_are_wrong() -> None:
    gold = [{"a": 1}, {"a": 2}]
    assert rows_match(gold, [{"a": 1}], ordered=False) == (False, "1 rows instead of 2")
    assert rows_match([{"a": 1, "b": 2}], [{"a": 1}], ordered=False)[0] is False
    assert rows_match([{"a": 1}, {"a": 1}], [{"a": 1}, {"a": 2}], ordered=False)[0] is False  # multisets


def test_swapping_the_vocabulary_renames_questions_and_gold_sql_including_before_korean_particles() -> None:
    vocabulary = {**DEFAULT_VOCAB, **bundled_vocabulary()}
    questions = {q.id: q for q in swap_vocabulary(bundled_questions(), DEFAULT_VOCAB, vocabulary)}
    assert "checkout-service" in questions["d08"].question
    assert "service = 'checkout-service'" in questions["d08"].gold_sql
    assert questions["d31"].question.startswith("checkout-service에서 PoolTimeoutError")
    assert "'payment-api'" not in " ".join(q.gold_sql for q in questions.values())


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
        assert abs(default[language] - swapped[language]) <= 0.05, (default, swapped)
