"""SIGTERM under JSON, OTLP and forward load: loglens stops cleanly and everything it
acknowledged is committed by then; started again on the same ports, it serves within 2 s of the
old process's exit, takes what the clients resend, and stores nothing twice where the protocol
has keys."""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path

from tests.faults.harness import (
    acknowledged_more,
    assert_delivery_across_restart,
    finish,
    new_tag,
    start,
    start_again,
    stop,
    under_load,
    wait_until_serving,
)

RESTART_WITHIN_S = 2.0


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
            exited_at = time.monotonic()
            assert first.process.returncode == 0, first.output()
            second, at_stop, restart_s = await start_again(first, dsn, tmp_path, tag, loads, exited_at)
            await acknowledged_more(loads, at_stop, by=300)
            outcomes = await finish(
                f"SIGTERM (restarted in {restart_s:.1f} s)", dsn, tag, loads, time.monotonic() - began
            )
        await assert_delivery_across_restart(outcomes, second, dsn)
        # The acceptance, last so that a slow start does not hide the delivery's outcome:
        # from the old process's exit to the new one accepting on every port.
        # Measured 2.1 to 3.2 s on the 2-core machine on 2 December 2026 while the new parent imported
        # the agent's side (about 1 s) before starting collector workers; 1.3 to 1.4 s since
        # loglens/run.py imports the read side only where it is first needed.
        assert restart_s < RESTART_WITHIN_S, f"started again {restart_s:.2f} s after the stop, not within 2 s"
    finally:
        stop(first)
        if second is not None:
            stop(second)
