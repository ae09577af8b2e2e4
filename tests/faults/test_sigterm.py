"""SIGTERM under JSON, OTLP and forward load: loglens stops cleanly and everything it
acknowledged is committed by then; started again on the same ports, it serves within 2 s of the
old process's exit, takes what the clients resend, and stores nothing twice where the protocol
has keys."""

from __future__ import annotations

import asyncio
import signal
import statistics
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
# Three stops in a row, so that one stall of the shared 2-core machine (2.19 s once in a
# fresh-clone CI, against 1.3 to 1.4 s usually) does not decide the figure: their median does.
RESTARTS = 3


async def test_sigterm_under_load_commits_everything_acknowledged(dsn: str, tmp_path: Path) -> None:
    began = time.monotonic()
    running = [start(dsn, tmp_path)]
    try:
        await wait_until_serving(running[0])
        tag = new_tag()
        restarts: list[float] = []
        async with under_load(running[0], tag) as loads:
            at_stop = None
            for _ in range(RESTARTS):
                await acknowledged_more(loads, at_stop, by=300)
                stopping = running[-1]
                stopping.process.send_signal(signal.SIGTERM)
                await asyncio.to_thread(stopping.process.wait, 30)
                exited_at = time.monotonic()
                assert stopping.process.returncode == 0, stopping.output()
                again, at_stop, restart_s = await start_again(stopping, dsn, tmp_path, tag, loads, exited_at)
                running.append(again)
                restarts.append(restart_s)
            await acknowledged_more(loads, at_stop, by=300)
            seconds = ", ".join(f"{restart_s:.1f}" for restart_s in restarts)
            outcomes = await finish(
                f"SIGTERM x{RESTARTS} (restarted in {seconds} s)", dsn, tag, loads, time.monotonic() - began
            )
        await assert_delivery_across_restart(outcomes, running[-1], dsn)
        # The acceptance, last so that a slow start does not hide the delivery's outcome:
        # from the old process's exit to the new one accepting on every port.
        # Measured 2.1 to 3.2 s on the 2-core machine on 2 December 2026 while the new parent imported
        # the agent's side (about 1 s) before starting collector workers; 1.3 to 1.4 s since
        # loglens/run.py imports the read side only where it is first needed.
        median_s = statistics.median(restarts)
        assert median_s < RESTART_WITHIN_S, (
            f"started again in a median {median_s:.2f} s after a stop ({seconds}), not within 2 s"
        )
    finally:
        for process in running:
            stop(process)
