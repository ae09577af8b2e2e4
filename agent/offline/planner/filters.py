"""What the rows must be: literal values (quoted text, ids, IPs, paths, versions, status codes,
methods), names from the data (services, error types, environments, metadata values, Korean words
for them), concepts (failed logins, SQL injection), log kinds, count and duration thresholds, levels.

Each pass reads the question through ``Planning`` (planner/state.py) and fills in its plan.
"""

from __future__ import annotations

import difflib
import itertools
import re
from typing import Literal

from loglens.agent.offline import lexicon, stopwords
from loglens.agent.offline.plan import (
    AnyOf,
    Attribute,
    ColumnName,
    Condition,
    Grouping,
    Having,
    Measure,
)
from loglens.agent.offline.planner.state import HANGUL, Planning, counted_alias
from loglens.agent.schema import MAX_VALUES

SLOWEST_ROWS_SHOWN = 10


def quoted_text(p: Planning) -> None:
    for match in list(lexicon.QUOTED.finditer(p.reader.text)):
        text = match.group(1).strip()
        if not text or not p.reader.free(match.start(), match.end()):
            continue
        if p.known_value(text):
            continue  # a quoted name is matched with the other names
        p.reader.mark(match.start(), match.end())
        column = _searched_column(p, match.start(), match.end())
        p.plan.conditions.append(Condition(attribute=Attribute(column=column), op="contains", values=[text]))
        p.signals += 1
    quoted = any(isinstance(c, Condition) and c.op == "contains" for c in p.plan.conditions)
    containing = None if quoted else p.reader.take(lexicon.CONTAINING)
    if containing is not None:
        groups = ("word", "kword", "pword", "qword")
        word = next(containing.group(g) for g in groups if containing.group(g)).strip("'\"")
        if word.lower() not in ("the", "a", "an", "word", "text", "phrase", "string"):
            column = _searched_column(p, containing.start(), containing.end())
            p.plan.conditions.append(Condition(attribute=Attribute(column=column), op="contains", values=[word]))
            p.signals += 1


def _searched_column(p: Planning, start: int, end: int) -> Literal["message", "path"]:
    """Where a text is searched: the path when the question says so right beside it ("path
    contains", "in the path", "path에 … 들어간"), else the message."""
    before, after = p.reader.text[max(0, start - 24) : start], p.reader.text[end : end + 28]
    said_before = lexicon.PATH_BEFORE_SEARCH.search(before)
    said_after = lexicon.PATH_AFTER_SEARCH.match(after)
    for said, offset in ((said_before, max(0, start - 24)), (said_after, end)):
        if said is not None:
            p.reader.mark(offset + said.start("path"), offset + said.end("path"))
            return "path"
    sql = re.search(lexicon.SQL_PHRASE, p.reader.text[start:end])
    if sql is not None and re.search(r"\b(?:paths?|urls?)\b|경로", p.reader.text):
        return "path"  # "UNION SELECT 포함된 요청 경로": an injection attempt is sent in the path
    return "message"


def literals(p: Planning) -> None:
    identifiers(p)
    status_codes(p)
    http_methods(p)
    for user in users_in_text(p):
        p.add_equals(Attribute(column="user_id"), user)


def identifiers(p: Planning) -> None:
    """IPs, trace ids, named ids ("user u-1"), paths and versions, as written."""
    for found in p.reader.take_all(lexicon.IP):
        p.add_equals(Attribute(metadata_key=p.metadata_key("ip") or "ip"), found.group(0))
    for found in p.reader.take_all(lexicon.TRACE_ID):
        p.add_equals(Attribute(column="trace_id"), found.group(0).lower())
    for found in p.reader.take_all(lexicon.NAMED_ID):
        named_id(p, found)
    found_paths = [found for found in lexicon.PATH.finditer(p.reader.text) if not _a_list_separator(p, found)]
    for found in found_paths:
        p.reader.mark(found.start(), found.end())
    for found in found_paths:  # "the /api/v1/search endpoint": the word says what the path is
        named = lexicon.PATH_NOUN_AFTER.match(p.reader.text, found.end())
        if named is not None and p.reader.free(named.start(), named.end()):
            p.reader.mark(named.start(), named.end())
    prefixes = [found for found in found_paths if _a_prefix(p, found)]
    for found in prefixes:  # "/checkout 으로 시작하는 페이지": every path under it
        value = found.group(0).rstrip(".,?*")
        _path_said_again(p, value)
        p.plan.conditions.append(Condition(attribute=Attribute(column="path"), op="starts_with", values=[value]))
        p.signals += 1
    paths = [found.group(0).rstrip(".,?") for found in found_paths if found not in prefixes]
    for path in paths:
        _path_said_again(p, path)
    if paths:
        p.add_in(Attribute(column="path"), [p.closest("path", path) or path for path in paths], compared=False)
    versions = [_known_version(p, found.group(0)) for found in p.reader.take_all(lexicon.VERSION)]
    if versions:  # "v2.9.0 vs v2.10.0": both, side by side
        p.add_in(Attribute(column="service_version"), list(dict.fromkeys(versions)))


def _known_version(p: Planning, said: str) -> str:
    """ "2.10" for v2.10.0, where it is the only version that starts so; as said otherwise."""
    exact = p.closest("service_version", said)
    if exact is not None:
        return exact
    start = said.lower().lstrip("v") + "."
    known = [v for v in p.schema.distinct("service_version") if v.lower().lstrip("v").startswith(start)]
    return known[0] if len(known) == 1 else said


