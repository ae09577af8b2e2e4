"""What is computed: counts, distinct counts, averages, extremes and percentiles of a duration, the
error rate, the share of a level, of a condition or of the total, first and last seen, and a
threshold on a rate (HAVING).

Each pass reads the question through ``Planning`` (planner/state.py) and fills in its plan.
"""

from __future__ import annotations

import re

from loglens.agent.offline import lexicon
from loglens.agent.offline.plan import (
    VALUE_KINDS,
    Attribute,
    Condition,
    Having,
    Measure,
)
from loglens.agent.offline.planner.state import Planning

# What may follow a duration key's words ("page load time")
_DURATION_NOUN = re.compile(r"\s*(?:times?|durations?|\(ms\)|ms|시간|속도)(?![a-z])")
# What may stand between "how many" and the entities counted ("how many distinct users").
_ENTITY_ADJECTIVES = re.compile(
    r"(?:\s|distinct|unique|different|individual|separate|active|affected|impacted|of|the|kinds?|types?)*"
)


def condition_share(p: Planning) -> None:
    """ "% of requests over 1 s", "share of auth-service requests that are 401s", "5xx rate per
    endpoint": the share of rows for which one condition holds, among those the others select."""
    plan, reader = p.plan, p.reader
    if any(m.kind in ("error_rate", "level_share") for m in plan.measures):
        return
    share = reader.peek(lexicon.SHARE) or reader.peek(lexicon.RATE_WORD)
    if share is None:
        return
    among = lexicon.ERRORS_AMONG_KO.search(reader.text)
    if plan.errors_only and (lexicon.ARE_ERRORS.search(reader.text, share.end()) or among):
        # "what percentage of payment-api's log lines are errors", "로그 중에 에러가 몇 %": its error rate
        reader.take(lexicon.SHARE) or reader.take(lexicon.RATE_WORD)
        reader.take(lexicon.ARE_ERRORS)
        if among is not None:
            reader.mark(among.start(), among.end())
        plan.errors_only = False
        plan.measures.append(Measure(kind="error_rate", alias="error_rate_pct"))
        p.subject = "error rate"
        p.signals += 1
        return
    part = share_part(p)
    if part is None:
        if (
            plan.errors_only
            and reader.peek(lexicon.OF_THE_TOTAL) is None
            and lexicon.A_PERCENT.search(share.group(0))
        ):
            # "percentage of errors per service": its error rate, or its share of all errors?
            p.unread.append(reader.text[share.start() : share.end()])
            return
        if reader.peek(lexicon.PER) is not None or p.reader.peek(lexicon.WHICH) is not None:
            reader.take(lexicon.SHARE) or reader.take(lexicon.RATE_WORD)
            plan.measures.append(Measure(kind="share_of_total", alias="pct_of_total"))
            p.signals += 1
        return
    reader.take_all(lexicon.SHARE)
    reader.take_all(lexicon.RATE_WORD)  # "5xx rate per endpoint (%)": both say it
    plan.conditions.remove(part)
    if _a_status(part) and lexicon.FAILING_WITH.search(reader.text):
        plan.errors_only = False  # "% of POSTs failing with 5xx": the 5xx is the failure
    status = part.attribute.metadata_key is not None and "status" in part.attribute.metadata_key
    if status or part.attribute.column == "duration_ms":
        key = p.metadata_key("status")
        if key is not None:
            plan.conditions.append(Condition(attribute=Attribute(metadata_key=key), op="is_not_null"))
    plan.measures = [m for m in plan.measures if m.attribute != Attribute(column="duration_ms")]
    present = Condition(attribute=Attribute(column="duration_ms"), op="is_not_null")
    plan.conditions = [c for c in plan.conditions if c != present]
    if part.attribute.column == "duration_ms":
        plan.conditions.append(present)
    plan.measures.append(Measure(kind="share", part=part, alias=_share_alias(part)))
    p.subject = "share"
    p.signals += 1


