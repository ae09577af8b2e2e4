"""End-to-end ingest through every receiver against PostgreSQL's own limit, in one run.

1. Generates realistic logs (the demo scenarios: backends, workers, front ends, an incident) and
   encodes the same records five ways, once, before anything is measured: OTLP protobuf
   requests of 1000 records gzipped (for OTLP/HTTP's Content-Encoding and, as gRPC's own
   message compression, for OTLP/gRPC: ``bench/grpc_raw.py`` sends them as they are), gzip
   NDJSON bodies of 1000 for ``/logs``, the same as Elasticsearch bulk bodies (an ``index`` action before
   each document) for ``/_bulk``, Loki ``PushRequest``s of 1000 entries, snappy-compressed (a
   stream per service, the record less its service and time as a JSON line, its time the entry's),
   gzip Splunk HEC bodies of 1000 concatenated events (the record as the event object, its time
   the envelope's), Fluentd PackedForward chunks of 1000 (acks awaited), and
   octet-counted RFC 5424 syslog over TCP (no answers: counted once committed, ``bench/syslog.py``),
   NUL-delimited GELF over TCP (the same, ``bench/gelf.py``).
2. Runs a real ``loglens up`` on a fresh embedded PostgreSQL, sends every record through it once
   unmeasured (``warm_up``: partitions and WAL files created), then, protocol by protocol into
   the emptied table, sends every body over several connections, each waiting for its answer
   before sending the next; a body counts when answered (200, OK, its ack), i.e. committed.
   Each answer's latency is kept: p50 and p99.
3. Exports the rows each protocol stored and loads them again into the emptied table with
   ``psql \\copy``: the rate PostgreSQL itself sustains for the same rows, in the same run, with
   the same durability (the same server and settings: every commit flushed).
4. Prints the rates, their ratio to raw copy, ack latency, and where the CPU went: seconds of
   CPU per record in the collector's processes, in PostgreSQL's and in the load generator (this
   process); on two cores their sum bounds the end-to-end rate whatever the concurrency. Then
   the collector's CPU stage by stage (decode, map, encode, COPY), native on and off, measured
   in this process (``bench/stages.py``).
5. One event per request from one synchronous connection: the requests/s a lone client gets
   (an answer does not wait out the batcher's flush timer).

With the native extension in the checkout, the server runs twice: native on, then
``LOGLENS_NATIVE=off``.

    python -m bench.ingest [--records 200000] [--connections 8] [--protocols otlp-http,json]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import datetime as dt
import gzip
import http.client
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg
import cramjam
import orjson
import psutil

from bench import gelf, grpc_raw, stages, syslog
from bench.forward import build_chunks, send_chunks
from bench.report import Report
from loglens.collector.mapping.logproto import push_pb2
from loglens.collector.rows import COLUMNS
from loglens.database.embedded import POSTGRES_BIN_PATH, EmbeddedPostgres
from loglens.database.migrate import migrate
from loglens.demo import otlp, scenario

MISSION_LOGS_PER_S = 19_231
BATCH = 1000
PROTOCOLS = ("otlp-http", "otlp-grpc", "json", "es-bulk", "loki", "hec", "forward", "syslog", "gelf")
TITLES = {
    "otlp-http": "OTLP/HTTP protobuf+gzip",
    "otlp-grpc": "OTLP/gRPC protobuf+gzip",
    "json": "JSON /logs gzip NDJSON",
    "es-bulk": "Elasticsearch /_bulk gzip",
    "loki": "Loki push snappy protobuf",
    "hec": "Splunk HEC /event gzip",
    "forward": "Fluentd forward PackedForward",
    "syslog": "syslog RFC 5424 TCP octets",
    "gelf": "GELF 1.1 TCP NUL-delimited",
}
EXPORT = "/opentelemetry.proto.collector.logs.v1.LogsService/Export"

ONE_BY_ONE_REQUESTS = 2_000


@dataclass
class Payloads:
    """The same records, encoded for each receiver."""

    records: int
    otlp_gzip: list[bytes]
    otlp_raw: list[bytes]
    ndjson_gzip: list[bytes]
    bulk_gzip: list[bytes]
    loki_snappy: list[bytes]
    hec_gzip: list[bytes]
    chunks: list[tuple[str, bytes]]
    syslog_bodies: list[bytes]
    gelf_bodies: list[bytes]
    raw_bytes: int
    gzip_bytes: int


@dataclass
class Run:
    protocol: str
    native: str
    stored: int
    elapsed_s: float
    latencies_s: list[float]
    collector_cpu_s: float
    database_cpu_s: float
    load_cpu_s: float  # the load generator's (this process's): it shares the cores
    raw_copy: float
    raw_copy_database_cpu_s: float  # PostgreSQL's CPU for the raw copy of the same rows

    @property
    def rate(self) -> float:
        return self.stored / self.elapsed_s


@dataclass
class OneByOne:
    native: str
    rate: float
    latencies_s: list[float] = field(default_factory=list)


def build_payloads(count: int) -> Payloads:
    now = dt.datetime.now(dt.UTC)
    records = scenario.Gen(dict(scenario.DEFAULT_VOCAB), seed=11, now=now).all(count)
    otlp_raw = [request.SerializeToString() for request in otlp.export_requests(records, batch_size=BATCH)]
    otlp_gzip = [gzip.compress(raw, compresslevel=6) for raw in otlp_raw]
    ndjson_gzip, bulk_gzip = [], []
    action = orjson.dumps({"index": {"_index": "bench"}})
    for start in range(0, len(records), BATCH):
        documents = [
            orjson.dumps({k: v for k, v in record.items() if v is not None})
            for record in records[start : start + BATCH]
        ]
        ndjson_gzip.append(gzip.compress(b"\n".join(documents), compresslevel=6))
        bulk = b"".join(action + b"\n" + document + b"\n" for document in documents)
        bulk_gzip.append(gzip.compress(bulk, compresslevel=6))
    chunks, _ = build_chunks(records)
    batches = [records[start : start + BATCH] for start in range(0, len(records), BATCH)]
    return Payloads(
        len(records),
        otlp_gzip,
        otlp_raw,
        ndjson_gzip,
        bulk_gzip,
        [loki_push(batch) for batch in batches],
        [hec_body(batch) for batch in batches],
        chunks,
        syslog.build_bodies(records),
        gelf.build_bodies(records),
        sum(len(raw) for raw in otlp_raw),
        sum(len(body) for body in otlp_gzip),
    )


def _epoch_s(record: dict[str, Any]) -> float:
    return dt.datetime.fromisoformat(record["created_at"]).timestamp()


def loki_push(records: list[dict[str, Any]]) -> bytes:
    """A snappy-compressed ``logproto.PushRequest``: a stream per service, as Promtail sends them."""
    request = push_pb2.PushRequest()
    streams: dict[str, Any] = {}
    for record in records:
        service = record["service"]
        stream = streams.get(service)
        if stream is None:
            stream = streams[service] = request.streams.add(labels=f'{{service_name="{service}", job="bench"}}')
        line = {k: v for k, v in record.items() if v is not None and k not in ("service", "created_at")}
        entry = stream.entries.add(line=orjson.dumps(line).decode())
        at = dt.datetime.fromisoformat(record["created_at"])
        entry.timestamp.seconds, entry.timestamp.nanos = int(at.timestamp()), at.microsecond * 1000
    return bytes(cramjam.snappy.compress_raw(request.SerializeToString()))


def hec_body(records: list[dict[str, Any]]) -> bytes:
    events = (
        orjson.dumps(
            {
                "time": _epoch_s(record),
                "host": "bench-1",
                "sourcetype": "_json",
                "event": {k: v for k, v in record.items() if v is not None and k != "created_at"},
            }
        )
        for record in records
    )
    return gzip.compress(b"\n".join(events), compresslevel=6)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Server:
    """A ``loglens up`` process and its ports."""

    process: subprocess.Popen[bytes]
    http_port: int
    grpc_port: int
    forward_port: int
    syslog_port: int
    gelf_port: int


def start_server(dsn: str, log_path: Path, env: dict[str, str] | None = None) -> Server:
    port, grpc_port, forward_port, syslog_port, gelf_port = (free_port() for _ in range(5))
    environment = {key: value for key, value in os.environ.items() if not key.startswith("LOGLENS_")}
    environment.update(LOGLENS_DATABASE_URL=dsn, **(env or {}))
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
                str(grpc_port),
                "--forward-port",
                str(forward_port),
                "--syslog-port",
                str(syslog_port),
                "--gelf-port",
                str(gelf_port),
                "--agent-port",
                str(free_port()),
            ],
            env=environment,
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + 60
    while "loglens is up" not in log_path.read_text():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise RuntimeError(f"loglens up did not start:\n{log_path.read_text()}")
        time.sleep(0.05)
    return Server(process, port, grpc_port, forward_port, syslog_port, gelf_port)


def cpu_seconds(processes: list[psutil.Process]) -> float:
    """User and system CPU of these processes so far (those that have exited count as 0)."""
    total = 0.0
    for process in processes:
        with contextlib.suppress(psutil.NoSuchProcess):
            times = process.cpu_times()
            total += times.user + times.system
    return total


def database_cpu_seconds(server: EmbeddedPostgres) -> float:
    """PostgreSQL's CPU so far: its processes', and that of the backends that have exited (the
    postmaster reaped them: their times are its children's)."""
    postmaster = psutil.Process(postmaster_pid(server))
    reaped = postmaster.cpu_times()
    return cpu_seconds(process_tree(postmaster.pid)) + reaped.children_user + reaped.children_system


def _until_reaped(postmaster: psutil.Process, others: set[int], timeout_s: float = 5.0) -> None:
    """Wait until the postmaster has no children but ``others``: a backend that exited counts in
    its parent's children's times only once reaped (between the two, it counts nowhere)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline and {child.pid for child in postmaster.children()} - others:
        time.sleep(0.01)


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


async def _each(items: list[Any], connections: int, send: Callable[[Any], Awaitable[None]]) -> list[float]:
    """Send every item over ``connections`` concurrent senders, each awaiting its answer; the
    latency of each answer."""
    queue: asyncio.Queue[Any] = asyncio.Queue()
    for item in items:
        queue.put_nowait(item)
    latencies: list[float] = []

    async def sender() -> None:
        while not queue.empty():
            item = queue.get_nowait()
            started = time.perf_counter()
            await send(item)
            latencies.append(time.perf_counter() - started)

    await asyncio.gather(*(sender() for _ in range(connections)))
    return latencies


async def send_http(
    bodies: list[bytes], url: str, content_type: str, connections: int, encoding: str | None = "gzip"
) -> list[float]:
    """``encoding``: the bodies' Content-Encoding (Loki's protobuf is snappy-compressed without one)."""
    headers = {"Content-Type": content_type, **({"Content-Encoding": encoding} if encoding else {})}
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=connections)) as session:

        async def send(body: bytes) -> None:
            while True:
                async with session.post(url, data=body, headers=headers) as response:
                    await response.read()
                    if response.status in (200, 204):  # 204: Loki's answer
                        return
                    if response.status not in (429, 503):
                        raise RuntimeError(f"the collector answered {response.status}")
                await asyncio.sleep(0.05)

        return await _each(bodies, connections, send)


async def send_grpc(bodies: list[bytes], port: int, connections: int) -> list[float]:
    """OTLP/gRPC with gRPC's gzip, the bodies compressed ahead (``bench/grpc_raw.py``): a
    connection per sender, as exporters have."""
    channels = [grpc_raw.GrpcConnection("127.0.0.1", port) for _ in range(connections)]
    await asyncio.gather(*(channel.open() for channel in channels))
    free: asyncio.Queue[grpc_raw.GrpcConnection] = asyncio.Queue()
    for channel in channels:
        free.put_nowait(channel)

    async def send(body: bytes) -> None:
        channel = await free.get()
        try:
            await channel.export(EXPORT, body)
        finally:
            free.put_nowait(channel)

    try:
        return await _each(bodies, connections, send)
    finally:
        await asyncio.gather(*(channel.close() for channel in channels))


async def send_protocol(
    protocol: str, payloads: Payloads, server: Server, connections: int, database: asyncpg.Connection | None = None
) -> list[float]:
    """Each answer's latency (none for syslog and GELF, which have no answer: they return once all is stored)."""
    base = f"http://127.0.0.1:{server.http_port}"
    if protocol in ("syslog", "gelf"):
        if database is None:
            raise ValueError(f"the {protocol} run polls the table: pass the database connection")

        async def stored() -> int:
            return int(await database.fetchval("SELECT count(*) FROM logs"))

        bodies, port = (
            (payloads.syslog_bodies, server.syslog_port)
            if protocol == "syslog"
            else (payloads.gelf_bodies, server.gelf_port)
        )
        await syslog.send_bodies(bodies, port, connections, stored, payloads.records)
        return []
    if protocol == "otlp-http":
        return await send_http(payloads.otlp_gzip, f"{base}/v1/logs", "application/x-protobuf", connections)
    if protocol == "otlp-grpc":
        return await send_grpc(payloads.otlp_gzip, server.grpc_port, connections)
    if protocol == "json":
        return await send_http(payloads.ndjson_gzip, f"{base}/logs", "application/x-ndjson", connections)
    if protocol == "es-bulk":
        return await send_http(payloads.bulk_gzip, f"{base}/_bulk", "application/x-ndjson", connections)
    if protocol == "loki":
        url = f"{base}/loki/api/v1/push"
        return await send_http(payloads.loki_snappy, url, "application/x-protobuf", connections, encoding=None)
    if protocol == "hec":
        return await send_http(
            payloads.hec_gzip, f"{base}/services/collector/event", "application/json", connections
        )
    return await send_chunks(payloads.chunks, server.forward_port, connections)


