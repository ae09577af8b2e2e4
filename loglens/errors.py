"""Every error loglens raises on purpose, in one tree.

    LoglensError                        base: ``str(error)`` is a sentence a user can act on
    ├── ConfigurationError              a setting is missing or unsafe; names the variable to change
    ├── DatabaseError                   PostgreSQL could not be started, reached or migrated
    │   ├── EmbeddedDatabaseError       the embedded server failed to initialise or start
    │   ├── MigrationError              a schema migration failed; nothing after it was applied
    │   └── DatabaseUnavailableError    the read side cannot reach PostgreSQL right now
    ├── QuestionError                   a question got no answer; the answer says why, in a sentence
    │   ├── UnsafeSQLError              the validator refused the SQL (not one read-only SELECT over logs)
    │   ├── QueryFailedError            PostgreSQL refused the query, or it ran past the timeout
    │   └── AttemptsExhaustedError      no query worked within the attempts
    │       └── SQLRefusedError         ... and the last one was refused as unsafe
    └── IngestError                     a receiver refuses a request; nothing of it was stored
        ├── MalformedPayloadError       undecodable body               HTTP 400  gRPC INVALID_ARGUMENT
        ├── PayloadTooLargeError        over the size limit, inflated  HTTP 413  gRPC RESOURCE_EXHAUSTED
        ├── UnauthorizedError           missing or wrong ingest token  HTTP 401  gRPC UNAUTHENTICATED
        ├── IdempotencyConflictError    same key, different content    HTTP 422
        └── RetryLaterError             try again after retry_after_s  HTTP 503  gRPC UNAVAILABLE
            ├── OverloadedError         the writer is saturated        HTTP 429
            └── StorageUnavailableError the database cannot commit     HTTP 503
                └── CommitTimeoutError  no commit within the timeout   HTTP 503

Every exception class of loglens ends in ``Error`` (ruff's N818 keeps it so).

The agent turns a ``QuestionError`` into an ``error`` event (a 200 with ``error`` over REST):
``UnsafeSQLError`` and ``QueryFailedError`` first go back to the model to fix, while attempts remain.
Receivers translate an ``IngestError`` into their protocol's answer; anything else that
escapes a handler is a bug, answered as a 500 and logged with its traceback.

The Fluentd forward protocol has no error answer: its receiver leaves the chunk
unacknowledged (the client sends it again) and closes the connection with the reason
logged; ``UnauthorizedError`` is first told to the client in the handshake's PONG, and
``OverloadedError`` only pauses reading (TCP back-pressure) until the writer catches up.
"""

from __future__ import annotations


class LoglensError(Exception):
    """Base of every error loglens raises on purpose."""


class ConfigurationError(LoglensError):
    pass


class DatabaseError(LoglensError):
    pass


class EmbeddedDatabaseError(DatabaseError):
    pass


class MigrationError(DatabaseError):
    pass


class DatabaseUnavailableError(DatabaseError):
    pass


class QuestionError(LoglensError):
    pass


class UnsafeSQLError(QuestionError):
    pass


class QueryFailedError(QuestionError):
    pass


class AttemptsExhaustedError(QuestionError):
    pass


class SQLRefusedError(AttemptsExhaustedError):
    pass


class IngestError(LoglensError):
    http_status = 400


class MalformedPayloadError(IngestError):
    http_status = 400


class PayloadTooLargeError(IngestError):
    http_status = 413


class UnauthorizedError(IngestError):
    http_status = 401


class IdempotencyConflictError(IngestError):
    """An idempotency key already committed for different content: nothing of this request is
    stored, and it is not a replay either (Idempotency-Key on the JSON API; gRPC has no keys)."""

    http_status = 422


class RetryLaterError(IngestError):
    http_status = 503

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class OverloadedError(RetryLaterError):
    http_status = 429


class StorageUnavailableError(RetryLaterError):
    http_status = 503


class CommitTimeoutError(StorageUnavailableError):
    """PostgreSQL did not commit a request's rows within ``LOGLENS_COMMIT_TIMEOUT_S`` (a table
    locked, a disk stalled): nothing of the request was stored, and nothing of it will be, so a
    client that sends it again stores it once."""
