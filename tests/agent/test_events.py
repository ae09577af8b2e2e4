"""The event protocol (agent/events.py): the JSON each event is sent as, byte for byte, and the web
client's copy of the protocol (``QueryEvent`` in bots/web/src/lib/types.ts) held to its JSON Schema.

The TypeScript is read by a small parser of the type syntax types.ts uses; anything else in the
declarations it follows fails the test, so that the check can never pass by not understanding.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, get_args

import orjson
import pytest

from loglens.agent import events
from loglens.agent.answer import chart_for
from loglens.agent.database import QueryResult
from loglens.agent.engine import QuestionReport

TYPES_TS = Path(__file__).resolve().parents[2] / "bots" / "web" / "src" / "lib" / "types.ts"


# --- the wire ---------------------------------------------------------------------------------

WIRE = [
    (events.started("retrieve_schema"), b'{"type":"node_start","node":"retrieve_schema","progress":5}'),
    (
        events.started("retrieve_schema", again=True),
        b'{"type":"node_start","node":"retrieve_schema","progress":10}',
    ),
    (events.ended("retrieve_schema"), b'{"type":"node_end","node":"retrieve_schema","progress":15}'),
    (events.started("generate_sql"), b'{"type":"node_start","node":"generate_sql","progress":20}'),
    (events.ended("generate_sql"), b'{"type":"node_end","node":"generate_sql","progress":40}'),
    (
        events.started("validate_sql", attempt=2),
        b'{"type":"node_start","node":"validate_sql","progress":45,"attempt":2}',
    ),
    (
        events.failed("validate_sql", "only SELECT"),
        b'{"type":"node_end","node":"validate_sql","progress":50,"ok":false,"error":"only SELECT"}',
    ),
    (events.ended("validate_sql", ok=True), b'{"type":"node_end","node":"validate_sql","progress":55,"ok":true}'),
    (events.started("execute_query"), b'{"type":"node_start","node":"execute_query","progress":60}'),
    (
        events.failed("execute_query", "timeout"),
        b'{"type":"node_end","node":"execute_query","progress":65,"ok":false,"error":"timeout"}',
    ),
    (
        events.ended("execute_query", ok=True, row_count=3, execution_time_ms=1.25),
        b'{"type":"node_end","node":"execute_query","progress":75,"ok":true,"row_count":3,"execution_time_ms":1.25}',
    ),
    (events.started("generate_insight"), b'{"type":"node_start","node":"generate_insight","progress":80}'),
    (events.ended("generate_insight"), b'{"type":"node_end","node":"generate_insight","progress":100}'),
    (
        events.TokenEvent(field="sql", content="SELECT “1”"),
        '{"type":"token","field":"sql","content":"SELECT “1”"}'.encode(),
    ),
    (events.TokenEvent(field="insight", content=""), b'{"type":"token","field":"insight","content":""}'),
    (events.ErrorEvent(message="messages must be JSON"), b'{"type":"error","message":"messages must be JSON"}'),
    (
        events.ErrorEvent(message="no", outcome="failed", suggestions=[]),
        b'{"type":"error","message":"no","outcome":"failed","suggestions":[]}',
    ),
    (events.DoneEvent(), b'{"type":"done"}'),
]


@pytest.mark.parametrize(("event", "sent"), WIRE, ids=[sent.decode()[:60] for _, sent in WIRE])
def test_each_event_is_sent_as_it_always_was(event: events.Event, sent: bytes) -> None:
    assert orjson.dumps(event.wire()) == sent
    assert events.EVENTS.validate_json(sent) == event  # and reads back as the same event


def test_the_result_event_is_the_answers_body_with_its_type() -> None:
    rows: list[dict[str, Any]] = [
        {"service": "payment-api", "errors": 2, "last": "2026-01-01T00:00:00+00:00", "note": None},
        {"service": "주문", "errors": 1, "last": None, "note": {"nested": [1, None]}},
    ]
    report = QuestionReport(
        "errors by service",
        "offline",
        sql="SELECT …",
        reading="에러 수, 서비스별",
        insight="Two services.",
        attempts=1,
    )
    report.result = QueryResult(["service", "errors", "last", "note"], rows, False, 3.5)
    report.chart = chart_for(report.result.columns, rows, "bar").as_json()
    body = report.body()
    event = events.ResultEvent(**body)
    assert orjson.dumps(event.wire()) == orjson.dumps({"type": "result", **body})
    assert event.wire()["reading"] == "에러 수, 서비스별"
    assert events.EVENTS.validate_json(orjson.dumps(event.wire())) == event


def test_every_step_has_a_label_and_progress_grows_in_step_order() -> None:
    assert tuple(events.STEPS) == get_args(events.Step)
    moments = [(info.start, info.end) for info in events.STEPS.values()]
    assert all(start < end for start, end in moments)
    assert [start for start, _ in moments] == sorted(start for start, _ in moments)
    assert moments[-1][1] == 100
    for info in events.STEPS.values():
        assert info.label
        assert info.failed is None or info.start < info.failed < info.end
        assert info.restart is None or info.start < info.restart <= info.end
    with pytest.raises(ValueError, match="no failure"):
        events.failed("generate_sql", "the model wrote nothing")


# --- the web client's copy --------------------------------------------------------------------

# A field's type, reduced to what both sides can say: a set of "string", "number", "boolean",
# "null", "object", ("literal", value) and ("array", <the items' set>).
Kind = frozenset[Any]


@dataclass(frozen=True)
class FieldShape:
    required: bool
    kind: Kind


Variants = dict[str, dict[str, FieldShape]]  # type tag → field name → shape


# JSON Schema's simple types in TypeScript's words.
SIMPLE = {
    "string": "string",
    "integer": "number",
    "number": "number",
    "boolean": "boolean",
    "object": "object",
    "null": "null",
}


class Schema:
    """The JSON Schema of the protocol, read as the same variants as the TypeScript."""

    def __init__(self, schema: dict[str, Any]) -> None:
        self._schema = schema
        self._definitions = schema.get("$defs", {})

    def resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        if "$ref" in node:
            return self.resolve(self._definitions[node["$ref"].removeprefix("#/$defs/")])
        return node

    def kind(self, node: dict[str, Any]) -> Kind:
        node = self.resolve(node)
        if "const" in node:
            return frozenset({("literal", node["const"])})
        if "enum" in node:
            return frozenset(("literal", value) for value in node["enum"])
        for combined in ("anyOf", "oneOf"):
            if combined in node:
                return frozenset().union(*(self.kind(option) for option in node[combined]))
        if node.get("type") == "array":
            return frozenset({("array", self.kind(node["items"]))})
        if node.get("type") in SIMPLE:
            return frozenset({SIMPLE[node["type"]]})
        raise AssertionError(f"the schema says something this test cannot compare: {node}")

    def variants(self) -> Variants:
        variants: Variants = {}
        for option in self._schema["oneOf"]:
            model = self.resolve(option)
            required = set(model.get("required", ()))
            variants[model["properties"]["type"]["const"]] = {
                name: FieldShape(name in required, self.kind(prop)) for name, prop in model["properties"].items()
            }
        return variants


TOKEN = re.compile(
    r"\s+|//[^\n]*|/\*.*?\*/"  # skipped
    r"|(?P<string>'(?:[^'\\]|\\.)*'|\"(?:[^\"\\]|\\.)*\"|`(?:[^`\\]|\\.)*`)"
    r"|(?P<number>-?\d+(?:\.\d+)?)"
    r"|(?P<name>[A-Za-z_$][\w$]*)"
    r"|(?P<punct>[{}()\[\]<>|&;:?,=.])"
    r"|(?P<other>\S)",  # read, so that code elsewhere in the file passes; no declaration followed takes it
    re.DOTALL,
)


def tokens(source: str) -> list[str]:
    found, at = [], 0
    while at < len(source):
        match = TOKEN.match(source, at)
        assert match is not None  # every character is a token or skipped
        if match.lastgroup is not None:
            found.append(match.group())
        at = match.end()
    return found


class TypeScript:
    """The ``type`` and ``interface`` declarations of a TypeScript file, parsed when asked for."""

    def __init__(self, source: str) -> None:
        self._tokens = tokens(source)
        self._declarations: dict[str, tuple[str, int]] = {}  # name → (type or interface, first token)
        depth = 0
        for index, token in enumerate(self._tokens):
            depth += (token in "([{") - (token in ")]}")
            if depth == 0 and token in ("type", "interface") and index + 1 < len(self._tokens):
                self._declarations[self._tokens[index + 1]] = (token, index + 2)
        self._at = 0

    # The grammar: a union of intersections of (possibly array) primaries.
    def declaration(self, name: str) -> Any:
        if name not in self._declarations:
            raise AssertionError(f"types.ts declares no type {name}")
        keyword, self._at = self._declarations[name]
        if keyword == "interface":
            self._expect("{")
            return ("object", self._members())
        self._expect("=")
        parsed = self._union()
        self._expect(";")
        return parsed

    def _union(self) -> Any:
        self._accept("|")
        options = [self._intersection()]
        while self._accept("|"):
            options.append(self._intersection())
        return options[0] if len(options) == 1 else ("union", options)

    def _intersection(self) -> Any:
        parts = [self._postfix()]
        while self._accept("&"):
            parts.append(self._postfix())
        return parts[0] if len(parts) == 1 else ("intersection", parts)

    def _postfix(self) -> Any:
        parsed = self._primary()
        while self._accept("["):
            self._expect("]")
            parsed = ("array", parsed)
        return parsed

    def _primary(self) -> Any:
        token = self._next()
        if token[0] in "'\"":
            return ("literal", token[1:-1])
        if token == "(":
            parsed = self._union()
            self._expect(")")
            return parsed
        if token == "{":
            return ("object", self._members())
        if re.fullmatch(r"[A-Za-z_$][\w$]*", token):
            if self._accept("<"):
                arguments = [self._union()]
                while self._accept(","):
                    arguments.append(self._union())
                self._expect(">")
                return ("generic", token, arguments)
            return ("name", token)
        raise AssertionError(f"types.ts: a type cannot start with {token!r}")

    def _members(self) -> dict[str, tuple[bool, Any]]:
        members: dict[str, tuple[bool, Any]] = {}
        while not self._accept("}"):
            name = self._next()
            if not re.fullmatch(r"[A-Za-z_$][\w$]*", name):
                raise AssertionError(f"types.ts: this test reads only plain fields, not {name!r}")
            optional = self._accept("?")
            self._expect(":")
            members[name] = (not optional, self._union())
            if not self._accept(";"):
                self._accept(",")
        return members

    def _next(self) -> str:
        if self._at >= len(self._tokens):
            raise AssertionError("types.ts ends inside a declaration")
        self._at += 1
        return self._tokens[self._at - 1]

    def _accept(self, token: str) -> bool:
        if self._at < len(self._tokens) and self._tokens[self._at] == token:
            self._at += 1
            return True
        return False

    def _expect(self, token: str) -> None:
        found = self._next()
        if found != token:
            raise AssertionError(f"types.ts: expected {token!r}, found {found!r}")

    # From parsed types to what the schema says.
    def fields(self, parsed: Any) -> dict[str, tuple[bool, Any]]:
        """The fields of an object type: a literal, an interface or alias, or an intersection."""
        match parsed:
            case ("object", members):
                return dict(members)
            case ("name", name):
                return self.fields(self.declaration(name))
            case ("intersection", parts):
                merged: dict[str, tuple[bool, Any]] = {}
                for part in parts:
                    merged.update(self.fields(part))
                return merged
        raise AssertionError(f"types.ts: {parsed} is not an object type")

    def kind(self, parsed: Any) -> Kind:
        match parsed:
            case ("literal", value):
                return frozenset({("literal", value)})
            case ("name", "string" | "number" | "boolean" | "null" as simple):
                return frozenset({simple})
            case ("name", name):
                return self.kind(self.declaration(name))
            case ("union", options):
                return frozenset().union(*(self.kind(option) for option in options))
            case ("array", items):
                return frozenset({("array", self.kind(items))})
            case ("object", _) | ("intersection", _) | ("generic", "Record", _):
                return frozenset({"object"})
        raise AssertionError(f"types.ts: this test cannot compare the type {parsed}")

    def variants(self, union_name: str) -> Variants:
        parsed = self.declaration(union_name)
        options = parsed[1] if parsed[0] == "union" else [parsed]
        variants: Variants = {}
        for option in options:
            fields = {
                name: FieldShape(required, self.kind(t)) for name, (required, t) in self.fields(option).items()
            }
            tag_kind = fields.get("type", FieldShape(False, frozenset())).kind
            if len(tag_kind) != 1 or next(iter(tag_kind))[0] != "literal":
                raise AssertionError(f"types.ts: a {union_name} variant has no literal type tag: {option}")
            variants[next(iter(tag_kind))[1]] = fields
        return variants


def describe(kind: Kind) -> str:
    """A kind in TypeScript's words: 'sql' | 'insight', number, string[]."""
    said = []
    for atom in kind:
        if isinstance(atom, tuple) and atom[0] == "literal":
            said.append(repr(atom[1]))
        elif isinstance(atom, tuple):
            items = describe(atom[1])
            said.append(f"({items})[]" if "|" in items else f"{items}[]")
        else:
            said.append(atom)
    return " | ".join(sorted(said)) or "never"


