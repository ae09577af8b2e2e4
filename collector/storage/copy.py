"""Binary COPY of rows into ``logs``, refusing only the rows PostgreSQL refuses.

The happy path is one ``COPY logs FROM STDIN (FORMAT binary)`` per batch. When PostgreSQL
refuses a value (a NUL character, a string over its VARCHAR limit, text that is not
UTF-8), the whole COPY fails; ``copy_isolating_bad_rows`` then finds the culprits, first with
the cheap checks of ``rows.problem_with`` and then by halving, each attempt under a
savepoint, so that every good row of the batch is still stored and every bad one is
reported with the reason.

A batch's rows come as row tuples (asyncpg encodes them, with the codecs below) or, on the
native path, as ready binary COPY tuples (``native.EncodedRows``: bytes, each row's offset, and
the rows ``problem_with`` refuses, found when they were encoded); ``BatchRows`` holds both kinds
in one sequence of positions, COPYs any subset of them (the encoded ones with the binary COPY
header and trailer added), and halving splits encoded rows at their offsets exactly as it
splits tuples.
"""

from __future__ import annotations

import struct
from collections.abc import Sequence

import asyncpg

from loglens.collector.native import EncodedRows
from loglens.collector.rows import COLUMNS, UNIX_EPOCH_TO_PG_EPOCH_US, Row, problem_with

# Binary COPY's signature, flags and header extension length; its trailer, a tuple of -1 fields.
COPY_HEADER = b"PGCOPY\n\xff\r\n\x00" + bytes(8)
COPY_TRAILER = b"\xff\xff"

_NUMERIC_HEADER = struct.Struct("!hhhh")
_ZERO_NUMERIC = _NUMERIC_HEADER.pack(0, 0, 0, 3)


def encode_thousandths(thousandths: int) -> bytes:
    """PostgreSQL's binary NUMERIC for ``thousandths / 1000`` with scale 3.

    NUMERIC is sign, weight and base-10000 digits; the value times 10 has its last digit in
    the 10000^-1 place, which is where three decimals end.
    """
    if thousandths == 0:
        return _ZERO_NUMERIC
    sign = 0
    if thousandths < 0:
        sign, thousandths = 0x4000, -thousandths
    remaining = thousandths * 10
    digits = []
    while remaining:
        remaining, digit = divmod(remaining, 10000)
        digits.append(digit)
    digits.reverse()
    return _NUMERIC_HEADER.pack(len(digits), len(digits) - 2, sign, 3) + struct.pack(f"!{len(digits)}H", *digits)


def _timestamp_from_unix_us(unix_us: int) -> tuple[int]:
    return (unix_us - UNIX_EPOCH_TO_PG_EPOCH_US,)


def _jsonb_from_utf8(document: bytes) -> bytes:
    return b"\x01" + document  # jsonb's binary format: a version byte, then the JSON text


def _utf8_from_jsonb(data: bytes) -> bytes:
    return data[1:]


def _unused_decoder(value: object) -> object:
    return value


async def register_writer_codecs(connection: asyncpg.Connection) -> None:
    """Teach a writer connection the pre-encoded values of ``collector/rows.py``."""
    await connection.set_type_codec(
        "timestamptz",
        schema="pg_catalog",
        format="tuple",
        encoder=_timestamp_from_unix_us,
        decoder=_unused_decoder,
    )
    await connection.set_type_codec(
        "numeric",
        schema="pg_catalog",
        format="binary",
        encoder=encode_thousandths,
        decoder=_unused_decoder,
    )
    await connection.set_type_codec(
        "jsonb",
        schema="pg_catalog",
        format="binary",
        encoder=_jsonb_from_utf8,
        decoder=_utf8_from_jsonb,
    )


# What a refused value looks like: PostgreSQL's data and constraint errors, and the client-side
# encoding errors asyncpg raises before sending (a lone surrogate is not UTF-8).
ROW_PROBLEMS: tuple[type[BaseException], ...] = (
    asyncpg.DataError,
    asyncpg.IntegrityConstraintViolationError,
    UnicodeError,
    ValueError,
    TypeError,
    OverflowError,
    struct.error,
)