def _a_prefix(p: Planning, found: re.Match[str]) -> bool:
    text = p.reader.text
    after = lexicon.PATH_PREFIX_AFTER.match(text, found.end())
    if found.group(0).endswith(("...", "*")):
        return True
    if after is not None:
        noun = lexicon.PREFIXED_NOUN_AFTER.match(text, after.end())  # "… 으로 시작하는 페이지"
        p.reader.mark(after.start(), noun.end() if noun else after.end())
        return True
    before = lexicon.PATH_PREFIX_BEFORE.search(text[max(0, found.start() - 40) : found.start()])
    if before is not None:
        p.reader.mark(found.start() - len(before.group(0)), found.start())
        return True
    return _every_path_under(p, found)


def _every_path_under(p: Planning, found: re.Match[str]) -> bool:
    """ "any /checkout path", "/checkout pages" where several paths start with /checkout."""
    text, path = p.reader.text, found.group(0).rstrip(".,?/")
    under = [known for known in p.schema.distinct("path") if known.startswith(path + "/")]
    if not under:
        return False
    anyone = lexicon.ANY_PATH_BEFORE.search(text[max(0, found.start() - 16) : found.start()])
    noun = (lexicon.PATH_NOUN if anyone else lexicon.PATHS_NOUN).match(text, found.end())
    if noun is None:
        return False
    p.reader.mark(found.end(), noun.end())
    if anyone is not None:
        p.reader.mark(found.start() - len(anyone.group(0)), found.start())
    return True


def _a_list_separator(p: Planning, found: re.Match[str]) -> bool:
    """ "browser/device별": a slash between two names of columns, not the path "/device"."""
    word = found.group(0).strip("/.,?")
    if not re.fullmatch(r"[a-z_]+", word) or any(
        path.lower().startswith(found.group(0)) for path in p.schema.distinct("path")
    ):
        return False
    named = any(pattern.fullmatch(word) for pattern, _ in lexicon.DIMENSIONS)
    a_value = any(
        word == value.lower()
        for column in ("environment", "service", "level", "log_type")
        for value in p.schema.distinct(column)
    )
    return named or a_value or any(word in key.key.lower() for key in p.schema.metadata_keys)


def _path_said_again(p: Planning, path: str) -> None:
    """ "the checkout page (/checkout)": the words of a path written out beside it."""
    for segment in {s for s in re.split(r"[/\-_.?=&]+", path.lower()) if len(s) >= 4 and s.isalpha()}:
        said = re.compile(rf"{lexicon.WORD_START}{segment}(?:\s+(?:page|endpoint|route|api))?{lexicon.WORD_END}")
        p.reader.mark_free(said)


def named_id(p: Planning, found: re.Match[str]) -> None:
    kind = found.group("kind") or found.group("kkind")
    column = lexicon.ID_KINDS.get(kind, "user_id")
    value = found.group("v") or found.group("kv")
    known = next((k for k in p.schema.distinct(column) if k.lower() == value), None)
    p.add_equals(Attribute(column=column), known or p.as_written(value))


def status_codes(p: Planning) -> None:
    """A status class ("5xx errors") or code ("404s"), where the logs have a status key."""
    status_key = p.metadata_key("status")
    if not status_key:
        return
    if (match := p.reader.take(lexicon.STATUS_CLASS)) is not None:
        _status_said_before(p, match.start())
        hundreds = int(match.group("c") or match.group("d") or match.group("e"))
        if match.group("d"):  # "500s": the 5xx class here, but people also write it for 500 alone
            p.ambiguous.append(match.group(0))
        attribute = Attribute(metadata_key=status_key, numeric=True)
        if hundreds < 5:
            bounds: list[str | int | float] = [hundreds * 100, hundreds * 100 + 100]
            p.plan.conditions.append(Condition(attribute=attribute, op="range", values=bounds))
        else:
            p.plan.conditions.append(Condition(attribute=attribute, op=">=", values=[hundreds * 100]))
        p.signals += 1
    else:  # "a 401 but never a 200", "500 and 503 errors": every code said, side by side
        said = [*p.reader.take_all(lexicon.STATUS_CODE), *_bare_codes_beside(p)]
        codes = [int(next(g for g in match.groups() if g)) for match in sorted(said, key=lambda m: m.start())]
        for code in codes:  # in the order said
            p.add_equals(Attribute(metadata_key=status_key, numeric=True), code)
    for left_out in p.reader.take_all(lexicon.EXCLUDED_STATUS):
        p.add_equals(Attribute(metadata_key=status_key, numeric=True), int(left_out.group(1)))


def _status_said_before(p: Planning, start: int) -> None:
    """ "http status 500대": the key named right before its class is part of it, not a grouping."""
    for said in lexicon.STATUS_WORDS.finditer(p.reader.text[max(0, start - 20) : start]):
        begin = max(0, start - 20) + said.start()
        if p.reader.text[begin + len(said.group(0)) : start].strip() == "" and p.reader.free(begin, start):
            p.reader.mark(begin, start)


def _bare_codes_beside(p: Planning) -> list[re.Match[str]]:
    """Status codes said without a word of their own, beside one that has it ("500 and 503 errors",
    "a 401 but never a 200", "200 응답 한 번도 못 받은")."""
    found = []
    for bare in lexicon.BARE_STATUS.finditer(p.reader.text):
        group = next(i for i, g in enumerate(bare.groups(), 1) if g)
        if p.reader.free(bare.start(group), bare.end(group)):
            p.reader.mark(bare.start(group), bare.end(group))
            found.append(bare)
    return found


