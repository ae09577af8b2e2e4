"""The CPU-heavy part of a large request (inflating, decoding, mapping), off the event loop.

A worker's event loop serves every connection it holds; a body that takes seconds to decode
would make all of them wait. Small bodies, nearly all of them, are handled inline (a thread
hop costs more than they do); past ``OFF_LOOP_BYTES`` (or ``OFF_LOOP_RECORDS``) the work runs
on a small pool of threads, so the loop goes on answering other clients meanwhile (the GIL
is handed back to it every few milliseconds). The pool is bounded: large bodies queue for
it rather than each taking a thread.
"""

from __future__ import annotations

import asyncio
import functools
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

OFF_LOOP_BYTES = 256 * 1024
OFF_LOOP_RECORDS = 2_000
THREADS = 2

P = ParamSpec("P")
T = TypeVar("T")

_pool: ThreadPoolExecutor | None = None
_pool_lock = threading.Lock()


def _executor() -> ThreadPoolExecutor:
    global _pool
    with _pool_lock:
        if _pool is None:
            _pool = ThreadPoolExecutor(max_workers=THREADS, thread_name_prefix="loglens-decode")
        return _pool


async def run(heavy: bool, function: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``function(*args, **kwargs)``: inline when not ``heavy``, else on the decoding threads."""
    if not heavy:
        return function(*args, **kwargs)
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(_executor(), functools.partial(function, *args, **kwargs))
