"""Values listed less others: new in a window ("error types never seen before today"), never seen
elsewhere ("in production but not staging"), without errors ("services with no errors").

Each pass reads the question through ``Planning`` (planner/state.py) and fills in its plan.
"""

from __future__ import annotations

import re

from loglens.agent.offline import lexicon
from loglens.agent.offline.plan import (
    Attribute,
    ColumnName,
    Condition,
    Grouping,
    Having,
    Measure,
)
from loglens.agent.offline.planner.state import Planning


def new_or_absent(p: Planning) -> None:
    """ "error types new today", "in production, never in staging", "services with no errors
    but still logging": values listed, less those seen before or elsewhere."""
    reader = p.reader
    if (p.plan.window is not None and reader.take_all(lexicon.NEW_VALUES)) or first_in_window(p):
        p.listing = "new"
    elif (clean := reader.take(lexicon.NO_ERRORS)) is not None:
        p.listing = "no_errors"
        p.plan.errors_only = False
        if clean.group("fatal") or clean.group("fatal2") or clean.group("fatal3"):
            p.absent_level = "FATAL"  # "services with zero fatals"
        reader.take(lexicon.STILL_ACTIVE)
    elif ranks_groups(p):
        return  # "top 3 browsers (not mobile)": groups ranked by a measure, not values listed
    elif absent_value(p):
        reader.take_all(lexicon.NEGATION)
        reader.take_all(lexicon.ONLY)
        p.listing = "absent"
    elif exclusive_value(p):
        p.listing = "exclusive"
    elif absent_condition(p):
        reader.take_all(lexicon.NEGATION)
        p.listing = "absent"
    else:
        return
    p.signals += 1


def ranks_groups(p: Planning) -> bool:
    return any(p.reader.peek(pattern) is not None for pattern in (lexicon.TOP_N, lexicon.MOST, lexicon.LEAST))


def first_in_window(p: Planning) -> bool:
    """ "error messages first seen in the last hour": new in it, unless the question asks when."""
    if p.plan.window is None or p.reader.peek(lexicon.WHEN) is not None:
        return False
    return p.reader.take(lexicon.FIRST_IN_WINDOW) is not None


def absent_value(p: Planning) -> bool:
    """Of two values named side by side, the one the negation is about ("not in staging"), or
    the other one than "only" is about ("only in prod")."""
    negation, only = p.reader.peek(lexicon.NEGATION), p.reader.peek(lexicon.ONLY)
    if negation is None and only is None:
        return False
    condition = next(
        (
            c
            for c in p.plan.conditions
            if isinstance(c, Condition)
            and c.op == "in"
            and len(c.values) == 2
            and (c.attribute.column or "status" in (c.attribute.metadata_key or ""))
        ),
        None,
    )
    if condition is None:
        return False
    spans = {value: p.mention(str(value)) for value in condition.values}
    if any(span is None for span in spans.values()):
        return False
    anchor = negation or only
    assert anchor is not None
    # English negates what follows ("not in staging"), Korean what precedes ("staging엔 없고")
    after = [] if p.language == "ko" else [v for v in spans if spans[v][0] >= anchor.end()]  # type: ignore[index]
    nearest = (
        min(after, key=lambda v: spans[v][0] - anchor.end())  # type: ignore[index]
        if after
        else min(
            [v for v in spans if spans[v][1] <= anchor.start()] or list(spans),  # type: ignore[index]
            key=lambda v: abs(anchor.start() - spans[v][1]),  # type: ignore[index]
        )
    )
    other = next(v for v in condition.values if v != nearest)
    if negation is None:
        nearest, other = other, nearest
    p.plan.conditions.remove(condition)
    p.plan.conditions.append(Condition(attribute=condition.attribute, op="=", values=[other]))
    p.plan.absent_where = [Condition(attribute=condition.attribute, op="=", values=[nearest])]
    p.compared = None
    return True


