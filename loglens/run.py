"""The composition root: the one place that puts the sides of loglens together.

    loglens (core) ◄── collector                       the write side
    loglens (core) ◄── agent ◄── bots                  the read side and its clients
    loglens.run ──► collector, agent, bots             this module, and nothing else

``loglens up`` starts the database, the collectors (in this process or as worker processes),
the agent's server with the Slack bot and the web client mounted on it, and loads the demo
data; ``loglens ask`` and ``loglens eval`` start what they need the same way. The CLI
(``loglens/cli.py``) only parses and calls the functions here.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import signal
import tempfile
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import asyncpg
import orjson

from loglens.collector.server import Collector
from loglens.collector.workers import read_status, serve_collectors, status_path
from loglens.database.embedded import EmbeddedPostgres
from loglens.database.server import database_server, prepare
from loglens.demo import otlp, scenario
from loglens.settings import Settings

if TYPE_CHECKING:
    from loglens.agent.evaluation import EvalQuestion, EvalReport
    from loglens.agent.models import ModelChoice
    from loglens.agent.service import AgentService
    from loglens.bots.slack.app import SlackBot

# The read side (the agent, pydantic-ai, the Slack bot) is imported where it is first needed, not
# here: `loglens up` starts its collectors before it, so that a restart accepts logs within ~1 s.
log = logging.getLogger("loglens")

DEMO_LOGS = 20_000


class ReadSideServer:
    """The agent's server as loglens runs it: the agent's routes, the Slack bot when configured
    (``slack=None``: when ``SLACK_BOT_TOKEN`` is set), and the web client at ``/``."""

    def __init__(
        self,
        settings: Settings,
        dsn: str,
        choice: ModelChoice | None = None,
        *,
        api: bool = True,
        slack: bool | None = None,
    ) -> None:
        from loglens.agent.http.web_client import add_web_client
        from loglens.agent.server import AgentServer
        from loglens.bots import WEB_CLIENT_DIST
        from loglens.bots.slack.app import SlackBot

        self.agent = AgentServer(settings, dsn, choice, api=api)
        self.slack: SlackBot | None = None
        if slack if slack is not None else settings.slack_transport is not None:
            self.slack = SlackBot(settings, self.agent.service)
            if self.slack.transport == "http":
                self.slack.mount(self.agent.app)
        if api:  # last: its catch-all GET serves the app's own pages
            add_web_client(self.agent.app, settings.web_dir or WEB_CLIENT_DIST)

    @property
    def service(self) -> AgentService:
        return self.agent.service

    @property
    def port(self) -> int:
        return self.agent.port

    async def start(self) -> int:
        port = await self.agent.start()
        if self.slack is not None:
            await self.slack.start(port)
        return port

    async def stop(self) -> None:
        if self.slack is not None:
            await self.slack.stop()
        await self.agent.stop()


# --- loglens db migrate ------------------------------------------------------------------------


def migrate_database(settings: Settings) -> None:
    with database_server(settings) as dsn:
        asyncio.run(prepare(dsn))


# --- loglens up / serve ------------------------------------------------------------------------


def run_services(
    settings: Settings,
    overrides: dict[str, Any],
    services: set[str],
    *,
    demo: bool,
    announce: Callable[[str], None],
) -> None:
    """Run ``services`` (collector, agent, slack) on the configured database until SIGINT/SIGTERM;
    ``announce`` is told where they listen once all are up."""
    with database_server(settings) as dsn:
        asyncio.run(_serve(settings, overrides, dsn, services, demo=demo, announce=announce))


async def _serve(
    settings: Settings,
    overrides: dict[str, Any],
    dsn: str,
    services: set[str],
    *,
    demo: bool,
    announce: Callable[[str], None],
) -> None:
    await prepare(dsn)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    host = f"[{settings.host}]" if ":" in settings.host else settings.host
    ready = []
    async with contextlib.AsyncExitStack() as running:
        if "collector" in services:
            ports = await running.enter_async_context(serve_collectors(settings, overrides, dsn))
            ready.append(
                f"OTLP/HTTP and JSON http://{host}:{ports.otlp_http}  OTLP/gRPC {host}:{ports.otlp_grpc}  "
                f"Fluentd forward {host}:{ports.forward}"
                + (f"  syslog {host}:{ports.syslog} (TCP, UDP)" if ports.syslog else "")
                + (f"  syslog over TLS {host}:{ports.syslog_tls}" if ports.syslog_tls else "")
                + (f"  GELF {host}:{ports.gelf} (TCP, UDP)" if ports.gelf else "")
            )
            if demo:
                await _load_demo(settings, dsn, ports.otlp_http)
        if "agent" in services or "slack" in services:
            # With SLACK_BOT_TOKEN the agent's server runs the Slack bot too; `serve slack` runs
            # the bot without the agent's query routes.
            agent_port = await running.enter_async_context(_read_side(settings, dsn, api="agent" in services))
            if "agent" in services:
                ready.append(f"agent http://{host}:{agent_port}")
            if settings.slack_transport == "http":
                ready.append(f"Slack events http://{host}:{agent_port}/slack/events")
            elif settings.slack_transport == "socket":
                ready.append("Slack bot (Socket Mode)")
        announce(f"loglens is up: {'  '.join(ready)}  (Ctrl-C stops)")
        await stop.wait()
        log.info("stopping: committing what was accepted")


@contextlib.asynccontextmanager
async def _read_side(settings: Settings, dsn: str, api: bool = True) -> AsyncIterator[int]:
    server = ReadSideServer(settings, dsn, api=api, slack=None if api else True)
    try:
        yield await server.start()
    finally:
        await server.stop()


async def _load_demo(settings: Settings, dsn: str, http_port: int) -> None:
    connection = await asyncpg.connect(dsn)
    try:
        existing = await connection.fetchval("SELECT count(*) FROM (SELECT 1 FROM logs LIMIT 1) AS any_row")
    finally:
        await connection.close()
    if existing:
        log.info("the database already holds logs; not adding demo data")
        return
    records = scenario.Gen(dict(scenario.DEFAULT_VOCAB), seed=1, now=dt.datetime.now(dt.UTC)).all(DEMO_LOGS)
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::") else settings.host
    host = f"[{host}]" if ":" in host else host
    token = settings.ingest_token.get_secret_value() if settings.ingest_token else None
    sent, rejected = await otlp.send(otlp.export_requests(records), f"http://{host}:{http_port}/v1/logs", token)
    log.info("demo data: %d logs sent through OTLP/HTTP, %d rejected", sent, rejected)


# --- loglens status ----------------------------------------------------------------------------

STATUS_TIMEOUT_S = 5.0


def collector_status(settings: Settings) -> dict[str, Any]:
    """What the running loglens says of its collector: ``state`` (ok, degraded, down, not running),
    the ``health`` of the OTLP/HTTP port, and the supervisor's own view (``supervisor``: the status
    file its parent process keeps, see collector/workers.py), which remains when no worker answers."""
    host = "127.0.0.1" if settings.host == "0.0.0.0" else "::1" if settings.host == "::" else settings.host
    url = f"http://{f'[{host}]' if ':' in host else host}:{settings.otlp_http_port}/health"
    health: dict[str, Any] | None = None
    try:
        with urllib.request.urlopen(url, timeout=STATUS_TIMEOUT_S) as response:
            health = orjson.loads(response.read())
    except urllib.error.HTTPError as answer:  # 503: it answers, degraded
        with contextlib.suppress(orjson.JSONDecodeError):
            health = orjson.loads(answer.read())
    except (OSError, orjson.JSONDecodeError):
        health = None
    supervisor = read_status(status_path(settings))
    if health is not None:
        state = "ok" if health.get("status") == "ok" else "degraded"
    else:
        state = "down" if supervisor is not None else "not running"
    return {"state": state, "url": url, "health": health, "supervisor": supervisor}


# --- loglens ask -------------------------------------------------------------------------------


def ask(settings: Settings, text: str, max_results: int | None) -> dict[str, Any]:
    """Answer one question on the configured database; the API's answer body."""
    with database_server(settings) as dsn:
        return asyncio.run(_ask(settings, dsn, text, max_results))