def _a_status(condition: Condition) -> bool:
    key = condition.attribute.metadata_key
    return key is not None and "status" in key


def share_part(p: Planning) -> Condition | None:
    """The condition a share is of: a status, a duration threshold, a metadata value, a method."""
    # (not the values compared side by side: "share of errors in prod vs staging" is no share of them)
    candidates = [
        c
        for c in p.plan.conditions
        if isinstance(c, Condition) and not (c.op == "in" and c.attribute == p.compared)
    ]

    by_position = _part_by_position(p, candidates)
    if by_position is not None:
        return by_position

    def rank(condition: Condition) -> int:
        attribute = condition.attribute
        if condition in p.presence_said:
            return 2  # "% of logs without a trace_id"
        if attribute.metadata_key and "status" in attribute.metadata_key and condition.op != "is_not_null":
            return 4
        if attribute.column == "duration_ms" and condition.op in (">", ">=", "<", "<="):
            return 3
        if attribute.metadata_key and condition.op in ("=", "in"):
            return 2
        if attribute.column in ("method", "level", "environment", "log_type") and condition.op in ("=", "in"):
            return 1
        if attribute.column == "service" and condition.op == "=":
            return 1  # "what share of the errors come from payment-api", "% of logs from order-api"
        return 0

    ranked = sorted((c for c in candidates if rank(c) > 0), key=rank, reverse=True)
    if not ranked or (len(ranked) > 1 and rank(ranked[0]) == rank(ranked[1]) and ranked[0].op != ">="):
        return ranked[0] if ranked and rank(ranked[0]) == 4 else None
    return ranked[0]


def _part_by_position(p: Planning, candidates: list[Condition]) -> Condition | None:
    """The one condition said on the part's side of the words that place the base: before "among",
    after "…of checkout errors are", after "…에러 중"."""
    side = _part_side(p)
    compared = [c for c in candidates if c.op in (">", ">=", "<", "<=", "range") and c not in p.presence_said]
    if side is None or compared:
        return None  # a status or duration compared is the part wherever it is said
    part_before, boundary = side
    on_part_side, on_base_side, unplaced = [], [], []
    for condition in candidates:
        if condition.op not in ("=", "in") or len(condition.values) != 1:
            continue
        span = p.mention(str(condition.values[0]).lower())
        if span is None:
            unplaced.append(condition)  # named by other words ("db connection timeouts")
        elif span[1] <= boundary if part_before else span[0] >= boundary:
            on_part_side.append(condition)
        else:
            on_base_side.append(condition)
    if len(on_part_side) == 1:
        return on_part_side[0]
    if not on_part_side and on_base_side and len(unplaced) == 1 and p.language == "en":
        return unplaced[0]  # "% of prod errors that are db connection timeouts"
    return None


def _part_side(p: Planning) -> tuple[bool, int] | None:
    """Whether a share's part is said before or after the words that place its base, and where."""
    text = p.reader.text
    if (among := lexicon.SHARE_BASE_FOLLOWS.search(text)) is not None:
        return True, among.start()
    if (are := lexicon.SHARE_PART_FOLLOWS.search(text)) is not None:
        return False, are.end("marker") if are.group("marker") else are.end("marker2")
    if p.language == "ko" and (jung := lexicon.SHARE_PART_FOLLOWS_KO.search(text)) is not None:
        takes = lexicon.TAKES_UP_KO.search(text, jung.end())
        if takes is not None and not re.sub(r"[\s이가은는을를]", "", text[jung.end() : takes.start()]):
            return True, jung.start()  # "X이 전체 로그인 실패에서 차지하는 비율": X's share, said before its base
        return False, jung.end()  # "…에러에서 Safari 차지하는 비율", "…에러 중 TypeError 비율"
    return None