class BatchRows:
    """The rows of a batch in one sequence of positions: the parts' rows one after another,
    each part a list of row tuples or ``EncodedRows``."""

    def __init__(self, parts: Sequence[Sequence[Row] | EncodedRows]) -> None:
        self._parts = [part for part in parts if len(part)]
        self._starts: list[int] = []
        total = 0
        for part in self._parts:
            self._starts.append(total)
            total += len(part)
        self._total = total

    def __len__(self) -> int:
        return self._total

    def problems(self) -> dict[int, str]:
        """The rows ``rows.problem_with`` refuses (for encoded rows, found when encoding them)."""
        found: dict[int, str] = {}
        for start, part in zip(self._starts, self._parts, strict=True):
            if isinstance(part, EncodedRows):
                found.update((start + position, problem) for position, problem in part.problems.items())
            else:
                found.update(
                    (start + position, problem)
                    for position, row in enumerate(part)
                    if (problem := problem_with(row)) is not None
                )
        return found

    def has_problems(self) -> bool:
        """Whether some row is known to be refused before any COPY (encoded rows only: tuples are
        checked when a COPY of them has failed, as they always were)."""
        return any(isinstance(part, EncodedRows) and part.problems for part in self._parts)

    async def copy(self, connection: asyncpg.Connection, positions: Sequence[int] | None = None) -> None:
        """COPY the rows at ``positions`` (all when None): tuples through asyncpg's encoding, encoded
        rows as one binary COPY."""
        tuples: list[Row] = []
        encoded: list[bytes | memoryview] = []
        if positions is None:
            for part in self._parts:
                if isinstance(part, EncodedRows):
                    encoded.append(part.data)
                else:
                    tuples.extend(part)
        else:
            part_index = 0
            for position in positions:  # ascending: the parts are walked once
                while part_index + 1 < len(self._parts) and self._starts[part_index + 1] <= position:
                    part_index += 1
                part = self._parts[part_index]
                within = position - self._starts[part_index]
                if isinstance(part, EncodedRows):
                    encoded.append(part.row(within))
                else:
                    tuples.append(part[within])
        if encoded:
            # A memoryview: asyncpg takes bytes for a file's path.
            data = memoryview(b"".join([COPY_HEADER, *encoded, COPY_TRAILER]))
            await connection.copy_to_table("logs", source=data, columns=COLUMNS, format="binary")
        if tuples:
            await copy_rows(connection, tuples)


async def copy_rows(connection: asyncpg.Connection, rows: Sequence[Row]) -> None:
    await connection.copy_records_to_table("logs", records=rows, columns=COLUMNS)


async def copy_isolating_bad_rows(
    connection: asyncpg.Connection, rows: Sequence[Row] | BatchRows
) -> dict[int, str]:
    """COPY every row PostgreSQL accepts; return the refused ones' positions and reasons.

    Must run inside a transaction: each attempt is a savepoint.
    """
    batch = rows if isinstance(rows, BatchRows) else BatchRows([rows])
    refused = batch.problems()
    candidates = [position for position in range(len(batch)) if position not in refused]
    await _copy_halving(connection, batch, candidates, refused)
    return refused


async def _copy_halving(
    connection: asyncpg.Connection, batch: BatchRows, positions: list[int], refused: dict[int, str]
) -> None:
    if not positions:
        return
    try:
        async with connection.transaction():
            await batch.copy(connection, positions)
        return
    except ROW_PROBLEMS as error:
        if len(positions) == 1:
            refused[positions[0]] = _reason(error)
            return
    middle = len(positions) // 2
    await _copy_halving(connection, batch, positions[:middle], refused)
    await _copy_halving(connection, batch, positions[middle:], refused)


def _reason(error: BaseException) -> str:
    if isinstance(error, asyncpg.PostgresError):
        where = getattr(error, "where", None) or ""
        column = where.split("column ", 1)[1].split(":", 1)[0] if "column " in where else None
        message = str(error)
        return f"{column}: {message}" if column else message
    if isinstance(error, UnicodeError):
        return "text is not valid UTF-8"
    return str(error)
