"""A value named to be left out: "errors by service except staging", "non-prod 5xx", "게이트웨이
빼고 서비스별 에러". The value was read as a filter by an earlier pass; this pass turns it into its
opposite, so that "except gateway" never counts only gateway, nor everything as if unsaid.

A marker that no single named value sits next to is left unread, and the question is not answered
as if it were absent (planner/coverage.py).
"""

from __future__ import annotations

import re

from loglens.agent.offline import lexicon
from loglens.agent.offline.plan import Condition
from loglens.agent.offline.planner.state import Planning

# What may stand between an English marker and the value it leaves out ("except the gateway")...
_GAP_AFTER_MARKER = re.compile(r"[\s,:(]*")
# ...and between a Korean value and its marker ("스테이징 환경은 빼고", "gateway 서비스 제외").
_GAP_BEFORE_MARKER = re.compile(r"[\s,)]*(?:서비스|환경|레벨|로그|쪽)?[\s,)]*")
# A column's noun right after a value's name ("WORKER log type"), and a name then the noun ("GET method").
_NOUN_AFTER = {column: re.compile(rf"\s*(?P<noun>{nouns})\b") for column, nouns in lexicon.ATTRIBUTE_NOUNS.items()}
_NAME_THEN_NOUN = {
    column: re.compile(rf"[\w\-]+\s+(?P<noun>{nouns})\b") for column, nouns in lexicon.ATTRIBUTE_NOUNS.items()
}


def exclusions(p: Planning) -> None:
    for marker in [*lexicon.EXCLUDING_BEFORE.finditer(p.reader.text)]:
        if p.reader.free(marker.start(), marker.end()):
            _exclude(p, marker, marker.start(), following=True)
    for marker in [*lexicon.EXCLUDING_AFTER.finditer(p.reader.text)]:
        start = _start(p, marker)
        if start < marker.end() and p.reader.free(start, marker.end()):
            _exclude(p, marker, start, following=False)


def _exclude(p: Planning, marker: re.Match[str], start: int, following: bool) -> None:
    """``start``: where the marker's own words begin (``_start``)."""
    condition = _named_beside(p, marker, start, following)
    if condition is None:
        return
    attribute = condition.attribute
    # "errors except 404s" leaves out the 404s, not the errors that have no status at all
    excluded = Condition(attribute=attribute, op="is_distinct_from", values=condition.values)
    if condition.op == "in":  # "no debug/trace": left out together, not set side by side
        p.compared = None if p.compared == attribute else p.compared
        p.ambiguous = [a for a in p.ambiguous if not _about(a, condition)]
    # (every copy of it: "로그인 실패(AuthenticationFailure) 말고" names it twice)
    p.plan.conditions = [excluded if c == condition else c for c in p.plan.conditions]
    if attribute.column == "level":
        p.subject = "errors" if p.plan.errors_only else "logs"  # "logs except DEBUG" are not debug logs
    p.reader.mark(start, _end(p, marker, following))
    if following:
        _mark_the_noun_before(p, marker, attribute.column)
        if not _free_the_grouped_noun_after(p, marker, attribute.column):
            _mark_the_noun_after(p, condition, attribute.column)
    if attribute.column == "error_type" and not p.plan.errors_only and p.subject == "errors":
        p.subject = "logs"  # the error type named was left out: nothing says only errors are counted


def _mark_the_noun_before(p: Planning, marker: re.Match[str], column: str | None) -> None:
    """ "errors from services other than payment-api": the services kept, not one row each."""
    before = p.reader.text[: marker.start()]
    noun = lexicon.EXCLUDED_NOUN.search(before)
    if (
        noun is None
        or column is None
        or not re.fullmatch(lexicon.ATTRIBUTE_NOUNS[column], noun.group("noun"), re.I)
    ):
        return
    if p.reader.free(noun.start("noun"), noun.end("noun")):
        p.reader.mark(noun.start("noun"), noun.end("noun"))


def _free_the_grouped_noun_after(p: Planning, marker: re.Match[str], column: str | None) -> bool:
    """ "p90 for each non-GET method": the noun the value's name took ("GET method") is the
    grouping's too, so it is left for the grouping to read."""
    text = p.reader.text
    if column is None or not re.search(r"(?:\beach|\bper|\bevery|\bby)\s+$", text[: marker.start()]):
        return False
    noun = _NAME_THEN_NOUN[column].match(text, marker.end()) if column in _NAME_THEN_NOUN else None
    if noun is not None:
        p.reader.taken[noun.start("noun") : noun.end("noun")] = [False] * (noun.end("noun") - noun.start("noun"))
    return True


def _mark_the_noun_after(p: Planning, condition: Condition, column: str | None) -> None:
    """ "excluding WORKER log type": the noun names the value left out, not a grouping by it."""
    span = p.mention(str(condition.values[0]).lower())
    if span is None or column not in _NOUN_AFTER:
        return
    noun = _NOUN_AFTER[column].match(p.reader.text, span[1])
    if noun is not None and p.reader.free(noun.start("noun"), noun.end("noun")):
        p.reader.mark(noun.start("noun"), noun.end("noun"))


def _end(p: Planning, marker: re.Match[str], following: bool) -> int:
    """ "payment-api 말고 다른 서비스들 에러 몇 건": the other services are the rows kept, one total;
    "…다른 서비스들 에러 몇 개씩" asks one count each, so the noun is left for the grouping."""
    if following or not marker.group("rest"):
        return marker.end()
    if re.search(r"씩|별|마다", p.reader.text[marker.end() :]):
        return marker.start("rest")
    return marker.end()


def _start(p: Planning, marker: re.Match[str]) -> int:
    """Where a marker's own words begin: a Korean marker's match may begin inside the name before
    it (the 이 of 게이트웨이 read as a particle) or with a space the name's span took."""
    start = marker.start()
    while start < marker.end() and (p.reader.taken[start] or p.reader.text[start].isspace()):
        start += 1
    return start


def _named_beside(p: Planning, marker: re.Match[str], start: int, following: bool) -> Condition | None:
    """The one-value filter whose name is right after the marker (English) or right before it (Korean)."""
    text = p.reader.text
    for condition in p.plan.conditions:
        if not isinstance(condition, Condition) or condition.op not in ("=", "in"):
            continue
        span = _first_mention(p, condition)
        if span is None:
            continue
        if following and span[0] >= marker.end() and _GAP_AFTER_MARKER.fullmatch(text, marker.end(), span[0]):
            return condition
        if not following and span[1] <= start and _GAP_BEFORE_MARKER.fullmatch(text, span[1], start):
            return condition
    return None


def _first_mention(p: Planning, condition: Condition) -> tuple[int, int] | None:
    """Where the first of a condition's values is named: "excluding DEBUG and TRACE" names both."""
    spans = [p.mention(str(value).lower()) for value in condition.values]
    if any(span is None for span in spans):
        return None
    return min(span for span in spans if span is not None)


def _about(ambiguity: str, condition: Condition) -> bool:
    """ "debug/trace (together or each)": an ambiguity of the values now left out, which it no longer is."""
    return ambiguity.endswith("(together or each)") and all(
        str(value).lower() in ambiguity.lower() for value in condition.values
    )
