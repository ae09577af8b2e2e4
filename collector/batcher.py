"""One batcher between every receiver and PostgreSQL.

Receivers ``submit`` the rows of a request and wait; the batcher gathers submissions into a
batch until it holds ``batch_rows`` rows or ``flush_interval`` has passed since its first
submission, and hands sealed batches to a few writer tasks, each COPYing over its own
connection. A submission's future resolves only after its batch committed, so a receiver
acknowledges only what is on disk.

Memory is bounded by ``max_pending_rows`` (accepted but not yet committed): past it, a
submission is refused at once with ``OverloadedError`` and the client retries later. While the
database is unreachable, submissions are refused at once with ``StorageUnavailableError`` instead
of piling up; a probe notices when it is back. A batch whose commit fails for a lost
connection is retried until ``commit_timeout`` has passed since it was sealed, then its
submitters are told to retry: they were never acknowledged, so nothing acknowledged is lost.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field

from loglens.collector.storage.writer import LogWriter, Submission, SubmissionResult
from loglens.errors import OverloadedError, RetryLaterError, StorageUnavailableError

log = logging.getLogger(__name__)

PROBE_INTERVAL_S = 0.5
RETRY_BACKOFF_S = (0.05, 0.1, 0.25, 0.5, 1.0)


@dataclass
class BatcherStats:
    committed_rows: int = 0
    committed_batches: int = 0
    refused_rows: int = 0
    replayed_submissions: int = 0
    retried_batches: int = 0
    failed_batches: int = 0
    overloaded_submissions: int = 0


@dataclass(eq=False)
class _Batch:
    items: list[tuple[Submission, asyncio.Future[SubmissionResult]]] = field(default_factory=list)
    rows: int = 0


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
    ) -> None:
        self._writer = writer
        self._batch_rows = batch_rows
        self._flush_interval_s = flush_interval_s
        self._max_pending_rows = max_pending_rows
        self._commit_timeout_s = commit_timeout_s
        self._writer_count = writers
        self._open = _Batch()
        self._sealed: asyncio.Queue[_Batch | None] = asyncio.Queue()
        self._flush_timer: asyncio.TimerHandle | None = None
        self._pending_rows = 0
        self._tasks: list[asyncio.Task[None]] = []
        self._probe: asyncio.Task[None] | None = None
        self._unavailable: StorageUnavailableError | None = None
        self._closing = False
        self.stats = BatcherStats()

    @property
    def pending_rows(self) -> int:
        return self._pending_rows

    @property
    def storage_error(self) -> str | None:
        return None if self._unavailable is None else str(self._unavailable)

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

    async def submit(self, submission: Submission) -> SubmissionResult:
        """Wait until the submission's rows are committed; raise ``RetryLaterError`` if they cannot be."""
        size = len(submission.rows)
        if self._closing:
            raise RetryLaterError("loglens is shutting down; send again to the restarted collector", 2)
        if self._unavailable is not None:
            raise self._unavailable
        if self._pending_rows + size > self._max_pending_rows and self._pending_rows > 0:
            self.stats.overloaded_submissions += 1
            raise OverloadedError(
                f"the writer is {self._pending_rows} rows behind (limit {self._max_pending_rows}); retry shortly",
                1,
            )
        future: asyncio.Future[SubmissionResult] = asyncio.get_running_loop().create_future()
        self._pending_rows += size
        self._open.items.append((submission, future))
        self._open.rows += size
        if self._open.rows >= self._batch_rows:
            self._seal()
        elif self._flush_timer is None:
            self._flush_timer = asyncio.get_running_loop().call_later(self._flush_interval_s, self._seal)
        return await future

    def _seal(self) -> None:
        if self._flush_timer is not None:
            self._flush_timer.cancel()
            self._flush_timer = None
        if self._open.items:
            self._sealed.put_nowait(self._open)
            self._open = _Batch()

    async def _write_loop(self) -> None:
        while (batch := await self._sealed.get()) is not None:
            try:
                await self._write_with_retries(batch)
            finally:
                self._pending_rows -= batch.rows

    async def _write_with_retries(self, batch: _Batch) -> None:
        deadline = time.monotonic() + self._commit_timeout_s
        submissions = [submission for submission, _ in batch.items]
        for attempt in range(1_000_000):
            try:
                outcomes = await self._writer.write(submissions)
            except StorageUnavailableError as error:
                self._mark_unavailable(error)
                pause = RETRY_BACKOFF_S[min(attempt, len(RETRY_BACKOFF_S) - 1)]
                if time.monotonic() + pause >= deadline:
                    self.stats.failed_batches += 1
                    log.warning(
                        "giving up on a batch of %d rows after %d attempts: %s",
                        batch.rows,
                        attempt + 1,
                        error,
                    )
                    _fail(batch, error)
                    return
                self.stats.retried_batches += 1
                await asyncio.sleep(pause)
            except Exception as error:  # a bug: never leave a submitter waiting forever
                log.exception("unexpected error while writing a batch")
                _fail(batch, StorageUnavailableError(f"internal error while storing logs: {error}"))
                return
            else:
                self._unavailable = None
                self._record(batch, outcomes)
                return

    def _record(self, batch: _Batch, outcomes: list[SubmissionResult]) -> None:
        for (submission, future), outcome in zip(batch.items, outcomes, strict=True):
            if outcome.replayed_receipt is not None:
                self.stats.replayed_submissions += 1
            self.stats.committed_rows += outcome.stored(submission)
            self.stats.refused_rows += len(outcome.refused)
            if not future.done():
                future.set_result(outcome)
        self.stats.committed_batches += 1

    def _mark_unavailable(self, error: StorageUnavailableError) -> None:
        if self._unavailable is None:
            log.warning("%s; refusing new logs until it is back", error)
            self._unavailable = StorageUnavailableError(f"{error}; retry shortly", 2)
            self._probe = asyncio.create_task(self._probe_until_available(), name="loglens-storage-probe")

    async def _probe_until_available(self) -> None:
        while self._unavailable is not None:
            await asyncio.sleep(PROBE_INTERVAL_S)
            if await self._writer.ping():
                log.warning("PostgreSQL is reachable again; accepting logs")
                self._unavailable = None


def _fail(batch: _Batch, error: StorageUnavailableError) -> None:
    for _, future in batch.items:
        if not future.done():
            future.set_exception(error)