def rate_threshold(p: Planning) -> None:
    """ "services with an error rate above 11%": a threshold on the rate, per group."""
    rates = [m for m in p.plan.measures if m.kind in ("error_rate", "level_share", "share")]
    if not rates:
        return
    match = p.reader.take(lexicon.RATE_THRESHOLD)
    if match is None:
        return
    words = (match.group("op") or match.group("sym") or match.group("kop") or "").replace(" ", "")
    op = {
        "atleast": ">=",
        ">=": ">=",
        "≥": ">=",
        "이상": ">=",
        "under": "<",
        "below": "<",
        "lessthan": "<",
        "<": "<",
        "미만": "<",
        "<=": "<=",
        "≤": "<=",
        "이하": "<=",
    }.get(words, ">")
    p.plan.having = Having(measure=rates[0], op=op, value=float(match.group("n") or match.group("kn")))
    p.signals += 1


def read_measures(p: Planning) -> None:
    duration = duration_attribute(p)
    named_measures(p)
    percentiles(p, duration)
    extremes(p, duration)
    ranked_duration(p, duration)
    duration_signal(p, duration)
    level_share(p)
    seconds_asked(p)
    if distinct_subject(p):
        return
    if p.plan.measures:
        p.signals += 1


def seconds_asked(p: Planning) -> None:
    """ "max response time in seconds", "몇 초야?": durations are kept in ms, answered in seconds."""
    timed = [m for m in p.plan.measures if m.attribute is not None and m.kind in VALUE_KINDS]
    if not timed or not p.reader.take_all(lexicon.IN_SECONDS):  # (all: "in seconds, not ms" says it twice)
        return
    p.plan.measures = [
        m.model_copy(update={"in_seconds": True, "alias": _seconds_alias(m.alias)}) if m in timed else m
        for m in p.plan.measures
    ]


def _seconds_alias(alias: str) -> str:
    return f"{alias.removesuffix('_ms')}_s"


def named_measures(p: Planning) -> None:
    """The error rate (or health), the message length, when something was first or last seen."""
    reader, measures = p.reader, p.plan.measures
    errors_are_the_base = lexicon.ERRORS_ARE_THE_BASE.search(reader.text) is not None
    if (not errors_are_the_base and reader.take(lexicon.ERROR_RATE) is not None) or (
        reader.take(lexicon.HEALTH) is not None
    ):
        measures.append(Measure(kind="error_rate", alias="error_rate_pct"))
        p.subject = "error rate"
    if reader.take(lexicon.MESSAGE_LENGTH) is not None:
        measures.append(Measure(kind="avg_length", alias="avg_message_length"))
        p.subject = "message length"
    if _rows_counted(reader.text):
        return
    firsts, last = reader.take_all(lexicon.FIRST_SEEN), reader.take(lexicon.LAST_SEEN)
    first = firsts[0] if firsts else None  # "언제부터 나기 시작했냐" says it twice
    if reader.peek(lexicon.WHEN) is not None:
        # "when did each service last throw an error", "when did X start and when was the latest one"
        first = first or reader.take(lexicon.FIRST_WORD)
        last = last or reader.take(lexicon.LAST_WORD)
    if first is not None:
        measures.append(Measure(kind="first_seen", alias="first_seen"))
    if last is not None and (first is not None or p.plan.shape != "rows"):
        measures.append(Measure(kind="last_seen", alias="last_seen"))


def _rows_counted(text: str) -> bool:
    """ "the last 10 FATAL logs with time and service", "마지막에 찍힌 fatal 10건 시각/서비스": that many
    rows, whose time is a column, not when something was last seen."""
    return lexicon.RECENT_ROWS.search(text) is not None or lexicon.COUNTED_KO.search(text) is not None


def percentiles(p: Planning, duration: Attribute) -> None:
    for match in p.reader.take_all(lexicon.PERCENTILE):
        digits = next(
            (g for g in (match.group("p"), match.group("q"), match.group("q2"), match.group("kp")) if g), None
        )
        fraction = int(digits) / 100 if digits else 0.5
        measure = Measure(
            kind="percentile",
            attribute=duration,
            fraction=fraction,
            alias=f"p{int(fraction * 100)}_{_unit_alias(duration)}",
        )
        if measure not in p.plan.measures:  # "median latency over 60 ms, with the median": one median
            p.plan.measures.append(measure)


