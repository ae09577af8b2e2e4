# The C extension's interface (collector/native/_native.c); collector/native/__init__.py wraps it.
from collections.abc import Callable
from typing import Any

SOURCE_HASH: str

Decoded = tuple[bytes, list[int], list[int], list[tuple[int, str]], dict[int, str], frozenset[int], int, int]
Encoded = tuple[bytes, list[int], dict[int, str], frozenset[int], int]

def decode_otlp(
    body: bytes | bytearray | memoryview,
    received_us: int,
    max_message_chars: int,
    keep_problem_rows: bool = ...,
    /,
) -> Decoded | None: ...
def encode_rows(rows: list[tuple[Any, ...]], /) -> Encoded | None: ...
def configure(
    level_from_text: Callable[[str], str | None],
    environment_from_text: Callable[[str], str | None],
    duration_thousandths: Callable[[Any], int | None],
    dumps: Callable[[Any], bytes],
    /,
) -> None: ...
def tables() -> dict[str, Any]: ...
