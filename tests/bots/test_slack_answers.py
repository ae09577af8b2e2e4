"""Questions asked in Slack, answered in their thread: a mention, a direct message, /loglens,
follow-ups with the thread's earlier questions, and the buttons under an answer."""

from __future__ import annotations

import itertools
import logging
import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from loglens.bots.slack import render
from tests.agent.conftest import answer, call
from tests.bots.conftest import (
    ALICE,
    CHANNEL,
    DM,
    ERRORS_BY_SERVICE,
    ERRORS_LAST_HOUR,
    WEB,
    ByQuestion,
    is_final,
    texts,
)
from tests.bots.fake_slack import BOT_USER, FakeSlack

INTERVAL_S = 0.2


READ_LAST_HOUR = "Number of errors, last hour"
READ_BY_SERVICE = "Number of errors, all time, per service, most first"


def model() -> ByQuestion:
    return ByQuestion(
        {
            "last hour": answer(ERRORS_LAST_HOUR, "There were 3 errors in the last hour.", "stat", READ_LAST_HOUR),
            "by service": answer(
                ERRORS_BY_SERVICE, "payment-api had the most errors (2).", "bar", READ_BY_SERVICE
            ),
        }
    )


def assert_streamed_then_answered(slack: FakeSlack, channel: str, reply: dict[str, Any]) -> list[dict[str, Any]]:
    """The reply was posted as the placeholder, updated while the answer streamed (paced), and
    ended with the final answer; returns the updates' arguments."""
    posted = next(
        c
        for c in slack.called("chat.postMessage")
        if c.args.get("channel") == channel and c.args.get("thread_ts") == reply["thread_ts"]
    )
    assert posted.args["text"] == render.PLACEHOLDER
    updates = slack.updates_of(channel, reply["ts"])
    assert len(updates) >= 3, [u.args["text"] for u in updates]
    *streaming, last = updates
    assert not any(is_final(u.args) for u in streaming)
    assert is_final(last.args)
    # Something of the answer showed while it streamed: the step, then the SQL as it was written.
    shown = [texts(u.args) for u in streaming]
    assert any("Writing the SQL" in text or "Running the query" in text for text in shown)
    assert any("```SELECT" in text for text in shown)
    # Paced: streaming updates at least the interval apart (the placeholder counts as a write).
    times = [posted.at] + [u.at for u in streaming]
    gaps = [later - earlier for earlier, later in itertools.pairwise(times)]
    assert min(gaps) >= INTERVAL_S * 0.9, gaps
    return [u.args for u in updates]