async def empty(connection: asyncpg.Connection) -> None:
    await connection.execute("TRUNCATE logs")
    await connection.execute("TRUNCATE ingest_receipts")
    await connection.execute("CHECKPOINT")


async def run_protocol(
    protocol: str,
    native: str,
    payloads: Payloads,
    server: Server,
    database: EmbeddedPostgres,
    connection: asyncpg.Connection,
    connections: int,
    work: Path,
) -> Run:
    await empty(connection)
    collector = process_tree(server.process.pid)
    collector_before = cpu_seconds(collector)
    database_before = database_cpu_seconds(database)
    load_before = cpu_seconds([psutil.Process()])
    started = time.perf_counter()
    latencies = await send_protocol(protocol, payloads, server, connections, connection)
    elapsed = time.perf_counter() - started
    database_cpu = database_cpu_seconds(database) - database_before
    collector_cpu = cpu_seconds(collector) - collector_before
    load_cpu = cpu_seconds([psutil.Process()]) - load_before
    stored = int(await connection.fetchval("SELECT count(*) FROM logs"))
    if stored != payloads.records:
        raise RuntimeError(f"{protocol}: {payloads.records} records acknowledged but {stored} stored")
    raw_copy, raw_copy_cpu = await raw_copy_rate(database, connection, work)
    return Run(
        protocol, native, stored, elapsed, latencies, collector_cpu, database_cpu, load_cpu, raw_copy, raw_copy_cpu
    )


