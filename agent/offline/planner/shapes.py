"""How the answer is laid out: one number, groups (by a dimension or a time bucket, ranked and
cut), values listed, or rows (newest, oldest or slowest first).

Each pass reads the question through ``Planning`` (planner/state.py) and fills in its plan.
"""

from __future__ import annotations

import itertools
import re
from typing import Any

from loglens.agent.offline import lexicon
from loglens.agent.offline.plan import (
    ROW_COLUMNS,
    AnyOf,
    Attribute,
    Condition,
    Grouping,
    Measure,
)
from loglens.agent.offline.planner import windows
from loglens.agent.offline.planner.state import Planning, counted_alias

HIGH_CARDINALITY = 20  # a "which X have the most" over more distinct values than this shows the top 10
NULLABLE_GROUPS = {
    "error_type",
    "path",
    "user_id",
    "session_id",
    "method",
    "service_version",
    "action_type",
    "function_name",
    "file_path",
    "trace_id",
}
# Rows with no count asked for: all that match; the service shows its row cap of them and says so
DEFAULT_ROWS: int | None = None


def shape(p: Planning) -> None:
    reader, plan = p.reader, p.plan
    if plan.shape in ("rows", "count_groups", "duplicates"):
        if plan.shape == "rows":  # "the 10 slowest requests (time, service, path, duration)"
            rows_already(p)
        return
    if recent_rows(p):
        all_columns(p)
        named_columns(p)
        return
    if rows_with_columns(p) or listed_columns(p):
        return
    top = reader.take(lexicon.TOP_N)
    low_first = reader.take(lexicon.LOW_FIRST)  # "rank … lowest first": every group, the least first
    least = reader.take(lexicon.LEAST)  # before MOST, whose bare "가장" would take "가장 빠른"
    most = reader.take(lexicon.MOST) or (reader.take(lexicon.MOST_BARE) if least is None else None)
    bucket = windows.series_bucket(p)
    dimension = None if bucket else pick_dimension(p)
    if dimension is not None and any(m.part is not None and m.part.attribute == dimension for m in plan.measures):
        dimension = None  # "인증 실패 가운데 IP 203.0.113.66 비중": that IP's share, not one per IP
    ranks_or_counts = (top or most) is not None or (
        plan.having is not None and plan.having.measure.kind != "count"
    )
    if dimension is None and bucket is None and ranks_or_counts and _error_kinds_ranked(p):
        dimension = Attribute(column="error_type")  # "top errors today", "errors that hit 3+ services"
    if dimension is not None and p.pinned(dimension) and shows_rows(p, None, bucket, top or most):
        dimension = None  # "show logs from user_001": that user's logs, not a count per user
    values_together_or_each(p)
    compared = p.compared
    group(p, bucket, dimension, compared)
    one_asked_for(p, dimension, compared, top or most or least)
    entities_that(p, dimension, top or most or least)
    if not plan.measures and shown_uncounted(p, dimension, bucket, top or most):
        return
    if plan.group_by is not None and plan.group_by.bucket is None:
        superlative = p.superlative is not None and top is None and most is None and least is None
        if superlative:  # "which endpoint is the slowest": the duration word was the superlative
            rank_by_superlative(p, dimension, compared)
        else:
            rank(p, top, most, least, dimension, compared, low_first)
    elif plan.group_by is None and p.superlative == "slowest" and p.implied_average:
        # "the slowest request duration": the slowest one, not the average
        plan.measures = [
            m.model_copy(update={"kind": "max", "alias": m.alias.replace("avg_", "max_")}) for m in plan.measures
        ]
    groups_counted(p)
    top_of_two_dimensions(p, top or most or least)
    nothing_ranked(p, top or most or least)


def values_together_or_each(p: Planning) -> None:
    """ "How many 502s and 503s did the gateway return": one count of both, or one each? Said
    ("combined", "502+503", "합쳐서"; "each", "vs", "which"), it is read so; a count of values
    side by side that says neither is left to a model configured."""
    compared = p.compared
    if compared is None or (p.plan.measures and not any(m.kind == "count" for m in p.plan.measures)):
        return
    text = p.reader.text
    if lexicon.EACH_VALUE.search(text) is not None or lexicon.COUNT.search(text) is None:
        return
    together = lexicon.TOGETHER.search(text)
    if together is not None:
        if p.reader.free(together.start(), together.end()):
            p.reader.mark(together.start(), together.end())
        p.compared = None
        return
    condition = next(c for c in p.plan.conditions if isinstance(c, Condition) and c.attribute == compared)
    p.ambiguous.append(f"{' and '.join(str(v) for v in condition.values)} (together or each)")