def absent_condition(p: Planning) -> bool:
    """ "로그인 실패한 IP 중에 200 응답 한 번도 못 받은 IP", "IPs with failed logins but never a 200":
    the values seen under the other conditions and never under the one the negation is about."""
    negation = p.reader.peek(lexicon.NEGATION)
    conditions = [c for c in p.plan.conditions if isinstance(c, Condition)]
    if negation is None or len(conditions) < 2:
        return False
    mentioned = [
        (c, span) for c in conditions if c.op == "=" and (span := p.mention(str(c.values[0]).lower())) is not None
    ]
    # English negates what follows ("never a 200"), Korean what precedes ("200 응답 한 번도 못 받은")
    if p.language == "ko":
        near = [(negation.start() - span[1], c) for c, span in mentioned if span[1] <= negation.start()]
    else:
        near = [(span[0] - negation.end(), c) for c, span in mentioned if span[0] >= negation.end()]
    if not near:
        return False
    _, negated = min(near, key=lambda distance_condition: distance_condition[0])
    if any(c is not negated and c.attribute == negated.attribute for c in conditions):
        return False  # "4xx without 401": one code left out of the class, for planner/exclusions.py
    p.plan.conditions.remove(negated)
    p.plan.absent_where = [negated]
    p.compared = None
    return True


def exclusive_value(p: Planning) -> bool:
    """ "paths hit by 198.51.100.23 and no other IP", "users with failed logins only from X",
    "X 말고는 아무도 안 친 path": the values seen with one value and never with any other."""
    pinned = [
        (c, span)
        for c in p.plan.conditions
        if isinstance(c, Condition) and c.op == "=" and len(c.values) == 1
        if (span := p.mention(str(c.values[0]).lower())) is not None
    ]
    if not pinned:
        return False
    phrase = p.reader.peek(lexicon.NO_OTHER)
    if phrase is not None:
        condition = min(pinned, key=lambda cs: min(abs(cs[1][1] - phrase.start()), abs(phrase.end() - cs[1][0])))[
            0
        ]
        p.reader.take(lexicon.NO_OTHER)
        _only_beside(p, next(span for c, span in pinned if c is condition))  # "X 전용, 다른 데선 안 …"
    else:
        beside = next(((c, span) for c, span in pinned if _only_beside(p, span)), None)
        if beside is None:
            return False
        condition = beside[0]
    p.plan.absent_where = [Condition(attribute=condition.attribute, op="!=", values=condition.values)]
    p.reader.take_all(lexicon.NEGATION)
    p.exclusive_words = phrase.group(0) if phrase is not None else "only"
    return True


def _only_beside(p: Planning, span: tuple[int, int]) -> bool:
    """ "only (from) X" before the value, "X만", "X에서만" after it: the "only" taken when it is there."""
    text = p.reader.text
    before = lexicon.ONLY_BESIDE.search(text[: span[0]])
    if before is not None and p.reader.free(before.start(), before.end()):
        p.reader.mark(before.start(), before.start() + 4)
        return True
    after = re.match(r"\s?(?:에서만|에만|만|전용)", text[span[1] :])
    if after is not None and p.reader.free(span[1], span[1] + after.end()):
        p.reader.mark(span[1], span[1] + after.end())
        return True
    return False


def distinct_values(p: Planning) -> None:
    """The listing ``_new_or_absent`` asked for, once the shape has found what is listed."""
    listing, plan = p.listing, p.plan
    if listing is None:
        return
    measured = any(m.kind != "count" for m in plan.measures) or lexicon.COUNT.search(p.reader.text) is not None
    if listing in ("absent", "exclusive") and measured and p.reader.peek(lexicon.PER) is not None:
        # "errors per browser for the web frontend (not the mobile app)": a count per group with an
        # aside that excludes something, not values listed less others — the aside is not read
        korean = {"exclusive": "만", "absent": "제외"}[listing]
        p.unread.append(korean if p.language == "ko" else (p.exclusive_words or "not"))
        plan.absent_where = []
        return
    group = plan.group_by
    if listing == "exclusive":
        excluded = plan.absent_where[0].attribute
        if group is None or group.attribute is None or group.attribute == excluded:
            plan.absent_where = []
            if p.exclusive_words != "only":  # "only payment-api errors" just names them
                p.unread.append(p.exclusive_words)  # one value alone, but of what: nothing to list
            return
    if measured and _negated_beside_a_count(p):
        return
    group = group or _counted_values(p)
    if group is None or group.bucket is not None:
        guessed = listing == "absent" and measured  # "error counts for both… or only prod?": counts, not types
        if guessed or (listing != "no_errors" and not (plan.errors_only or p.concept_error_type)):
            p.unread.append("new" if listing == "new" else "never")  # new what: nothing says what is listed
            return
        attribute = Attribute(column="service" if listing == "no_errors" else "error_type")
        group = Grouping(attribute=attribute, alias=attribute.name)
    _list_values(p, group)