async def warm_up(payloads: Payloads, server: Server, connection: asyncpg.Connection, connections: int) -> None:
    """One pass of the records through a server just started, not measured: the database's first
    write of them creates its day partitions and WAL files (later runs reuse the files a
    checkpoint recycles), the writers open their pools. Every run after it, raw copy's included,
    finds the database as a running loglens keeps it."""
    await empty(connection)
    await send_protocol("otlp-http", payloads, server, connections)
    await empty(connection)


def one_event_per_request(port: int, requests: int) -> tuple[float, list[float]]:
    """A synchronous client on one keep-alive connection, one event a request: requests/s and
    each answer's latency."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    latencies = []
    began = time.perf_counter()
    try:
        for number in range(requests):
            body = orjson.dumps({"logs": [{"message": f"event {number}", "service": "one-by-one"}]})
            started = time.perf_counter()
            connection.request("POST", "/logs", body=body, headers={"Content-Type": "application/json"})
            response = connection.getresponse()
            response.read()
            if response.status != 200:
                raise RuntimeError(f"the collector answered {response.status}")
            latencies.append(time.perf_counter() - started)
    finally:
        connection.close()
    return requests / (time.perf_counter() - began), latencies


async def raw_copy_rate(
    server: EmbeddedPostgres, connection: asyncpg.Connection, work: Path
) -> tuple[float, float]:
    """Rows per second ``psql \\copy`` loads the stored rows again at, into the emptied table, and
    PostgreSQL's CPU seconds for it."""
    stored = await connection.fetchval("SELECT count(*) FROM logs")
    csv_path = work / "rows.csv"
    columns = ", ".join(COLUMNS)
    await connection.copy_from_query(f"SELECT {columns} FROM logs", output=str(csv_path), format="csv")
    await empty(connection)
    psql = [str(POSTGRES_BIN_PATH / "psql"), "-X", "-q", server.dsn]
    postmaster = psutil.Process(postmaster_pid(server))
    others = {child.pid for child in postmaster.children()}
    database_before = database_cpu_seconds(server)
    started = time.perf_counter()
    copy = f"\\copy logs({columns}) FROM '{csv_path}' WITH (FORMAT csv)"
    await asyncio.to_thread(subprocess.run, [*psql, "-c", copy], check=True)
    rate = float(stored) / (time.perf_counter() - started)
    _until_reaped(postmaster, others)  # psql's backend
    database_cpu = database_cpu_seconds(server) - database_before
    await empty(connection)
    csv_path.unlink()
    return rate, database_cpu