def http_methods(p: Planning) -> None:
    methods = [match.group("m").upper() for match in p.reader.take_all(lexicon.HTTP_METHOD)]
    for match in lexicon.HTTP_METHOD_CAPITALS.finditer(p.question):
        start = _map_index(p.question, p.reader.text, match.start())
        if start is not None and p.reader.free(start, start + len(match.group(1))):
            p.reader.mark(start, start + len(match.group(1)))
            methods.append(match.group(1))
    if methods:
        p.add_in(Attribute(column="method"), list(dict.fromkeys(methods)))


def concepts(p: Planning) -> None:
    if p.reader.take(lexicon.LOGIN_FAILURE) is not None:
        error_type = p.error_type_about("login") or p.error_type_about("auth")
        if error_type is not None:
            p.add_equals(Attribute(column="error_type"), error_type)
        else:
            p.plan.conditions.append(
                Condition(
                    attribute=Attribute(column="message"),
                    op="contains_any",
                    values=["login failed", "authentication failed"],
                )
            )
        p.concept_error_type = True
        p.subject = "failures"
        p.signals += 1
    if p.reader.take(lexicon.SQL_INJECTION) is not None:
        patterns: list[str | int | float] = list(lexicon.SQL_INJECTION_PATTERNS)
        p.plan.conditions.append(
            AnyOf(
                conditions=[
                    Condition(attribute=Attribute(column="path"), op="contains_any", values=patterns),
                    Condition(attribute=Attribute(column="message"), op="contains_any", values=patterns),
                ]
            )
        )
        p.plan.shape = "rows"
        p.plan.columns = ["created_at", "service", "path", "message", "level", "user_id"]
        p.signals += 1
    if (match := p.reader.take(lexicon.WENT_WRONG)) is not None:
        p.plan.errors_only = True
        p.went_wrong = True
        p.subject = "errors"
        p.signals += 1
    slowest_rows(p)
    if (match := p.reader.take(lexicon.SESSIONS_PER_USER)) is not None:
        raw = match.group("n") or match.group("k") or "1"
        count = int(raw) if raw.isdigit() else lexicon.NUMBER_WORDS.get(raw, 1)
        sessions = Measure(kind="count_distinct", attribute=Attribute(column="session_id"), alias="sessions")
        p.plan.shape = "count_groups"
        p.plan.group_by = Grouping(attribute=Attribute(column="user_id"), alias="user_id")
        p.plan.conditions += [
            Condition(attribute=Attribute(column="session_id"), op="is_not_null"),
            Condition(attribute=Attribute(column="user_id"), op="is_not_null"),
        ]
        p.plan.having = Having(measure=sessions, op=">", value=count)
        p.plan.measures = [Measure(kind="count", alias="users")]
        p.subject = "users"
        p.signals += 1
    if (match := p.reader.take(lexicon.MISSING)) is not None:
        what = (match.group("what") or match.group("what2") or match.group("kwhat") or "").strip()
        what = what.replace(" ", "_").lower()
        column = _column_named(what)
        if column is not None:
            _presence(p, column, "is_null")
        else:
            p.reader.taken[match.start() : match.end()] = [False] * (match.end() - match.start())
    if (match := p.reader.take(lexicon.PRESENT)) is not None:
        column = _column_named((match.group("what") or match.group("kwhat")).replace(" ", "_").lower())
        if column is not None:
            _presence(p, column, "is_not_null")


def slowest_rows(p: Planning) -> None:
    """ "the 10 slowest requests", "the 5 slowest /api/v1/search requests": the rows, slowest first."""
    ranks_groups = p.reader.peek(lexicon.WHICH) is not None or p.reader.peek(lexicon.PER) is not None
    if ranks_groups or (match := p.reader.take(lexicon.SLOWEST_ROWS)) is None:
        return
    count = match.group("p") or match.group("n") or match.group("k") or match.group("p2")
    if match.group("noun") is not None:  # "the 5 slowest /api/v1/search requests": the name is read
        p.reader.mark(*match.span("noun"))  # by its own pass, the noun after it says what the rows are
    p.plan.shape, p.plan.order = "rows", "slowest"
    p.plan.limit = int(count) if count else SLOWEST_ROWS_SHOWN
    p.plan.columns = ["created_at", "service", "method", "path", "duration_ms", "level", "message"]
    p.plan.conditions.append(Condition(attribute=Attribute(column="duration_ms"), op="is_not_null"))
    p.subject = "requests"
    p.signals += 1


def _presence(p: Planning, column: ColumnName, op: Literal["is_null", "is_not_null"]) -> None:
    condition = Condition(attribute=Attribute(column=column), op=op)
    p.plan.conditions.append(condition)
    p.presence_said.append(condition)
    p.signals += 1


def data_names(p: Planning) -> None:
    """Names that occur in the data: services, error types, environments, versions, paths, then
    Korean words for them and metadata values."""
    for column in ("service", "error_type", "environment", "service_version", "path"):
        found = _names_of(p, column)
        if found:
            p.add_in(Attribute(column=column), list(dict.fromkeys(found)))
            if column == "error_type":
                p.concept_error_type = True
    path_words(p)
    korean_names(p)
    metadata_values(p)


def _names_of(p: Planning, column: str) -> list[str]:
    found = []
    for value in sorted(p.schema.distinct(column), key=len, reverse=True):
        span = p.find_name(value) or (_acronym_span(p, value) if column == "error_type" else None)
        if span is not None and p.reader.free(*span):
            p.reader.mark(*span)
            found.append(value)
            p.take_following_word(span[1], column)
    if column == "environment":
        found += environment_words(p)
    if column in ("service", "error_type"):
        found += _misspelled(p, column)
    if column == "service":
        found += _named_by_part(p)
    if column == "error_type":
        found += _named_by_words(p)
    return found


