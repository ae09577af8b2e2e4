"""What Slack shows: the placeholder, the answer while it streams, and the final Block Kit answer.

Every view is plain data (``View``: the notification text and the blocks), built from the
agent's protocol events; nothing here talks to Slack. Text from the agent or the logs is
escaped for mrkdwn, and every block stays within Slack's size limits.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from loglens.agent import events

PLACEHOLDER = "Looking at the logs…"
# The message metadata event type of the bot's answers: how a thread's earlier questions are found.
ANSWER_EVENT = "loglens_answer"
ACTIONS_BLOCK = "loglens_actions"
SHOW_SQL = "loglens_show_sql"
RUN_AGAIN = "loglens_run_again"
OPEN_WEB = "loglens_open_web"
# The suggestions under a question loglens could not answer: one button each, which asks it.
SUGGESTIONS_BLOCK = "loglens_suggestions"
SUGGEST = "loglens_suggest_"  # + the suggestion's index: action ids are unique within a block
SUGGESTION = re.compile(rf"^{SUGGEST}\d+$")

TABLE_ROWS = 10
TABLE_COLUMNS = 6
CELL_CHARS = 28
SECTION_CHARS = 2900  # Slack refuses a section's text over 3000 characters
VALUE_CHARS = 2000  # a button's value
LABEL_CHARS = 75  # a button's text
MAX_SUGGESTIONS = 5  # Slack allows 25 elements in an actions block; the agent gives at most 4
URL_CHARS = 3000  # a button's url

Block = dict[str, Any]


@dataclass(frozen=True)
class View:
    text: str  # what notifications and clients without blocks show
    blocks: list[Block]


def metadata(question: str) -> dict[str, Any]:
    """Carried by every answer message, so that follow-ups in its thread know what was asked."""
    return {"event_type": ANSWER_EVENT, "event_payload": {"question": question[:VALUE_CHARS]}}


def placeholder() -> View:
    return View(PLACEHOLDER, [_context(f":hourglass_flowing_sand: {PLACEHOLDER}")])


@dataclass
class Progress:
    """The answer as far as it has streamed: the current step, the SQL and the insight so far."""

    step: str = PLACEHOLDER
    percent: int = 0
    sql: str = ""
    insight: str = ""
    attempt: int = 1
    notes: list[str] = field(default_factory=list)

    def feed(self, event: events.Event) -> bool:
        """Take one protocol event; whether what Slack should show changed."""
        if isinstance(event, events.NodeStartEvent):
            if event.node == "generate_sql":
                self.sql = ""  # a new attempt rewrites the query from the start
            elif event.node == "generate_insight":
                self.insight = ""
            self.attempt = event.attempt or self.attempt
            step = events.STEPS[event.node].label
            if event.node == "validate_sql" and self.attempt > 1:
                step += f" (attempt {self.attempt})"
            self.step = step
            self.percent = event.progress or self.percent
            return True
        if isinstance(event, events.NodeEndEvent):
            self.percent = max(self.percent, event.progress)
            if event.ok is False and event.error:
                self.notes = [f"Attempt {self.attempt} did not work: {event.error}"][-1:]
            return event.ok is False
        if isinstance(event, events.TokenEvent):
            if event.field == "sql":
                self.sql += event.content
            else:
                self.insight += event.content
            return True
        return False

    def view(self) -> View:
        blocks = [_context(f":hourglass_flowing_sand: {escape(self.step)}… ({self.percent}%)")]
        if self.insight:
            blocks.append(_section(escape(self.insight)))
        if self.sql:
            blocks.append(_section(code(self.sql)))
        blocks += [_context(f":warning: {escape(_clip(note, 300))}") for note in self.notes]
        return View(PLACEHOLDER, blocks)


def answer(question: str, result: dict[str, Any], web_url: str) -> View:
    """The final answer: the insight, what was computed (the reading), the SQL, the first rows,
    counts and timing, and buttons.

    ``result`` is the answer's fields: a result event's ``wire()``, or the body of POST /query."""
    insight = str(result.get("insight") or "")
    reading = " ".join(str(result.get("reading") or "").split())
    sql = str(result.get("sql") or "")
    columns = [str(column) for column in result.get("columns") or []]
    rows: list[dict[str, Any]] = list(result.get("results") or [])
    blocks = [_section(escape(insight) or "_No insight was written._")]
    if reading:
        blocks.append(_context(f"Read as: {escape(reading)}"))
    blocks.append(_section(code(sql)))
    if rows:
        blocks.append(_section(code(table(columns, rows))))
    blocks.append(_context(escape(_facts(result, len(rows)))))
    blocks.append(_actions(question, web_url, sql))
    # The notification text is mrkdwn too: escaped, a "<!channel>" quoted from a log cannot ping anyone.
    return View(_clip(escape(insight) or "loglens answered", SECTION_CHARS), blocks)


def failure(question: str, error: events.ErrorEvent, web_url: str) -> View:
    """A question that could not be answered: what went wrong, as a sentence, and what to try:
    each suggestion a button that asks it in the same thread."""
    said = sentence(error.outcome or "failed", error.message)
    blocks = [_section(escape(said))]
    suggestions = [s for s in error.suggestions or [] if s.strip()][:MAX_SUGGESTIONS]
    if suggestions:
        blocks.append(_section("Try one of these:"))
        blocks.append(
            {
                "type": "actions",
                "block_id": SUGGESTIONS_BLOCK,
                "elements": [
                    _button(_clip(" ".join(s.split()), LABEL_CHARS), f"{SUGGEST}{n}", value=s[:VALUE_CHARS])
                    for n, s in enumerate(suggestions)
                ],
            }
        )
    blocks.append(_actions(question, web_url, None))
    return View(escape(said), blocks)


def sentence(kind: str, message: str) -> str:
    """The agent's error as a sentence a person reads: capitalised, ended, without a traceback."""
    text = " ".join(message.split()) or "the run ended without an answer"
    text = _clip(text, 1200)
    if kind == "unanswerable":  # the reason is already the agent's own sentence to the user
        return _ended(text[0].upper() + text[1:])
    lead = "I couldn't answer that safely" if kind == "refused" else "I couldn't answer that"
    return _ended(f"{lead}: {text}")


