"""Debian's rsyslog and syslog-ng sending over HTTP, each configured from its snippet in deploy/
(read here, so that the docs cannot drift from what is tested) with only the address, the port
and the token filled in: rsyslog's ``omelasticsearch`` in bulk mode into ``/_bulk``, syslog-ng's
scl ``elasticsearch-http()`` into ``/_bulk``, and syslog-ng's ``http()`` with its usual
``format-json --scope rfc5424`` body into ``/logs``, one object per request and batched. Each
is fed 10,000 RFC 5424 messages with known times on a TCP input of its own and must deliver
every one exactly once with its service, level, time (to the microsecond), message and host,
through loglens's ingest token (the snippets' user/password)."""

from __future__ import annotations

import asyncio
import subprocess
import time
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg
import orjson
import pytest

from loglens.collector.server import Collector
from tests import syslog_clients
from tests.conftest import settings_for_tests
from tests.syslog_clients import (
    RSYSLOG_INPUT,
    SYSLOG_NG_INPUT,
    SYSLOG_NG_SCL,
    assert_stored_once,
    connect_when_listening,
    feed,
    records,
)

COUNT = 10_000
TOKEN = "shipper-ingest-token"
DEPLOY = Path(__file__).resolve().parents[2] / "deploy"


@pytest.fixture
async def guarded(dsn: str) -> AsyncIterator[Collector]:
    """A collector that requires the ingest token, as the snippets expect when it is set."""
    running = Collector(settings_for_tests(ingest_token=TOKEN), dsn)
    await running.start()
    yield running
    await running.stop()


def snippet(name: str, collector: Collector, replacements: dict[str, str]) -> str:
    """deploy/<name> as users copy it, pointed at ``collector`` with the token, and ``replacements``."""
    text = (DEPLOY / name).read_text()
    for old, new in {
        "loglens.internal": "127.0.0.1",
        "loglens-host": "127.0.0.1",
        ":4318": f":{collector.ports.otlp_http}",
        '"4318"': f'"{collector.ports.otlp_http}"',
        "REPLACE-WITH-LOGLENS_INGEST_TOKEN": TOKEN,
        **replacements,
    }.items():
        if old in replacements:
            assert old in text, f"{name} no longer says {old}"
        text = text.replace(old, new)
    return text


async def run_through(
    daemon: subprocess.Popen[bytes], output: Path, input_port: int, db: asyncpg.Connection, run: str, *, pid: bool
) -> float:
    """The seconds from the first message fed to the last one stored."""
    try:
        sent = records(run, COUNT)
        connection = await connect_when_listening(input_port, daemon, output)
        started = time.perf_counter()
        await feed(connection, sent)
        await assert_stored_once(db, sent, sub_second=True, pid=pid, within_s=120)
        return time.perf_counter() - started
    finally:
        syslog_clients.stop(daemon)


async def test_rsyslog_omelasticsearch_in_bulk_mode(
    guarded: Collector, db: asyncpg.Connection, tmp_path: Path
) -> None:
    input_port = syslog_clients.free_tcp_port()
    errors = tmp_path / "errors.json"
    action = snippet(
        "elasticsearch/rsyslog.conf",
        guarded,
        {'errorfile="/var/log/rsyslog-loglens-errors.json"': f'errorfile="{errors}"'},
    )
    assert 'bulkmode="on"' in action
    config = RSYSLOG_INPUT.format(directory=tmp_path, input_port=input_port) + action
    daemon = syslog_clients.start_rsyslog(config, tmp_path)
    # The template sends no pid: rsyslog's snippet keeps to the fields a log line needs.
    await run_through(daemon, tmp_path / "rsyslog.out", input_port, db, "rsyslog-es", pid=False)
    # omelasticsearch writes what the bulk answers refused to its error file: nothing.
    assert not await asyncio.to_thread(errors.exists)
    index = await db.fetchval("SELECT DISTINCT metadata->>'_index' FROM logs")
    assert index == "rsyslog"


async def test_syslog_ng_elasticsearch_http(guarded: Collector, db: asyncpg.Connection, tmp_path: Path) -> None:
    input_port = syslog_clients.free_tcp_port()
    destination = snippet("elasticsearch/syslog-ng.conf", guarded, {})
    config = SYSLOG_NG_INPUT.format(input_port=input_port) + SYSLOG_NG_SCL + destination
    daemon = syslog_clients.start_syslog_ng(config, tmp_path)
    await run_through(daemon, tmp_path / "syslog-ng.out", input_port, db, "syslog-ng-es", pid=True)
    await assert_syslog_ng_extras(db)


@pytest.mark.parametrize("batched", [False, True], ids=["one-per-request", "batch-lines"])
async def test_syslog_ng_http_to_the_json_api(
    guarded: Collector, db: asyncpg.Connection, tmp_path: Path, batched: bool
) -> None:
    input_port = syslog_clients.free_tcp_port()
    batching = '    # batch-lines(500) batch-timeout(1000) delimiter("\\n")'
    destination = snippet(
        "syslog/syslog-ng-http.conf", guarded, {batching: batching.replace("# ", "") if batched else batching}
    )
    config = SYSLOG_NG_INPUT.format(input_port=input_port) + destination
    daemon = syslog_clients.start_syslog_ng(config, tmp_path)
    seconds = await run_through(daemon, tmp_path / "syslog-ng.out", input_port, db, f"http-{batched}", pid=True)
    print(f"syslog-ng http(), batched {batched}: {COUNT / seconds:.0f} messages/s")  # noqa: T201
    await assert_syslog_ng_extras(db)
    commits = guarded.batcher.stats.committed_batches
    if batched:
        assert commits <= COUNT / 100, f"{commits} commits: not batched"
        return
    # One worker sends one request at a time, each answered once committed: a commit each, and
    # not at the flush timer's pace (18 requests/s before; three times the timer's 20/s asserted).
    assert commits == COUNT, f"{commits} commits for {COUNT} messages: not one per request"
    timer_s = guarded.settings.flush_interval_ms / 1000
    assert COUNT / seconds > 3 / timer_s, f"{COUNT / seconds:.0f} requests/s: each waits for the flush timer"


async def assert_syslog_ng_extras(db: asyncpg.Connection) -> None:
    """What format-json --scope rfc5424 carries beyond the columns lands in metadata by name:
    the facility, the MSGID and the structured data."""
    rows = await db.fetch("SELECT message, metadata FROM logs WHERE message LIKE '% message 7'")
    assert len(rows) == 1, rows
    metadata = orjson.loads(rows[0]["metadata"])
    assert metadata["syslog.facility"] == "local0", metadata
    assert metadata["syslog.msgid"] == "ID7", metadata
    assert metadata["loglens@32473.seq"] == "7", metadata
    assert metadata["loglens@32473.note"] == 'a "quoted" ]', metadata
