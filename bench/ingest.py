"""End-to-end ingest through OTLP/HTTP against PostgreSQL's own limit, in one run.

1. Generates realistic logs (the demo scenarios: backends, workers, front ends, an incident),
   as OTLP protobuf requests of 1000 records, gzip-compressed: the gzip saving is measured.
2. Runs a real ``loglens up`` on a fresh embedded PostgreSQL and sends every request over
   several connections; a request counts when answered 200, i.e. committed.
3. Exports the stored rows to CSV and loads the same rows into the same table with
   ``psql \\copy``: the rate PostgreSQL itself sustains on this machine.
4. Prints both rates, their ratio, the gzip saving, the server's peak memory, and where the
   CPU went: seconds of CPU per record in the collector's processes and in PostgreSQL's. On
   two cores, the sum bounds the end-to-end rate whatever the concurrency.

    python -m bench.ingest [--records 200000] [--connections 4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gzip
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg
import psutil

from bench.report import Report
from loglens.collector.rows import COLUMNS
from loglens.database.embedded import POSTGRES_BIN_PATH, EmbeddedPostgres
from loglens.database.migrate import migrate
from loglens.demo import otlp, scenario

MISSION_LOGS_PER_S = 19_231


def build_requests(count: int) -> tuple[list[bytes], int, int]:
    """Gzipped OTLP request bodies; returns them with the raw and compressed byte totals."""
    now = dt.datetime.now(dt.UTC)
    records = scenario.Gen(dict(scenario.DEFAULT_VOCAB), seed=11, now=now).all(count)
    bodies, raw_total, gzip_total = [], 0, 0
    for request in otlp.export_requests(records, batch_size=1000):
        raw = request.SerializeToString()
        compressed = gzip.compress(raw, compresslevel=6)
        bodies.append(compressed)
        raw_total += len(raw)
        gzip_total += len(compressed)
    return bodies, raw_total, gzip_total


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A ``loglens up`` process and its ports."""

    process: subprocess.Popen[bytes]
    http_port: int
    forward_port: int


