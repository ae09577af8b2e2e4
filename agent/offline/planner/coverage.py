"""Which words of a question the plan did not use: the planner answers only when none is left.

Every pass of the planner marks the characters it read (``_Reader.taken``). What is left is cut
into words; a word is *used* when a pass took it, *empty* when it carries nothing a plan could
compute (an article, a question word, politeness, a Korean particle or verb ending — the
vocabulary in ``stopwords.py``), and otherwise *unused*. An unused word is the planner saying "I
did not understand this part": the answer would be to a narrower question than the one asked,
so the planner does not give it (``parse.Planner`` returns no plan, naming the words).
"""

from __future__ import annotations

import re
from collections.abc import Callable

from loglens.agent.offline import lexicon, stopwords
from loglens.agent.offline.plan import VALUE_KINDS, Condition, QueryPlan
from loglens.agent.offline.planner.state import HANGUL, Reader

# Words, and the symbols that change what is computed ("%", ">", "<").
WORD = re.compile(r"[a-z0-9][a-z0-9_\-.']*|[\uac00-\ud7a3]+|%|[<>≥≤]=?")


def unused_words(text: str, taken: list[bool]) -> list[str]:
    """The words of ``text`` (the planner's normalised question) that no pass took and that
    carry meaning, in the order they occur."""
    unused: list[str] = []
    for match in WORD.finditer(text):
        start, end = match.start(), match.end()
        if HANGUL.search(match.group(0)) and _empty_korean(match.group(0), attached=False):
            continue  # a filler word a pass read part of ("알려" of "알려주셈"): nothing is lost
        pieces = _untaken_pieces(match.group(0), taken[start:end])
        for piece, attached in pieces:
            if not _empty(piece, attached):
                unused.append(match.group(0) if attached else piece)
    return list(dict.fromkeys(unused))


def _untaken_pieces(word: str, taken: list[bool]) -> list[tuple[str, bool]]:
    """The untaken runs of a word, each with whether it hangs off a taken part (a particle or
    ending after a name: "에러가", "payment-api의")."""
    pieces: list[tuple[str, bool]] = []
    start: int | None = None
    for index, is_taken in enumerate([*taken, True]):
        if not is_taken and start is None:
            start = index
        elif is_taken and start is not None:
            pieces.append((word[start:index], start > 0 and taken[start - 1]))
            start = None
    return pieces


def _empty(piece: str, attached: bool) -> bool:
    piece = piece.strip(".-_'")
    if not piece:
        return True
    if HANGUL.search(piece):
        return _empty_korean(piece, attached)
    if attached and piece in stopwords.ENGLISH_SUFFIXES:
        return True  # "errors" after "error", "service's"
    return piece in stopwords.ENGLISH or (piece.isdigit() and attached)


def _empty_korean(piece: str, attached: bool) -> bool:
    if piece in stopwords.KOREAN_MEANINGFUL:
        return False
    if piece in stopwords.KOREAN or stopwords.KOREAN_ASKING.match(piece):
        return True
    rest = piece
    while rest:
        ending = next((e for e in stopwords.KOREAN_ENDINGS_LONGEST_FIRST if rest.endswith(e)), None)
        if ending is None:
            break
        rest = rest[: -len(ending)]
        if rest in stopwords.KOREAN:
            return True
    if not rest:
        return True
    return attached and len(rest) == 1 and rest not in stopwords.KOREAN_MEANINGFUL


def _about_ips(plan: QueryPlan) -> bool:
    grouped = plan.group_by.attribute if plan.group_by is not None else None
    filtered = any(isinstance(c, Condition) and c.attribute.metadata_key == "ip" for c in plan.conditions)
    return filtered or (grouped is not None and grouped.metadata_key == "ip")


def _counts(plan: QueryPlan) -> bool:
    return plan.shape == "count_groups" or any(m.kind in ("count", "count_distinct") for m in plan.measures)


def _pages_per_visitor(plan: QueryPlan) -> bool:
    grouped = plan.group_by.attribute if plan.group_by is not None else None
    return plan.having is not None and grouped is not None and grouped.column in ("session_id", "user_id")


def _measures_any(*kinds: str) -> Callable[[QueryPlan], bool]:
    return lambda plan: any(m.kind in kinds for m in plan.measures)


def _of_duration(plan: QueryPlan) -> bool:
    return any(m.attribute is not None and m.attribute.name == "duration_ms" for m in plan.measures)


def _of_a_measured_value(plan: QueryPlan) -> bool:
    """An average, extreme, sum or percentile of a value ("top 3 pages by avg page_load_ms (show the avg)")."""
    return any(m.attribute is not None and m.kind in VALUE_KINDS for m in plan.measures)


def _ranked_high_first(plan: QueryPlan) -> bool:
    return plan.order in ("measure_desc", "slowest")


def _versions_split(plan: QueryPlan) -> bool:
    """Grouped by version, or versions side by side: "before vs after the deploy" is what it shows."""
    grouped = [plan.group_by.attribute if plan.group_by is not None else None, plan.group_by_also]
    return any(attribute is not None and attribute.column == "service_version" for attribute in grouped)


def _of_a_status(plan: QueryPlan) -> bool:
    """A status filtered on: "http_status 가 4xx 인", "status code 500": the key's name said with it."""
    return any(
        isinstance(c, Condition) and "status" in (c.attribute.metadata_key or "") and c.op != "is_not_null"
        for c in plan.conditions
    )