def native_modes() -> list[tuple[str, dict[str, str]]]:
    """The server's runs: as configured (native on when it is built), then native forced off."""
    state = stages.native_state()
    if state == "on":
        return [("on", {}), ("off", {"LOGLENS_NATIVE": "off"})]
    return [(state, {})]


async def measure(records: int, connections: int, report: Report, protocols: tuple[str, ...] = PROTOCOLS) -> None:
    work = Path(tempfile.mkdtemp(prefix="llb-"))
    database = EmbeddedPostgres(work / "pg")
    dsn = database.start()
    runs: list[Run] = []
    lone: list[OneByOne] = []
    try:
        connection = await asyncpg.connect(dsn)
        await migrate(connection)
        payloads = build_payloads(records)
        rss = 0.0
        for native, env in native_modes():
            server = start_server(dsn, work / f"loglens-{native.split()[0]}.log", env)
            try:
                await warm_up(payloads, server, connection, connections)
                for protocol in protocols:
                    runs.append(
                        await run_protocol(
                            protocol, native, payloads, server, database, connection, connections, work
                        )
                    )
                await empty(connection)
                rate, latencies = await asyncio.to_thread(
                    one_event_per_request, server.http_port, ONE_BY_ONE_REQUESTS
                )
                lone.append(OneByOne(native, rate, latencies))
                rss = max(rss, peak_rss_mb(server.process.pid))
            finally:
                server.process.terminate()
                server.process.wait(30)
        stage_rows = await measure_stages(payloads, dsn, protocols)
        await connection.close()
    finally:
        database.stop()
    _report(report, payloads, runs, lone, stage_rows, connections, rss)


