"""Question → ``QueryPlan``, in English or Korean, with no model.

The planner reads the question in passes, each taking the words it understands so that later
passes do not read them again (``planner/state.py`` keeps which characters are read). The passes
live in one module per concern:

    planner/filters.py   literal values, names from the data, concepts, log kinds, thresholds, levels
    planner/windows.py   the time window, a second window to compare with, the bucket of a series
    planner/measures.py  what is computed: counts, durations, rates and shares, first and last seen
    planner/sets.py      values new in a window, or never seen elsewhere
    planner/deploys.py   a service's versions before and after its last deploy
    planner/shapes.py    one number, groups (ranked, cut), values listed, or rows
    planner/coverage.py  which words were used: a question with a word left over is not answered

The vocabulary they read is kept apart from them: ``lexicon.py`` (words about logs and questions),
``stopwords.py`` (words that carry nothing), ``shorthand.py`` (Slack abbreviations, misspellings).
A question with nothing about logs in it, a shape the planner cannot tell, or a word it could not
use is never guessed at: ``Planned.plan`` is None and ``reason`` says why.
"""

from __future__ import annotations

from collections.abc import Callable

from loglens.agent.offline import lexicon
from loglens.agent.offline.planner import coverage, deploys, exclusions, filters, measures, sets, shapes, windows
from loglens.agent.offline.planner.state import Planned, Planning, language_of
from loglens.agent.schema import Schema
from loglens.agent.write_requests import REFUSALS, is_write_request

__all__ = ["Planned", "Planner", "language_of"]

# The passes, in the order they read: what is literal or named first, so that a later pass never
# reads a name's words as its own ("inventory-worker" is a service, not the WORKER log kind).
PASSES: tuple[Callable[[Planning], None], ...] = (
    filters.quoted_text,
    filters.message_size,
    filters.status_comparison,
    filters.thresholds,
    filters.literals,
    windows.sized_bucket,
    windows.read_window,
    windows.compared_window,
    filters.concepts,
    filters.log_types,
    filters.data_names,
    deploys.deploys,
    sets.new_or_absent,
    measures.read_measures,
    filters.levels,
    exclusions.exclusions,
    measures.condition_share,
    measures.rate_threshold,
    sets.duplicates,
    shapes.shape,
    measures.measure_threshold,
    sets.distinct_values,
    filters.counted_requests,
)


class Planner:
    def __init__(self, schema: Schema, zone: str = "UTC") -> None:
        self.schema = schema
        self.zone = zone  # where "today" begins (LOGLENS_TIMEZONE)

    def plan(self, question: str) -> Planned:
        planned = _plan(Planning(self.schema, question))
        if planned.plan is not None:
            for window in (planned.plan.window, planned.plan.compared_window):
                if window is not None:
                    window.zone = planned.zone or self.zone
        return planned


def _asks_for_what_is_not_counted(p: Planning) -> None:
    """ "who is on call for payment-api?": a person asked for, and no group or row to name one —
    a count of payment-api's logs would answer another question."""
    plan, text = p.plan, p.reader.text
    if (match := lexicon.NOT_IN_LOGS.search(text)) is not None:
        p.unread.append(match.group(0))
        return
    who = lexicon.WHO.search(text)
    if plan.group_by is None and plan.shape == "aggregate" and who and p.reader.free(who.start(), who.end()):
        p.unread.append(who.group(0))


def _share_of_nothing(p: Planning) -> None:
    """ "what percentage of logs have …" read as each group's share of the total, with no groups:
    100% of itself, an answer to no question."""
    plan = p.plan
    if (
        plan.group_by is None
        and plan.compared_window is None
        and any(m.kind == "share_of_total" for m in plan.measures)
    ):
        share = lexicon.SHARE.search(p.reader.text)
        p.unread.append(share.group(0) if share else "share")


def _plan(p: Planning) -> Planned:
    if is_write_request(p.question):
        return Planned(None, p.language, reason=REFUSALS[p.language])
    if not lexicon.LOG_VOCABULARY.search(p.reader.text) and not p.mentions_data():
        return Planned(None, p.language, reason="the question is not about logs")
    for read in PASSES:
        read(p)
    plan = p.plan
    # one condition said twice ("인증 실패(AuthenticationFailure)"): kept once
    plan.conditions = [c for i, c in enumerate(plan.conditions) if c not in plan.conditions[:i]]
    if plan.shape == "rows" and lexicon.STACK_TRACE.search(p.reader.text):
        plan.columns = [*dict.fromkeys([*plan.columns, "stack_trace"])]
    if not plan.measures and plan.shape == "aggregate" and not shapes.asks_for_a_number(p):
        return Planned(None, p.language, reason="the question does not say what to count or show")
    if p.unknown_names:
        missing = ", ".join(f"'{name}'" for name in p.unknown_names)
        return Planned(None, p.language, reason=f"no endpoint in the logs has {missing} in its path")
    if p.signals == 0 and lexicon.COUNT.search(p.reader.text) and lexicon.ROW_NOUNS.search(p.reader.text):
        p.signals = 1  # "how many logs are there?": all of them
    if p.signals == 0:
        return Planned(None, p.language, reason="nothing in the question matches the logs")
    _asks_for_what_is_not_counted(p)
    _share_of_nothing(p)
    coverage.mark_used_structure(p.reader, plan)
    unused = list(dict.fromkeys(p.unread + coverage.unused_words(p.reader.text, p.reader.taken)))
    if unused:
        return Planned(None, p.language, reason=coverage.could_not_use(unused, p.language), unused=unused)
    return Planned(plan, p.language, subject=p.subject, notes=p.notes, zone=p.zone, ambiguous=p.ambiguous)