def entities_that(p: Planning, dimension: Attribute | None, ranked: re.Match[str] | None) -> None:
    """ "sessions that hit the cart page, past 3 days": the sessions listed, or how many? Neither
    is said; a count per session is the answer to neither, and a model configured reads it better."""
    text = p.reader.text
    if dimension is None or ranked is not None or p.plan.having is not None or p.language != "en":
        return
    if not singular_entity(dimension) or not re.match(
        r"\s*(?:the\s+|any\s+)?[a-z_]+s\s+(?:that|who|which)\b", text
    ):
        return
    cues = (lexicon.PER, lexicon.WHICH, lexicon.LIST_WORDS, lexicon.COUNT, lexicon.SHOW_ROWS, lexicon.DISTINCT)
    if not any(cue.search(text) for cue in cues):
        p.ambiguous.append(f"{text.split()[0]} (listed or counted)")


def one_asked_for(
    p: Planning, dimension: Attribute | None, compared: Attribute | None, ranked: re.Match[str] | None
) -> None:
    """ "brute force source ip?": the question ends on the dimension in the singular, with nothing
    that asks for each one (by, per, which, list) — the one IP, or every IP counted? Answered as the
    groups, but a model configured reads it better than a guess."""
    text = p.reader.text.rstrip(" ?.!")
    cues = (lexicon.PER, lexicon.WHICH, lexicon.LIST_WORDS, lexicon.COMMON, lexicon.DISTINCT)
    if dimension is None or compared is not None or ranked is not None or p.language != "en":
        return
    if p.plan.having is not None or any(cue.search(text) for cue in cues):
        return
    last = re.search(r"([a-z_]+)$", text)
    if last is None or not _singular_noun(last.group(1)):
        return
    words = lexicon.key_words(dimension.metadata_key) if dimension.metadata_key else None
    patterns = [pattern for pattern, column in lexicon.DIMENSIONS if column == dimension.column]
    if any(pattern.fullmatch(last.group(1)) for pattern in [*patterns, *([words] if words else [])]):
        p.ambiguous.append(f"{last.group(1)} (one or each)")


def groups_counted(p: Planning) -> None:
    """ "how many users had more than 5 failed logins", "how many sessions visited 5+ distinct
    pages", "5개 이상 페이지를 본 세션이 몇 개": how many of the groups pass the threshold, one number —
    when the count is said of the groups' own noun."""
    plan = p.plan
    if plan.having is None or len(plan.measures) != 1:
        return
    if plan.group_by is not None:
        counted = plan.group_by.attribute
    elif plan.measures[0].kind == "count_distinct":
        counted = plan.measures[0].attribute
    else:
        return
    if counted is None or plan.having.measure.attribute == counted or not _count_of(p, counted):
        return
    if plan.group_by is None:
        plan.group_by = Grouping(attribute=counted, alias=counted.name.split(".")[-1])
        plan.conditions.append(Condition(attribute=counted, op="is_not_null"))
    plan.shape = "count_groups"
    plan.measures = [Measure(kind="count", alias=counted_alias(counted))]


def _count_of(p: Planning, attribute: Attribute) -> bool:
    """Whether the question's count is said of this attribute's noun ("how many users", "세션이 몇 개")."""
    said = lexicon.GROUPS_COUNTED.search(p.reader.text)
    if said is None:
        return False
    noun = (
        said.group("noun")[:-1]
        if said.group("noun")
        else lexicon.KOREAN_COUNTED_NOUNS.get(said.group("knoun"), "")
    )
    if attribute.metadata_key is not None:
        return noun == attribute.metadata_key
    return lexicon.COUNTED_ENTITIES.get(noun) == attribute.column


