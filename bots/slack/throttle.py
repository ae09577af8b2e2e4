"""Pacing Slack writes: one streaming message's updates, and each user's questions.

``PacedUpdates`` keeps chat.update within Slack's rate limits while an answer streams: the
newest view of the message is sent at most once per interval (older views are dropped, never
queued), and the final view is always sent, last. ``QuestionLimit`` is a token bucket per
user: a burst of questions is fine, a flood is refused with the wait until the next one.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

log = logging.getLogger(__name__)

View = TypeVar("View")


class PacedUpdates(Generic[View]):
    """Sends the newest view at most once per ``interval_s``; ``finish`` sends the last one.

    The clock starts at creation, because the message was just posted: Slack counts that
    write too. The final view is not held back by the interval (a fast answer should not wait
    a second to appear), but it waits for an update in flight, so that it lands last.
    """

    def __init__(self, send: Callable[[View], Awaitable[None]], interval_s: float) -> None:
        self._send = send
        self._interval = interval_s
        self._latest: View | None = None
        self._last_write = time.monotonic()
        self._changed = asyncio.Event()
        self._sending = asyncio.Lock()
        self._finished = False
        self._pacer = asyncio.create_task(self._pace())
        self.sent = 0

    def show(self, view: View) -> None:
        """Make ``view`` the next one to send; a view not yet sent is replaced, not queued."""
        if not self._finished:
            self._latest = view
            self._changed.set()

    async def finish(self, view: View) -> None:
        self._finished = True
        async with self._sending:  # an update in flight completes first, so that this one wins
            self._pacer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._pacer
        await self._deliver(view)

    async def _pace(self) -> None:
        while True:
            await self._changed.wait()
            await asyncio.sleep(max(0.0, self._last_write + self._interval - time.monotonic()))
            async with self._sending:
                self._changed.clear()
                view, self._latest = self._latest, None
                if view is not None:
                    await self._deliver(view)

    async def _deliver(self, view: View) -> None:
        try:
            await self._send(view)
            self.sent += 1
        except Exception:  # one lost progress update must not end the answer
            log.warning("could not update the Slack message", exc_info=True)
        finally:
            self._last_write = time.monotonic()


class QuestionLimit:
    """A token bucket per user: ``per_minute`` questions at once, then one every 60/per_minute s."""

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._capacity = float(per_minute)
        self._refill_per_s = per_minute / 60.0
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}  # user -> (tokens, when counted)

    @property
    def per_minute(self) -> int:
        return int(self._capacity)

    def take(self, user: str) -> float:
        """0 when ``user`` may ask now (a token is spent); else the seconds until they may."""
        now = self._clock()
        tokens, counted = self._buckets.get(user, (self._capacity, now))
        tokens = min(self._capacity, tokens + (now - counted) * self._refill_per_s)
        if tokens >= 1:
            self._buckets[user] = (tokens - 1, now)
            self._forget_idle(now)
            return 0.0
        self._buckets[user] = (tokens, now)
        return (1 - tokens) / self._refill_per_s

    def _forget_idle(self, now: float) -> None:
        # A full bucket is the same as no bucket: drop those so that memory follows active users.
        if len(self._buckets) > 10_000:
            full_after = self._capacity / self._refill_per_s
            self._buckets = {user: state for user, state in self._buckets.items() if now - state[1] < full_after}
