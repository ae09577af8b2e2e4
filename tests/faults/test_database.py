"""The database under JSON, OTLP and forward load: stopped for 15 s (a PostgreSQL the test
started itself), a worker killed -9 in the middle of it, and its logs table locked for 10 s.
The clients hear "retry later" (503 with Retry-After; the forward connection closed without an
ack) or time out, and resend; the worker killed during the outage is back, serving, within 5 s
(it does not wait for the database); nothing acknowledged is lost, JSON and forward store
nothing twice, and logs are stored again once the database is back."""

from __future__ import annotations

import asyncio
import functools
import os
import signal
import time
from pathlib import Path

import aiohttp
import asyncpg
import pytest

from loglens.database.embedded import EmbeddedPostgres
from tests.conftest import eventually, serving
from tests.faults.harness import (
    acked_counts,
    acknowledged_more,
    assert_delivery,
    finish,
    new_tag,
    proves_recovery,
    replaced,
    start,
    stop,
    under_load,
    wait_until_serving,
)

OUTAGE_S = 15.0
LOCK_S = 10.0
BACK_WITHIN_S = 5.0  # the acceptance: workers back within 5 s of any kill, in an outage too

pytestmark = [pytest.mark.faults, pytest.mark.timeout(300)]


async def test_the_database_stopped_for_15_s_under_load(
    own_postgres: EmbeddedPostgres, own_dsn: str, tmp_path: Path
) -> None:
    began = time.monotonic()
    running = start(own_dsn, tmp_path)
    try:
        await wait_until_serving(running)
        tag = new_tag()
        async with under_load(running, tag, clients=8) as loads:
            await acknowledged_more(loads, by=300)
            await asyncio.to_thread(own_postgres.stop)
            stopped_at = time.monotonic()
            await eventually(lambda: loads[0].tally.answers["503"] > 0, within_s=OUTAGE_S)
            victim = min(serving(running))
            os.kill(victim, signal.SIGKILL)
            killed_at = time.monotonic()
            await eventually(functools.partial(replaced, running, victim), within_s=BACK_WITHIN_S)
            back_s = time.monotonic() - killed_at
            answered = loads[0].tally.answers["503"]
            # Every worker answers "retry later": the JSON clients, on new connections each, keep
            # hearing 503 after the replacement serves.
            await eventually(lambda: loads[0].tally.answers["503"] > answered + 20, within_s=OUTAGE_S)
            await asyncio.sleep(max(0.0, OUTAGE_S - (time.monotonic() - stopped_at)))  # the outage itself
            refused = dict(loads[0].tally.answers)
            await asyncio.to_thread(own_postgres.start)
            back = acked_counts(loads)
            await acknowledged_more(loads, back, by=300)
            outcomes = await finish(
                f"database stopped {OUTAGE_S:g} s, a worker killed in it (back in {back_s:.1f} s)",
                own_dsn,
                tag,
                loads,
                time.monotonic() - began,
            )
        assert refused.get("503", 0) > 0, f"the outage was not noticed by the JSON clients: {refused}"
        assert_delivery(outcomes)
        await proves_recovery(running, own_dsn)
    finally:
        stop(running)


async def test_the_logs_table_locked_for_10_s_under_load(dsn: str, tmp_path: Path) -> None:
    began = time.monotonic()
    running = start(dsn, tmp_path)
    try:
        await wait_until_serving(running)
        tag = new_tag()
        async with under_load(running, tag, clients=8) as loads:
            await acknowledged_more(loads, by=300)
            locker = await asyncpg.connect(dsn)
            try:
                lock = locker.transaction()
                await lock.start()
                await locker.execute("LOCK TABLE logs IN ACCESS EXCLUSIVE MODE")
                locked_at = time.monotonic()
                health_s = await _health_latency(running.http_url)
                await asyncio.sleep(max(0.0, LOCK_S - (time.monotonic() - locked_at)))  # the lock itself
                await lock.rollback()
            finally:
                await locker.close()
            during_lock = {load.tally.protocol: dict(load.tally.answers) for load in loads}
            unlocked = acked_counts(loads)
            await acknowledged_more(loads, unlocked, by=300)
            outcomes = await finish(
                f"logs table locked {LOCK_S:g} s (/health answered in {health_s:.2f} s during the lock)",
                dsn,
                tag,
                loads,
                time.monotonic() - began,
            )
        json_waited = during_lock["json"].get("timeout", 0) + during_lock["json"].get("503", 0)
        assert json_waited > 0, f"no JSON client felt the lock: {during_lock['json']}"
        # Back-pressure at the commit timeout: a request told to retry is not committed later, so
        # the SDK's resends after the lock store nothing twice (34 duplicates before it).
        assert_delivery(outcomes, otlp_duplicates_allowed=False)
        await proves_recovery(running, dsn)
    finally:
        stop(running)


async def _health_latency(url: str) -> float:
    """How long /health takes to answer while the table is locked (at most the lock's time)."""
    began = time.monotonic()
    timeout = aiohttp.ClientTimeout(total=LOCK_S)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, session.get(f"{url}/health") as response:
            await response.read()
    except TimeoutError:
        return LOCK_S
    return time.monotonic() - began
