"""kill -9 under JSON, OTLP (the OpenTelemetry SDK) and forward load: of one worker (the
supervisor starts another, the clients resend to the others), and of loglens's whole process
group (started again on the same ports and database; the clients resend what was not
acknowledged). Nothing acknowledged is lost, JSON and forward store nothing twice; OTLP has no
keys, so a batch committed whose answer the kill cut off is stored again (at-least-once):
reported, not asserted."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import psutil
import pytest

from tests.conftest import eventually, serving
from tests.faults.harness import (
    WORKERS,
    acked_counts,
    acknowledged_more,
    assert_delivery,
    assert_delivery_across_restart,
    finish,
    kill_group,
    new_tag,
    proves_recovery,
    start,
    start_again,
    stop,
    under_load,
    wait_until_serving,
)

BACK_WITHIN_S = 5.0  # the acceptance: a killed worker is back within 5 s
MARGIN_S = 5.0  # for a busy machine: the clients share its cores with loglens


async def test_a_worker_killed_under_load_loses_nothing_acknowledged(dsn: str, tmp_path: Path) -> None:
    began = time.monotonic()
    running = start(dsn, tmp_path)
    try:
        before = await wait_until_serving(running)
        tag = new_tag()
        async with under_load(running, tag) as loads:
            await acknowledged_more(loads, by=300)
            # A worker holding forward clients' connections: the kill cuts them off mid-stream.
            await eventually(lambda: any(_clients_of(pid, running.forward_port) for pid in before), within_s=10)
            victim = next(pid for pid in sorted(before) if _clients_of(pid, running.forward_port))
            os.kill(victim, signal.SIGKILL)
            killed_at, at_kill = time.monotonic(), acked_counts(loads)
            await eventually(
                lambda: victim not in serving(running) and len(serving(running)) == WORKERS,
                within_s=BACK_WITHIN_S + MARGIN_S,
            )
            back_s = time.monotonic() - killed_at
            assert before - {victim} <= serving(running), "the healthy worker was restarted too"
            await acknowledged_more(loads, at_kill, by=300)
            outcomes = await finish(
                f"kill -9 of a worker (back in {back_s:.1f} s)", dsn, tag, loads, time.monotonic() - began
            )
        assert_delivery(outcomes)
        await proves_recovery(running, dsn)
    finally:
        stop(running)


def _clients_of(pid: int, port: int) -> int:
    """Connections the worker ``pid`` has accepted on ``port``."""
    try:
        connections = psutil.Process(pid).net_connections(kind="tcp")
    except psutil.NoSuchProcess:
        return 0
    return sum(1 for c in connections if c.status == psutil.CONN_ESTABLISHED and c.laddr.port == port)


@pytest.mark.faults
@pytest.mark.timeout(300)
async def test_the_whole_group_killed_under_load_then_started_again_loses_nothing_acknowledged(
    dsn: str, tmp_path: Path
) -> None:
    began = time.monotonic()
    first = start(dsn, tmp_path)
    second = None
    try:
        await wait_until_serving(first)
        tag = new_tag()
        async with under_load(first, tag, clients=8) as loads:
            await acknowledged_more(loads, by=500)
            kill_group(first)  # parent and workers at once: nothing can flush or answer
            second, at_kill, restart_s = await start_again(first, dsn, tmp_path, tag, loads, time.monotonic())
            await acknowledged_more(loads, at_kill, by=500)
            outcomes = await finish(
                f"kill -9 of the process group (started again in {restart_s:.1f} s)",
                dsn,
                tag,
                loads,
                time.monotonic() - began,
            )
        await assert_delivery_across_restart(outcomes, second, dsn)
    finally:
        stop(first)
        if second is not None:
            stop(second)
