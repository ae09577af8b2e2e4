"""Acknowledgements: ``{"ack": <chunk>}`` for a request whose option carried a ``chunk`` id.

The receiver writes the ack only after the request's rows are committed, so a client that
sees it (Fluentd's ``require_ack_response``, Fluent Bit's ``Require_ack_response``) may drop
its copy. A chunk it resends because an ack was lost is found by its idempotency key and
acknowledged again without being stored twice.

A chunk id alone does not name a chunk: fluent-logger-golang's ids are the Unix second and a
number from a generator that Go before 1.20 seeds alike in every process, so two processes
send the same id for different chunks. The key is therefore the id *and* a digest of the
chunk's content (its tag and entries): a resend (same id, same content) is recognised, a
different chunk under a used id is stored like any other. Ids are kept as the client's bytes,
UTF-8 or not, and echoed back byte for byte.
"""

from __future__ import annotations

from typing import Any

import msgpack

from loglens.collector.storage.writer import IdempotencyKey, content_digest
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


def idempotency_key(chunk: str | bytes | None, frame: list[Any]) -> IdempotencyKey | None:
    """The batcher's key for the chunk ``frame`` carried: ``fluent:<id bytes>\\x00<digest>``.

    An empty chunk id is acknowledged but not remembered: every such chunk would otherwise
    look like a resend of the first one."""
    if not chunk:
        return None
    digest = frame_digest(frame)
    return IdempotencyKey(b"fluent:" + _id_bytes(chunk) + b"\x00" + digest, digest)


# Records are re-encoded as they were decoded: strings that were not UTF-8 carry surrogate
# escapes (protocol.new_unpacker), which this packer turns back into their bytes.
_PACKER = msgpack.Packer(use_bin_type=True, unicode_errors="surrogateescape")


def frame_digest(frame: list[Any]) -> bytes:
    """A digest of a frame's content: its tag and entries, not its option (which holds the id).

    A packed stream is hashed as the bytes received (Fluentd resends a buffer chunk byte for
    byte); Message and Forward entries, decoded already, are packed again to be hashed.
    """
    tag, second = frame[0], frame[1]
    tag_bytes = _id_bytes(tag) if isinstance(tag, str | bytes) else b""
    if isinstance(second, bytes):
        return content_digest(b"packed", tag_bytes, second)
    if isinstance(second, str):  # PackedForward sent as str (Fluentd v0.12)
        return content_digest(b"packed", tag_bytes, second.encode("utf-8", "surrogateescape"))
    entries = second if second.__class__ is list else frame[1:3]
    try:
        packed = _PACKER.pack(entries)
    except Exception:  # nested past msgpack's limit: hashed entry by entry instead
        packed = b"".join(_packed_or_marker(entry) for entry in entries)
    return content_digest(b"entries", tag_bytes, packed)


def _packed_or_marker(entry: Any) -> bytes:
    """An entry that cannot be packed (nested deeper than msgpack's limit) cannot be stored
    either (the mapping refuses it): it is hashed as 0xc1, a byte msgpack never uses."""
    try:
        return bytes(_PACKER.pack(entry))
    except Exception:
        return b"\xc1"


def _id_bytes(text: str | bytes) -> bytes:
    """The bytes the client sent (the unpacker decodes bad UTF-8 with surrogate escapes)."""
    return text if isinstance(text, bytes) else text.encode("utf-8", "surrogateescape")


def encode(chunk: str | bytes) -> bytes:
    """``{"ack": <chunk>}`` with the chunk id exactly as received: a str id in a msgpack str
    holding its original bytes (valid UTF-8 or not), a bin id in a bin."""
    if isinstance(chunk, bytes):
        return bytes(msgpack.packb({"ack": chunk}, use_bin_type=True))
    # use_bin_type=False packs bytes as msgpack str (raw): the id's own bytes, undecoded.
    return bytes(msgpack.packb({"ack": _id_bytes(chunk)}, use_bin_type=False))
