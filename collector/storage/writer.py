"""Commit a batch of submissions to PostgreSQL in one transaction.

A submission is the rows of one request; a batch is several submissions the batcher
gathered. Per batch, in one transaction:

1. submissions carrying an idempotency key claim it in ``ingest_receipts``; a key already
   committed with the same content digest marks its submission a replay, answered with the
   stored receipt, not stored; with another digest, a conflict: refused, not stored;
2. the rows of the rest are COPYed (``storage/copy.py``): row tuples, or rows the native path
   encoded as binary COPY already (``Submission.encoded``), in one COPY per kind;
3. the transaction commits, and only then are the submissions told their outcome.

Errors are sorted into two kinds: a row PostgreSQL refuses is reported against that row
only (the transaction is redone without it), while a lost connection or a database that
cannot commit raises ``StorageUnavailableError`` for the whole batch, which the batcher retries.

A write may be given a time limit (the batcher's commit timeout): every statement before the
COMMIT runs under PostgreSQL's ``statement_timeout`` (which counts waiting for a lock), so a
table locked by someone else fails the batch with ``CommitTimeoutError``, its transaction rolled
back: nothing of it is stored, ever. The COMMIT itself runs without the limit, so that its
outcome is always the one reported: rows are never said to be not stored and committed anyway.

A submission whose client is gone by the time its batch is about to commit (it closed the
connection, or its gRPC call was cancelled past its deadline: ``Submission.gone``) is not
committed: the transaction is rolled back and done again without it. Its client heard no
answer and will send it again, if ever; committing it too would store that retry twice (OTLP
has no keys). The OpenTelemetry SDK retries a 503 within its own export timeout, with what is
left of it: such a last attempt may be abandoned by the client long before the commit timeout.

The writer's connections open lazily when ``open`` was not called or failed: a collector worker
started while PostgreSQL is away serves (answering "retry later"), and its first write once the
database is back opens them.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import asyncpg
import orjson

from loglens.collector.native import EncodedRows
from loglens.collector.rows import Row
from loglens.collector.storage.copy import ROW_PROBLEMS, BatchRows, copy_isolating_bad_rows, register_writer_codecs
from loglens.collector.storage.partitions import Partitions, day_of
from loglens.errors import CommitTimeoutError, StorageUnavailableError

log = logging.getLogger(__name__)

# Receipt = what a replay of an idempotent request is answered with; the receiver builds it
# from the rows PostgreSQL refused (positions in Submission.rows, with reasons).
ReceiptBuilder = Callable[[dict[int, str]], dict[str, Any]]

CONNECTION_PROBLEMS: tuple[type[BaseException], ...] = (
    OSError,
    asyncio.TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    asyncpg.CannotConnectNowError,
    asyncpg.OperatorInterventionError,
    asyncpg.InsufficientResourcesError,
    asyncpg.ReadOnlySQLTransactionError,
)
# A statement stopped by statement_timeout (or lock_timeout, or an administrator's cancel): its
# transaction is rolled back, the server is there.
TIMED_OUT: tuple[type[BaseException], ...] = (asyncpg.QueryCanceledError, asyncpg.LockNotAvailableError)
# How long /health and the outage probe wait for PostgreSQL to answer "SELECT 1".
PING_TIMEOUT_S = 0.5
# How long opening a connection may take: a server that drops packets must not hold a write (or
# a worker's start) for asyncpg's default minute.
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class IdempotencyKey:
    """What names a request for deduplication: the client's id and a digest of its content.

    ``key`` is bytes (a protocol prefix and the id exactly as the client sent it, valid UTF-8
    or not), stored as ``bytea``. A request under a committed key is a replay only if its
    ``digest`` (``content_digest``) is the same: a client that reuses an id for other content
    did not send that content before, so it is never dropped as a replay of it.
    """

    key: bytes
    digest: bytes


def content_digest(*parts: bytes) -> bytes:
    """A 16-byte BLAKE2b of ``parts`` (length-prefixed: ("ab", "c") differs from ("a", "bc"))."""
    digest = hashlib.blake2b(digest_size=16)
    for part in parts:
        digest.update(len(part).to_bytes(8, "little"))
        digest.update(part)
    return digest.digest()


@dataclass(eq=False)
class Submission:
    """The rows of one request: ``rows`` as tuples, or (the native path) ``encoded`` as binary COPY
    tuples with ``rows`` empty; positions are the same either way."""

    rows: list[Row]
    idempotency_key: IdempotencyKey | None = None
    receipt: ReceiptBuilder | None = None
    # What the request holds besides its rows while it waits (its body): counted against
    # LOGLENS_MAX_PENDING_BYTES with them.
    held_bytes: int = 0
    # Whether the client has gone away (its connection closed), asked just before the commit.
    client_gone: Callable[[], bool] | None = None
    # Set by the batcher when the waiter was cancelled while the batch was being written.
    abandoned: bool = False
    encoded: EncodedRows | None = None

    @property
    def row_count(self) -> int:
        return len(self.encoded) if self.encoded is not None else len(self.rows)

    @property
    def copy_part(self) -> list[Row] | EncodedRows:
        return self.encoded if self.encoded is not None else self.rows

    def days(self) -> set[int]:
        if self.encoded is not None:
            return set(self.encoded.days)
        return {day_of(row[0]) for row in self.rows}

    def gone(self) -> bool:
        """Nobody waits for this submission's outcome any more: it must not be committed."""
        return self.abandoned or (self.client_gone is not None and self.client_gone())