def _named_by_words(p: Planning) -> list[str]:
    """ "db connection timeouts", "DB 커넥션 타임아웃", "upstream service errors": an error type named by
    the words its CamelCase name is made of, in order, at least one of them its own."""
    names = {
        value: [w.lower() for w in re.findall(r"[A-Z][a-z]+|[A-Z]+(?![a-z])|[a-z]+", value)]
        for value in p.schema.distinct("error_type")
    }
    tokens = [(m.start(), m.end(), _name_word(m.group(0))) for m in re.finditer(r"[a-z]+|[가-힣]+", p.reader.text)]
    found: list[str] = []
    start = 0
    while start < len(tokens):
        match = _longest_named_run(p, tokens, start, names)
        if match is None:
            start += 1
            continue
        end, value = match
        p.reader.mark(tokens[start][0], tokens[end][1])
        p.name_spans.setdefault(value.lower(), (tokens[start][0], tokens[end][1]))  # where it was named
        p.take_following_word(tokens[end][1], "error_type")
        found.append(value)
        start = end + 1
    return found


def _longest_named_run(
    p: Planning, tokens: list[tuple[int, int, str]], start: int, names: dict[str, list[str]]
) -> tuple[int, str] | None:
    for end in range(min(len(tokens), start + 4) - 1, start - 1, -1):
        run = tokens[start : end + 1]
        if not p.reader.free(run[0][0], run[-1][1]):
            continue
        if any(p.reader.text[a[1] : b[0]].strip() for a, b in itertools.pairwise(run)):
            continue  # the words stand next to each other
        words = [word for _, _, word in run]
        # "auth" is auth-service's word as much as AuthenticationFailure's: not the error's own
        own = [
            w
            for (a, b, w) in run
            if w not in lexicon.GENERIC_ERROR_WORDS
            and not _in_a_service_name(p, w)
            and not _in_a_service_name(p, p.reader.text[a:b])
        ]
        if not own:  # "게이트웨이 에러" is the gateway's errors, not PaymentGatewayError
            continue
        named = [value for value, parts in names.items() if _in_order(words, parts)]
        if len(named) == 1 and (len(words) >= 2 or _names_one_error_alone(p, run[0])):
            return end, named[0]
    return None


def _names_one_error_alone(p: Planning, token: tuple[int, int, str]) -> bool:
    """ "timeouts", "upstream": one English word of seven letters or more, no part of a service's name."""
    written = p.reader.text[token[0] : token[1]]
    return not HANGUL.search(written) and len(token[2]) >= 7


def _in_a_service_name(p: Planning, word: str) -> bool:
    return any(word in service.lower() for service in p.schema.distinct("service"))


def _name_word(token: str) -> str:
    """A word of the question as a part of a name: "타임아웃이" → "timeout", "timeouts" → "timeout"."""
    word = lexicon.NAME_WORD_ALIASES.get(token)
    if word is None and HANGUL.match(token):  # the token is all Hangul or all Latin
        stem = next((token[: -len(e)] for e in stopwords.KOREAN_ENDINGS_LONGEST_FIRST if token.endswith(e)), token)
        word = lexicon.NAME_WORD_ALIASES.get(stem, stem)
    return word or token


def _in_order(words: list[str], parts: list[str]) -> bool:
    position = 0
    for word in words:
        if word not in parts[position:]:
            return False
        position = parts.index(word, position) + 1
    return True


def metadata_values(p: Planning) -> None:
    """ "Safari", "eu-west-1": a value of a metadata key with few values."""
    for key in p.schema.metadata_keys:
        if key.type != "string" or len(key.examples) > 25:
            continue
        found = []
        for value in sorted((str(v) for v in key.examples), key=len, reverse=True):
            span = p.find_name(value)
            if span is not None and p.reader.free(*span):
                p.reader.mark(*span)
                found.append(value)
        if found:
            p.add_in(Attribute(metadata_key=key.key), found)


def korean_names(p: Planning) -> None:
    """결제 서비스 → payment-api, 로그인 페이지 → /api/v1/login: a Korean word for what a name
    is about, matched against the services and paths of the data."""
    text = p.reader.text
    named_services: list[str] = []
    for word, stems in lexicon.KOREAN_NAME_STEMS.items():
        for match in re.finditer(word, text):
            if not p.reader.free(match.start(), match.end()):
                continue
            as_path = lexicon.KOREAN_PATH_NOUN.match(text, match.end())
            service_noun = lexicon.KOREAN_SERVICE_NOUN.match(text, match.end())
            services = [v for v in p.schema.distinct("service") if any(stem in v.lower() for stem in stems)]
            paths = [v for v in p.schema.distinct("path") if _path_named(v, stems)]
            path_named = as_path is not None and as_path.end() > match.end()
            if path_named and as_path is not None and p.has_condition("path"):
                p.reader.mark(match.start(), as_path.end())  # "결제페이지(/checkout...)": the path, said again
                continue
            if path_named and as_path is not None and paths and not p.has_condition("path"):
                p.reader.mark(match.start(), as_path.end())
                p.add_in(Attribute(column="path"), paths, compared=False)
            elif (
                len(services) == 1
                and (not p.has_condition("service") or _noun_follows(service_noun, match.end()))
                and services[0] not in named_services
                and (word not in lexicon.KOREAN_COMMON_NOUNS or _noun_follows(service_noun, match.end()))
            ):
                end = service_noun.end() if service_noun is not None else match.end()
                p.reader.mark(match.start(), end)
                named_services.append(services[0])
                p.name_spans[services[0]] = (match.start(), end)
            elif (
                paths
                and not p.has_condition("path")
                and (not services or p.has_condition("service") or named_services)
                and (word not in lexicon.KOREAN_COMMON_NOUNS or _noun_follows(service_noun, match.end()))
            ):
                # "인증 서비스 로그인 API": the service is named, so 로그인 is its endpoint
                end = service_noun.end() if service_noun is not None else match.end()
                p.reader.mark(match.start(), end)
                p.add_in(Attribute(column="path"), paths, compared=False)
    if named_services:
        p.add_in(Attribute(column="service"), list(dict.fromkeys(named_services)))


