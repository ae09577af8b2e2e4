"""One batcher between every receiver and PostgreSQL.

Receivers ``submit`` the rows of a request and wait; the batcher gathers submissions into a
batch until it holds ``batch_rows`` rows or ``flush_interval`` has passed since its first
submission, and hands sealed batches to a few writer tasks, each COPYing over its own
connection. A submission's future resolves only after its batch committed, so a receiver
acknowledges only what is on disk.

Memory is bounded by ``max_pending_rows`` and ``max_pending_bytes`` (accepted but not yet
committed, counted per row and in approximate bytes): past either, a submission is refused at
once with ``OverloadedError`` (429) and the client retries later. While the database is
unreachable, submissions are refused at once with ``StorageUnavailableError`` instead of piling
up; a probe notices when it is back (a collector started while it was away begins so, see
``refuse_until_reachable``). A refused request holds nothing: every refusal is an
exception of its own, raised in the waiter's task (futures carry answers, never exceptions, so
no exception is shared between requests nor kept alive by a future, each traceback holding the
frames, and so the rows, of the request it was raised in).

Every submission has a deadline, ``commit_timeout`` after it arrived; past it, its client is
answered 503 (``CommitTimeoutError``) and nothing of the request is ever stored, so the retry
the client sends is stored once (OTLP has no idempotency key):

* a submission whose batch is not being written (still open, queued behind a slow writer, or
  waiting to retry after a lost connection) is withdrawn from it at its deadline;
* a batch being written runs under a time limit, the earliest deadline of its submissions: every
  statement before the COMMIT under PostgreSQL's ``statement_timeout`` (``storage/writer.py``), so a
  locked table fails it, rolled back, by then; its submitters hear the outcome, never a guess.

A submitter whose task is cancelled (a gRPC client gone past its deadline) is withdrawn likewise;
if its batch is being written, the writer leaves it out of the commit, as it does a request
whose HTTP client closed the connection (``Submission.gone``): a client that heard nothing sends
again, and what it gave up on must not be stored besides. A batch whose commit fails for a
lost connection is retried while any of its submissions has time left.

A batch does not wait out its timer when no more rows are coming: receivers announce each request
from its arrival to its submission (``arrival()``), and when none is on its way and a writer is
idle, the open batch is sealed at once. A lone client's request is so committed the moment it is
submitted (the timer would add up to ``flush_interval`` to every answer), while requests arriving
side by side, or while every writer is busy, still gather into one batch.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
from dataclasses import dataclass, field

from loglens.collector.rows import Col
from loglens.collector.storage.writer import LogWriter, Submission, SubmissionResult
from loglens.errors import CommitTimeoutError, OverloadedError, RetryLaterError, StorageUnavailableError

log = logging.getLogger(__name__)

PROBE_INTERVAL_S = 0.5
RETRY_BACKOFF_S = (0.05, 0.1, 0.25, 0.5, 1.0)
# A submission with less time left than this when its batch is about to be written is answered
# "retry" at once, rather than make the whole batch's time limit that short.
MIN_WRITE_S = 0.2
UNAVAILABLE_RETRY_AFTER_S = 2
TIMEOUT_RETRY_AFTER_S = 1
# What a row costs besides its longest texts: the tuple and its small values, measured with
# tracemalloc on typical OTLP and JSON rows (300-450 bytes).
ROW_BYTES = 400
MIB = 1024 * 1024

_MESSAGE, _STACK, _METADATA = Col.message.value, Col.stack_trace.value, Col.metadata.value


def approximate_bytes(submission: Submission) -> int:
    """What a pending submission holds: its rows (a fixed cost each plus their message, stack
    trace and metadata) and what its request keeps besides (``held_bytes``, its body); rows
    encoded natively, their bytes."""
    if submission.encoded is not None:
        return submission.held_bytes + submission.encoded.held_bytes
    text = 0
    for row in submission.rows:
        stack, metadata = row[_STACK], row[_METADATA]
        text += len(row[_MESSAGE]) + (len(stack) if stack else 0) + (len(metadata) if metadata else 0)
    return submission.held_bytes + ROW_BYTES * len(submission.rows) + text


@dataclass
class BatcherStats:
    committed_rows: int = 0
    committed_batches: int = 0
    refused_rows: int = 0
    replayed_submissions: int = 0
    retried_batches: int = 0
    failed_batches: int = 0
    overloaded_submissions: int = 0
    # Submissions answered 503 at their deadline, nothing of them stored.
    timed_out_submissions: int = 0
    # Submissions whose clients left before their batch committed: left out of it, not stored.
    abandoned_submissions: int = 0


@dataclass(frozen=True, slots=True)
class _Refusal:
    """A "retry later" answer, as data: the waiter raises an exception of its own from it."""

    kind: type[RetryLaterError]
    message: str
    retry_after_s: int

    def error(self) -> RetryLaterError:
        return self.kind(self.message, self.retry_after_s)


_Answer = SubmissionResult | _Refusal
_GONE = _Refusal(
    RetryLaterError,
    "the client left before this request was committed: nothing of it was stored; send it again",
    1,
)


@dataclass(eq=False, slots=True)
class _Entry:
    """One submission waiting in the batcher; ``submission`` is None once it was answered."""

    submission: Submission | None
    future: asyncio.Future[_Answer]
    rows: int
    size: int
    deadline: float  # loop time
    batch: _Batch
    timer: asyncio.TimerHandle | None = None


class Arrival:
    """One request on its way to the batcher (its body read, decoded, mapped): while any is, an
    open batch may wait for its rows. Ended by its submission or, if it submits nothing, by
    ``end()`` (the end of its ``with``)."""

    __slots__ = ("_batcher", "_on_its_way")

    def __init__(self, batcher: Batcher) -> None:
        self._batcher = batcher
        self._on_its_way = True
        batcher._arriving += 1

    def __enter__(self) -> Arrival:
        return self

    def __exit__(self, *_: object) -> None:
        self.end()

    def end(self) -> None:
        """The request submits nothing more: a batch waiting for it goes if nothing else is coming."""
        if self.arrived():
            self._batcher._seal_if_nothing_coming()

    def arrived(self) -> bool:
        """Count the request as arrived (the batcher does so as it submits); False if it was."""
        if not self._on_its_way:
            return False
        self._on_its_way = False
        self._batcher._arriving -= 1
        return True


@dataclass(eq=False)
class _Batch:
    entries: list[_Entry] = field(default_factory=list)
    rows: int = 0  # of the entries not answered yet
    # A write of it is in flight: its entries wait for the outcome, they cannot be withdrawn.
    writing: bool = False


class Batcher:
    def __init__(
        self,
        writer: LogWriter,
        *,
        batch_rows: int,
        flush_interval_s: float,
        max_pending_rows: int,
        commit_timeout_s: float,
        writers: int,
        max_pending_bytes: int = 128 * MIB,
    ) -> None:
        self._writer = writer
        self._batch_rows = batch_rows
        self._flush_interval_s = flush_interval_s
        self._max_pending_rows = max_pending_rows
        self._max_pending_bytes = max_pending_bytes
        self._commit_timeout_s = commit_timeout_s
        self._writer_count = writers
        self._open = _Batch()
        self._sealed: asyncio.Queue[_Batch | None] = asyncio.Queue()
        self._flush_timer: asyncio.TimerHandle | None = None
        self._pending_rows = 0
        self._pending_bytes = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._probe: asyncio.Task[None] | None = None
        self._unavailable: str | None = None  # why PostgreSQL cannot take logs now
        self._closing = False
        # Requests between their arrival and their submission (Arrival), and writer tasks
        # waiting for a batch: with none of the first and one of the second, nothing is gained
        # by keeping a batch open.
        self._arriving = 0
        self._idle_writers = 0
        self.stats = BatcherStats()

    @property
    def pending_rows(self) -> int:
        return self._pending_rows

    @property
    def pending_bytes(self) -> int:
        return self._pending_bytes

    @property
    def arriving(self) -> int:
        """Requests announced (``arrival``) and not submitted yet."""
        return self._arriving

    @property
    def storage_error(self) -> str | None:
        return self._unavailable

    async def database_reachable(self) -> bool:
        return await self._writer.ping()

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._write_loop(), name=f"loglens-writer-{n}") for n in range(self._writer_count)
        ]

    async def stop(self) -> None:
        """Refuse new submissions, commit everything accepted, then stop the writer tasks."""
        self._closing = True
        self._seal()
        for _ in self._tasks:
            self._sealed.put_nowait(None)
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self._probe is not None:
            self._probe.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._probe

    def arrival(self) -> Arrival:
        """Announce a request that will be submitted (``with batcher.arrival() as arrival:``, then
        ``submit(..., arrival)``): until it is, an open batch waits for it (at most its timer)."""
        return Arrival(self)

    def _nothing_coming(self) -> bool:
        """No request on its way and a writer with nothing to write: an open batch goes now."""
        return self._arriving == 0 and self._idle_writers > self._sealed.qsize()

    def _seal_if_nothing_coming(self) -> None:
        if self._open.entries and self._nothing_coming():
            self._seal()

    async def submit(self, submission: Submission, arrival: Arrival | None = None) -> SubmissionResult:
        """Wait until the submission's rows are committed; raise ``RetryLaterError`` if they cannot
        be (then nothing of them is stored). ``arrival``, the request's announcement, ends as its
        rows join the open batch (refused, the request is still on its way: it may retry)."""
        if self._closing:
            raise RetryLaterError("loglens is shutting down; send again to the restarted collector", 2)
        if self._unavailable is not None:
            raise StorageUnavailableError(self._unavailable, UNAVAILABLE_RETRY_AFTER_S)
        rows = submission.row_count
        size = approximate_bytes(submission)
        self._refuse_if_saturated(rows, size)
        if arrival is not None:
            arrival.arrived()
        loop = asyncio.get_running_loop()
        entry = _Entry(
            submission, loop.create_future(), rows, size, loop.time() + self._commit_timeout_s, self._open
        )
        entry.timer = loop.call_at(entry.deadline, self._expire, entry)
        self._pending_rows += rows
        self._pending_bytes += size
        self._open.entries.append(entry)
        self._open.rows += rows
        if self._open.rows >= self._batch_rows or self._nothing_coming():
            self._seal()
        elif self._flush_timer is None:
            self._flush_timer = loop.call_later(self._flush_interval_s, self._seal)
        del submission  # the entry holds it while it waits, and lets go of it once answered
        try:
            answer = await entry.future
        except asyncio.CancelledError:
            # The client is gone: its rows are withdrawn, or, its batch being written, left out of
            # the commit (the writer asks each submission just before it).
            if not self._withdraw(entry, None) and entry.submission is not None:
                entry.submission.abandoned = True
            raise
        if isinstance(answer, _Refusal):
            raise answer.error()
        return answer

    def _refuse_if_saturated(self, rows: int, size: int) -> None:
        if self._pending_rows == 0:
            return  # one request larger than the limits is taken alone, or it would never be
        if self._pending_rows + rows > self._max_pending_rows:
            behind = f"{self._pending_rows} rows behind (limit {self._max_pending_rows}, LOGLENS_MAX_PENDING_ROWS)"
        elif self._pending_bytes + size > self._max_pending_bytes:
            behind = (
                f"{self._pending_rows} rows behind, {self._pending_bytes / MIB:.1f} MiB "
                f"(limit {self._max_pending_bytes / MIB:.1f} MiB, LOGLENS_MAX_PENDING_BYTES)"
            )
        else:
            return
        self.stats.overloaded_submissions += 1
        raise OverloadedError(f"the writer is {behind}; retry shortly", 1)

    def _seal(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if self._open.entries:
            self._sealed.put_nowait(self._open)
            self._open = _Batch()

    def _expire(self, entry: _Entry) -> None:
        """At an entry's deadline: withdraw it unless its batch is being written (then the write's
        time limit, that deadline at the latest, answers it)."""
        entry.timer = None
        self._time_out(entry)

    def _time_out(self, entry: _Entry) -> None:
        if self._withdraw(entry, self._timeout_refusal("the database is slow")):
            self.stats.timed_out_submissions += 1

    def _timeout_refusal(self, cause: str) -> _Refusal:
        return _Refusal(
            CommitTimeoutError,
            f"PostgreSQL did not commit this request within {self._commit_timeout_s:g} s "
            f"(LOGLENS_COMMIT_TIMEOUT_S; {cause}): nothing of it was stored; retry",
            TIMEOUT_RETRY_AFTER_S,
        )

    def _withdraw(self, entry: _Entry, answer: _Refusal | None) -> bool:
        """Take an entry out of its batch, nothing of it stored; False when it cannot be (answered
        already, or its batch is being written)."""
        if entry.submission is None or entry.batch.writing:
            return False
        entry.batch.rows -= entry.rows
        self._answer(entry, answer)
        return True

    def _answer(self, entry: _Entry, answer: _Answer | None) -> None:
        """Tell the waiter (unless it is gone) and let go of everything the entry held."""
        if entry.submission is None:
            return
        entry.submission = None
        self._pending_rows -= entry.rows
        self._pending_bytes -= entry.size
        if entry.timer is not None:
            entry.timer.cancel()
            entry.timer = None
        if answer is not None and not entry.future.done():
            entry.future.set_result(answer)

    async def _next_batch(self) -> _Batch | None:
        """The next sealed batch; an open one is sealed now if nothing more is coming for it."""
        if self._sealed.empty() and self._arriving == 0 and self._open.entries and not self._closing:
            self._seal()
        self._idle_writers += 1
        try:
            return await self._sealed.get()
        finally:
            self._idle_writers -= 1

    async def _write_loop(self) -> None:
        while (batch := await self._next_batch()) is not None:
            try:
                await self._write_with_retries(batch)
            except Exception as error:  # a bug: never leave a submitter waiting forever
                log.exception("unexpected error while writing a batch")
                self._answer_all(
                    batch,
                    _Refusal(StorageUnavailableError, f"internal error while storing logs: {error}", 2),
                )
            finally:
                batch.writing = False
                batch.entries.clear()

    async def _write_with_retries(self, batch: _Batch) -> None:
        loop = asyncio.get_running_loop()
        for attempt in itertools.count():
            entries = self._ready_to_write(batch, loop.time())
            if not entries:
                return
            limit_s = min(entry.deadline for entry in entries) - loop.time()
            batch.writing = True
            try:
                outcomes = await self._writer.write(
                    [entry.submission for entry in entries if entry.submission is not None], timeout_s=limit_s
                )
            except CommitTimeoutError as error:
                batch.writing = False
                self.stats.failed_batches += 1
                self.stats.timed_out_submissions += len(entries)
                log.warning(
                    "a batch of %d rows was rolled back: %s; its requests are told to retry", batch.rows, error
                )
                self._answer_all(batch, self._timeout_refusal(str(error)))
                return
            except StorageUnavailableError as error:
                batch.writing = False
                self._mark_unavailable(error)
                self.stats.retried_batches += 1
                # Meanwhile each entry is withdrawn at its deadline: the loop ends when none is left.
                await asyncio.sleep(RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S) - 1)])
                continue
            batch.writing = False
            self._unavailable = None
            self._record(entries, outcomes)
            return

    def _ready_to_write(self, batch: _Batch, now: float) -> list[_Entry]:
        """The entries still waiting; those too close to their deadline are answered "retry" now."""
        entries = []
        for entry in batch.entries:
            if entry.submission is None:
                continue
            if entry.deadline - now < MIN_WRITE_S:
                self._time_out(entry)
            else:
                entries.append(entry)
        if not entries and batch.entries:
            self.stats.failed_batches += 1
            log.warning(
                "a batch was not written within the commit timeout (%g s, LOGLENS_COMMIT_TIMEOUT_S): "
                "its requests were told to retry, nothing of them stored",
                self._commit_timeout_s,
            )
        return entries

    def _answer_all(self, batch: _Batch, refusal: _Refusal) -> None:
        for entry in batch.entries:
            self._answer(entry, refusal)
        batch.rows = 0

    def _record(self, entries: list[_Entry], outcomes: list[SubmissionResult]) -> None:
        for entry, outcome in zip(entries, outcomes, strict=True):
            if outcome.gone:
                self.stats.abandoned_submissions += 1
                self._answer(entry, _GONE)  # nobody listens; said for the record
                continue
            if outcome.replayed_receipt is not None:
                self.stats.replayed_submissions += 1
            if entry.submission is not None:
                self.stats.committed_rows += outcome.stored(entry.submission)
            self.stats.refused_rows += len(outcome.refused)
            self._answer(entry, outcome)
        self.stats.committed_batches += 1

    def refuse_until_reachable(self, cause: str) -> None:
        """Answer every submission "retry later" (503) until PostgreSQL answers again: for a
        collector that started while the database was away (its writer opens at the next write)."""
        self._mark_unavailable(StorageUnavailableError(cause))

    def _mark_unavailable(self, error: StorageUnavailableError) -> None:
        if self._unavailable is None:
            log.warning("%s; refusing new logs until it is back", error)
            self._unavailable = f"{error}; retry shortly"
            self._probe = asyncio.create_task(self._probe_until_available(), name="loglens-storage-probe")

    async def _probe_until_available(self) -> None:
        while self._unavailable is not None:
            await asyncio.sleep(PROBE_INTERVAL_S)
            if await self._writer.ping():
                log.warning("PostgreSQL is reachable again; accepting logs")
                self._unavailable = None