def top_of_two_dimensions(p: Planning, ranked: re.Match[str] | None) -> None:
    """ "top 2 error services per env", "top error_type per service": the top of one dimension
    within each value of the other (the one said after "per"/"each", or with 별/마다). Without such
    a word it may be the top pairs overall: answered so, but a model configured reads it better."""
    plan = p.plan
    two = plan.group_by is not None and plan.group_by.bucket is None and plan.group_by_also is not None
    if not two or ranked is None or plan.group_by is None or plan.group_by.attribute is None:
        return
    if _said_per(p, plan.group_by.attribute):
        plan.rank_within_groups, plan.keep_ties = True, True
        plan.limit = plan.limit or 1
        plan.order = "measure_asc" if plan.order == "measure_asc" else "measure_desc"
        p.ambiguous = [a for a in p.ambiguous if not a.startswith("most (")]
    elif plan.limit:
        p.ambiguous.append(f"top {plan.limit} (overall or in each group)")


def _said_per(p: Planning, attribute: Attribute) -> bool:
    """Whether the question says "per <attribute>" ("each env", "for each service", "서비스별")."""
    text = p.reader.text
    for pattern, column in lexicon.DIMENSIONS:
        if column != attribute.column:
            continue
        for match in pattern.finditer(text):
            if re.search(r"(?:\bper|\beach|\bevery|\bwithin)\s+$", text[: match.start()]):
                return True
            if re.match(r"\s*(?:별|마다)", text[match.end() :]):
                return True
    return False


def nothing_ranked(p: Planning, ranked: re.Match[str] | None) -> None:
    """A count threshold or a "the most" with no groups to apply it to: said, not dropped."""
    plan = p.plan
    if plan.group_by is None and plan.having is not None:
        p.unread.append("more than N times")  # a count threshold needs something to count per
    if plan.group_by is None and plan.shape == "aggregate" and ranked is not None and p.superlative is None:
        p.unread.append(ranked.group(0).strip())  # "the most" of what: nothing is ranked


def rows_already(p: Planning) -> None:
    """Rows an earlier pass chose (the slowest requests, SQL injection attempts): how many, which columns."""
    if (match := p.reader.take(lexicon.RECENT_ROWS)) is not None:
        p.plan.limit = int(next(g for g in match.groups() if g))
    all_columns(p)
    named_columns(p)


def _error_kinds_ranked(p: Planning) -> bool:
    return p.plan.errors_only and not p.plan.measures and not p.has_condition("error_type")


def recent_rows(p: Planning) -> bool:
    """ "the last 10 errors", "최근 에러 10개": that many rows, newest first."""
    match = p.reader.take(lexicon.RECENT_ROWS)
    if match is None:
        match = recent_rows_korean(p)
    if match is None:
        return latest_row(p)
    p.plan.shape, p.plan.limit = "rows", int(next(g for g in match.groups() if g))
    p.plan.columns = list(ROW_COLUMNS)
    p.signals += 1
    return True


def group(p: Planning, bucket: str | None, dimension: Attribute | None, compared: Attribute | None) -> None:
    """Group by the time bucket, else the values compared ("A vs B"), else the dimension."""
    plan = p.plan
    if bucket is not None:
        # "minute", "hour", "day" name their column; a bin of several minutes is a "bucket"
        plan.group_by = Grouping(bucket=bucket, alias="bucket" if " " in bucket else bucket)
        plan.order = "group_asc"
    elif compared is not None and (
        dimension is None or dimension.name == compared.name or dimension.column == "user_id"
    ):
        # "Chrome users vs Safari users": the browsers side by side, not each user
        plan.group_by = Grouping(attribute=compared, alias=compared.name.split(".")[-1])
        examples(p, compared)
        if dimension is not None:
            for pattern in (pattern for pattern, column in lexicon.DIMENSIONS if column == dimension.column):
                p.reader.mark_all(pattern)
        plan.order = "group_asc"
    elif dimension is not None:
        plan.group_by = Grouping(attribute=dimension, alias=dimension.name.split(".")[-1])
        examples(p, dimension)
        for grouped in (dimension, p.group_also):
            if grouped is not None and (grouped.column in NULLABLE_GROUPS or grouped.metadata_key):
                plan.conditions.append(Condition(attribute=grouped, op="is_not_null"))
        # "which endpoints got slower after the deploy": each endpoint, the versions side by side
        plan.group_by_also = p.group_also or compared
        measures_of_errors = all(m.kind in ("count", "first_seen", "last_seen") for m in plan.measures)
        types = dimension.column == "error_type" or (
            p.group_also is not None and p.group_also.column == "error_type"
        )
        if types and p.subject == "logs" and measures_of_errors:
            plan.errors_only = True
            p.subject = "errors"