def stopped(question: str, web_url: str) -> View:
    return failure(
        question,
        events.ErrorEvent(message="loglens stopped before the answer was ready; ask again", outcome="failed"),
        web_url,
    )


def rate_limited(per_minute: int, wait_s: float) -> str:
    seconds = max(1, math.ceil(wait_s))
    return (
        f"You've asked {per_minute} questions in the last minute, which is as many as I take from one "
        f"person; please ask again in {seconds} second{'s' if seconds != 1 else ''}."
    )


def usage() -> str:
    return (
        "Ask me about the logs, in English or Korean: `/loglens How many errors happened in the last hour?`, "
        "or mention me in a channel, or send me a direct message. Reply in the thread of an answer to follow up."
    )


def too_long(limit: int) -> str:
    return f"That question is longer than {limit} characters; please ask it in fewer words."


def not_in_channel() -> str:
    return (
        "I can't post in this conversation: invite me first (`/invite @loglens`), or ask me in a direct message."
    )


def asked(user: str, question: str) -> View:
    """The channel message a slash command's answer is threaded under: who asked what."""
    said = f"<@{user}> asked: {escape(_clip(question, SECTION_CHARS - 40))}"
    return View(f"asked: {escape(_clip(question, 200))}", [_section(said)])


def sql_modal(sql: str) -> dict[str, Any]:
    """The "Show SQL" modal: the whole query, ready to copy."""
    note = "" if len(sql) < VALUE_CHARS else "\n_(the first 2000 characters)_"
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": "SQL"},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [_section(code(sql) + note)],
    }


def web_link(web_url: str, question: str) -> str:
    """The same question in the web client, which asks it when opened with ``?q=``."""
    url = f"{web_url}/?q={quote(question, safe='')}"
    while len(url) > URL_CHARS:  # a very long question: the link carries as much of it as fits
        question = question[: len(question) * 3 // 4]
        url = f"{web_url}/?q={quote(question, safe='')}"
    return url


def table(columns: list[str], rows: list[dict[str, Any]]) -> str:
    """The first rows as aligned monospace text: a table readable on a phone too."""
    shown = columns[:TABLE_COLUMNS]
    cells = [[_cell(row.get(column)) for column in shown] for row in rows[:TABLE_ROWS]]
    widths = [
        max([len(_clip(column, CELL_CHARS)), *(len(row[i]) for row in cells)]) for i, column in enumerate(shown)
    ]
    lines = ["  ".join(_clip(c, CELL_CHARS).ljust(w) for c, w in zip(shown, widths, strict=True)).rstrip()]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells]
    if len(columns) > len(shown):
        lines.append(f"(+{len(columns) - len(shown)} more columns)")
    return "\n".join(lines)


def escape(text: str) -> str:
    """Slack's three control characters; everything else in mrkdwn is safe to show."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def code(text: str) -> str:
    # Three backticks inside would close the block early: a zero-width space keeps them apart.
    body = escape(text.strip()).replace("```", "`\u200b`\u200b`")
    return f"```{_clip(body, SECTION_CHARS - 6)}```"


def _facts(result: dict[str, Any], shown_rows: int) -> str:
    count = int(result.get("count") or 0)
    facts = [
        f"{count} row{'s' if count != 1 else ''}"
        + (" (the row cap; more matched)" if result.get("truncated") else "")
    ]
    if count > TABLE_ROWS and shown_rows:
        facts.append(f"first {TABLE_ROWS} shown")
    facts.append(f"query {_duration(result.get('execution_time_ms'))}")
    facts.append(f"answered in {_duration(result.get('total_time_ms'))}")
    if result.get("engine"):
        facts.append(f"engine {result['engine']}")
    return " · ".join(facts)


def _duration(ms: Any) -> str:
    if not isinstance(ms, int | float):
        return "?"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.1f} s"


def _actions(question: str, web_url: str, sql: str | None) -> Block:
    buttons: list[Block] = []
    if sql:
        buttons.append(_button("Show SQL", SHOW_SQL, value=sql[:VALUE_CHARS]))
    buttons.append(_button("Run again", RUN_AGAIN, value=question[:VALUE_CHARS]))
    buttons.append(_button("Open in loglens", OPEN_WEB, url=web_link(web_url, question)))
    return {"type": "actions", "block_id": ACTIONS_BLOCK, "elements": buttons}


def _button(label: str, action_id: str, *, value: str | None = None, url: str | None = None) -> Block:
    button: Block = {"type": "button", "action_id": action_id, "text": {"type": "plain_text", "text": label}}
    if value is not None:
        button["value"] = value
    if url is not None:
        button["url"] = url
    return button


def _section(mrkdwn: str) -> Block:
    return {"type": "section", "text": {"type": "mrkdwn", "text": _clip(mrkdwn, SECTION_CHARS)}}


def _context(mrkdwn: str) -> Block:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": _clip(mrkdwn, SECTION_CHARS)}]}


def _cell(value: Any) -> str:
    if value is None:
        text = ""
    elif isinstance(value, float):
        text = f"{value:.2f}".rstrip("0").rstrip(".") if math.isfinite(value) else str(value)
    else:
        text = str(value)
    return _clip(" ".join(text.split()), CELL_CHARS)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ended(text: str) -> str:
    return text if text.endswith((".", "!", "?", "。", "…")) else text + "."