def assert_final_answer(message: dict[str, Any], insight: str, sql: str, reading: str) -> None:
    blocks = message["blocks"]
    assert blocks[0]["text"]["text"] == insight
    # what was computed, between the insight and the SQL
    assert blocks[1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": f"Read as: {reading}"}]}
    assert blocks[2]["text"]["text"] == f"```{render.escape(sql)}```"
    assert message["text"] == insight
    buttons = {element["action_id"]: element for element in blocks[-1]["elements"]}
    assert [element["text"]["text"] for element in blocks[-1]["elements"]] == [
        "Show SQL",
        "Run again",
        "Open in loglens",
    ]
    assert buttons[render.SHOW_SQL]["value"] == sql


@pytest.mark.usefixtures("logs")
async def test_a_mention_is_answered_in_its_thread_as_it_streams(start_bot: Any, slack: FakeSlack) -> None:
    scripted = model()
    bot = await start_bot(scripted.choice())

    sent = time.perf_counter()
    question = await bot.mention("how many errors in the last hour?")
    [reply] = await bot.answers(CHANNEL, question["ts"])

    placeholder = next(c for c in slack.called("chat.postMessage") if c.args.get("thread_ts") == question["ts"])
    assert placeholder.at - sent < 1.0  # "at once": well before any answer could be ready
    assert reply["thread_ts"] == question["ts"]
    assert_streamed_then_answered(slack, CHANNEL, reply)
    assert_final_answer(reply, "There were 3 errors in the last hour.", ERRORS_LAST_HOUR, READ_LAST_HOUR)
    table = reply["blocks"][3]["text"]["text"]
    assert table.startswith("```errors")
    assert "3" in table
    facts = reply["blocks"][4]["elements"][0]["text"]
    assert facts.startswith("1 row · query ")
    assert "answered in" in facts
    assert facts.endswith("engine scripted")
    link = next(e for e in reply["blocks"][-1]["elements"] if e["action_id"] == render.OPEN_WEB)["url"]
    assert link.startswith(f"{WEB}/?q=")
    assert parse_qs(urlsplit(link).query)["q"] == ["how many errors in the last hour?"]
    assert scripted.prompts == ["how many errors in the last hour?"]  # the mention taken out
    assert len(slack.bot_replies(CHANNEL, question["ts"])) == 1
    # Bolt sets the level of the logger it names after the app: never one of loglens's own.
    assert logging.getLogger("loglens").level == logging.NOTSET


@pytest.mark.usefixtures("logs")
async def test_a_direct_message_is_answered_in_its_thread(start_bot: Any, slack: FakeSlack) -> None:
    bot = await start_bot(model().choice())

    question = await bot.dm("errors by service")
    [reply] = await bot.answers(DM, question["ts"])

    assert_streamed_then_answered(slack, DM, reply)
    assert_final_answer(reply, "payment-api had the most errors (2).", ERRORS_BY_SERVICE, READ_BY_SERVICE)
    table = reply["blocks"][3]["text"]["text"].strip("`").splitlines()
    assert table[0].split() == ["service", "errors"]
    assert table[2].split() == ["payment-api", "2"]
    assert len(table) == 2 + 3  # header, rule, three services


@pytest.mark.usefixtures("logs")
async def test_a_slash_command_posts_the_question_and_answers_under_it(start_bot: Any, slack: FakeSlack) -> None:
    bot = await start_bot(model().choice())

    acknowledged = await bot.command("errors in the last hour by service")

    assert acknowledged == {}  # nothing ephemeral: the question is posted for the channel to see
    parent = await _eventually_posted(slack, CHANNEL)
    assert texts(parent) == f"<@{ALICE}> asked: errors in the last hour by service"
    [reply] = await bot.answers(CHANNEL, parent["ts"])
    assert_streamed_then_answered(slack, CHANNEL, reply)
    assert_final_answer(reply, "There were 3 errors in the last hour.", ERRORS_LAST_HOUR, READ_LAST_HOUR)


async def _eventually_posted(slack: FakeSlack, channel: str) -> dict[str, Any]:
    from tests.conftest import eventually

    await eventually(
        lambda: any("thread_ts" not in m and m.get("user") == BOT_USER for m in slack.channels.get(channel, []))
    )
    return next(m for m in slack.channels[channel] if "thread_ts" not in m and m.get("user") == BOT_USER)


@pytest.mark.usefixtures("logs")
async def test_a_follow_up_in_the_thread_is_asked_with_the_earlier_questions(
    start_bot: Any, slack: FakeSlack
) -> None:
    scripted = model()
    bot = await start_bot(scripted.choice(), slack_update_interval_s=0.05)

    first = await bot.mention("how many errors in the last hour?")
    await bot.answers(CHANNEL, first["ts"])
    await bot.mention("and by service?", thread_ts=first["ts"])
    answers = await bot.answers(CHANNEL, first["ts"], count=2)

    assert answers[1]["blocks"][0]["text"]["text"] == "payment-api had the most errors (2)."
    assert scripted.prompts[0] == "how many errors in the last hour?"
    assert scripted.prompts[1] == (
        "Earlier questions in this conversation:\n- how many errors in the last hour?\n\nQuestion: and by service?"
    )
    replies = slack.called("conversations.replies")
    assert [(c.args["channel"], c.args["ts"]) for c in replies] == [
        (CHANNEL, first["ts"])
    ]  # a new thread reads nothing

    # The same in a direct message's thread, where no mention is needed.
    dm = await bot.dm("how many errors in the last hour?")
    await bot.answers(DM, dm["ts"])
    await bot.dm("and by service?", thread_ts=dm["ts"])
    await bot.answers(DM, dm["ts"], count=2)
    assert scripted.prompts[-1].startswith(
        "Earlier questions in this conversation:\n- how many errors in the last hour?"
    )


@pytest.mark.usefixtures("logs")
async def test_the_buttons_show_the_sql_and_run_the_question_again(start_bot: Any, slack: FakeSlack) -> None:
    scripted = model()
    bot = await start_bot(scripted.choice(), slack_update_interval_s=0.05)
    question = await bot.mention("errors by service")
    [reply] = await bot.answers(CHANNEL, question["ts"])

    assert await bot.click(reply, render.SHOW_SQL, CHANNEL) == 200
    [opened] = slack.called("views.open")
    assert opened.args["trigger_id"] == "1337.43.efgh"
    assert texts(opened.args["view"]) == f"```{render.escape(ERRORS_BY_SERVICE)}```"

    assert await bot.click(reply, render.RUN_AGAIN, CHANNEL) == 200
    _, again = await bot.answers(CHANNEL, question["ts"], count=2)
    assert again["blocks"][0]["text"]["text"] == "payment-api had the most errors (2)."
    assert again["thread_ts"] == question["ts"]
    assert scripted.prompts[-1] == "errors by service"  # not its own context

    assert await bot.click(reply, render.OPEN_WEB, CHANNEL) == 200  # acknowledged, nothing posted
    assert len(slack.bot_replies(CHANNEL, question["ts"])) == 2


@pytest.mark.usefixtures("logs")
async def test_the_offline_engines_reading_is_in_the_answer_in_the_questions_language(start_bot: Any) -> None:
    bot = await start_bot(slack_update_interval_s=0.05)  # the offline engine

    english = await bot.mention("how many errors in the last hour?")
    korean = await bot.dm("최근 1시간 에러 몇 건이야?")
    [in_english] = await bot.answers(CHANNEL, english["ts"])
    [in_korean] = await bot.answers(DM, korean["ts"])

    assert texts(in_english).splitlines()[1] == "Read as: Number of errors, last hour"
    assert texts(in_korean).splitlines()[1] == "Read as: 에러 수, 최근 1시간"
    assert in_korean["blocks"][2]["text"]["text"].startswith("```SELECT")  # the reading, then the SQL


@pytest.mark.usefixtures("logs")
async def test_a_suggestion_is_a_button_that_asks_it_in_the_same_thread(start_bot: Any, slack: FakeSlack) -> None:
    scripted = ByQuestion(
        {
            "weather": [
                call(
                    "cannot_answer",
                    reason="logs don't know the weather",
                    suggestions=["errors by service", "how many errors in the last hour?"],
                )
            ],
            **model().scripts,
        }
    )
    bot = await start_bot(scripted.choice(), slack_update_interval_s=0.05)
    question = await bot.mention("what's the weather?")
    [reply] = await bot.answers(CHANNEL, question["ts"])

    assert "•" not in texts(reply)  # buttons, not a list
    [suggestions] = [block for block in reply["blocks"] if block.get("block_id") == render.SUGGESTIONS_BLOCK]
    labels = [button["text"]["text"] for button in suggestions["elements"]]
    assert labels == ["errors by service", "how many errors in the last hour?"]

    assert await bot.click(reply, f"{render.SUGGEST}0", CHANNEL) == 200
    _, answered = await bot.answers(CHANNEL, question["ts"], count=2)
    assert answered["thread_ts"] == question["ts"]
    assert answered["blocks"][0]["text"]["text"] == "payment-api had the most errors (2)."
    assert scripted.prompts[-1].endswith("Question: errors by service")  # the suggestion, asked as written

    assert await bot.click(reply, f"{render.SUGGEST}1", CHANNEL) == 200
    *_, third = await bot.answers(CHANNEL, question["ts"], count=3)
    assert third["blocks"][0]["text"]["text"] == "There were 3 errors in the last hour."
    assert len(slack.bot_replies(CHANNEL, question["ts"])) == 3


@pytest.mark.parametrize("text", ["", "help"])
@pytest.mark.usefixtures("logs")
async def test_slash_command_without_a_question_explains_itself(
    start_bot: Any, slack: FakeSlack, text: str
) -> None:
    bot = await start_bot()
    acknowledged = await bot.command(text)
    assert "/loglens How many errors happened in the last hour?" in acknowledged["text"]
    assert slack.called("chat.postMessage") == []