async def measure_stages(payloads: Payloads, dsn: str, protocols: tuple[str, ...]) -> dict[str, stages.Stages]:
    """Per-stage CPU, in this process, on the first 50 bodies of each protocol."""
    sample = 50
    measured: dict[str, stages.Stages] = {}
    for protocol in protocols:
        if protocol in ("es-bulk", "loki", "hec"):
            continue  # their documents are mapped as /logs records are (the json stages)
        gc_paused = gc_running = inflate_us = native_us = None
        if protocol in ("otlp-http", "otlp-grpc"):
            if "otlp" in measured:
                measured[protocol] = measured["otlp"]
                continue
            rows, decode_us, map_us, inflate_us, native_us = stages.otlp_stages(payloads.otlp_gzip[:sample])
        elif protocol == "json":
            rows, decode_us, map_us, gc_paused, gc_running = stages.json_stages(payloads.ndjson_gzip[:sample])
        elif protocol == "syslog":
            rows, decode_us, map_us = stages.syslog_stages(payloads.syslog_bodies[:sample])
        elif protocol == "gelf":
            rows, decode_us, map_us = stages.gelf_stages(payloads.gelf_bodies[:sample])
        else:
            rows, decode_us, map_us = stages.forward_stages([frame for _, frame in payloads.chunks[:sample]])
        encode_us, copy_us, native_encode_us = await stages.copy_stages(dsn, rows)
        n = len(rows)

        def per_record(us: float | None, n: int = n) -> float | None:
            return None if us is None else us / n

        result = stages.Stages(
            n,
            decode_us / n,
            map_us / n,
            encode_us / n,
            copy_us / n,
            json_gc_paused=per_record(gc_paused),
            json_gc_running=per_record(gc_running),
            inflate=per_record(inflate_us),
            native_walk=per_record(native_us),
            # OTLP's native walk encodes its rows itself
            native_encode=per_record(native_encode_us) if native_us is None else None,
        )
        measured[protocol] = result
        if protocol in ("otlp-http", "otlp-grpc"):
            measured["otlp"] = result
    measured.pop("otlp", None)
    return measured


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def _ms(latencies: list[float], fraction: float) -> str:
    """A latency percentile for the table; a dash for a protocol without answers (syslog)."""
    return f"{_percentile(latencies, fraction) * 1e3:>6.1f}ms" if latencies else f"{'-':>8}"


