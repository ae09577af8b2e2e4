"""The forward protocol's shared-key handshake, as Fluentd's in_forward runs it.

On when ``LOGLENS_FORWARD_SHARED_KEY`` is set, or else ``LOGLENS_INGEST_TOKEN`` (which is then
the key). Right after accepting a connection the server sends HELO; the client proves it
knows the key with PING; the server answers PONG, proving it knows the key too, or refusing
the client and closing the connection:

    HELO  ["HELO", {"nonce": <16 random bytes>, "auth": <16 random bytes, or "" without
           user authentication>, "keepalive": true}]
    PING  ["PING", client_hostname, shared_key_salt,
           sha512_hex(shared_key_salt + client_hostname + nonce + shared_key),
           username, sha512_hex(auth_salt + username + password)]     (both "" without)
    PONG  ["PONG", true, "", server_hostname,
           sha512_hex(shared_key_salt + server_hostname + nonce + shared_key)]
       or ["PONG", false, reason, "", ""]

The nonce and salt are sent as msgpack bin and the empty auth salt as str, as Fluentd does:
Fluent Bit reads the nonce as bin and takes any "auth" value as a request for credentials.
"""

from __future__ import annotations

import hashlib
import hmac
import os
from dataclasses import dataclass
from typing import Any

import msgpack

from loglens.settings import Settings

NONCE_BYTES = 16

# The reasons a refused client is told. Fluentd's words, kept short on purpose: Fluent Bit
# copies the reason into a 32-byte buffer. The server's log says more.
INVALID_PING = "invalid ping message"
KEY_MISMATCH = "shared_key mismatch"
USER_MISMATCH = "username/password mismatch"


@dataclass(frozen=True)
class Credentials:
    shared_key: bytes
    hostname: str
    username: str | None = None
    password: bytes | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> Credentials | None:
        key = settings.forward_key
        if key is None:
            return None
        password = settings.forward_password
        return cls(
            shared_key=key.get_secret_value().encode(),
            hostname=settings.forward_self_hostname,
            username=settings.forward_username,
            password=password.get_secret_value().encode() if password is not None else None,
        )


@dataclass(frozen=True)
class Answer:
    pong: bytes
    refusal: str | None  # what the server logs when the client is refused
    # The client sent something else than PING (a record, most likely): a logger with no
    # shared-key support, which it cannot tell its user about (the server warns instead).
    no_handshake: bool = False


def _digest(*parts: bytes) -> str:
    digest = hashlib.sha512()
    for part in parts:
        digest.update(part)
    return digest.hexdigest()


def _bytes(value: Any) -> bytes | None:
    if isinstance(value, bytes):
        return value
    if isinstance(value, str):
        return value.encode("utf-8", "surrogateescape")
    return None


class Handshake:
    """One connection's handshake: its nonce and salt, the HELO, and the answer to a PING."""

    def __init__(self, credentials: Credentials) -> None:
        self._credentials = credentials
        self._nonce = os.urandom(NONCE_BYTES)
        self._auth_salt = os.urandom(NONCE_BYTES) if credentials.username is not None else b""

    def helo(self) -> bytes:
        auth: bytes | str = self._auth_salt if self._auth_salt else ""
        options = {"nonce": self._nonce, "auth": auth, "keepalive": True}
        return bytes(msgpack.packb(["HELO", options], use_bin_type=True))

    def answer(self, ping: Any) -> Answer:
        if not (isinstance(ping, list) and len(ping) == 6 and ping[0] == "PING"):
            refused = self._refuse(INVALID_PING, "it did not answer HELO with PING")
            return Answer(refused.pong, refused.refusal, no_handshake=True)
        _, hostname, salt, key_digest, username, password_digest = ping
        hostname_bytes, salt_bytes = _bytes(hostname), _bytes(salt)
        if hostname_bytes is None or salt_bytes is None or not isinstance(key_digest, str | bytes):
            return self._refuse(INVALID_PING, "its PING is malformed")
        credentials = self._credentials
        expected = _digest(salt_bytes, hostname_bytes, self._nonce, credentials.shared_key)
        if not hmac.compare_digest(_bytes(key_digest) or b"", expected.encode()):
            return self._refuse(
                KEY_MISMATCH,
                f"client {hostname!r} used another shared key than LOGLENS_FORWARD_SHARED_KEY",
            )
        if credentials.username is not None:
            assert credentials.password is not None
            given_user = _bytes(username) or b""
            expected_password = _digest(
                self._auth_salt, credentials.username.encode(), credentials.password
            ).encode()
            user_ok = hmac.compare_digest(given_user, credentials.username.encode())
            password_ok = hmac.compare_digest(_bytes(password_digest) or b"", expected_password)
            if not (user_ok and password_ok):
                return self._refuse(
                    USER_MISMATCH,
                    f"client {hostname!r} gave another username or password than "
                    "LOGLENS_FORWARD_USERNAME / LOGLENS_FORWARD_PASSWORD",
                )
        server = credentials.hostname.encode()
        proof = _digest(salt_bytes, server, self._nonce, credentials.shared_key)
        pong = ["PONG", True, "", credentials.hostname, proof]
        return Answer(bytes(msgpack.packb(pong, use_bin_type=True)), None)

    def _refuse(self, reason: str, detail: str) -> Answer:
        pong = ["PONG", False, reason, "", ""]
        return Answer(bytes(msgpack.packb(pong, use_bin_type=True)), f"handshake refused: {detail}")