def examples(p: Planning, dimension: Attribute) -> None:
    """ "by environment (production, staging and so on)": the values named are examples of the
    groups, not a filter on them."""
    if p.reader.take(lexicon.AND_SO_ON) is None:
        return
    p.plan.conditions = [
        c
        for c in p.plan.conditions
        if not (isinstance(c, Condition) and c.attribute == dimension and c.op == "in")
    ]
    present = Condition(attribute=dimension, op="is_not_null")
    if present not in p.plan.conditions:
        p.plan.conditions.append(present)  # every method, not the rows that have none


def shown_uncounted(p: Planning, dimension: Attribute | None, bucket: str | None, ranked: Any) -> bool:
    """With no measure: the values listed, or the rows shown (True, the shape is set), else a count."""
    plan = p.plan
    if ranked is None and lists_values(p, dimension):  # "top 2 IPs" ranks them: counted, not listed
        plan.shape = "distinct"
        return True
    if shows_rows(p, dimension, bucket, ranked):
        plan.shape, plan.limit = "rows", DEFAULT_ROWS
        p.signals += 1
        all_columns(p)
        named_columns(p)
        return True
    plan.measures.append(Measure(kind="count", alias=_count_alias(p.subject)))
    if plan.group_by is not None:
        p.signals += 1
    return False


def rank(
    p: Planning,
    top: re.Match[str] | None,
    most: re.Match[str] | None,
    least: re.Match[str] | None,
    dimension: Attribute | None,
    compared: Attribute | None,
    low_first: re.Match[str] | None = None,
) -> None:
    """The order and limit of groups: "top 5", "the most", "the least", "rank … lowest first, show 3"."""
    if least is not None or low_first is not None:
        p.plan.order = "measure_asc"
    if top is None and (p.reader.peek(lexicon.RANK_WORDS) or most or least) is not None:
        top = p.reader.take(lexicon.SHOWN_N)
    if top is not None:
        p.plan.limit = int(next(g for g in top.groups() if g))
        p.plan.keep_ties = True
    elif (most or least) is not None and compared is None and p.reader.peek(lexicon.SHOW_ALL) is None:
        p.plan.limit = limit_for_most(p, dimension)
        # "which host has the most errors": two tied hosts are both the answer (a default top 10 of
        # many IPs is cut where it is: a tie there would list every IP with one failure)
        p.plan.keep_ties = p.plan.limit == 1


def rank_by_superlative(p: Planning, dimension: Attribute | None, compared: Attribute | None) -> None:
    if compared is None and p.reader.peek(lexicon.SHOW_ALL) is None:
        p.plan.limit = limit_for_most(p, dimension)


def recent_rows_korean(p: Planning) -> re.Match[str] | None:
    """ "최근 에러 10개 보여줘": 최근, then what to show, then how many."""
    recent = p.reader.peek(lexicon.RECENT_WORD_KO)
    if recent is None or p.reader.peek(lexicon.COUNT) is not None:
        return None
    for counted in lexicon.COUNTED_KO.finditer(p.reader.text):
        if counted.start() > recent.end() and p.reader.free(counted.start(), counted.end()):
            p.reader.mark(recent.start(), recent.end())
            p.reader.mark(counted.start(), counted.end())
            return counted
    return None


