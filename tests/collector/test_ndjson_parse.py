"""NDJSON lines go through orjson where it reads them exactly as Python's parser does (the
reference): the same records, of the same types, and the same refusals with the same reasons."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest

from loglens.collector.mapping import json_api

EDGE_LINES = [
    '{"message": "ok", "n": 1}',
    '{"message": "big", "n": 18446744073709551616}',  # past 64 bits: orjson would make a float
    '{"message": "small", "n": -9223372036854775809}',
    '{"message": "u64", "n": 18446744073709551615}',
    '{"message": "zero", "n": -0, "f": -0.0, "e": 1e-400}',
    '{"message": "huge", "n": 1e400}',
    '{"message": "nan", "n": NaN, "i": -Infinity}',
    '{"message": "lone", "s": "\\ud800"}',
    '{"message": "pair", "s": "\\ud83d\\ude00", "u": "\u2028"}',
    '{"message": "dup", "a": 1, "a": 2}',
    '{"message": "nul \\u0000"}',
    '{"message": "ctrl \x1f"}',
    '{"message": "trailing",}',
    '\ufeff{"message": "bom"}',
    '{"message": "crlf"}\r',
    '{"message": "deep", "m": ' + "[" * 300 + "]" * 300 + "}",
    '{"message": "deeper", "m": ' + "[" * 1010 + "]" * 1010 + "}",
    '{"message": 1.00000000000000011102230246251565404236316680908203125}',
    '{"message": "digits", "trace": "12345678901234567890"}',
    "[1, 2]",
    "01",
    '"text"',
]


def _reference(line: str) -> tuple[str, Any]:
    try:
        return "ok", json_api._loads(line)
    except (ValueError, RecursionError) as error:
        return "error", json_api._decode_reason(error)


def _fast(line: str) -> tuple[str, Any]:
    body = line.encode("utf-8", "surrogatepass")
    try:
        return "ok", json_api._load_line(line, 0 not in json_api._lines_for_python(body))
    except (ValueError, RecursionError) as error:
        return "error", json_api._decode_reason(error)


def _same(a: Any, b: Any) -> bool:
    """Equal, and of the same types all the way down (1 is not 1.0; NaN is itself)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[key], b[key]) for key in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float) and a != a:
        return bool(b != b)
    return bool(a == b)


@pytest.mark.parametrize("line", EDGE_LINES)
def test_a_line_reads_as_pythons_parser_reads_it(line: str) -> None:
    (kind, value), (fast_kind, fast_value) = _reference(line), _fast(line)
    assert kind == fast_kind
    assert _same(value, fast_value), (value, fast_value)


def _random_value(rng: random.Random, depth: int = 0) -> str:
    pick = rng.randrange(9 if depth < 3 else 6)
    if pick == 0:
        return str(rng.choice([0, -1, 7, 2**53 + 1, 2**63 - 1, 2**63, 2**64 - 1, 2**64, -(2**63) - 1, 10**30]))
    if pick == 1:
        return rng.choice(["1.5", "-0.0", "1e308", "1e309", "2.5e-324", "0.1", "NaN", "Infinity", "1E2"])
    if pick == 2:
        return json.dumps("".join(rng.choice('aé\u2028\x00"\\/\n') for _ in range(rng.randrange(6))))
    if pick == 3:
        return rng.choice(['"\\ud800"', '"\\udfff x"', '"\\ud83d\\ude00"'])
    if pick == 4:
        return rng.choice(["true", "false", "null"])
    if pick == 5:
        return rng.choice(["01", "1.", "-", "[1,]", "tru", '"\x01"'])  # not JSON
    if pick == 6:
        return "[" + ", ".join(_random_value(rng, depth + 1) for _ in range(rng.randrange(4))) + "]"
    keys = [json.dumps(rng.choice(["a", "b", "message", "é"])) for _ in range(rng.randrange(4))]
    return "{" + ", ".join(f"{key}: {_random_value(rng, depth + 1)}" for key in keys) + "}"


def test_random_lines_read_as_pythons_parser_reads_them() -> None:
    rng = random.Random(15)
    for _ in range(3000):
        line = _random_value(rng)
        (kind, value), (fast_kind, fast_value) = _reference(line), _fast(line)
        assert kind == fast_kind, line
        assert _same(value, fast_value), line


def test_a_body_with_long_digits_is_read_by_pythons_parser_throughout() -> None:
    body = b'{"message": "a", "n": 1}\n{"message": "b", "n": 123456789012345678901234}\n'
    parsed = json_api.parse_body(body, ndjson=True)
    assert parsed.records[1]["n"] == 123456789012345678901234
    assert isinstance(parsed.records[1]["n"], int)


def test_only_the_lines_with_long_digit_runs_go_to_pythons_parser() -> None:
    body = b'{"n": 1}\n\n{"n": 12345678901234567890}\n{"trace_id": "3dc1de9ca63311961856763204436b51"}\n{"n": 2}'
    assert json_api._lines_for_python(body) == {2, 3}
    assert json_api._lines_for_python(b'{"n": 1}') == frozenset()
    assert json_api._lines_for_python(b"1234567890123456789") == {0}