def differences(agent: Variants, web: Variants) -> list[str]:
    found = [f"{tag}: only the agent sends it" for tag in agent.keys() - web.keys()]
    found += [f"{tag}: only the web client knows it" for tag in web.keys() - agent.keys()]
    for tag in agent.keys() & web.keys():
        sent, expected = agent[tag], web[tag]
        found += [
            f"{tag}.{name}: the agent sends it, QueryEvent lacks it" for name in sent.keys() - expected.keys()
        ]
        found += [f"{tag}.{name}: in QueryEvent, never sent" for name in expected.keys() - sent.keys()]
        for name in sent.keys() & expected.keys():
            if sent[name].required != expected[name].required:
                says = {True: "required", False: "optional"}
                found.append(
                    f"{tag}.{name}: {says[sent[name].required]} in agent/events.py, "
                    f"{says[expected[name].required]} in QueryEvent"
                )
            if sent[name].kind != expected[name].kind:
                found.append(
                    f"{tag}.{name}: agent/events.py says {describe(sent[name].kind)}, "
                    f"QueryEvent says {describe(expected[name].kind)}"
                )
    return sorted(found)


def test_the_web_clients_query_event_is_the_protocol() -> None:
    web = TypeScript(TYPES_TS.read_text()).variants("QueryEvent")
    found = differences(Schema(events.json_schema()).variants(), web)
    assert not found, "agent/events.py and QueryEvent (bots/web/src/lib/types.ts) disagree:\n" + "\n".join(found)