def extremes(p: Planning, duration: Attribute) -> None:
    """The average, maximum and minimum duration, in that order."""
    reader, measures = p.reader, p.plan.measures
    averaged = reader.take(lexicon.AVERAGE) is not None
    maximum = reader.take(lexicon.MAXIMUM) is not None
    minimum = reader.take(lexicon.MINIMUM) is not None
    slowest = p.superlative == "slowest" or reader.peek(lexicon.SLOWEST_WORD) is not None
    if averaged and slowest and reader.peek(lexicon.FAST) is not None:
        # "response times: fastest, average, slowest": the minimum and maximum beside the average
        reader.take(lexicon.FAST)
        reader.take(lexicon.SLOWEST_WORD)
        p.superlative = None
        maximum = minimum = True
    for kind, asked in (("avg", averaged), ("max", maximum), ("min", minimum)):
        if asked:
            measures.append(Measure(kind=kind, attribute=duration, alias=f"{kind}_{_unit_alias(duration)}"))


def ranked_duration(p: Planning, duration: Attribute) -> None:
    """ "the slowest endpoints", "latency per service": the average duration, ranked."""
    measures = p.plan.measures
    fast = p.reader.take(lexicon.FAST)
    fastest = fast is not None
    if fast is not None and lexicon.SUPERLATIVE.search(fast.group(0)):
        p.superlative = "fastest"
    if not measures and (p.duration_mentioned or fastest) and not p.has_condition("duration_ms"):
        measures.append(Measure(kind="avg", attribute=duration, alias=f"avg_{_unit_alias(duration)}"))
        p.duration_mentioned = True
        p.implied_average = True
        if fastest:
            p.plan.order = "measure_asc"


def duration_signal(p: Planning, duration: Attribute) -> None:
    if not any(m.attribute == duration for m in p.plan.measures):
        return
    present = Condition(attribute=duration, op="is_not_null")
    if duration.column == "duration_ms" and present not in p.plan.conditions:
        p.plan.conditions.append(present)  # "p50 per svc": of the requests that have a duration
    if p.duration_mentioned:
        p.signals += 1
        p.subject = "duration"


def level_share(p: Planning) -> None:
    """ "percentage of DEBUG logs": the share of one level (the error rate is its own measure)."""
    measures = p.plan.measures
    if p.reader.peek(lexicon.SHARE) is not None and not any(m.kind == "error_rate" for m in measures):
        level = take_level_word(p)
        if level is not None:
            p.reader.take(lexicon.SHARE)
            measures.append(Measure(kind="level_share", level=level, alias=f"{level.lower()}_pct"))
            p.subject = f"{level} share"


def duration_attribute(p: Planning) -> Attribute:
    for key in p.schema.metadata_keys:
        if key.type != "number" or not _is_duration_key(key.key):
            continue
        span = p.find_name(key.key) or p.find_name(lexicon.words_of_key(key.key), loose=True)
        if span is None and (said := lexicon.key_words(key.key).search(p.reader.text)) is not None:
            span = (said.start(), said.end()) if p.reader.free(said.start(), said.end()) else None  # "load time"
        if span is not None:
            unit = _DURATION_NOUN.match(p.reader.text, span[1])
            p.reader.mark(span[0], unit.end() if unit else span[1])
            p.duration_mentioned = True
            p.plan.conditions.append(Condition(attribute=Attribute(metadata_key=key.key), op="is_not_null"))
            return Attribute(metadata_key=key.key, numeric=True)
    if (said := p.reader.take(lexicon.DURATION)) is not None:
        p.duration_mentioned = True
        if lexicon.SUPERLATIVE.search(said.group(0)):
            p.superlative = "slowest"
    return Attribute(column="duration_ms")