def pick_dimension(p: Planning) -> Attribute | None:
    """What to group by: the dimension the question groups by ("per X", "by X", "X별"), else the
    first one it names. A metadata key already pinned to a value ("eu-west-1 region") is a filter."""
    candidates = dimension_candidates(p)
    if not candidates:
        return Attribute(column="error_type") if p.went_wrong else None
    # "service versions", "서비스 버전": the versions are grouped, "service" says whose
    heads = [c for c in candidates if not any(_compound(p, c, o) for o in candidates)]
    candidates = heads or candidates
    grouped = [c for c in candidates if p.marked_as_grouping(c[0], c[1])]
    start, end, attribute = min(grouped or candidates, key=lambda candidate: candidate[0])
    if not grouped and p.threshold_span is not None and len(candidates) > 1:
        start, end, attribute = thresholded(p, candidates, p.threshold_span)
    p.reader.mark(start, end)
    p.group_also = _second_dimension(p, candidates, (start, end, attribute))
    noun = p.reader.text[start:end]
    following = re.match(r"\s+(addresses|ids|codes|names|types|values|numbers)\b", p.reader.text[end:])
    if following is not None:
        noun = following.group(1)
    p.one_group_asked = not grouped and _singular_noun(noun)
    if attribute.column == "path":
        named = p.reader.text[start:end]
        chosen = p.has_condition("log_type") or p.has_condition("path")
        if ("endpoint" in named or "api" in named) and not chosen:
            p.add_in(Attribute(column="log_type"), ["BACKEND"])
    return attribute


def _second_dimension(
    p: Planning, candidates: list[tuple[int, int, Attribute]], first: tuple[int, int, Attribute]
) -> Attribute | None:
    """ "by service and error type", "서비스별, 에러 유형별", "svc x error_type": a second dimension
    joined to the first, grouped by too."""
    for start, end, attribute in sorted(candidates, key=lambda candidate: candidate[:2]):
        if attribute.name == first[2].name or not p.reader.free(start, end):
            continue
        between = p.reader.text[first[1] : start] if start >= first[1] else p.reader.text[end : first[0]]
        if lexicon.DIMENSION_JOINER.fullmatch(between) or (
            p.marked_as_grouping(start, end) and p.marked_as_grouping(first[0], first[1])
        ):
            p.reader.mark(min(start, first[1]), max(end, first[0]))  # the joining word too
            return attribute
    return None


def _compound(p: Planning, first: tuple[int, int, Attribute], then: tuple[int, int, Attribute]) -> bool:
    """ "service version": the second noun is the head; "browser/device" are two."""
    gap = then[0] - first[1]
    return then is not first and 0 <= gap <= 1 and p.reader.text[first[1] : then[0]].strip() == ""


def dimension_candidates(p: Planning) -> list[tuple[int, int, Attribute]]:
    found: list[tuple[int, int, Attribute]] = []
    for key in p.schema.metadata_keys:
        if key.type == "number" and key.key.endswith("_ms"):
            continue
        span = (
            p.find_name(lexicon.words_of_key(key.key), loose=True)
            or _status_words(p, key.key)
            or _other_name(p, key.key)
        )
        if span is not None and (kind := lexicon.KIND_AFTER.match(p.reader.text, span[1])) is not None:
            span = (span[0], kind.end())  # "device type", "기기 종류"
        if span is not None and p.reader.free(*span):
            found.append((span[0], span[1], Attribute(metadata_key=key.key, numeric=key.type == "number")))
    for pattern, column in lexicon.DIMENSIONS:
        if column == "message" and p.reader.peek(lexicon.COMMON) is None and p.listing is None:
            continue
        match = p.reader.peek(pattern)
        if match is not None and column == "user_id" and _users_of_a_value(p, match.start()):
            p.reader.mark(match.start(), match.end())  # "Safari users", "mobile users": who the rows are from
            continue
        if match is not None:
            found.append((match.start(), match.end(), Attribute(column=column)))
    pinned = {c.attribute.name for c in p.plan.conditions if isinstance(c, Condition) and c.op == "="}
    pinned |= {m.part.attribute.name for m in p.plan.measures if m.part is not None}  # "Safari 비율"
    if any(m.kind == "level_share" for m in p.plan.measures):
        pinned.add("level")  # "DEBUG 레벨이 몇 %": the level's noun, not one share per level
    for start, end, attribute in found:
        if attribute.name in pinned:
            p.reader.mark(start, end)  # "trace 4bf9…", "the payment-api service": the name's noun
    return [c for c in found if c[2].name not in pinned]


def _users_of_a_value(p: Planning, start: int) -> bool:
    before = re.search(r"([\w.\-]+)\s+$", p.reader.text[:start])
    if before is None:
        return False
    conditions = [c for c in p.plan.conditions if isinstance(c, Condition)]
    conditions += [m.part for m in p.plan.measures if m.part is not None]
    values = {str(v).lower() for c in conditions if c.attribute.metadata_key for v in c.values}
    return before.group(1).lower() in values