def start_server(dsn: str, log_path: Path) -> Server:
    port, forward_port = free_port(), free_port()
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LOGLENS_")}
    environment.update(LOGLENS_DATABASE_URL=dsn)
    with log_path.open("w") as log_file:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "loglens.cli",
                "up",
                "--otlp-http-port",
                str(port),
                "--otlp-grpc-port",
                str(free_port()),
                "--forward-port",
                str(forward_port),
            ],
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while "loglens is up" not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"loglens up did not start:\n{log_path.read_text()}")
        time.sleep(0.05)
    return Server(process, port, forward_port)


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User and system CPU of these processes so far (those that have exited count as 0)."""
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def process_tree(pid: int) -> list[psutil.Process]:
    root = psutil.Process(pid)
    return [root, *root.children(recursive=True)]


def postmaster_pid(server: EmbeddedPostgres) -> int:
    return int((server.pgdata / "postmaster.pid").read_text().split()[0])


def peak_rss_mb(pid: int) -> float:
    """Peak resident memory of the server: its process and its collector workers."""
    total_kb = 0
    for process in [psutil.Process(pid), *psutil.Process(pid).children(recursive=True)]:
        for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                total_kb += int(line.split()[1])
    return total_kb / 1024


async def send_all(bodies: list[bytes], url: str, connections: int) -> float:
    headers = {"Content-Type": "application/x-protobuf", "Content-Encoding": "gzip"}
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for body in bodies:
        queue.put_nowait(body)

    async def worker(session: aiohttp.ClientSession) -> None:
        while not queue.empty():
            body = queue.get_nowait()
            while True:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status == 200:
                        break
                    if response.status not in (429, 503):
                        raise RuntimeError(f"the collector answered {response.status}")
                await asyncio.sleep(0.05)

    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(connector=connector) as session:
        started = time.perf_counter()
        await asyncio.gather(*(worker(session) for _ in range(connections)))
        return time.perf_counter() - started


async def measure(records: int, connections: int, report: Report) -> None:
    work = Path(tempfile.mkdtemp(prefix="llb-"))
    server = EmbeddedPostgres(work)
    dsn = server.start()
    try:
        connection = await asyncpg.connect(dsn)
        await migrate(connection)

        bodies, raw_bytes, gzip_bytes = build_requests(records)
        loglens = start_server(dsn, work / "loglens.log")
        try:
            collector_before = cpu_seconds(collector := process_tree(loglens.process.pid))
            database_before = cpu_seconds(process_tree(postmaster_pid(server)))
            elapsed = await send_all(bodies, f"http://127.0.0.1:{loglens.http_port}/v1/logs", connections)
            # Backends that started during the run count from zero: list the tree again.
            database_cpu = cpu_seconds(process_tree(postmaster_pid(server))) - database_before
            collector_cpu = cpu_seconds(collector) - collector_before
            rss = peak_rss_mb(loglens.process.pid)
        finally:
            loglens.process.terminate()
            loglens.process.wait(30)
        stored = await connection.fetchval("SELECT count(*) FROM logs")
        end_to_end = stored / elapsed
        raw_copy = await raw_copy_rate(server, connection, work)
    finally:
        server.stop()

    report.section("Ingest: OTLP/HTTP protobuf+gzip, batches of 1000, end to end (acknowledged = committed)")
    report.row("records", f"{stored:,} ({records:,} background + planted scenarios), {connections} connections")
    report.row("end to end", f"{end_to_end:,.0f} logs/s")
    report.row("raw psql \\copy", f"{raw_copy:,.0f} logs/s (same rows, same table and indexes)")
    report.row(
        "ratio",
        f"{end_to_end / raw_copy:.2f} x raw copy; {end_to_end / MISSION_LOGS_PER_S:.1f} x the "
        f"mission's {MISSION_LOGS_PER_S:,} logs/s",
    )
    report.row(
        "gzip saving",
        f"{1 - gzip_bytes / raw_bytes:.0%} ({raw_bytes / 1e6:.1f} MB -> {gzip_bytes / 1e6:.1f} MB)",
    )
    report.row("server peak RSS", f"{rss:.0f} MB")
    collector_us, database_us = collector_cpu / stored * 1e6, database_cpu / stored * 1e6
    report.row(
        "CPU per record",
        f"collector {collector_us:.1f} µs, PostgreSQL {database_us:.1f} µs: at most "
        f"{os.cpu_count() or 1:,} cores / {collector_us + database_us:.1f} µs = "
        f"{(os.cpu_count() or 1) / (collector_us + database_us) * 1e6:,.0f} logs/s on this machine",
    )


async def raw_copy_rate(server: EmbeddedPostgres, connection: asyncpg.Connection, work: Path) -> float:
    """Rows per second ``psql \\copy`` loads the stored rows again at, into the emptied table."""
    stored = await connection.fetchval("SELECT count(*) FROM logs")
    csv_path = work / "rows.csv"
    columns = ", ".join(COLUMNS)
    await connection.copy_from_query(f"SELECT {columns} FROM logs", output=str(csv_path), format="csv")
    await connection.execute("TRUNCATE logs")
    await connection.execute("CHECKPOINT")
    await connection.close()
    psql = [str(POSTGRES_BIN_PATH / "psql"), "-X", "-q", server.dsn]
    started = time.perf_counter()
    copy = f"\\copy logs({columns}) FROM '{csv_path}' WITH (FORMAT csv)"
    await asyncio.to_thread(subprocess.run, [*psql, "-c", copy], check=True)
    return float(stored) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--connections", type=int, default=8)
    args = parser.parse_args()
    report = Report()
    asyncio.run(measure(args.records, args.connections, report))
    report.print()


if __name__ == "__main__":
    main()
