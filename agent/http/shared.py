"""What every route module of the agent's HTTP surface uses alike."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

import orjson


def dumps(value: Any) -> str:
    """JSON for aiohttp's ``json_response`` and ``send_str`` (orjson: datetimes, Decimals, fast)."""
    return orjson.dumps(value).decode()


async def cancel_and_wait(task: asyncio.Task[None] | None) -> None:
    """Stop a socket's running task (a question, a tail) and wait until it has stopped."""
    if task is not None and not task.done():
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await task
