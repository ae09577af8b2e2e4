"""Acknowledgements: ``{"ack": <chunk>}`` for a request whose option carried a ``chunk`` id.

The receiver writes the ack only after the request's rows are committed, so a client that
sees it (Fluentd's ``require_ack_response``, Fluent Bit's ``Require_ack_response``) may drop
its copy. A chunk it resends because an ack was lost is found by its idempotency key and
acknowledged again without being stored twice.
"""

from __future__ import annotations

from typing import Any

import msgpack

from loglens.errors import MalformedPayloadError

# Fluentd and Node's fluent-logger send 24 base64 characters, Fluent Bit 32 hex digits.
MAX_CHUNK_ID_CHARS = 256


def chunk_of(option: dict[Any, Any] | None) -> str | bytes | None:
    """The chunk id to acknowledge, as the client sent it (the ack must echo it exactly)."""
    if option is None:
        return None
    chunk = option.get("chunk")
    if chunk is None:
        return None
    if not isinstance(chunk, str | bytes):
        raise MalformedPayloadError(f'the "chunk" option must be a string, not {type(chunk).__name__}')
    if len(chunk) > MAX_CHUNK_ID_CHARS:
        raise MalformedPayloadError(
            f'the "chunk" option is {len(chunk)} characters long; the limit is {MAX_CHUNK_ID_CHARS}'
        )
    return chunk


def idempotency_key(chunk: str | bytes | None) -> str | None:
    """The batcher's key for a chunk. An empty chunk id is acknowledged but not remembered:
    every such chunk would otherwise look like a resend of the first one."""
    if not chunk:
        return None
    text = chunk if isinstance(chunk, str) else chunk.hex()
    return f"fluent:{text}"


def encode(chunk: str | bytes) -> bytes:
    return bytes(msgpack.packb({"ack": chunk}, use_bin_type=True))