def path_words(p: Planning) -> None:
    """'the checkout endpoint': the endpoints whose path has that word; none is an honest miss."""
    if p.has_condition("path"):
        return
    for match in lexicon.PATH_WORD.finditer(p.reader.text):
        word = match.group("w") or match.group("kw")
        start = match.start("w") if match.group("w") else match.start("kw")
        if (
            word in lexicon.NOT_PATH_WORDS
            or lexicon.PERCENTILE_TOKEN.match(word)
            or not p.reader.free(start, start + len(word))
        ):
            continue
        p.reader.mark(start, match.end())
        known = p.schema.distinct("path")
        paths = [path for path in known if word in path.lower()]
        if paths:
            p.add_in(Attribute(column="path"), paths, compared=False)
            if len(paths) == 1:  # where it was named ("the health endpoint")
                p.name_spans.setdefault(paths[0].lower(), (start, match.end()))
        elif len(known) >= MAX_VALUES:  # the profile keeps only the commonest paths: search them all
            contains = Condition(attribute=Attribute(column="path"), op="contains", values=[word])
            p.plan.conditions.append(contains)
            p.signals += 1
        else:
            p.unknown_names.append(word)
        return


def log_types(p: Planning) -> None:
    """ "backend errors", "client-side" (frontend and mobile); "backend vs frontend": each one."""
    named: list[str] = []
    spans: list[tuple[int, int]] = []
    kinds_said = 0
    for pattern, kinds in lexicon.LOG_TYPES:
        said = p.reader.take_all(pattern)
        if not said:
            continue
        present = set(p.schema.distinct("log_type")) or set(kinds)
        chosen = [kind for kind in kinds if kind in present] or list(kinds)
        if len(chosen) == 1:  # where it was named ("background workers"), for a pass that needs it
            p.name_spans.setdefault(chosen[0].lower(), (said[0].start(), said[0].end()))
        named += [kind for kind in chosen if kind not in named]
        kinds_said += 1
        spans += [(m.start(), m.end()) for m in said]
    if spans and "MOBILE" not in named and _mobile_listed_beside(p, spans):
        named.append("MOBILE")
        kinds_said += 1
    if named:
        p.add_in(Attribute(column="log_type"), named, compared=kinds_said > 1)


def _mobile_listed_beside(p: Planning, log_type_spans: list[tuple[int, int]]) -> bool:
    """ "backend vs frontend vs mobile": "mobile" in a list of log types is the mobile app's logs,
    not the mobile device (as in "desktop vs mobile")."""
    text = p.reader.text
    joiner = re.compile(r"\s*(?:vs\.?|versus|,|and|or|/)\s*")
    for match in re.finditer(r"\bmobile\b", text):
        between = [
            text[end : match.start()] if end <= match.start() else text[match.end() : start]
            for start, end in log_type_spans
        ]
        if p.reader.free(match.start(), match.end()) and any(joiner.fullmatch(gap) for gap in between):
            p.reader.mark(match.start(), match.end())
            return True
    return False


def status_comparison(p: Planning) -> None:
    """ "status >= 500", "status-400", "상태 코드 500 이상": the status compared to a code."""
    status_key = p.metadata_key("status")
    if not status_key:
        return
    while (match := p.reader.take(lexicon.STATUS_COMPARISON)) is not None:
        said = (match.group("op") or match.group("kop") or "=").replace(" ", "")
        op = lexicon.STATUS_COMPARISON_OPS.get(said, "=")
        code = int(match.group("code") or match.group("kcode"))
        attribute = Attribute(metadata_key=status_key, numeric=True)
        p.plan.conditions.append(Condition(attribute=attribute, op=op, values=[code]))
        p.signals += 1


def thresholds(p: Planning) -> None:
    if (match := p.reader.take(lexicon.DURATION_THRESHOLD)) is not None:
        written = match.group("n") or match.group("kn") or match.group("dn") or match.group("dn2")
        amount = 1.0 if written in ("a", "an", "one") else float(written)
        unit = (match.group("unit") or match.group("kunit") or "ms").lower()
        factor = (
            1
            if unit in ("ms", "millisecond", "milliseconds", "밀리초")
            else (60_000 if unit.startswith(("min", "분")) else 1000)
        )
        said = match.group("op") or match.group("kop") or match.group("dsym") or match.group("dop") or ""
        op = ">=" if said.startswith(("at", "이상", ">=")) else ">"
        value = amount * factor
        if lexicon.AGGREGATE_BEFORE.search(p.reader.text[max(0, match.start() - 80) : match.start()]):
            # "endpoints whose p95 is above 1 s": a threshold on the measure, per group (HAVING)
            p.measure_threshold = (op, int(value) if value.is_integer() else value)
            p.signals += 1
            return
        p.plan.conditions.append(
            Condition(
                attribute=Attribute(column="duration_ms"),
                op=op,
                values=[int(value) if value.is_integer() else value],
            )
        )
        p.signals += 1
    elif (match := p.reader.peek(lexicon.BARE_MEASURE_THRESHOLD)) is not None and lexicon.AGGREGATE_BEFORE.search(
        p.reader.text[max(0, match.start() - 40) : match.start()]
    ):
        p.reader.take(lexicon.BARE_MEASURE_THRESHOLD)
        value = float(match.group("n") or match.group("kn"))
        op = ">=" if (match.group("op") or match.group("kop") or "").startswith(("at", "이상", ">=")) else ">"
        p.measure_threshold = (op, int(value) if value.is_integer() else value)
        p.signals += 1
    if (match := p.reader.take(lexicon.COUNT_THRESHOLD)) is not None:
        amount, op = _count_threshold(match)
        counted = _counted_entity(p, match)
        p.plan.having = Having(measure=counted or Measure(kind="count"), op=op, value=amount)
        p.threshold_span = (match.start(), match.end())
        p.signals += 1


