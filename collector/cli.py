"""``loglens``: run the product, manage its database.

    loglens up [--demo]          database + migrations + every server, until Ctrl-C/SIGTERM
    loglens serve collector      the receivers alone (the database must be reachable)
    loglens db migrate           bring the schema up to date and exit

Flags override the ``LOGLENS_*`` variables of the same name.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import signal
import socket
import sys
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from collector.errors import LoglensError
from collector.settings import Settings

if TYPE_CHECKING:
    from collector.server import Ports
log = logging.getLogger("loglens")


def main(argv: Sequence[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)-5s %(name)s: %(message)s", datefmt="%H:%M:%S"
    )
    try:
        settings = Settings(**_overrides(args))
    except ValidationError as error:
        sys.exit(
            "loglens: invalid configuration: " + "; ".join(_explain(problem) for problem in error.errors())
        )
    try:
        args.run(settings, args)
    except LoglensError as error:
        sys.exit(f"loglens: {error}")
    except KeyboardInterrupt:
        pass


def configure_logging(prefix: str = "") -> None:
    logging.basicConfig(
        level=logging.INFO,
        format=f"%(asctime)s %(levelname)-5s {prefix}%(name)s: %(message)s",
        datefmt="%H:%M:%S",
    )


def _explain(problem: Any) -> str:
    fields = [str(part) for part in problem["loc"]]
    message = str(problem["msg"]).removeprefix("Value error, ")
    if not fields:
        return message
    return f"LOGLENS_{'_'.join(fields).upper()}: {message}"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="loglens", description="Self-hosted log collection and analysis.")
    commands = parser.add_subparsers(dest="command", required=True)

    up = commands.add_parser("up", help="run the database, the collector and every server")
    _add_server_flags(up)
    up.add_argument("--demo", action="store_true", help="fill an empty database with sample logs first")
    up.set_defaults(run=_run_up)

    serve = commands.add_parser("serve", help="run one server alone")
    serve.add_argument("service", choices=["collector"])
    _add_server_flags(serve)
    serve.set_defaults(run=_run_up, demo=False)

    db = commands.add_parser("db", help="database commands")
    db.add_argument("action", choices=["migrate"])
    db.set_defaults(run=_run_migrate)
    return parser


def _add_server_flags(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", help="listening address (LOGLENS_HOST)")
    parser.add_argument("--otlp-http-port", type=int, help="OTLP/HTTP and JSON port (LOGLENS_OTLP_HTTP_PORT)")
    parser.add_argument("--otlp-grpc-port", type=int, help="OTLP/gRPC port (LOGLENS_OTLP_GRPC_PORT)")
    parser.add_argument(
        "--forward-port", type=int, help="Fluentd forward protocol port, TCP and UDP (LOGLENS_FORWARD_PORT)"
    )


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = ("host", "otlp_http_port", "otlp_grpc_port", "forward_port")
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def _run_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from collector.storage.database import database_server, prepare

    with database_server(settings) as dsn:
        asyncio.run(prepare(dsn))
    print("loglens: the database schema is up to date")


def _run_up(settings: Settings, args: argparse.Namespace) -> None:
    from collector.storage.database import database_server

    with database_server(settings) as dsn:
        asyncio.run(_serve(settings, _overrides(args), dsn, demo=args.demo))


async def _serve(settings: Settings, overrides: dict[str, Any], dsn: str, demo: bool) -> None:
    from collector.storage.database import prepare

    await prepare(dsn)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    async with _collectors(settings, overrides, dsn) as ports:
        if demo:
            await _load_demo(settings, dsn, ports.otlp_http)
        host = f"[{settings.host}]" if ":" in settings.host else settings.host
        print(
            f"loglens is up: OTLP/HTTP and JSON http://{host}:{ports.otlp_http}  "
            f"OTLP/gRPC {host}:{ports.otlp_grpc}  Fluentd forward {host}:{ports.forward}  (Ctrl-C stops)",
            flush=True,
        )
        await stop.wait()
        log.info("stopping: committing what was accepted")


@contextlib.asynccontextmanager
async def _collectors(settings: Settings, overrides: dict[str, Any], dsn: str) -> AsyncIterator[Ports]:
    """One collector in this process, or worker processes sharing the ports."""
    from collector.server import Collector, Ports
    from collector.workers import CollectorWorkers, worker_count

    count = worker_count(settings.collector_workers)
    ports = (settings.otlp_http_port, settings.otlp_grpc_port, settings.forward_port)
    if count == 1 or 0 in ports:
        collector = Collector(settings, dsn)
        try:
            try:
                bound = await collector.start()
            except OSError as error:  # a port in use: the receivers say which, and what to check
                raise LoglensError(str(error)) from None
            yield bound
        finally:
            await collector.stop()
        return
    for port in ports:
        _ensure_free(settings.host, port)
    # The forward port's UDP twin answers Fluentd's heartbeat.
    _ensure_free(settings.host, settings.forward_port, socket.SOCK_DGRAM)
    workers = CollectorWorkers(overrides, dsn, count)
    await asyncio.to_thread(workers.start)
    log.info("%d collector workers listening", count)
    supervising = asyncio.create_task(workers.supervise())
    try:
        yield Ports(*ports)
    finally:
        supervising.cancel()
        await asyncio.to_thread(workers.stop)


def _ensure_free(host: str, port: int, kind: socket.SocketKind = socket.SOCK_STREAM) -> None:
    """Workers share ports with SO_REUSEPORT, which would also let a second loglens share them:
    check that nobody listens there first."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, kind) as probe:
        try:
            probe.bind((host, port))
        except OSError as error:
            raise LoglensError(
                f"cannot listen on {'UDP ' if kind == socket.SOCK_DGRAM else ''}{host}:{port}: "
                f"{error.strerror}; is loglens already running?"
            ) from None


async def _load_demo(settings: Settings, dsn: str, http_port: int) -> None:
    import asyncpg

    from collector.demo import otlp, scenario

    connection = await asyncpg.connect(dsn)
    try:
        existing = await connection.fetchval("SELECT count(*) FROM (SELECT 1 FROM logs LIMIT 1) AS any_row")
    finally:
        await connection.close()
    if existing:
        log.info("the database already holds logs; not adding demo data")
        return
    import datetime as dt

    records = scenario.Gen(dict(scenario.DEFAULT_VOCAB), seed=1, now=dt.datetime.now(dt.UTC)).all(20_000)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    host = f"[{host}]" if ":" in host else host
    token = settings.ingest_token.get_secret_value() if settings.ingest_token else None
    sent, rejected = await otlp.send(
        otlp.export_requests(records), f"http://{host}:{http_port}/v1/logs", token
    )
    log.info("demo data: %d logs sent through OTLP/HTTP, %d rejected", sent, rejected)


if __name__ == "__main__":
    main()