def _list_values(p: Planning, group: Grouping) -> None:
    """The values of ``group`` listed (or counted), less those the listing leaves out."""
    listing, plan = p.listing, p.plan
    plan.shape, plan.group_by, plan.measures, plan.order, plan.limit = "distinct", group, [], "group_asc", None
    plan.having = None
    version = Attribute(column="service_version")
    if group.attribute == version and not p.pinned(Attribute(column="service")):
        plan.group_by_also = Attribute(column="service")  # a version is a version of a service
    if group.attribute is not None and group.attribute.column == "error_type":
        plan.errors_only = True
    if listing == "new":
        plan.new_in_window = True
    # "how many new IPs today", "# of first-time ips": the number of them
    plan.count_listed = lexicon.COUNT.search(p.reader.text) is not None
    p.reader.take_all(lexicon.COUNT)
    if listing == "no_errors":
        plan.absent_errors_only = p.absent_level is None
        level = Attribute(column="level")
        plan.absent_where = [Condition(attribute=level, op="=", values=[p.absent_level])] if p.absent_level else []
        plan.conditions = [c for c in plan.conditions if not (isinstance(c, Condition) and c.attribute == level)]


def _negated_beside_a_count(p: Planning) -> bool:
    """ "count of errors in prod in the last 90 min, not payment-api": nothing is listed, so the value
    negated is left out of what is counted, not a set of values less another."""
    plan = p.plan
    listed = plan.group_by is not None and plan.group_by.bucket is None
    if p.listing != "absent" or listed or not plan.absent_where or any(m.kind != "count" for m in plan.measures):
        return False  # ("how many sessions … but never …" counts values listed)
    negated = [c for c in plan.absent_where if c.op == "=" and len(c.values) == 1 and _said_not(p, c)]
    if len(negated) != len(plan.absent_where):
        return False  # ("failing in staging too, or only prod?" is no value left out)
    plan.conditions += [Condition(attribute=c.attribute, op="is_distinct_from", values=c.values) for c in negated]
    plan.absent_where = []
    return True


def _said_not(p: Planning, condition: Condition) -> bool:
    """Whether the value is said right after "not" ("…, not payment-api")."""
    span = p.mention(str(condition.values[0]).lower())
    before = p.reader.text[: span[0]] if span is not None else ""
    return re.search(r"\b(?:but\s+)?not\s+(?:in\s+|from\s+|on\s+|the\s+)?$", before) is not None


def _counted_values(p: Planning) -> Grouping | None:
    """ "how many sessions reached /checkout but never /checkout/confirm": the sessions listed, counted."""
    plan = p.plan
    distinct = [m.attribute for m in plan.measures if m.kind == "count_distinct" and m.attribute is not None]
    if p.listing not in ("absent", "new") or len(plan.measures) != 1 or not distinct:
        return None
    return Grouping(attribute=distinct[0], alias=distinct[0].name.split(".")[-1])


def duplicates(p: Planning) -> None:
    """ "duplicate log lines", "중복 로그": the lines logged more than once with the same time,
    service and message, and how many copies."""
    match = p.reader.peek(lexicon.DUPLICATES)
    if match is None:
        return
    if _ids_named(p) is not None:
        # "trace ids that appear more than once": each id logged more than once, counted
        p.reader.take_all(lexicon.DUPLICATES)
        if p.plan.having is None:
            p.plan.having = Having(measure=Measure(kind="count"), op=">", value=1)
        p.signals += 1
        return
    p.reader.take(lexicon.DUPLICATES)
    p.plan.shape = "duplicates"
    if p.plan.having is not None and p.plan.having.value <= 2:
        p.plan.having = None  # "두 번 이상 들어간 똑같은 로그": what a duplicate is
    p.reader.take_all(lexicon.SAME_LINE_WORDS)
    p.reader.take_all(lexicon.COUNT)  # "and how many copies each has"
    p.signals += 1


# ids a duplicate may be of: the same trace id logged twice is not the same line logged twice
_ID_COLUMNS = ("trace_id", "span_id", "session_id", "user_id")


def _ids_named(p: Planning) -> ColumnName | None:
    for pattern, column in lexicon.DIMENSIONS:
        if column in _ID_COLUMNS and any(
            p.reader.free(m.start(), m.end()) for m in pattern.finditer(p.reader.text)
        ):
            return column  # type: ignore[return-value]
    return None
