"""Request bodies, inflated within a limit.

A gzip bomb (a few kilobytes that inflate to gigabytes) is stopped as soon as the inflated
size passes the limit: the decompressor is never asked for more than the limit allows, so
memory stays bounded by it whatever the body claims.

A gzip body may hold several members one after the other (RFC 1952 allows it, and Fluentd's
compressed chunks are exactly that: one member per write); they are inflated in turn, the
limit counting their total.
"""

from __future__ import annotations

import zlib

from loglens.errors import MalformedPayloadError, PayloadTooLargeError

GZIP_MAGIC = b"\x1f\x8b"
# zlib's wbits: 16+15 reads gzip, 15 reads zlib-wrapped deflate, -15 raw deflate.
_WBITS = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}


def inflate(body: bytes, content_encoding: str, limit: int) -> bytes:
    encoding = content_encoding.strip().lower()
    if encoding in ("", "identity"):
        if len(body) > limit:
            raise PayloadTooLargeError(f"the body is {len(body)} bytes; the limit is {limit}")
        return body
    wbits = _WBITS.get(encoding)
    if wbits is None:
        raise MalformedPayloadError(f"Content-Encoding {content_encoding!r} is not supported; use gzip or deflate")
    if encoding == "deflate" and body[:1] not in (
        b"\x78",
        b"\x08",
        b"\x18",
        b"\x28",
        b"\x38",
        b"\x48",
        b"\x58",
        b"\x68",
    ):
        wbits = -zlib.MAX_WBITS  # some clients send raw deflate without the zlib header
    parts: list[bytes] = []
    room = limit
    rest = body
    while True:
        inflater = zlib.decompressobj(wbits)
        try:
            inflated = inflater.decompress(rest, room + 1)
        except zlib.error as error:
            raise MalformedPayloadError(f"the {encoding} body cannot be decompressed: {error}") from None
        if len(inflated) > room or inflater.unconsumed_tail:
            raise PayloadTooLargeError(f"the body inflates past the limit of {limit} bytes")
        if not inflater.eof:
            raise MalformedPayloadError(f"the {encoding} body is truncated")
        parts.append(inflated)
        room -= len(inflated)
        rest = inflater.unused_data
        # Another gzip member follows; anything else after the end (padding) is ignored.
        if wbits != _WBITS["gzip"] or not rest.startswith(GZIP_MAGIC):
            return parts[0] if len(parts) == 1 else b"".join(parts)