async def _ask(settings: Settings, dsn: str, text: str, max_results: int | None) -> dict[str, Any]:
    from loglens.agent.service import AgentService

    await prepare(dsn)
    service = AgentService(settings, dsn)
    await service.start()
    try:
        outcome = await service.answer(service.question(text, max_results, source="cli"))
    finally:
        await service.stop()
    return outcome.body()


# --- loglens eval ------------------------------------------------------------------------------


def run_evaluation(
    settings: Settings,
    question_set: str,
    renames: dict[str, Any],
    *,
    count: int,
    seed: int,
    offline: bool,
) -> EvalReport:
    """Ask ``question_set`` (shared, extra, all, or a JSONL file) of generated data whose names
    ``renames`` swaps (``--vocab``), and judge every answer against its gold SQL."""
    from loglens.agent.evaluation import load_questions

    vocabulary = {**scenario.DEFAULT_VOCAB, **renames}
    questions = load_questions(question_set, scenario.DEFAULT_VOCAB, vocabulary)
    return asyncio.run(_evaluate(settings, vocabulary, questions, count=count, seed=seed, offline=offline))


async def _evaluate(
    settings: Settings,
    vocabulary: dict[str, Any],
    questions: list[EvalQuestion],
    *,
    count: int,
    seed: int,
    offline: bool,
) -> EvalReport:
    """Generate the scenario data, load it through OTLP into a scratch database, ask every question."""
    from loglens.agent.evaluation import evaluate
    from loglens.agent.service import AgentService

    server = EmbeddedPostgres(Path(tempfile.mkdtemp(prefix="lleval-")))
    dsn = server.start()
    try:
        await prepare(dsn)
        scratch = settings.model_copy(
            update={
                "otlp_http_port": 0,
                "otlp_grpc_port": 0,
                "forward_port": 0,
                "syslog_enabled": False,
                "gelf_enabled": False,
                "database_url": None,
                "host": "127.0.0.1",
            }
        )
        collector = Collector(scratch, dsn)
        ports = await collector.start()
        records = scenario.Gen(vocabulary, seed, dt.datetime.now(dt.UTC)).all(count)
        try:
            await otlp.send(otlp.export_requests(records), f"http://127.0.0.1:{ports.otlp_http}/v1/logs")
        finally:
            await collector.stop()
        if offline:
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