def _report(
    report: Report,
    payloads: Payloads,
    runs: list[Run],
    lone: list[OneByOne],
    measured: dict[str, stages.Stages],
    connections: int,
    rss: float,
) -> None:
    cores = os.cpu_count() or 1
    report.section(
        f"Ingest end to end, acknowledged = committed: {payloads.records:,} records in bodies of {BATCH}, "
        f"{connections} connections each awaiting its answer; raw psql \\copy of the same rows into the same "
        "table, same run"
    )
    report.row("native", ", ".join(dict.fromkeys(run.native for run in runs)) or stages.native_state())
    header = (
        f"{'protocol':<31} {'native':<6} {'logs/s':>9} {'raw copy':>9} {'ratio':>6} "
        f"{'ack p50':>8} {'ack p99':>8} {'collector':>10} {'PostgreSQL':>11} {'load gen':>9} {'PG raw copy':>12}"
    )
    report.line(header)
    for run in runs:
        collector_us = run.collector_cpu_s / run.stored * 1e6
        database_us = run.database_cpu_s / run.stored * 1e6
        load_us = run.load_cpu_s / run.stored * 1e6
        raw_database_us = run.raw_copy_database_cpu_s / run.stored * 1e6
        report.line(
            f"{TITLES[run.protocol]:<31} {run.native.split()[0]:<6} {run.rate:>9,.0f} {run.raw_copy:>9,.0f} "
            f"{run.rate / run.raw_copy:>5.2f}x {_ms(run.latencies_s, 0.5)} "
            f"{_ms(run.latencies_s, 0.99)} {collector_us:>7.1f} µs {database_us:>8.1f} µs"
            f" {load_us:>6.1f} µs {raw_database_us:>9.1f} µs"
        )
    report.row(
        "reading",
        f"collector, PostgreSQL and the load generator: CPU per record across all their processes; on "
        f"{cores} cores their sum bounds the rate (≤ {cores * 1e6:,.0f} / (sum in µs) logs/s on an idle machine); "
        "PG raw copy: PostgreSQL's CPU per row for the raw copy of the same rows (psql's own aside)",
    )
    if runs:
        best = max(runs, key=lambda run: run.rate)
        report.row(
            "best",
            f"{TITLES[best.protocol]} {best.rate:,.0f} logs/s = {best.rate / MISSION_LOGS_PER_S:.1f} x the "
            f"mission's {MISSION_LOGS_PER_S:,} logs/s",
        )
    report.row(
        "gzip saving",
        f"OTLP {1 - payloads.gzip_bytes / payloads.raw_bytes:.0%} "
        f"({payloads.raw_bytes / 1e6:.1f} MB -> {payloads.gzip_bytes / 1e6:.1f} MB)",
    )
    report.row("server peak RSS", f"{rss:.0f} MB")
    for one in lone:
        report.row(
            f"one by one ({one.native.split()[0]})",
            f"one event per request, one sync connection: {one.rate:,.0f} requests/s, ack p50 "
            f"{statistics.median(one.latencies_s) * 1e3:.2f} ms, "
            f"p99 {_percentile(one.latencies_s, 0.99) * 1e3:.2f} ms",
        )

    report.section(
        "Collector CPU per record by stage, µs, native off (the Python path) and on (in process, first 50 "
        f"bodies; native: {stages.native_state()})"
    )
    report.line(
        f"{'protocol':<31} {'native':<6} {'decode':>7} {'map':>7} {'encode':>7} {'= collector':>11} "
        f"{'COPY (PostgreSQL)':>18}"
    )
    for protocol, stage in measured.items():
        modes = [("off", (stage.decode, stage.map, stage.encode))]
        if (native_stages := stage.native()) is not None:
            modes.append(("on", native_stages))
        for mode, (decode, map_, encode) in modes:
            report.line(
                f"{TITLES[protocol]:<31} {mode:<6} {decode:>7.2f} {map_:>7.2f} {encode:>7.2f} "
                f"{decode + map_ + encode:>11.2f} {stage.copy:>18.2f}"
            )
        if stage.json_gc_paused is not None and stage.json_gc_running is not None:
            paused, running = stage.json_gc_paused, stage.json_gc_running
            report.row(
                "  JSON GC",
                f"decode + map body by body {paused:.2f} µs with cyclic GC paused (as served), {running:.2f} µs "
                f"with it running: {1 - paused / running:.0%} saved",
            )
    if any(stage.native_walk is not None for stage in measured.values()):
        report.row(
            "reading",
            "OTLP native: decode is gzip alone; the C walk over the protobuf parses, maps and writes the "
            "COPY rows at once (its encode column). JSON and forward map in Python either way; native "
            "encodes their rows in C instead of asyncpg",
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--protocols", default=",".join(PROTOCOLS))
    args = parser.parse_args()
    report = Report()
    asyncio.run(measure(args.records, args.connections, report, tuple(args.protocols.split(","))))
    report.print()


if __name__ == "__main__":
    main()