def _of_a_version(plan: QueryPlan) -> bool:
    """ "when was v2.10.0 rolled out, going by the first log line": one version, when it was first seen."""
    return any(
        isinstance(c, Condition) and c.attribute.column == "service_version" and c.op == "="
        for c in plan.conditions
    ) and any(m.kind == "first_seen" for m in plan.measures)


def _groups_ranked(plan: QueryPlan) -> bool:
    """ "rank services by errors": groups, in the order of their measure."""
    return (
        plan.group_by is not None
        and plan.group_by.bucket is None
        and plan.order in ("measure_desc", "measure_asc")
    )


def _text_searched(plan: QueryPlan) -> bool:
    return any(isinstance(c, Condition) and c.op in ("contains", "contains_any") for c in plan.conditions)


# Words that shape a plan without a pass taking them ("how many", "which", "per"), and when they do.
STRUCTURE_WORDS: list[tuple[Callable[[QueryPlan], bool], tuple[re.Pattern[str], ...]]] = [
    (lambda _plan: True, (lexicon.SHOW_ROWS, lexicon.ROW_NOUNS, lexicon.EMPTY_PHRASES)),
    (_about_ips, (lexicon.IP_WORDS,)),
    (lambda plan: plan.shape == "rows", (lexicon.WHICH, lexicon.LIST_WORDS)),
    (_counts, (lexicon.COUNT,)),
    (
        lambda plan: plan.group_by is not None or plan.shape == "distinct",
        (lexicon.WHICH, lexicon.PER, lexicon.LIST_WORDS, lexicon.COMMON, lexicon.DISTINCT),
    ),
    (_measures_any("first_seen", "last_seen"), (lexicon.TIMESTAMP_WORDS,)),
    (_pages_per_visitor, (lexicon.VIEWED_PAGES,)),
    (_of_duration, (lexicon.DURATION,)),  # said twice
    (_of_a_measured_value, (lexicon.AVERAGE, lexicon.MAXIMUM, lexicon.MINIMUM, lexicon.PERCENTILE)),
    (_ranked_high_first, (lexicon.HIGH_FIRST,)),
    (_groups_ranked, (lexicon.RANK_WORDS,)),
    (_measures_any("error_rate", "level_share", "share", "share_of_total"), (lexicon.SHARE,)),
    (_measures_any("avg_length"), (lexicon.MESSAGE_LENGTH, lexicon.AVERAGE)),
    (_text_searched, (lexicon.CONTAINS_WORDS,)),
    (_of_a_status, (lexicon.STATUS_WORDS, lexicon.HTTP_WORD)),
    (_versions_split, (lexicon.DEPLOY_SPLIT, lexicon.COMPARE, lexicon.COMPARISON_WORDS, lexicon.DEPLOYED_WORDS)),
    (_of_a_version, (lexicon.DEPLOYED_WORDS,)),
    (lambda plan: plan.shape == "rows" and "stack_trace" in plan.columns, (lexicon.STACK_TRACE,)),
]


def mark_used_structure(reader: Reader, plan: QueryPlan) -> None:
    """Mark the structure words ``plan`` used, so that only words nothing used are left; and the
    names of what it groups by said a second time ("which regions are failing? errors per region")."""
    grouped = [plan.group_by.attribute if plan.group_by is not None else None, plan.group_by_also]
    for attribute in grouped:
        if attribute is None:
            continue
        if attribute.metadata_key is not None and "status" in attribute.metadata_key:
            reader.mark_all(lexicon.STATUS_WORDS)  # "HTTP status codes", "response codes"
            reader.mark_all(lexicon.HTTP_WORD)
        names: list[re.Pattern[str]] = [p for p, column in lexicon.DIMENSIONS if column == attribute.column]
        if attribute.metadata_key is not None:
            names.append(lexicon.key_words(attribute.metadata_key))
        for name in names:
            reader.mark_all(name)
    for applies, patterns in STRUCTURE_WORDS:
        if applies(plan):
            for pattern in patterns:
                reader.mark_all(pattern)


def could_not_use(words: list[str], language: str) -> str:
    quoted = ", ".join(f"'{word}'" for word in words)
    if language == "ko":
        return f"질문의 {quoted} 부분을 해석하지 못했습니다"
    return f"I could not use {quoted} in the question"


def narrower(question: str, unused: list[str]) -> str:
    """The question without the words the planner could not use, and without the little words
    that only joined them ("which endpoints got slower after the last deploy?" → "which
    endpoints got slower?"): a narrower question to offer, never to answer in its place."""
    dropped = {word.lower() for word in unused}
    tokens = re.findall(r"\S+", question)
    keep = [_bare(token).lower() not in dropped and not _any_piece_dropped(token, dropped) for token in tokens]
    for index, token in enumerate(tokens):  # a joining word between dropped words, or at the end
        if keep[index] and _bare(token).lower() in stopwords.ENGLISH:
            before = index == 0 or not keep[index - 1]
            after = index == len(tokens) - 1 or not keep[index + 1]
            if before and after and index > 0:
                keep[index] = False
    kept = [token for token, kept in zip(tokens, keep, strict=True) if kept]
    while kept and _bare(kept[-1]).lower() in stopwords.ENGLISH | {"the", "a"} and len(kept) > 1:
        kept.pop()  # "errors in" → "errors"
    text = " ".join(kept).rstrip(" ,.")
    return text + "?" if question.rstrip().endswith("?") and not text.endswith("?") else text


def _bare(token: str) -> str:
    return token.strip("?,.!;:()\"'")


def _any_piece_dropped(token: str, dropped: set[str]) -> bool:
    return any(piece.lower() in dropped for piece in WORD.findall(token.lower()) if HANGUL.search(piece))
