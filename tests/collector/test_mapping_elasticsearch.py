"""The bulk body's parser (collector/mapping/elasticsearch.py), without a server."""

from __future__ import annotations

import pytest

from loglens.collector.mapping.elasticsearch import ILLEGAL_ARGUMENT, MAPPER_PARSING, BulkBodyError, parse_bulk


def test_actions_pair_with_their_documents() -> None:
    body = (
        b'{"index": {"_index": "a", "_id": "1"}}\n{"message": "one"}\n'
        b'{"delete": {"_index": "a", "_id": "1"}}\n'
        b'{"create": {}}\n{"message": "two", "_index": "own"}\n'
        b'{"update": {"_id": "1"}}\n{"doc": {"message": "x"}}\n'
        b'{"index": {"_type": "_doc"}}\n{"message": broken\n'
    )
    bulk = parse_bulk(body, "path-index")
    assert [(item.action, item.index, item.id, item.record) for item in bulk.items] == [
        ("index", "a", "1", 0),
        ("delete", "a", "1", None),
        ("create", "path-index", None, 1),
        ("update", "path-index", "1", None),
        ("index", "path-index", None, None),
    ]
    assert bulk.records == [
        {"message": "one", "_index": "a", "_id": "1"},
        {"message": "two", "_index": "own"},  # a document's own _index is its own
    ]
    errors = [item.error[0] if item.error else None for item in bulk.items]
    assert errors == [None, ILLEGAL_ARGUMENT, None, ILLEGAL_ARGUMENT, MAPPER_PARSING]


def test_without_an_index_anywhere_the_item_is_refused() -> None:
    bulk = parse_bulk(b'{"index": {}}\n{"message": "m"}\n', None)
    assert bulk.records == []
    error = bulk.items[0].error
    assert error is not None
    assert "index is missing" in error[1]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b'{"index": {}}\n', "no document line"),
        (b'{"upsert": {}}\n{"message": "m"}\n', "unknown action 'upsert'"),
        (b'{"index": "logs"}\n{"message": "m"}\n', "metadata must be an object"),
        (b'{"index": {}, "create": {}}\n{"message": "m"}\n', "malformed action/metadata line"),
        (b"garbage\n", "line 1: malformed action/metadata line"),
        (b"\n \n", "the request body is required"),
    ],
)
def test_a_body_whose_actions_cannot_be_read_raises(body: bytes, reason: str) -> None:
    with pytest.raises(BulkBodyError, match=reason):
        parse_bulk(body, "logs")