@dataclass
class SubmissionResult:
    """What happened to a submission once its batch committed."""

    refused: dict[int, str] = field(default_factory=dict)  # position in rows -> reason
    replayed_receipt: dict[str, Any] | None = None  # set when the key was committed before
    # The key was committed (or is claimed earlier in the batch) for other content: nothing stored.
    conflict: bool = False
    # Its client was gone before the commit: nothing stored (``Submission.gone``).
    gone: bool = False

    def stored(self, submission: Submission) -> int:
        if self.replayed_receipt is not None or self.conflict or self.gone:
            return 0
        return submission.row_count - len(self.refused)


class LogWriter:
    def __init__(self, dsn: str, connections: int) -> None:
        self._dsn = dsn
        self._size = connections
        self._pool: asyncpg.Pool | None = None
        self._partitions = Partitions()
        # ping's connection of its own: the pool's may all be in a COPY waiting on a lock.
        self._ping_connection: asyncpg.Connection | None = None
        self._ping_lock = asyncio.Lock()
        self._open_lock = asyncio.Lock()

    @property
    def is_open(self) -> bool:
        return self._pool is not None

    async def open(self) -> None:
        """Open the connections and read the partitions; raises what PostgreSQL's absence raises
        (``CONNECTION_PROBLEMS``), leaving the writer closed, to be opened by the next write."""
        async with self._open_lock:
            if self._pool is not None:
                return
            pool = await asyncpg.create_pool(
                self._dsn,
                min_size=1,
                max_size=self._size,
                init=register_writer_codecs,
                timeout=CONNECT_TIMEOUT_S,
                # COPY of a big batch on a slow disk can take a while; a dead server does not.
                command_timeout=120,
            )
            try:
                async with pool.acquire() as connection:
                    await self._partitions.load(connection)
            except BaseException:
                pool.terminate()
                raise
            self._pool = pool

    async def close(self) -> None:
        self._drop_ping_connection()
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    async def ping(self, timeout_s: float = PING_TIMEOUT_S) -> bool:
        """Whether PostgreSQL answers within ``timeout_s``, over a connection of its own: never
        one of the writer's, which a COPY waiting on a locked table may hold for seconds."""
        try:
            async with asyncio.timeout(timeout_s), self._ping_lock:
                if self._ping_connection is None or self._ping_connection.is_closed():
                    self._ping_connection = await asyncpg.connect(self._dsn)
                await self._ping_connection.fetchval("SELECT 1")
        except (*CONNECTION_PROBLEMS, asyncpg.PostgresError):
            self._drop_ping_connection()
            return False
        return True

    def _drop_ping_connection(self) -> None:
        if self._ping_connection is not None:
            self._ping_connection.terminate()
            self._ping_connection = None

    async def maintain(self, today: int, retention_days: int, receipt_ttl_hours: int) -> list[str]:
        """Create today's and tomorrow's partitions, drop expired ones and old receipts."""
        async with self._connection() as connection:
            await self._partitions.ensure(connection, [today, today + 1])
            dropped = []
            if retention_days > 0:
                dropped = await self._partitions.drop_older_than(connection, retention_days, today)
            await connection.execute(
                "DELETE FROM ingest_receipts WHERE committed_at < now() - make_interval(hours => $1)",
                receipt_ttl_hours,
            )
        return dropped

    async def write(
        self, batch: Sequence[Submission], *, timeout_s: float | None = None
    ) -> list[SubmissionResult]:
        """Commit the batch; return each submission's outcome, in order.

        With ``timeout_s``, raise ``CommitTimeoutError`` (nothing stored) when a statement before
        the COMMIT has not finished by then."""
        limited = timeout_s is not None
        try:
            async with self._connection() as connection:
                if timeout_s is not None:
                    # The pool's release runs RESET ALL: the limit stays with this write.
                    await connection.execute(
                        "SELECT set_config('statement_timeout', $1, false)", f"{max(1, round(timeout_s * 1000))}ms"
                    )
                await self._partitions.ensure(connection, _days(batch))
                try:
                    return await _commit_for_present(connection, batch, isolate_bad_rows=False, limited=limited)
                except ROW_PROBLEMS as error:
                    log.info(
                        "a batch of %d rows has rows PostgreSQL refuses (%s); isolating them",
                        sum(s.row_count for s in batch),
                        error,
                    )
                    return await _commit_for_present(connection, batch, isolate_bad_rows=True, limited=limited)
                except asyncpg.CheckViolationError:
                    # "no partition of relation logs found for row": retention dropped it
                    self._partitions.forget()
                    await self._partitions.load(connection)
                    await self._partitions.ensure(connection, _days(batch))
                    return await _commit_for_present(connection, batch, isolate_bad_rows=True, limited=limited)
        except TIMED_OUT as error:
            raise CommitTimeoutError(f"{error} after {timeout_s or 0:.2f} s, rolled back") from None
        except CONNECTION_PROBLEMS as error:
            raise StorageUnavailableError(f"PostgreSQL is unavailable: {error or type(error).__name__}") from error
        except asyncpg.PostgresError as error:
            raise StorageUnavailableError(f"PostgreSQL could not store logs: {error}") from error

    @contextlib.asynccontextmanager
    async def _connection(self) -> AsyncIterator[asyncpg.Connection]:
        """One of the writer's connections, opening them first if they are not."""
        if self._pool is None:
            await self.open()
        assert self._pool is not None
        async with self._pool.acquire(timeout=10) as connection:
            yield connection


