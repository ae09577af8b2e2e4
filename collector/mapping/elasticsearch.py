"""The Elasticsearch bulk API's body → the documents to store, and what to answer for the rest.

A bulk body is NDJSON: an action line (``{"index": {"_index": "logs", "_id": "1"}}``), then,
for ``index``, ``create`` and ``update``, the document line. ``index`` and ``create`` store
their document, mapped as every shipper's record is (``shipper.py``, strict: it needs a
message); ``delete`` and ``update`` are answered as item errors (loglens keeps logs as they
were sent). A document that is not JSON is an item error too; an action line that cannot be
read makes the pairing of the lines unknowable, so the request as a whole is refused (as
Elasticsearch refuses it). The document keeps its index and its ``_id`` (when it has one) in
``metadata`` as ``_index`` and ``_id``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from loglens.collector.mapping import json_api
from loglens.collector.mapping.shipper import clean_text

ACTIONS = ("index", "create", "delete", "update")
# Elasticsearch's error types, as clients print them.
MAPPER_PARSING = "mapper_parsing_exception"
ILLEGAL_ARGUMENT = "illegal_argument_exception"
VALIDATION = "action_request_validation_exception"
MAX_INDEX_CHARS = 255  # Elasticsearch's own limit on an index name


class BulkBodyError(ValueError):
    """The body cannot be read as bulk NDJSON (the request is answered 400 as a whole)."""


@dataclass(frozen=True, slots=True)
class Item:
    """One action of the body: what to store (``record``, a position in ``Bulk.records``) or the
    error to answer for it (``error``: type and reason)."""

    action: str
    index: str | None
    id: str | None
    record: int | None = None
    error: tuple[str, str] | None = None


@dataclass
class Bulk:
    items: list[Item] = field(default_factory=list)
    records: list[Any] = field(default_factory=list)  # the documents to store
    had_invalid_utf8: bool = False


def parse_bulk(body: bytes, default_index: str | None) -> Bulk:
    """The items of a bulk body; ``BulkBodyError`` when its action lines cannot be read.

    ``default_index``: the index of the path (``/{index}/_bulk``), for actions that name none."""
    lines = json_api.ndjson_lines(body)
    bulk = Bulk(had_invalid_utf8=lines.had_invalid_utf8)
    # Most bodies repeat one action line ({"index": {"_index": "logs"}}): read it once.
    actions: dict[str, tuple[str, str | None, str | None]] = {}
    texts = lines.lines
    count = len(texts)
    if not count:
        raise BulkBodyError("the request body is required: NDJSON, an action line before each document")
    position = 0
    while position < count:
        number, text = texts[position]
        known = actions.get(text)
        if known is None:
            known = actions[text] = _action(lines, position, default_index)
        action, index, item_id = known
        if action == "delete":
            bulk.items.append(Item(action, index, item_id, error=(ILLEGAL_ARGUMENT, _NOT_KEPT.format(action))))
            position += 1
            continue
        if position + 1 >= count:
            raise BulkBodyError(f"line {number + 1}: the {action!r} action has no document line after it")
        document_number, document_text = texts[position + 1]
        position += 2
        if action == "update":
            bulk.items.append(Item(action, index, item_id, error=(ILLEGAL_ARGUMENT, _NOT_KEPT.format(action))))
        elif index is None:
            bulk.items.append(Item(action, None, item_id, error=(VALIDATION, _NO_INDEX)))
        else:
            try:
                document = lines.load(document_number, document_text)
            except (ValueError, RecursionError) as error:
                reason = f"line {document_number + 1} is not valid JSON: {json_api.decode_reason(error)}"
                bulk.items.append(Item(action, index, item_id, error=(MAPPER_PARSING, reason)))
                continue
            bulk.items.append(Item(action, index, item_id, record=len(bulk.records)))
            bulk.records.append(stamped(document, index, item_id))
    return bulk


_NOT_KEPT = "loglens stores logs as they were sent: the {!r} action is not supported (use index or create)"
_NO_INDEX = "Validation Failed: 1: index is missing (name it in the action or the path: /{index}/_bulk)"


def _action(lines: json_api.Lines, position: int, default_index: str | None) -> tuple[str, str | None, str | None]:
    """An action line's action, index and id."""
    number, text = lines.lines[position]
    try:
        line = lines.load(number, text)
    except (ValueError, RecursionError):
        line = None
    if not isinstance(line, dict) or len(line) != 1:
        raise BulkBodyError(
            f"line {number + 1}: malformed action/metadata line, expected an object with one of "
            f"{', '.join(ACTIONS)} (every document line follows its action line)"
        )
    action, meta = next(iter(line.items()))
    if action not in ACTIONS:
        expected = ", ".join(ACTIONS)
        raise BulkBodyError(f"line {number + 1}: unknown action {action!r}, expected one of {expected}")
    if not isinstance(meta, dict):
        raise BulkBodyError(f"line {number + 1}: the {action!r} action's metadata must be an object")
    given_id = meta.get("_id")
    # (echoed in the answer: bytes that were not UTF-8 as U+FFFD)
    item_id = clean_text(given_id) if isinstance(given_id, str) and given_id else None
    return action, _index(meta.get("_index", default_index)), item_id


def _index(value: Any) -> str | None:
    if not isinstance(value, str) or not value:
        return None
    return clean_text(value[:MAX_INDEX_CHARS])


def stamped(document: Any, index: str, item_id: str | None) -> Any:
    """The document with its index (and id) for ``metadata``, unless it names its own."""
    if isinstance(document, dict):
        document.setdefault("_index", index)
        if item_id is not None:
            document.setdefault("_id", item_id)
    return document


def parse_document(body: bytes) -> tuple[Any, bool]:
    """One JSON document (``/{index}/_doc``) and whether it held bytes that are not UTF-8;
    ``BulkBodyError`` when it is not JSON."""
    try:
        text = body.decode("utf-8")
        invalid_utf8 = False
    except UnicodeDecodeError:
        text = body.decode("utf-8", "surrogateescape")
        invalid_utf8 = True
    try:
        return json_api.load_document(text), invalid_utf8
    except (ValueError, RecursionError) as error:
        raise BulkBodyError(f"the document is not valid JSON: {json_api.decode_reason(error)}") from None