def _count_threshold(match: re.Match[str]) -> tuple[int, Literal[">", ">="]]:
    """The number and comparison of "more than 20 times", "3+ services", "버전이 2개 이상", "multiple"."""
    if match.group("many") or match.group("kmany"):  # "multiple versions", "버전 여러 개": more than one
        return 1, ">"
    korean = match.group("kn2") or match.group("kn3")
    if korean:  # "버전이 2개 이상", "3개 이상 서비스"
        return int(korean), ">=" if (match.group("kop2") or match.group("kop3")) == "이상" else ">"
    numbers = ("n", "kn", "pn", "qn", "n3", "cn", "tn", "bn")
    written = next(match.group(g) for g in numbers if match.group(g))
    said = ("op", "kop", "sym", "cop", "top", "bsym")
    words = next((match.group(g) for g in said if match.group(g)), "").replace(" ", "")
    at_least = match.group("plus") or match.group("pn") or match.group("qn") or words in lexicon.AT_LEAST_WORDS
    return (1 if written == "one" else int(written)), ">=" if at_least else ">"


def levels(p: Planning) -> None:
    reader = p.reader
    if several_levels(p):
        return
    if reader.take(lexicon.ERROR_AND_FATAL) is not None:
        p.plan.errors_only = True
        p.subject = "errors"
        p.signals += 1
    if (match := reader.take(lexicon.LEVEL_MENTION)) is not None:
        word = next(g for g in (match.group(n) for n in "abcdefg") if g)
        p.add_level(lexicon.LEVEL_NAMES[word.lower()])
        return
    original = p.question
    for match in lexicon.EXPLICIT_LEVEL.finditer(original):
        start = _map_index(original, p.reader.text, match.start())
        if start is not None and reader.free(start, start + len(match.group(1))):
            reader.mark(start, start + len(match.group(1)))
            p.add_level(lexicon.LEVEL_NAMES[match.group(1).lower()])
            return
    errors = reader.take_all(lexicon.ERROR_WORDS)
    if errors and lexicon.ERRORS_ARE_THE_BASE.search(reader.text):
        errors += reader.take_all(lexicon.ERROR_WORD_BEFORE_RATE)  # "에러 중에 prod 에러 비율"
    if errors and not (p.concept_error_type and not error_word_outside_concept(p, errors)):
        if not any(m.kind in ("error_rate",) for m in p.plan.measures):
            p.plan.errors_only = True
        p.subject = "errors" if p.subject == "logs" else p.subject
        p.signals += 1


def several_levels(p: Planning) -> bool:
    """ "WARN, ERROR and FATAL", "warn+", "WARN and above": one filter on the levels named. A list
    of levels may be asked together or one count each; unless the question says which, a model
    configured reads it better."""
    reader = p.reader
    above = reader.peek(lexicon.LEVEL_AND_ABOVE)
    listed = reader.peek(lexicon.LEVEL_LIST)
    if above is not None:
        word = above.group("level") or above.group("level2")
        lowest = lexicon.LEVEL_NAMES[word.lower().removesuffix("ing")]
        levels = list(lexicon.LEVEL_ORDER[lexicon.LEVEL_ORDER.index(lowest) :])
        reader.mark(above.start(), above.end())
    elif listed is not None:
        words = re.findall(lexicon.LEVEL_WORD, listed.group("list"), re.IGNORECASE)
        named = {lexicon.LEVEL_NAMES[word.lower()] for word in words}
        levels = [level for level in lexicon.LEVEL_ORDER if level in named]
        if len(levels) < 2:
            return False
        reader.mark(listed.start(), listed.end())
        if levels == ["ERROR", "FATAL"]:  # "the ERROR/FATAL logs": what errors are
            p.plan.errors_only, p.subject = True, "errors"
            p.signals += 1
            return True
        if reader.take(lexicon.EACH_LEVEL) is None:
            p.ambiguous.append(f"{listed.group('list')} (together or each)")
    else:
        return False
    p.plan.errors_only = False
    p.add_in(Attribute(column="level"), levels, compared=listed is not None and above is None)
    p.subject = "logs"
    return True


def error_word_outside_concept(p: Planning, errors: list[re.Match[str]]) -> bool:
    # "errors of DatabaseConnectionTimeout" still asks for errors; "when did X first happen" does not
    return any(match.group(0).lower() in ("errors", "error", "에러", "오류") for match in errors) and not any(
        m.kind in ("first_seen", "last_seen") for m in p.plan.measures
    )


def environment_words(p: Planning) -> list[str]:
    present = set(p.schema.distinct("environment"))
    found = []
    for word, environment in (("prod", "production"), ("stage", "staging"), ("dev", "development")):
        span = p.find_name(word)
        if span is not None and p.reader.free(*span) and environment in present:
            p.reader.mark(*span)
            found.append(environment)
    return found