class _ClientsGoneError(Exception):
    """Submissions (positions in the batch) whose clients left before the commit."""

    def __init__(self, positions: frozenset[int]) -> None:
        super().__init__(f"{len(positions)} clients gone")
        self.positions = positions


async def _commit_for_present(
    connection: asyncpg.Connection, batch: Sequence[Submission], *, isolate_bad_rows: bool, limited: bool
) -> list[SubmissionResult]:
    """Commit the batch without the submissions whose clients left before the commit: each
    time some did, the transaction is rolled back and done again without them."""
    skipped: frozenset[int] = frozenset()
    while True:
        try:
            return await _commit(connection, batch, isolate_bad_rows, limited, skipped)
        except _ClientsGoneError as gone:
            skipped |= gone.positions
            log.info(
                "%d of a batch's %d requests lost their clients before the commit; committed without them",
                len(skipped),
                len(batch),
            )


async def _commit(
    connection: asyncpg.Connection,
    batch: Sequence[Submission],
    isolate_bad_rows: bool,
    limited: bool,
    skipped: frozenset[int],
) -> list[SubmissionResult]:
    outcomes = [SubmissionResult(gone=index in skipped) for index in range(len(batch))]
    claims, repeats = _keys_within_batch(batch, skipped)
    async with connection.transaction():
        committed_before = await _claim_keys(connection, claims)
        to_store = []
        for index, submission in enumerate(batch):
            if index in skipped:
                continue
            claim = submission.idempotency_key
            if claim is not None and claim.key in committed_before:
                digest, receipt = committed_before[claim.key]
                # No digest: a receipt of a loglens before 0003, which compared ids only.
                if digest is None or digest == claim.digest:
                    outcomes[index].replayed_receipt = receipt
                else:
                    outcomes[index].conflict = True
            elif claim is not None and index in repeats:
                # The key's first submission in this batch claimed it: same content or conflict.
                first = batch[repeats[index]].idempotency_key
                outcomes[index].conflict = first is None or first.digest != claim.digest
            else:
                to_store.append((index, submission))
        rows = BatchRows([submission.copy_part for _, submission in to_store])
        # Rows the native encoder found PostgreSQL would refuse are never sent: isolated at once.
        if isolate_bad_rows or rows.has_problems():
            _distribute(await copy_isolating_bad_rows(connection, rows), to_store, outcomes)
        elif len(rows):
            await rows.copy(connection)
        receipts = await _store_receipts(connection, to_store, outcomes)
        # The last moment before the COMMIT: a client that left meanwhile (the COPY waited on a
        # lock) would send again what this would store: roll back, and commit without it.
        gone = frozenset(index for index, submission in to_store if submission.gone())
        if gone:
            raise _ClientsGoneError(gone)
        if limited:
            # COMMIT without the time limit: a COMMIT cancelled halfway would leave its outcome
            # unknown, and a COMMIT waits on no lock (the COPY took them).
            await connection.execute("SET LOCAL statement_timeout = 0")
    for index, first_index in repeats.items():
        outcome = outcomes[index]
        if not outcome.conflict and outcome.replayed_receipt is None:
            outcome.replayed_receipt = outcomes[first_index].replayed_receipt or receipts.get(first_index, {})
    return outcomes


