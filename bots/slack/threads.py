"""Questions as Slack writes them, threads as context, and events Slack delivers twice.

A follow-up in a thread is answered with the thread's earlier questions as context. They are
read back from Slack (``conversations.replies``) rather than remembered, so that they survive
a restart: every answer the bot posts carries its question in message metadata.
"""

from __future__ import annotations

import html
import re
import time
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from slack_sdk.web.async_client import AsyncWebClient

from loglens.bots.slack.render import ANSWER_EVENT

CONTEXT_QUESTIONS = 5  # the engine's prompt keeps the last five too
THREAD_PAGE = 200

_MENTION = re.compile(r"<@([A-Z0-9]+)(?:\|([^>]*))?>")
_CHANNEL = re.compile(r"<#[A-Z0-9]+\|([^>]*)>")
_SPECIAL = re.compile(r"<!([a-z]+)(?:\^[^>|]*)?(?:\|([^>]*))?>")
_LINK = re.compile(r"<([^<>|]+)\|([^<>]*)>|<([^<>|]+)>")


def question_text(text: str, bot_user_id: str | None) -> str:
    """The question in a message: the bot's own mention removed, Slack's markup read as text."""

    def mention(match: re.Match[str]) -> str:
        if match.group(1) == bot_user_id:
            return " "
        return "@" + (match.group(2) or match.group(1))

    text = _MENTION.sub(mention, text)
    text = _CHANNEL.sub(lambda m: "#" + m.group(1), text)
    text = _SPECIAL.sub(lambda m: "@" + (m.group(2) or m.group(1)), text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(3), text)
    return " ".join(html.unescape(text).split())


def is_before(ts: str, other: str) -> bool:
    """Slack timestamps are "seconds.micro" strings: compare them as numbers, not as text."""
    return _ts_key(ts) < _ts_key(other)


def _ts_key(ts: str) -> tuple[int, int]:
    seconds, _, fraction = ts.partition(".")
    return int(seconds or 0), int(fraction.ljust(6, "0")[:6] or 0)


async def earlier_questions(
    client: AsyncWebClient, channel: str, thread_ts: str, before_ts: str, bot_user_id: str | None
) -> list[str]:
    """The questions the bot answered in this thread before ``before_ts``, oldest first."""
    response = await client.conversations_replies(
        channel=channel, ts=thread_ts, include_all_metadata=True, limit=THREAD_PAGE
    )
    questions: list[str] = []
    for message in response.get("messages") or []:
        if not is_before(str(message.get("ts", "")), before_ts):
            continue
        question = _answered_question(message, bot_user_id)
        if question and (not questions or questions[-1] != question):
            questions.append(question)
    return questions[-CONTEXT_QUESTIONS:]


def _answered_question(message: dict[str, Any], bot_user_id: str | None) -> str | None:
    # Only the bot's own answers count: metadata is written by apps, and ours by this bot.
    if bot_user_id is not None and message.get("user") != bot_user_id:
        return None
    meta = message.get("metadata") or {}
    if meta.get("event_type") != ANSWER_EVENT:
        return None
    question = (meta.get("event_payload") or {}).get("question")
    return question.strip() if isinstance(question, str) and question.strip() else None


class RecentlySeen:
    """Keys seen in the last ``ttl_s`` (at most ``size`` of them): Slack delivers some events twice.

    Its retries (``X-Slack-Retry-Num``) repeat an event it thinks was lost, and a direct message
    that mentions the bot arrives both as a message and as a mention. Keyed by the message
    itself (channel and ts), each question is answered once however it arrives.
    """

    def __init__(self, ttl_s: float = 3600.0, size: int = 10_000) -> None:
        self._ttl = ttl_s
        self._size = size
        self._seen: OrderedDict[Hashable, float] = OrderedDict()

    def first_time(self, key: Hashable) -> bool:
        now = time.monotonic()
        while self._seen and (len(self._seen) >= self._size or next(iter(self._seen.values())) < now - self._ttl):
            self._seen.popitem(last=False)
        if key in self._seen:
            return False
        self._seen[key] = now
        return True