def distinct_subject(p: Planning) -> bool:
    """'how many distinct users', 'unique sessions': count distinct of a column."""
    match = p.reader.peek(lexicon.DISTINCT)
    counting = p.reader.peek(lexicon.COUNT) is not None
    if match is None and not counting:
        return False
    for pattern, attribute, dimension in counted_dimensions(p):
        listed = not counting and p.reader.peek(lexicon.SHOW_ROWS) is not None
        plural_counted = (match is not None and not listed) or (counting and counts_entities(p, dimension))
        if not plural_counted:
            continue
        if match is None and p.language == "en" and attribute.numeric:  # (a status: counted_dimensions)
            # "how many statuses did gateway return": the codes, or the responses that carried them?
            p.ambiguous.append("statuses (codes or responses)")
        p.reader.take(pattern)
        if match is not None:
            p.reader.take(lexicon.DISTINCT)
        p.reader.take(lexicon.COUNT)
        name = _plural(attribute.column) if attribute.column else _plural_name(attribute.name)
        p.plan.measures.append(Measure(kind="count_distinct", attribute=attribute, alias=name))
        p.plan.conditions.append(Condition(attribute=attribute, op="is_not_null"))
        if attribute.column == "error_type" and not p.has_condition("level"):
            p.plan.errors_only = True  # the kinds of errors, as "errors by error type" counts errors
        p.subject = name.replace("_", " ")
        p.signals += 1
        return True
    return False


def counted_dimensions(p: Planning) -> list[tuple[re.Pattern[str], Attribute, re.Match[str]]]:
    """The dimensions a distinct count may be of, head nouns first: in "user sessions" the
    sessions are counted, and "user" only says whose they are (it is read, not a filter)."""
    found: list[tuple[re.Pattern[str], Attribute, re.Match[str]]] = []
    for pattern, column in lexicon.DIMENSIONS:
        if column in ("user_id", "session_id", "trace_id", "service", "path", "error_type"):
            match = p.reader.peek(pattern)
            if match is not None:
                found.append((pattern, Attribute(column=column), match))
    for key in p.schema.metadata_keys:  # "how many distinct IPs", "hosts with errors", "서버 수"
        if key.type != "string" and "status" not in key.key.lower():
            continue
        # "how many distinct status codes": a status is a code, counted as one
        pattern = lexicon.STATUS_WORDS if key.type != "string" else lexicon.key_words(key.key)
        match = p.reader.peek(pattern)
        if match is not None:
            found.append((pattern, Attribute(metadata_key=key.key, numeric=key.type == "number"), match))
    found = [entry for entry in found if not p.marked_as_grouping(entry[2].start(), entry[2].end())]
    anchor = p.reader.peek(lexicon.DISTINCT) or p.reader.peek(lexicon.COUNT)
    if anchor is not None:
        found.sort(key=lambda entry: abs(entry[2].start() - anchor.end()))
    heads = []
    for entry in found:
        modifier_of = [
            other for other in found if other is not entry and 0 <= other[2].start() - entry[2].end() <= 1
        ]
        if modifier_of and p.language == "en":
            p.reader.mark(entry[2].start(), entry[2].end())
            continue
        heads.append(entry)
    return heads


_COUNT_ASKED_LAST = re.compile(r".{0,3}?[-—–,:;?]\s*(?:how\s+many|count|number)")