def _keys_within_batch(
    batch: Sequence[Submission], skipped: frozenset[int] = frozenset()
) -> tuple[list[IdempotencyKey], dict[int, int]]:
    """The keys to claim, each once, as its first submission in the batch has it; and the
    later submissions of a key (index -> index of the first), stored by the first only. The
    ``skipped`` claim nothing: a key claimed without its rows would make their resend a replay."""
    first_of: dict[bytes, tuple[int, IdempotencyKey]] = {}
    repeats: dict[int, int] = {}
    for index, submission in enumerate(batch):
        if index in skipped:
            continue
        claim = submission.idempotency_key
        if claim is not None:
            first_index, _ = first_of.setdefault(claim.key, (index, claim))
            if first_index != index:
                repeats[index] = first_index
    return [claim for _, claim in first_of.values()], repeats


def _days(batch: Sequence[Submission]) -> set[int]:
    return set().union(*(submission.days() for submission in batch))


async def _claim_keys(
    connection: asyncpg.Connection, claims: list[IdempotencyKey]
) -> dict[bytes, tuple[bytes | None, dict[str, Any]]]:
    """Claim the batch's idempotency keys; return the digest and receipt of keys committed before.

    A concurrent transaction claiming the same key waits on the primary key until this one
    commits, then finds the key taken: the second copy of a request is never stored. Keys
    and digests are bytea: no client's bytes can fail to encode and fail the batch.
    """
    if not claims:
        return {}
    keys = [claim.key for claim in claims]
    claimed = await connection.fetch(
        "INSERT INTO ingest_receipts (key, digest, receipt) "
        "SELECT key, digest, '{}'::jsonb FROM unnest($1::bytea[], $2::bytea[]) AS claim(key, digest) "
        "ON CONFLICT (key) DO NOTHING RETURNING key",
        keys,
        [claim.digest for claim in claims],
    )
    earlier = set(keys) - {record["key"] for record in claimed}
    if not earlier:
        return {}
    stored = await connection.fetch(
        "SELECT key, digest, receipt FROM ingest_receipts WHERE key = ANY($1::bytea[])", list(earlier)
    )
    return {record["key"]: (record["digest"], orjson.loads(record["receipt"])) for record in stored}


def _distribute(
    refused: dict[int, str], to_store: list[tuple[int, Submission]], outcomes: list[SubmissionResult]
) -> None:
    """Turn positions in the concatenated rows back into positions within each submission."""
    offset = 0
    for index, submission in to_store:
        end = offset + submission.row_count
        outcomes[index].refused = {p - offset: reason for p, reason in refused.items() if offset <= p < end}
        offset = end


async def _store_receipts(
    connection: asyncpg.Connection, to_store: list[tuple[int, Submission]], outcomes: list[SubmissionResult]
) -> dict[int, dict[str, Any]]:
    receipts = {
        index: submission.receipt(outcomes[index].refused) if submission.receipt else {}
        for index, submission in to_store
        if submission.idempotency_key
    }
    if receipts:
        await connection.executemany(
            "UPDATE ingest_receipts SET receipt = $2 WHERE key = $1",
            [
                (batch_submission.idempotency_key.key, _receipt_json(receipts[index]))
                for index, batch_submission in to_store
                if index in receipts and batch_submission.idempotency_key is not None
            ],
        )
    return receipts


def _receipt_json(receipt: dict[str, Any]) -> bytes:
    """The receipt as JSON; text that cannot be UTF-8 (a lone surrogate in a refusal's reason)
    is replaced rather than failing the batch's commit."""
    try:
        return orjson.dumps(receipt)
    except TypeError:  # orjson.JSONEncodeError
        return orjson.dumps(_replace_surrogates(receipt))


def _replace_surrogates(value: Any) -> Any:
    if isinstance(value, str):
        return value.encode("utf-8", "replace").decode("utf-8")
    if isinstance(value, dict):
        return {_replace_surrogates(k): _replace_surrogates(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_replace_surrogates(item) for item in value]
    return value