def test_the_check_notices_a_field_changed_on_either_side() -> None:
    source = TYPES_TS.read_text()
    schema = events.json_schema()
    agent = Schema(schema).variants()

    renamed = source.replace("attempt?: number", "attempts?: number", 1)
    assert differences(agent, TypeScript(renamed).variants("QueryEvent")) == [
        "node_start.attempt: the agent sends it, QueryEvent lacks it",
        "node_start.attempts: in QueryEvent, never sent",
    ]
    step_dropped = source.replace(" | 'generate_insight'", "", 1)
    every = "'execute_query' | 'generate_insight' | 'generate_sql' | 'retrieve_schema' | 'validate_sql'"
    known = "'execute_query' | 'generate_sql' | 'retrieve_schema' | 'validate_sql'"
    assert differences(agent, TypeScript(step_dropped).variants("QueryEvent")) == [
        f"node_end.node: agent/events.py says {every}, QueryEvent says {known}",
        f"node_start.node: agent/events.py says {every}, QueryEvent says {known}",
    ]

    schema["$defs"]["TokenEvent"]["properties"]["field"]["enum"].append("chart")
    schema["$defs"]["ErrorEvent"]["required"].append("outcome")
    assert differences(Schema(schema).variants(), TypeScript(source).variants("QueryEvent")) == [
        "error.outcome: required in agent/events.py, optional in QueryEvent",
        "token.field: agent/events.py says 'chart' | 'insight' | 'sql', QueryEvent says 'insight' | 'sql'",
    ]
