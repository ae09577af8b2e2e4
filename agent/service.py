"""The agent as a running service: its database connections, schema catalog, engine and history.

The agent reaches PostgreSQL two ways: as ``loglens_reader`` for every query that comes from
a model or a user (``agent/database.py``), and as the owner only to keep the question
history. Which DSN the reader uses: ``LOGLENS_READER_DATABASE_URL`` if set; the embedded
server's socket as ``loglens_reader`` when loglens runs its own PostgreSQL; otherwise the
owner's DSN followed by ``SET ROLE loglens_reader``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from loglens.agent.database import READER_ROLE, ReadOnlyDatabase
from loglens.agent.engine import QueryEngine, Question, QuestionReport
from loglens.agent.events import DoneEvent, Event
from loglens.agent.history import History
from loglens.agent.models import ModelChoice, choose_model
from loglens.agent.offline.model import OfflineEngine
from loglens.agent.offline.plan import PlanKind, plan_kind
from loglens.agent.schema import SchemaCatalog
from loglens.agent.tools import AgentDeps
from loglens.agent.write_requests import is_write_request
from loglens.errors import LoglensError
from loglens.settings import Settings

log = logging.getLogger(__name__)

MAX_CONCURRENT_QUESTIONS = 8
# Longer questions are refused by every surface (API, WebSocket, Slack) in the same words.
MAX_QUESTION_CHARS = 2000


# The plan kinds the offline fast path may answer with a model configured: those right at least
# 98% of the time over at least 30 answers on the development questions (`loglens eval --questions
# bank-dev`, measured 2 December 2026: grouped 102/104, one number 118/120, rates 73/74, having,
# series, top N and two windows all right). Rows (39/41), new values (24/28) and the kinds with
# fewer answers go to the model.
# What the offline planner answers itself with a model configured. Not "versus" (values side by
# side): measured on the development questions, it is where the answer's shape most often differs
# from the one asked for (one row per value, or one column each), so the model decides it.
FAST_PATH_KINDS: frozenset[PlanKind] = frozenset(
    {"one_number", "grouped", "top", "series", "rate", "having", "two_windows"}
)


def reader_dsn(settings: Settings, dsn: str) -> tuple[str, bool]:
    """The DSN for reader connections, and whether it logs in as the reader itself."""
    if settings.reader_database_url is not None:
        return settings.reader_database_url.get_secret_value(), True
    if settings.database_url is None:  # the embedded server trusts its own socket
        parts = urlsplit(dsn)
        host = parts.netloc.split("@", 1)[-1]
        return urlunsplit(parts._replace(netloc=f"{READER_ROLE}@{host}")), True
    return dsn, False


class AgentService:
    def __init__(self, settings: Settings, dsn: str, choice: ModelChoice | None = None) -> None:
        self.settings = settings
        reader, login_as_reader = reader_dsn(settings, dsn)
        self.database = ReadOnlyDatabase(
            reader, login_as_reader=login_as_reader, timeout_s=settings.query_timeout_s
        )
        self.catalog = SchemaCatalog(self.database)
        self.history = History(dsn)
        self.offline = OfflineEngine(lambda: self.catalog.cached, settings.zone)
        offline_choice = ModelChoice("offline", self.offline.model(), "offline")
        chosen = choice or choose_model(settings)
        self.choice = offline_choice if chosen.offline else chosen
        self.engine = QueryEngine(
            self.choice,
            self.catalog,
            self._deps,
            plan_only=settings.llm_plan_only and self.choice is not offline_choice,
        )
        # With a model configured, questions the planner is sure of are answered offline: in
        # milliseconds, with no tokens spent and no free-form SQL written.
        self.fast_path = (
            QueryEngine(offline_choice, self.catalog, self._deps)
            if settings.offline_fast_path and self.choice is not offline_choice
            else None
        )
        self._slots = asyncio.Semaphore(MAX_CONCURRENT_QUESTIONS)
        self._warming: asyncio.Task[None] | None = None

    async def start(self) -> None:
        await self.database.open()
        await self.history.open()
        # Profile the data now, so that the first question does not wait for it.
        self._warming = asyncio.create_task(self._warm_catalog())
        log.info("agent ready: engine %s", self.choice.name)

    async def stop(self) -> None:
        if self._warming is not None and not self._warming.done():
            self._warming.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._warming
        await self.catalog.close()  # the warm-up's profile outlives its cancelled waiter
        await self.history.close()
        await self.database.close()

    async def _warm_catalog(self) -> None:
        try:
            await self.catalog.get()
        except Exception:  # the first question will try again and report the problem
            log.warning("could not profile the logs table yet", exc_info=True)

    def _deps(self, **kwargs: Any) -> AgentDeps:
        return AgentDeps(database=self.database, catalog=self.catalog, **kwargs)

    def question(
        self, text: str, max_results: int | None = None, context: list[str] | None = None, source: str = "api"
    ) -> Question:
        rows = max_results or self.settings.default_result_rows
        return Question(
            text.strip(), max(1, min(rows, self.settings.max_result_rows)), tuple(context or ()), source
        )

    def offline_takes(self, text: str) -> bool:
        """Whether the offline fast path answers ``text`` itself when a model is configured: a
        write request (refused by loglens) or a question the planner is sure of."""
        if is_write_request(text):
            return True
        if self.catalog.cached is None:
            return False
        planned = self.offline.planned(text)
        return planned.confident and planned.plan is not None and plan_kind(planned.plan) in FAST_PATH_KINDS

    def engine_for(self, question: Question) -> QueryEngine:
        if self.fast_path is None:
            return self.engine
        if question.context and not is_write_request(question.text):
            return self.engine
        return self.fast_path if self.offline_takes(question.text) else self.engine

    async def events(self, question: Question) -> AsyncGenerator[Event, None]:
        """Stream the answer's events, then record it in the history."""
        engine = self.engine_for(question)
        outcome = QuestionReport(question.text, engine.choice.name)
        async with self._slots:
            async for event in engine.stream(question, outcome):
                if isinstance(event, DoneEvent):  # recorded before the client hears it is done
                    await self._record(outcome, question.source)
                yield event

    async def stream(self, question: Question) -> AsyncIterator[dict[str, Any]]:
        """The same events as sent: each one's JSON-ready ``wire()`` form."""
        async with contextlib.aclosing(self.events(question)) as events:
            async for event in events:
                yield event.wire()

    async def answer(self, question: Question) -> QuestionReport:
        if self.fast_path is not None and not question.context and self.catalog.cached is not None:
            # the fast path is chosen on the profile: a current one, so that logs that just
            # arrived count (the stream cannot wait for this: its first event leaves at once, and
            # the engine refreshes the profile before planning anyway)
            with contextlib.suppress(LoglensError):
                await self.catalog.for_question(question.text)
        engine = self.engine_for(question)
        outcome = QuestionReport(question.text, engine.choice.name)
        async with self._slots:
            async for _ in engine.stream(question, outcome):
                pass
        await self._record(outcome, question.source)
        return outcome

    async def _record(self, outcome: QuestionReport, source: str) -> None:
        try:
            await self.history.record(outcome, source)
        except Exception:  # the answer matters more than its history entry
            log.warning("could not record the question in the history", exc_info=True)
