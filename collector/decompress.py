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
    return _inflate_members(body, wbits, encoding, limit)


# Input is fed to each member's decompressor in slices that start small and double: a member
# ends somewhere in its last slice, and what follows it is found by position rather than
# copied (zlib's unused_data copies the rest of what it was given), so a body of many members,
# tiny or large, is inflated in time linear in its size.
_FIRST_SLICE = 1024
_LARGEST_SLICE = 1024 * 1024


def _inflate_members(body: bytes, wbits: int, encoding: str, limit: int) -> bytes:
    view = memoryview(body)
    size = len(body)
    parts: list[bytes] = []
    room = limit
    position = 0
    while True:
        inflater = zlib.decompressobj(wbits)
        step = _FIRST_SLICE
        while not inflater.eof:
            if position >= size:
                raise MalformedPayloadError(f"the {encoding} body is truncated")
            piece = view[position : position + step]
            position += len(piece)
            try:
                inflated = inflater.decompress(piece, room + 1)
            except zlib.error as error:
                raise MalformedPayloadError(f"the {encoding} body cannot be decompressed: {error}") from None
            if len(inflated) > room or inflater.unconsumed_tail:
                raise PayloadTooLargeError(f"the body inflates past the limit of {limit} bytes")
            if inflated:
                parts.append(inflated)
                room -= len(inflated)
            step = min(step * 2, _LARGEST_SLICE)
        position -= len(inflater.unused_data)
        # Another gzip member follows; anything else after the end (padding) is ignored.
        if wbits != _WBITS["gzip"] or view[position : position + 2] != GZIP_MAGIC:
            return parts[0] if len(parts) == 1 else b"".join(parts)
