"""What the bot shows, for inputs that are awkward to reach through a whole conversation: Slack's
markup in questions, log content with Slack's control syntax, and sizes near Slack's limits."""

from __future__ import annotations

from typing import Any

from loglens.agent import events
from loglens.bots.slack import render
from loglens.bots.slack.threads import RecentlySeen, is_before, question_text
from loglens.bots.slack.throttle import QuestionLimit


def test_questions_are_read_from_slacks_markup() -> None:
    text = (
        "<@UBOT0001> errors for <@U0000002|bob> in <#C0000001|incidents> from "
        "<https://app.example.com/pay|the pay page> &lt;5xx&gt; &amp; <!here>"
    )
    assert question_text(text, "UBOT0001") == ("errors for @bob in #incidents from the pay page <5xx> & @here")
    assert question_text("<@UBOT0001>", "UBOT0001") == ""


def test_log_content_cannot_ping_the_channel_or_break_the_layout() -> None:
    result: dict[str, Any] = {
        "insight": "<!channel> said the log & nothing else",
        "sql": "SELECT message FROM logs WHERE message LIKE '%```%' AND duration_ms > 5",
        "reading": "Logs, message containing “```” <!here>,\n  all time",
        "columns": ["message"],
        "results": [{"message": "<!everyone> ```\nline two"}],
        "count": 1,
        "execution_time_ms": 1.5,
        "total_time_ms": 1234.0,
        "engine": "offline",
    }
    view = render.answer("q", result, "https://loglens.example.com")
    assert view.text == "&lt;!channel&gt; said the log &amp; nothing else"
    shown = "\n".join(b["text"]["text"] for b in view.blocks if b["type"] == "section")
    assert "<!" not in shown
    assert shown.count("```") == 4  # two code blocks, each opened and closed once
    assert "&gt; 5" in shown
    assert "&lt;!everyone&gt; `\u200b`\u200b` line two" in shown  # one line per row
    reading = view.blocks[1]["elements"][0]["text"]
    assert reading == "Read as: Logs, message containing “```” &lt;!here&gt;, all time"  # one line, escaped
    facts = view.blocks[4]["elements"][0]["text"]
    assert facts == "1 row · query 2 ms · answered in 1.2 s · engine offline"


def test_big_answers_stay_within_slacks_limits() -> None:
    columns = [f"column_{n}" for n in range(9)]
    rows = [dict.fromkeys(columns, "x" * 500) for _ in range(250)]
    result = {
        "insight": "i" * 5000,
        "reading": "r " * 2000,
        "sql": "SELECT 1 " * 900,
        "columns": columns,
        "results": rows,
        "count": 250,
    }
    view = render.answer("q" * 5000, result, "https://loglens.example.com")
    for block in view.blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "context":
            assert all(len(element["text"]) <= 3000 for element in block["elements"])
    table = view.blocks[3]["text"]["text"].strip("`").splitlines()
    assert len(table) == 2 + render.TABLE_ROWS + 1  # header, rule, ten rows, "(+3 more columns)"
    assert table[-1] == "(+3 more columns)"
    buttons = {e["action_id"]: e for e in view.blocks[-1]["elements"]}
    assert len(buttons[render.SHOW_SQL]["value"]) <= 2000
    assert len(buttons[render.RUN_AGAIN]["value"]) <= 2000
    assert len(buttons[render.OPEN_WEB]["url"]) <= 3000
    assert "250 rows · first 10 shown" in view.blocks[4]["elements"][0]["text"]


def test_an_answer_without_a_reading_shows_none() -> None:
    view = render.answer("q", {"insight": "3.", "sql": "SELECT 3", "columns": [], "results": [], "count": 0}, "u")
    assert [block["type"] for block in view.blocks] == ["section", "section", "context", "actions"]
    assert "Read as" not in str(view.blocks)


def test_suggestions_are_buttons_that_carry_their_question() -> None:
    long = "how many errors per service " * 10
    error = events.ErrorEvent(
        message="no", outcome="unanswerable", suggestions=["errors today?", "오늘 에러 수", long, " "]
    )
    view = render.failure("weather?", error, "https://loglens.example.com")
    [suggestions] = [b for b in view.blocks if b.get("block_id") == render.SUGGESTIONS_BLOCK]
    assert suggestions["type"] == "actions"
    buttons = suggestions["elements"]
    assert [b["action_id"] for b in buttons] == [
        f"{render.SUGGEST}{n}" for n in range(3)
    ]  # the blank one left out
    assert all(render.SUGGESTION.match(b["action_id"]) for b in buttons)
    assert [b["value"] for b in buttons] == ["errors today?", "오늘 에러 수", long]
    assert [b["text"]["text"] for b in buttons][:2] == ["errors today?", "오늘 에러 수"]
    assert len(buttons[2]["text"]["text"]) == render.LABEL_CHARS  # Slack's limit for a button's text
    assert view.blocks[-1]["block_id"] == render.ACTIONS_BLOCK  # the usual buttons stay last


def test_errors_become_sentences() -> None:
    assert render.sentence("failed", "PostgreSQL is unavailable: connection refused") == (
        "I couldn't answer that: PostgreSQL is unavailable: connection refused."
    )
    assert render.sentence("refused", "the query was refused: only a SELECT query is allowed, not DROP") == (
        "I couldn't answer that safely: the query was refused: only a SELECT query is allowed, not DROP."
    )
    assert render.sentence("unanswerable", "logs don't know the weather") == "Logs don't know the weather."
    assert render.sentence("unanswerable", "로그로는 날씨를 알 수 없어요.") == "로그로는 날씨를 알 수 없어요."
    assert render.sentence("failed", "line one\n  Traceback line two") == (
        "I couldn't answer that: line one Traceback line two."
    )


def test_the_question_limit_is_a_bucket_per_person() -> None:
    now = [0.0]
    limit = QuestionLimit(per_minute=2, clock=lambda: now[0])
    assert [limit.take("alice"), limit.take("alice")] == [0.0, 0.0]
    assert limit.take("alice") == 30.0  # one question comes back every 30 s
    assert limit.take("bob") == 0.0
    now[0] = 15.0
    assert limit.take("alice") == 15.0
    now[0] = 30.0
    assert limit.take("alice") == 0.0


def test_slack_timestamps_and_duplicates() -> None:
    assert is_before("1767225609.000009", "1767225610.000001")
    assert is_before("1767225610.9", "1767225610.95")
    assert not is_before("1767225610.100000", "1767225610.1")
    seen = RecentlySeen(size=2)
    assert seen.first_time(("C1", "1.1"))
    assert not seen.first_time(("C1", "1.1"))
    assert seen.first_time(("C1", "1.2"))
    assert seen.first_time(("C1", "1.3"))  # the oldest is forgotten past the size
    assert seen.first_time(("C1", "1.1"))
