"""From a Slack event to an answer in its thread.

Listeners only decide and schedule (Slack wants its acknowledgement within three seconds);
each answer then runs as a task of its own: the placeholder is posted at once, the thread's
earlier questions are read, and the agent's events become paced ``chat.update`` calls that
end with the Block Kit answer, or with a sentence saying why there is none.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncBoltContext, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from loglens.agent.events import ErrorEvent, ResultEvent
from loglens.agent.service import MAX_QUESTION_CHARS, AgentService
from loglens.bots.slack import render, threads
from loglens.bots.slack.throttle import PacedUpdates, QuestionLimit
from loglens.settings import Settings

log = logging.getLogger(__name__)

COMMAND = "/loglens"
STOP_TIMEOUT_S = 5.0


@dataclass(frozen=True)
class Ask:
    """One question to answer, and where: the answer goes into ``thread_ts`` of ``channel``."""

    text: str
    user: str
    channel: str
    thread_ts: str
    follow_up: bool  # the thread may hold earlier answers, whose questions are context


class Answers:
    def __init__(self, settings: Settings, service: AgentService, client: AsyncWebClient) -> None:
        self._service = service
        self._client = client
        self._interval_s = settings.slack_update_interval_s
        # Links to the web client; the server sets its real address when it has one.
        self.web_url = settings.public_url or "http://127.0.0.1:8001"
        self._limit = QuestionLimit(settings.slack_questions_per_minute)
        self._seen = threads.RecentlySeen()
        self._tasks: set[asyncio.Task[None]] = set()
        self.bot_user_id: str | None = None  # from auth.test at start, else from Bolt's context

    def register(self, app: AsyncApp) -> None:
        app.event("app_mention")(self.on_mention)
        # Every message event is acknowledged, even those ignored: Slack retries, and in the end
        # disables, an events URL that does not answer 200.
        app.event("message")(self.on_message)
        app.command(COMMAND)(self.on_command)
        app.action(render.SHOW_SQL)(self.on_show_sql)
        app.action(render.RUN_AGAIN)(self.on_run_again)
        app.action(render.OPEN_WEB)(self.on_open_web)
        app.action(render.SUGGESTION)(self.on_suggestion)

    async def stop(self) -> None:
        """Stop the answers still running; each one says so in its message."""
        for task in self._tasks:
            task.cancel()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=STOP_TIMEOUT_S)

    # --- listeners: quick decisions, the work is scheduled -----------------------------------

    async def on_mention(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        self._from_message(event, context)

    async def on_message(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        # Direct messages only: in channels the bot answers when mentioned. Edits, deletions,
        # and bots' messages (its own included) are not questions.
        if event.get("channel_type") != "im" or event.get("subtype") or event.get("bot_id"):
            return
        self._from_message(event, context)

    async def on_command(self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond) -> None:
        text = threads.question_text(str(command.get("text") or ""), None)
        user = str(command.get("user_id") or "")
        if not text or text.lower() == "help":
            await ack(render.usage())
            return
        if len(text) > MAX_QUESTION_CHARS:
            await ack(render.too_long(MAX_QUESTION_CHARS))
            return
        wait = self._limit.take(user)
        if wait:
            await ack(render.rate_limited(self._limit.per_minute, wait))
            return
        await ack()
        self._spawn(self._answer_command(text, user, str(command.get("channel_id") or ""), respond))

    async def on_run_again(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        self._ask_in_thread(body, action)

    async def on_suggestion(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        """A suggestion's button: its question, asked in the thread of the answer that offered it."""
        await ack()
        self._ask_in_thread(body, action)

    def _ask_in_thread(self, body: dict[str, Any], action: dict[str, Any]) -> None:
        """The question a button carries (its value), asked in the thread of its message."""
        user = str((body.get("user") or {}).get("id") or "")
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = str((body.get("channel") or {}).get("id") or container.get("channel_id") or "")
        thread_ts = message.get("thread_ts") or container.get("thread_ts") or message.get("ts")
        text = str(action.get("value") or "")
        if channel and thread_ts and text:
            self._take(Ask(text, user, channel, str(thread_ts), follow_up=True))

    async def on_show_sql(self, ack: AsyncAck, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        # The trigger expires three seconds after the click: open the modal now, not in a task.
        try:
            await self._client.views_open(
                trigger_id=str(body.get("trigger_id")), view=render.sql_modal(str(action.get("value") or ""))
            )
        except SlackApiError as error:
            log.warning("could not open the SQL modal: %s", error.response.get("error"))

    async def on_open_web(self, ack: AsyncAck) -> None:
        await ack()  # a link button: Slack opens the URL, but still tells the app it was clicked

    # --- from an event to an Ask ------------------------------------------------------------

    def _from_message(self, event: dict[str, Any], context: AsyncBoltContext) -> None:
        channel, ts, user = str(event.get("channel") or ""), str(event.get("ts") or ""), event.get("user")
        if not channel or not ts or not user:
            return
        self.bot_user_id = bot_user_id = self.bot_user_id or context.bot_user_id
        if user == bot_user_id or not self._seen.first_time((channel, ts)):
            return  # its own message, or a question already being answered (a retry, a DM mention)
        text = threads.question_text(str(event.get("text") or ""), bot_user_id)
        thread_ts = str(event.get("thread_ts") or ts)
        ask = Ask(text, str(user), channel, thread_ts, follow_up="thread_ts" in event)
        if not text:
            self._spawn(self._reply(ask, render.usage()))
        elif len(text) > MAX_QUESTION_CHARS:
            self._spawn(self._reply(ask, render.too_long(MAX_QUESTION_CHARS)))
        else:
            self._take(ask)

    def _take(self, ask: Ask) -> None:
        wait = self._limit.take(ask.user)
        if wait:
            self._spawn(self._tell(ask, render.rate_limited(self._limit.per_minute, wait)))
        else:
            self._spawn(self._answer(ask))

    def _spawn(self, work: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._done)

    def _done(self, task: asyncio.Task[None]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("a Slack answer failed", exc_info=task.exception())

    # --- the work ---------------------------------------------------------------------------

    async def _answer_command(self, text: str, user: str, channel: str, respond: AsyncRespond) -> None:
        """A slash command has no message to thread under: the bot posts who asked what, first."""
        try:
            parent = await self._client.chat_postMessage(channel=channel, **_view(render.asked(user, text)))
        except SlackApiError as error:
            reason = error.response.get("error")
            log.info("cannot post the question in %s: %s", channel, reason)
            said = render.not_in_channel() if reason in ("not_in_channel", "channel_not_found") else None
            await respond(said or render.sentence("failed", f"Slack refused the message ({reason})"))
            return
        await self._answer(Ask(text, user, channel, str(parent["ts"]), follow_up=False))

    async def _answer(self, ask: Ask) -> None:
        try:
            posted = await self._client.chat_postMessage(
                channel=ask.channel,
                thread_ts=ask.thread_ts,
                metadata=render.metadata(ask.text),
                **_view(render.placeholder()),
            )
        except SlackApiError as error:
            log.warning("cannot post in %s: %s", ask.channel, error.response.get("error"))
            return
        ts = str(posted["ts"])

        async def update(view: render.View) -> None:
            await self._client.chat_update(
                channel=ask.channel, ts=ts, metadata=render.metadata(ask.text), **_view(view)
            )

        updates: PacedUpdates[render.View] = PacedUpdates(update, self._interval_s)
        final: render.View | None = None
        try:
            final = await self._stream(ask, ts, updates)
        except asyncio.CancelledError:
            final = render.stopped(ask.text, self.web_url)
            raise
        except Exception as error:  # a bug of ours: the thread still gets a sentence, and the log the trace
            log.exception("answering %r in Slack failed", ask.text)
            failed = ErrorEvent(message=f"loglens failed: {type(error).__name__}", outcome="failed")
            final = render.failure(ask.text, failed, self.web_url)
        finally:
            await updates.finish(final or render.stopped(ask.text, self.web_url))

    async def _stream(self, ask: Ask, ts: str, updates: PacedUpdates[render.View]) -> render.View:
        context = await self._context(ask, ts) if ask.follow_up else []
        question = self._service.question(ask.text, context=context, source="slack")
        progress = render.Progress()
        final: render.View | None = None
        async for event in self._service.events(question):
            if isinstance(event, ResultEvent):
                final = render.answer(ask.text, event.wire(), self.web_url)
            elif isinstance(event, ErrorEvent):
                final = render.failure(ask.text, event, self.web_url)
            elif progress.feed(event):
                updates.show(progress.view())
        return final or render.failure(ask.text, ErrorEvent(message="", outcome="failed"), self.web_url)

    async def _context(self, ask: Ask, before_ts: str) -> list[str]:
        try:
            earlier = await threads.earlier_questions(
                self._client, ask.channel, ask.thread_ts, before_ts, self.bot_user_id
            )
        except SlackApiError as error:  # the question is still worth answering without them
            log.warning("cannot read the thread's earlier questions: %s", error.response.get("error"))
            return []
        # "Run again" asks the same question again: it is not its own context.
        return [question for question in earlier if question != ask.text]

    async def _reply(self, ask: Ask, text: str) -> None:
        with contextlib.suppress(SlackApiError):
            await self._client.chat_postMessage(channel=ask.channel, thread_ts=ask.thread_ts, text=text)

    async def _tell(self, ask: Ask, text: str) -> None:
        """Only the asker sees it: a refusal need not interrupt everyone in the channel."""
        with contextlib.suppress(SlackApiError):
            await self._client.chat_postEphemeral(
                channel=ask.channel, user=ask.user, thread_ts=ask.thread_ts, text=text
            )


def _view(view: render.View) -> dict[str, Any]:
    return {"text": view.text, "blocks": view.blocks}