def counts_entities(p: Planning, dimension: re.Match[str]) -> bool:
    # "how many users ..." counts users; "how many errors ... per user" does not
    text = p.reader.text
    count = p.reader.peek(lexicon.COUNT)
    if count is None:
        return False
    between = text[count.end() : dimension.start()] if dimension.start() >= count.end() else "x"
    # "how many Safari users": the words between are a value already read, which says whose
    named = (
        p.listing is None
        and dimension.start() > count.end() + 1
        and all(
            taken or char.isspace()
            for char, taken in zip(between, p.reader.taken[count.end() : dimension.start()], strict=True)
        )
    )
    english = bool(_ENTITY_ADJECTIVES.fullmatch(between)) or (p.language == "en" and named)
    # "sessions that reached the confirm page — how many?": the noun first, the count asked last
    asked_last = (
        p.language == "en"
        and dimension.group(0).lower().endswith("s")
        and not text[: dimension.start()].strip(" the")
        and bool(_COUNT_ASKED_LAST.match(text, count.start() - 3 if count.start() >= 3 else 0))
        and bool(re.fullmatch(r"[\s?.!]*", text[count.end() :]))
    )
    english = english or asked_last
    # "사용자 수", "호스트가 몇 대": the count word follows the noun, a particle between
    korean = (
        p.language == "ko"
        and not re.match(r"몇\s*(?:번|회)|횟수", text[count.start() :])  # "에러타입이 몇 번": times, not kinds
        and count.start() >= dimension.end()
        and bool(re.fullmatch(r"\s*(?:가|이|는|은|의|들|들이)?\s*", text[dimension.end() : count.start()]))
    )
    return english or korean


def _plural_name(name: str) -> str:
    """ "ip" → "ips", "http_status" → "http_statuses": an alias for the values of a key."""
    plain = re.sub(r"[^a-z0-9]+", "_", name.lower())
    return plain + ("es" if plain.endswith("s") else "s")


def _share_alias(part: Condition) -> str:
    if part.op in ("is_null", "is_not_null"):
        return ("pct_without_" if part.op == "is_null" else "pct_with_") + part.attribute.name
    name = re.sub(r"[^a-z0-9]+", "_", f"{part.attribute.name}_{'_'.join(str(v) for v in part.values)}".lower())
    return ("pct_" + name.strip("_"))[:40].rstrip("_")


def _is_duration_key(key: str) -> bool:
    return bool(re.search(r"(?:_ms|_s|_sec|_secs|_seconds|_time|_duration|_latency)$", key.lower()))


def _unit_alias(attribute: Attribute) -> str:
    return "ms" if attribute.column == "duration_ms" else re.sub(r"[^a-z0-9_]", "_", attribute.name.lower())[:30]


def _plural(column: str) -> str:
    return {
        "user_id": "users",
        "session_id": "sessions",
        "trace_id": "traces",
        "service": "services",
        "path": "endpoints",
        "error_type": "error_types",
    }.get(column, column)


def take_level_word(p: Planning) -> str | None:
    """The level a share is about ("percentage of DEBUG logs"); its words are used up."""
    if (match := p.reader.take(lexicon.LEVEL_MENTION)) is not None:
        word = next(g for g in (match.group(n) for n in "abcdefg") if g)
        return lexicon.LEVEL_NAMES[word.lower()]
    for word, level in lexicon.LEVEL_NAMES.items():
        if level == "ERROR":
            continue  # "error share" is the error rate, handled as its own measure
        match = re.search(rf"{lexicon.WORD_START}{word}{lexicon.WORD_END}", p.reader.text)
        if match and p.reader.free(match.start(), match.end()):
            p.reader.mark(match.start(), match.end())
            return level
    return None


def measure_threshold(p: Planning) -> None:
    """ "endpoints whose p95 is above 1 s": the duration measure's threshold, per group (HAVING);
    without groups there is nothing to keep or drop, so it is not read."""
    having = p.plan.having
    if (
        having is not None
        and having.measure.kind == "count_distinct"
        and [m.kind for m in p.plan.measures] == ["count"]
        and p.plan.shape != "count_groups"  # "how many users have over 5 sessions": the users counted
    ):
        p.plan.measures = [having.measure]  # "users with over 5 sessions": show the sessions counted
    if p.measure_threshold is None:
        return
    op, value = p.measure_threshold
    plan = p.plan
    durations = [m for m in plan.measures if m.kind in VALUE_KINDS and m.attribute is not None]
    if plan.shape == "aggregate" and plan.group_by is not None and durations:
        plan.having = Having(measure=durations[0], op=op, value=value)
    else:
        p.unread.append(f"{op} {value} ms")