def thresholded(
    p: Planning, candidates: list[tuple[int, int, Attribute]], threshold: tuple[int, int]
) -> tuple[int, int, Attribute]:
    """What has "more than N": the noun before it in English ("users with more than 10
    failures"), the noun it modifies after it in Korean ("10번 넘게 실패한 사용자")."""
    if p.language == "ko":
        after = [c for c in candidates if c[0] >= threshold[1]]
        return min(after or candidates, key=lambda c: abs(c[0] - threshold[1]))
    before = [c for c in candidates if c[1] <= threshold[0]]
    return min(before or candidates, key=lambda c: abs(threshold[0] - c[1]))


def lists_values(p: Planning, dimension: Attribute | None) -> bool:
    if dimension is None or p.reader.peek(lexicon.COUNT) is not None:
        return False
    listing = p.reader.take(lexicon.LIST_WORDS) is not None
    return (
        listing
        and p.plan.having is None
        and p.plan.group_by is not None
        and p.plan.group_by.bucket is None
        and singular_entity(dimension)
    )


def singular_entity(dimension: Attribute) -> bool:
    return dimension.column in ("user_id", "session_id", "trace_id") or dimension.metadata_key is not None


def shows_rows(p: Planning, dimension: Attribute | None, bucket: str | None, ranked: Any) -> bool:
    if dimension is not None or bucket is not None or ranked is not None or p.plan.compared_window is not None:
        return False
    if p.reader.peek(lexicon.COUNT) is not None:
        return False
    return p.reader.peek(lexicon.SHOW_ROWS) is not None or p.reader.peek(lexicon.ROW_NOUNS) is not None


def limit_for_most(p: Planning, dimension: Attribute | None) -> int | None:
    if p.language == "ko" or p.one_group_asked or singular_question(p):
        return 1
    if dimension is None:
        return 1
    distinct = len(p.schema.distinct(dimension.column)) if dimension.column else 0
    if dimension.metadata_key:
        key = next((k for k in p.schema.metadata_keys if k.key == dimension.metadata_key), None)
        distinct = len(key.examples) if key and len(key.examples) < 25 else HIGH_CARDINALITY + 1
    if dimension.column in ("user_id", "trace_id", "session_id", "message"):
        distinct = HIGH_CARDINALITY + 1
    if distinct > HIGH_CARDINALITY:
        return 10
    if not _ranking_asked(p):
        # "most 5xx by service": the one service, or the services ranked? Answered as a ranking
        # (its first row is the one), but a model configured reads it better than a guess.
        p.ambiguous.append("most (one or a ranking)")
    return None


def _ranking_asked(p: Planning) -> bool:
    """ "which services have the most", "rank endpoints by", "services with the most errors"."""
    text = p.reader.text
    if re.search(r"\b(?:rank(?:ing|ed)?|sort(?:ed)?|order(?:ed)?|each|every|all|list|ranking)\b", text):
        return True
    if re.search(r"\b[a-z]+s\s+(?:with|having|that\s+[a-z]+)\s+(?:the\s+)?(?:most|fewest|least)\b", text):
        return True
    return re.search(r"\b(?:which|what)\s+[a-z0-9_\-]+", text) is not None and not singular_question(p)


def singular_question(p: Planning) -> bool:
    """ "Which service had the most" wants one answer; "which services" a ranking; so does "who's"."""
    if re.search(r"\bwho(?:'s|\s+is|\s+was|\s+has)?\s+(?!are\b)", p.reader.text):
        return True
    match = re.search(
        r"\b(?:which|what)\s+((?:[a-z0-9_\-]+\s+){0,4}?)(?:have|has|had|are|is|was|were|did|do|"
        r"does|produce[sd]?|get|got|see|saw|show|return(?:s|ed)?|with|in|of)\b",
        p.reader.text,
    )
    if match is None or not match.group(1).split():
        return False
    noun = match.group(1).split()[-1]
    return not (noun.endswith("s") and not noun.endswith(("ss", "us", "is")))


def asks_for_a_number(p: Planning) -> bool:
    return p.reader.peek(lexicon.COUNT) is not None or bool(p.plan.conditions) or p.plan.errors_only


