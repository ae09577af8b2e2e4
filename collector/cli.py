"""``loglens``: run the product, ask it questions, manage its database.

    loglens up [--demo]          database + migrations + every server, until Ctrl-C/SIGTERM
    loglens serve collector      the receivers alone
    loglens serve agent          the agent's API alone (port 8001)
    loglens serve slack          the Slack bot alone (SLACK_BOT_TOKEN; HTTP on the agent's port, or Socket Mode)
    loglens ask "question"       answer one question in the terminal (--json for the API's answer)
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
from pathlib import Path
from typing import TYPE_CHECKING, Any

import orjson
from pydantic import ValidationError

from collector.errors import LoglensError
from collector.settings import Settings

if TYPE_CHECKING:
    from collector.server import Ports
log = logging.getLogger("loglens")


def main(argv: Sequence[str] | None = None) -> None:
    parser = _parser()
    args = parser.parse_args(argv)
    configure_logging(level=logging.WARNING if args.command == "ask" else logging.INFO)
    try:
        settings = Settings(**_overrides(args))
    except ValidationError as error:
        sys.exit("loglens: invalid configuration: " + "; ".join(_explain(problem) for problem in error.errors()))
    try:
        args.run(settings, args)
    except LoglensError as error:
        sys.exit(f"loglens: {error}")
    except KeyboardInterrupt:
        pass


def configure_logging(prefix: str = "", level: int = logging.INFO) -> None:
    logging.basicConfig(
        level=level,
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
    up.set_defaults(run=_run_up, service="all")

    serve = commands.add_parser("serve", help="run one server alone")
    serve.add_argument("service", choices=["collector", "agent", "slack"])
    _add_server_flags(serve)
    serve.set_defaults(run=_run_up, demo=False)

    ask = commands.add_parser("ask", help="answer one question about the logs")
    ask.add_argument("question")
    ask.add_argument("--json", action="store_true", help="print the API's JSON answer")
    ask.add_argument("--max-results", type=int, default=None)
    ask.set_defaults(run=_run_ask)

    evaluation = commands.add_parser(
        "eval", help="measure the agent's execution accuracy on questions with gold SQL"
    )
    evaluation.add_argument("--vocab", help="JSON file that renames every service, error, path... of the data")
    evaluation.add_argument(
        "--questions",
        default="shared",
        help="shared (the 40 shared questions), extra (loglens' own), all, "
        "or a JSONL file of {id, lang, question, gold_sql}",
    )
    evaluation.add_argument("--count", type=int, default=20_000, help="background logs to generate")
    evaluation.add_argument("--seed", type=int, default=1)
    evaluation.add_argument("--engine", choices=["offline", "configured"], default="offline")
    evaluation.add_argument("--report", action="store_true", help="print every question's verdict")
    evaluation.add_argument(
        "--min-accuracy", type=float, default=0.0, help="exit 1 below this, overall or per language"
    )
    evaluation.set_defaults(run=_run_eval)

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
    parser.add_argument("--agent-port", type=int, help="agent API and web client port (LOGLENS_AGENT_PORT)")


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    names = ("host", "otlp_http_port", "otlp_grpc_port", "forward_port", "agent_port")
    return {name: getattr(args, name) for name in names if getattr(args, name, None) is not None}


def _run_migrate(settings: Settings, args: argparse.Namespace) -> None:
    from collector.storage.database import database_server, prepare

    with database_server(settings) as dsn:
        asyncio.run(prepare(dsn))
    print("loglens: the database schema is up to date")


def _run_up(settings: Settings, args: argparse.Namespace) -> None:
    from collector.storage.database import database_server

    services = {"collector", "agent"} if args.service == "all" else {args.service}
    with database_server(settings) as dsn:
        asyncio.run(_serve(settings, _overrides(args), dsn, services, demo=args.demo))


async def _serve(settings: Settings, overrides: dict[str, Any], dsn: str, services: set[str], demo: bool) -> None:
    from collector.storage.database import prepare

    await prepare(dsn)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    ready = []
    async with contextlib.AsyncExitStack() as running:
        if "collector" in services:
            ports = await running.enter_async_context(_collectors(settings, overrides, dsn))
            ready.append(
                f"OTLP/HTTP and JSON http://{host}:{ports.otlp_http}  OTLP/gRPC {host}:{ports.otlp_grpc}  "
                f"Fluentd forward {host}:{ports.forward}"
            )
            if demo:
                await _load_demo(settings, dsn, ports.otlp_http)
        if "agent" in services or "slack" in services:
            # With SLACK_BOT_TOKEN the agent's server runs the Slack bot too; `serve slack` runs
            # the bot without the agent's query routes.
            agent_port = await running.enter_async_context(_agent(settings, dsn, api="agent" in services))
            if "agent" in services:
                ready.append(f"agent http://{host}:{agent_port}")
            if settings.slack_transport == "http":
                ready.append(f"Slack events http://{host}:{agent_port}/slack/events")
            elif settings.slack_transport == "socket":
                ready.append("Slack bot (Socket Mode)")
        print(f"loglens is up: {'  '.join(ready)}  (Ctrl-C stops)", flush=True)
        await stop.wait()
        log.info("stopping: committing what was accepted")


@contextlib.asynccontextmanager
async def _agent(settings: Settings, dsn: str, api: bool = True) -> AsyncIterator[int]:
    from agent.server import AgentServer

    server = AgentServer(settings, dsn, api=api, slack=None if api else True)
    try:
        yield await server.start()
    finally:
        await server.stop()


def _run_ask(settings: Settings, args: argparse.Namespace) -> None:
    from collector.storage.database import database_server

    with database_server(settings) as dsn:
        body = asyncio.run(_ask(settings, dsn, args.question, args.max_results))
    if args.json:
        print(orjson.dumps(body, option=orjson.OPT_INDENT_2).decode())
    else:
        print(_as_text(body))
    if "error" in body:
        sys.exit(1)


async def _ask(settings: Settings, dsn: str, text: str, max_results: int | None) -> dict[str, Any]:
    from agent.service import AgentService
    from collector.storage.database import prepare

    await prepare(dsn)
    service = AgentService(settings, dsn)
    await service.start()
    try:
        outcome = await service.answer(service.question(text, max_results, source="cli"))
    finally:
        await service.stop()
    return outcome.body()


def _run_eval(settings: Settings, args: argparse.Namespace) -> None:
    from agent.evaluation import EvalReport, load_questions
    from collector.demo import scenario

    vocabulary = dict(scenario.DEFAULT_VOCAB)
    if args.vocab:
        vocabulary.update(orjson.loads(Path(args.vocab).read_bytes()))
    questions = load_questions(args.questions, scenario.DEFAULT_VOCAB, vocabulary)
    report: EvalReport = asyncio.run(_evaluate(settings, args, vocabulary, questions))
    print(report.summary())
    if args.report:
        print(report.details())
    worst = min([report.accuracy(), *(report.accuracy(lang) for lang in report.languages())])
    if worst < args.min_accuracy:
        sys.exit(f"loglens eval: accuracy {worst:.1%} is below --min-accuracy {args.min_accuracy:.1%}")


async def _evaluate(
    settings: Settings, args: argparse.Namespace, vocabulary: dict[str, Any], questions: list[Any]
) -> Any:
    """Generate the scenario data, load it through OTLP into a scratch database, ask every question."""
    import datetime as dt
    import tempfile

    from agent.evaluation import evaluate
    from agent.service import AgentService
    from collector.demo import otlp, scenario
    from collector.server import Collector
    from collector.storage.database import prepare
    from collector.storage.embedded import EmbeddedPostgres

    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="lleval-")))
    dsn = server.start()
    try:
        await prepare(dsn)
        scratch = settings.model_copy(
            update={
                "otlp_http_port": 0,
                "otlp_grpc_port": 0,
                "forward_port": 0,
                "database_url": None,
                "host": "127.0.0.1",
            }
        )
        collector = Collector(scratch, dsn)
        ports = await collector.start()
        records = scenario.Gen(vocabulary, args.seed, dt.datetime.now(dt.UTC)).all(args.count)
        try:
            await otlp.send(otlp.export_requests(records), f"http://127.0.0.1:{ports.otlp_http}/v1/logs")
        finally:
            await collector.stop()
        if args.engine == "offline":
            scratch = scratch.model_copy(update={"llm_provider": "offline"})
        service = AgentService(scratch, dsn)
        await service.start()
        try:
            await service.catalog.get()
            return await evaluate(service, dsn, questions)
        finally:
            await service.stop()
    finally:
        server.stop()


def _as_text(body: dict[str, Any]) -> str:
    if "error" in body:
        lines = [f"Cannot answer: {body['error']}"]
        lines += [f"  try: {suggestion}" for suggestion in body.get("suggestions") or []]
        return "\n".join(lines)
    columns: list[str] = body["columns"]
    rows = [[_cell(row[column]) for column in columns] for row in body["results"][:20]]
    widths = [max([len(column), *(len(row[i]) for row in rows)]) for i, column in enumerate(columns)]
    table = ["  ".join(column.ljust(width) for column, width in zip(columns, widths, strict=True))]
    table += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)) for row in rows]
    more = f"\n… {body['count'] - len(rows)} more rows" if body["count"] > len(rows) else ""
    counted = f"{body['count']} row{'' if body['count'] == 1 else 's'}"
    footer = f"{counted} in {body['execution_time_ms']:.0f} ms ({body['engine']})"
    return f"{body['insight']}\n\n{body['sql']}\n\n" + "\n".join(table) + more + f"\n\n{footer}"


def _cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= 40 else text[:39] + "…"


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
    sent, rejected = await otlp.send(otlp.export_requests(records), f"http://{host}:{http_port}/v1/logs", token)
    log.info("demo data: %d logs sent through OTLP/HTTP, %d rejected", sent, rejected)


if __name__ == "__main__":
    main()