def users_in_text(p: Planning) -> list[str]:
    known = p.schema.distinct("user_id")
    pattern = re.compile(r"(?<![\w])(user[_\-]?\d+|usr[_\-]?\d+|u\d{3,})(?![a-z0-9_])")
    found = []
    for match in pattern.finditer(p.reader.text):
        if p.reader.free(match.start(), match.end()):
            p.reader.mark(match.start(), match.end())
            value = match.group(1)
            found.append(next((k for k in known if k.lower() == value), value))
    return found


def _map_index(original: str, normalised: str, index: int) -> int | None:
    # Korean terms are replaced before planning, so positions can shift; find the same text again.
    word = original[index : index + 8].lower()
    found = normalised.find(word)
    return found if found >= 0 else None


def _noun_follows(noun: re.Match[str] | None, end: int) -> bool:
    return noun is not None and noun.end() > end and bool(noun.group(0).strip())


def _path_named(path: str, stems: tuple[str, ...]) -> bool:
    """Whether a path has a segment named after one of ``stems`` (not a query string's text)."""
    segments = re.split(r"[/?]", path.split("?", 1)[0].lower())
    return any(segment.startswith(stem) for segment in segments for stem in stems)


def _column_named(words: str) -> ColumnName | None:
    candidates = {
        "trace_id": "trace_id",
        "trace": "trace_id",
        "traceid": "trace_id",
        "user": "user_id",
        "user_id": "user_id",
        "session": "session_id",
        "session_id": "session_id",
        "span": "span_id",
        "span_id": "span_id",
        "version": "service_version",
        "service": "service",
        "stack_trace": "stack_trace",
        "stack": "stack_trace",
        "error_type": "error_type",
        "path": "path",
        "environment": "environment",
    }
    return candidates.get(words.strip("_").replace("__", "_"))  # type: ignore[return-value]


def _acronym_span(p: Planning, name: str) -> tuple[int, int] | None:
    """ "NPE" for NullPointerException: the capitals of a CamelCase name, written in capitals."""
    acronym = "".join(c for c in name if c.isupper())
    if len(acronym) < 3:
        return None
    match = re.search(rf"(?<![A-Za-z]){acronym}s?(?![A-Za-z])", p.question)
    if match is None:
        return None
    return p.find_name(match.group(0))


def message_size(p: Planning) -> None:
    """ "messages over 10,000 characters", "메시지 길이가 10000자 넘는": the length of a message."""
    match = p.reader.take(lexicon.MESSAGE_SIZE)
    if match is None:
        return
    groups = match.groupdict()
    words = (groups.get("op") or groups.get("op2") or groups.get("kop") or "").replace(" ", "")
    op = ">=" if words in ("atleast", ">=", "이상") else ">"
    amount = int(groups.get("n") or groups.get("n2") or groups.get("kn") or groups.get("kn2") or 0)
    length = Attribute(column="message", length=True)
    p.plan.conditions.append(Condition(attribute=length, op=op, values=[amount]))
    p.reader.take_all(lexicon.BIG_WORDS)
    p.signals += 1


def _misspelled(p: Planning, column: str) -> list[str]:
    """ "paymnet-api", "NullPointerExeption": a name of the data with a letter or two wrong."""
    names = {value.lower(): value for value in p.schema.distinct(column)}
    found = []
    for match in re.finditer(r"[a-z][a-z0-9_\-.]{5,}", p.reader.text):
        word = match.group(0).rstrip(".-")
        if not p.reader.free(match.start(), match.start() + len(word)) or word in names:
            continue
        if any(name in word for name in names):
            continue  # "payment-api-1" is a host of payment-api, not a misspelling of it
        close = difflib.get_close_matches(word, names, n=2, cutoff=0.86)
        if len(close) == 1:  # one name is that close; two would be a guess
            p.reader.mark(match.start(), match.start() + len(word))
            found.append(names[close[0]])
    return found


def _named_by_part(p: Planning) -> list[str]:
    """ "the payment service", "inventory or notification (workers)": a service named by the part
    of its name that is its own, with a service noun after it or another such part beside it."""
    parts: dict[str, str] = {}
    for service in p.schema.distinct("service"):
        head = re.split(r"[\-_.]", service.lower())[0]
        if len(head) >= 4 and head not in lexicon.GENERIC_NAME_PARTS:
            parts[head] = service if head not in parts else ""  # a head two services share names neither
    found: list[tuple[int, int, str]] = []
    for head, service in parts.items():
        # (not the head of a longer name: "order-api-1" is a host)
        match = re.search(rf"{lexicon.WORD_START}{head}s?{lexicon.WORD_END}(?!-[a-z0-9])", p.reader.text)
        if service and match and p.reader.free(match.start(), match.end()):
            found.append((match.start(), match.end(), service))
    named = []
    for start, end, service in found:
        noun = lexicon.SERVICE_NOUN_AFTER.match(p.reader.text, end)
        paired = any(
            other_start != start
            and re.fullmatch(r"\s*(?:,|or|and|vs\.?|versus|/)\s*", _between(p, start, end, other_start, other_end))
            for other_start, other_end, _ in found
        )
        # "payment errors", "p99 payment last 30m", "payment v2.10.0": the service, unless an
        # endpoint noun follows ("the payment page")
        qualifies = lexicon.SERVICE_QUALIFIES.match(p.reader.text, end) is not None or (
            lexicon.ENDPOINT_NOUN_AFTER.match(p.reader.text, end) is None
        )
        if noun is not None or paired or qualifies:
            p.reader.mark(start, noun.end() if noun is not None else end)
            named.append(service)
            p.name_spans[service] = (start, end)
            if noun is None and not paired and _an_endpoint_by_its_method(p, start, end):
                p.ambiguous.append(f"{p.reader.text[start:end]} (the service or the endpoint)")
    return named + _named_by_tail(p)