def _singular_noun(words: str) -> bool:
    """Whether an English noun (its last word) is singular: "service", not "services"."""
    last = words.split()[-1] if words.split() else ""
    if not re.fullmatch(r"[a-z]+", last):
        return False
    return not (last.endswith("s") and not last.endswith(("ss", "us", "is")))


def _count_alias(subject: str) -> str:
    alias = re.sub(r"[^a-z0-9]+", "_", subject.lower()).strip("_") or "count"
    return alias if re.fullmatch(r"[a-z][a-z0-9_]*", alias) else "count"


def _status_words(p: Planning, key: str) -> tuple[int, int] | None:
    """ "status codes", "response codes", "응답 코드": the status key, however it is named."""
    if "status" not in key.lower():
        return None
    match = p.reader.peek(lexicon.STATUS_WORDS)
    return (match.start(), match.end()) if match else None


def latest_row(p: Planning) -> bool:
    """ "the latest NullPointerException", "가장 최근 에러 스택 트레이스": the newest row, one when
    one is named ("the latest errors" are the newest rows)."""
    latest = p.reader.peek(lexicon.LATEST)
    earliest = p.reader.peek(lexicon.EARLIEST) if latest is None else None
    shown = p.reader.peek(lexicon.SHOW_ROWS) or lexicon.STACK_TRACE.search(p.reader.text)
    named = p.concept_error_type or p.has_condition("level") or p.plan.errors_only
    if earliest is not None:  # "the first log from payment-api v2.10.0": its time is in the row
        named = named or any(isinstance(c, Condition) and c.op == "=" for c in p.plan.conditions)
    found = latest or earliest
    if found is None or not (shown or named) or p.plan.measures or p.reader.peek(lexicon.COUNT):
        return False
    p.reader.take(lexicon.LATEST if latest is not None else lexicon.EARLIEST)
    after = re.match(r"\s*([a-z]+)", p.reader.text[found.end() :])
    one = p.language == "ko" or (after is not None and _singular_noun(after.group(1)))
    p.plan.shape, p.plan.order = "rows", "newest" if latest is not None else "oldest"
    p.plan.limit = 1 if one else DEFAULT_ROWS
    p.plan.columns = list(ROW_COLUMNS)
    p.signals += 1
    return True


def rows_with_columns(p: Planning) -> bool:
    """ "show the requests from 198.51.100.23 with their paths and status codes", "user_0003's
    errors", "198.51.100.23 요청 목록": rows, the columns named shown beside the usual ones."""
    plan, reader = p.plan, p.reader
    if plan.measures or reader.peek(lexicon.COUNT) is not None or reader.peek(lexicon.TOP_N) is not None:
        return False
    if p.listing == "exclusive":  # "paths only 198.51.100.23 hit": the paths, not its requests
        return False
    pinned_entity = any(
        p.pinned(Attribute(column=column)) for column in ("user_id", "session_id", "trace_id")
    ) or any(
        isinstance(c, Condition) and c.op == "=" and c.attribute.metadata_key == "ip" for c in plan.conditions
    )
    asks_rows = reader.peek(lexicon.SHOW_ROWS) is not None or reader.peek(lexicon.WITH_COLUMNS) is not None
    if not pinned_entity or not (asks_rows or reader.peek(lexicon.PER) is None):
        return False
    plan.shape, plan.limit, plan.order = "rows", DEFAULT_ROWS, "newest"
    if p.pinned(Attribute(column="trace_id")) or p.pinned(Attribute(column="session_id")):
        plan.order = "oldest"  # a trace or a session, as it happened
    all_columns(p)
    if p.pinned(Attribute(column="trace_id")):
        plan.all_columns = True  # a trace is a few lines, each worth seeing whole
    named_columns(p)
    p.signals += 1
    return True


