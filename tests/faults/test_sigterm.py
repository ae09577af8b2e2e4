"""SIGTERM under JSON, OTLP and forward load: loglens stops cleanly and everything it
acknowledged is committed by then; started again on the same ports, it takes what the clients
resend, and stores nothing twice where the protocol has keys."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from tests.faults.harness import (
    acked_counts,
    acknowledged_are_stored,
    acknowledged_more,
    assert_delivery,
    finish,
    new_tag,
    proves_recovery,
    start,
    stop,
    under_load,
    wait_until_serving,
)


async def test_sigterm_under_load_commits_everything_acknowledged(dsn: str, tmp_path: Path) -> None:
    began = time.monotonic()
    first = start(dsn, tmp_path)
    second = None
    try:
        await wait_until_serving(first)
        tag = new_tag()
        async with under_load(first, tag) as loads:
            await acknowledged_more(loads, by=300)
            first.process.send_signal(signal.SIGTERM)
            await asyncio.to_thread(first.process.wait, 30)
            assert first.process.returncode == 0, first.output()
            at_stop = acked_counts(loads)
            assert await acknowledged_are_stored(dsn, tag, loads) == {"json": 0, "otlp": 0, "forward": 0}
            stopped_at = time.monotonic()
            second = start(dsn, tmp_path, like=first)
            restart_s = time.monotonic() - stopped_at
            await wait_until_serving(second)
            await acknowledged_more(loads, at_stop, by=300)
            outcomes = await finish(
                f"SIGTERM (restarted in {restart_s:.1f} s)", dsn, tag, loads, time.monotonic() - began
            )
        assert outcomes["json"].retries.get("error", 0) > 0, "no JSON client met the stopped loglens"
        assert_delivery(outcomes)
        await proves_recovery(second, dsn)
    finally:
        stop(first)
        if second is not None:
            stop(second)