def _an_endpoint_by_its_method(p: Planning, start: int, end: int) -> bool:
    """ "POST orders": order-api, or /api/v1/orders? An HTTP method before the word says an
    endpoint as much as the word says a service."""
    word = p.reader.text[start:end].lower()
    after_a_method = re.search(r"\b(?:get|post|put|patch|delete)\s+$", p.reader.text[max(0, start - 8) : start])
    return after_a_method is not None and any(
        word in path.lower().split("/") for path in p.schema.distinct("path")
    )


def _named_by_tail(p: Planning) -> list[str]:
    """ "the worker services", "workers": every service whose name ends in that word."""
    named: list[str] = []
    for tail in lexicon.SHARED_NAME_TAILS:
        services = [s for s in p.schema.distinct("service") if re.split(r"[\-_.]", s.lower())[-1] == tail]
        match = re.search(
            rf"{lexicon.WORD_START}{tail}(?:s|\s+(?:services|svcs|apps))(?:'s?)?{lexicon.WORD_END}", p.reader.text
        )
        if len(services) > 1 and match is not None and p.reader.free(match.start(), match.end()):
            p.reader.mark(match.start(), match.end())
            named += services
    return named


def _between(p: Planning, start: int, end: int, other_start: int, other_end: int) -> str:
    return p.reader.text[end:other_start] if other_start >= end else p.reader.text[other_end:start]


def _counted_entity(p: Planning, match: re.Match[str]) -> Measure | None:
    """ "users with over 5 sessions", "services running more than one version": distinct values
    counted, not rows."""
    group = next((g for g in ("noun", "mnoun", "qnoun", "knoun", "knoun3") if match.groupdict().get(g)), None)
    if group is None:
        return None
    noun = re.sub(r"\s+", " ", match.group(group).lower()).replace("_", " ").removesuffix("s")
    noun = lexicon.KOREAN_COUNTED_NOUNS.get(noun, noun)
    column = lexicon.COUNTED_ENTITIES.get(noun)
    if noun == "page" and not re.search(r"different|distinct|unique|서로\s*다른", match.group(0) + p.reader.text):
        return None  # "sessions through 5+ pages" counts page views; "5 different pages" the pages
    key = p.metadata_key(noun) if column is None and noun in lexicon.COUNTED_KEYS else None
    if column is None and key is None:
        return None
    # errors counted over some entity may be error types ("errs that hit 3+ services"); failed logins are not
    errors = (
        lexicon.ERROR_WORDS.search(p.reader.text) is not None
        and lexicon.LOGIN_FAILURE.search(p.reader.text) is None
    )
    # "error > 100 인 svc": a word between the number and the noun, so the noun is the group
    apart = p.reader.text[match.end() : match.start(group)].strip() not in ("", "different", "distinct", "unique")
    if (apart or not errors) and not _another_dimension(p, match.start(group), match.end(group)):
        return None  # "4xx >5 ip 리스트": the IPs are what is grouped, each with more than 5
    p.reader.mark(match.start(group), match.end(group))
    p.reader.take(lexicon.DISTINCT)
    attribute = Attribute(column=column) if column else Attribute(metadata_key=key)
    return Measure(kind="count_distinct", attribute=attribute, alias=counted_alias(attribute))


def _another_dimension(p: Planning, start: int, end: int) -> bool:
    """Whether something else than the noun at ``start``..``end`` is named to group by."""
    outside = p.reader.text[:start] + " " * (end - start) + p.reader.text[end:]
    patterns = [pattern for pattern, _ in lexicon.DIMENSIONS]
    patterns += [lexicon.key_words(key.key) for key in p.schema.metadata_keys if key.type != "number"]
    return any(pattern.search(outside) for pattern in patterns)


# The attributes only a request (a row with an HTTP status) has.
_HTTP_COLUMNS = ("method", "path", "duration_ms")
_HTTP_KEYS = ("status", "ip")


def counted_requests(p: Planning) -> None:
    """ "requests per minute", "요청 수", "order-api requests by method": what is counted is
    requests, the rows with an HTTP status, not every log line — unless another part of the
    question already keeps only requests (a method, a path, a status, a client IP)."""
    plan = p.plan
    counted = ("count", "count_distinct", "share")  # "% of requests from order-api" is of requests too
    if plan.shape == "rows" or not any(m.kind in counted for m in plan.measures):
        return
    if p.reader.peek(lexicon.REQUESTS_COUNTED) is None:
        return
    grouped = [plan.group_by.attribute if plan.group_by is not None else None, plan.group_by_also]
    attributes = [c.attribute for c in plan.conditions if isinstance(c, Condition)]
    attributes += [a for a in grouped if a is not None]
    attributes += [m.part.attribute for m in plan.measures if m.part is not None]
    if any(_of_requests(attribute) for attribute in attributes):
        return
    key = p.metadata_key("status")
    if key is not None:
        plan.conditions.append(Condition(attribute=Attribute(metadata_key=key), op="is_not_null"))


def _of_requests(attribute: Attribute) -> bool:
    key = (attribute.metadata_key or "").lower()
    return attribute.column in _HTTP_COLUMNS or any(word in key for word in _HTTP_KEYS)