def listed_columns(p: Planning) -> bool:
    """ "payment errors: time, error type, message", "시각, 에러타입, 메시지만 보여줘": columns listed,
    two or more joined by commas or "and", are rows with those columns, not a count per column."""
    reader = p.reader
    per = reader.peek(lexicon.PER)
    if per is not None and lexicon.EVERY_ROW.match(reader.text, per.start()):
        per = None  # "list every log with …": every row, not a count per group
    if reader.peek(lexicon.COUNT) is not None or per is not None or p.plan.measures:
        return False
    spans = sorted(
        (m.start(), m.end())
        for pattern in [lexicon.TIME_COLUMN, *(pattern for pattern, _ in lexicon.DIMENSIONS)]
        for m in pattern.finditer(reader.text)
        if reader.free(m.start(), m.end())
    )
    # a duration or a length is a column too, even where its threshold read it ("over 10000
    # characters: time, service, message length")
    spans = sorted(
        spans
        + [
            (m.start(), m.end())
            for pattern in (lexicon.DURATION_COLUMN, lexicon.LENGTH_COLUMN, lexicon.MESSAGE_LENGTH)
            for m in pattern.finditer(reader.text)
        ]
    )
    joined = sum(
        1
        for (_, end), (start, _) in itertools.pairwise(spans)
        if lexicon.COLUMN_JOINER.fullmatch(reader.text[end:start])
    )
    if joined < 1 or (joined < 2 and reader.peek(lexicon.SHOW_ROWS) is None):
        return False
    p.plan.shape, p.plan.limit, p.plan.order = "rows", DEFAULT_ROWS, "newest"
    p.plan.columns = list(ROW_COLUMNS)
    named_columns(p)
    p.signals += 1
    return True


def all_columns(p: Planning) -> None:
    if p.reader.take(lexicon.ALL_COLUMNS) is not None:
        p.plan.all_columns = True


def named_columns(p: Planning) -> None:
    """The columns a question names for its rows ("with service and error type", "경로랑 상태코드",
    "(time, path, status)"): shown with the usual ones; a metadata key among them beside them."""
    plan, reader = p.plan, p.reader
    reader.take_all(lexicon.WITH_COLUMNS)
    reader.take_all(lexicon.TIME_COLUMN)
    for pattern, column in lexicon.DIMENSIONS:
        for match in pattern.finditer(reader.text):
            if reader.free(match.start(), match.end()):
                reader.mark(match.start(), match.end())
                if column not in plan.columns:
                    plan.columns.append(column)  # type: ignore[arg-type]
    threshold_columns(p)
    errors = plan.errors_only or p.has_condition("level")
    if errors and reader.take(lexicon.BARE_TYPE) is not None and "error_type" not in plan.columns:
        plan.columns.append("error_type")  # "last 20 errors - when, type, msg"
    for key in p.schema.metadata_keys:
        words = lexicon.STATUS_WORDS if "status" in key.key.lower() else lexicon.key_words(key.key)
        named = [m for m in words.finditer(reader.text) if reader.free(m.start(), m.end())]
        asked_for_requests = "status" in key.key.lower() and reader.peek(lexicon.REQUEST_WORDS) is not None
        if named or asked_for_requests:
            for match in named:
                reader.mark(match.start(), match.end())
            attribute = Attribute(metadata_key=key.key, numeric=key.type == "number")
            if attribute not in plan.row_metadata:
                plan.row_metadata.append(attribute)


def threshold_columns(p: Planning) -> None:
    """Rows kept by a duration or a message length show it ("requests over 5 s", "messages over 10k
    characters: time, service, length"): the value each row was kept for, and its name said again."""
    plan, reader = p.plan, p.reader
    thresholds = [
        c.attribute for c in plan.conditions if isinstance(c, Condition) and c.op in (">", ">=", "<", "<=")
    ]
    duration_named = reader.take_all(lexicon.DURATION_COLUMN)
    duration_kept = duration_named or Attribute(column="duration_ms") in thresholds
    if duration_kept and "duration_ms" not in plan.columns:
        plan.columns.append("duration_ms")
    length = Attribute(column="message", length=True)
    length_named = reader.take_all(lexicon.MESSAGE_LENGTH) + reader.take_all(lexicon.LENGTH_COLUMN)
    if (length_named or length in thresholds) and length not in plan.row_metadata:
        plan.row_metadata.append(length)


def _an_ip(condition: Condition | AnyOf) -> bool:
    return isinstance(condition, Condition) and condition.op == "=" and condition.attribute.metadata_key == "ip"


def _other_name(p: Planning, key: str) -> tuple[int, int] | None:
    """A host called a box or a server, an IP a client IP: the key by another of its names."""
    match = p.reader.peek(lexicon.key_words(key))
    return (match.start(), match.end()) if match else None
