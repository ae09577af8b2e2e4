"""Every error loglens raises on purpose, in one tree.

    LoglensError                   base: ``str(error)`` is a sentence a user can act on
    ├── ConfigurationError         a setting is missing or unsafe; names the variable to change
    ├── DatabaseError              PostgreSQL could not be started, reached or migrated
    │   ├── EmbeddedDatabaseError  the embedded server failed to initialise or start
    │   ├── MigrationError         a schema migration failed; nothing after it was applied
    │   └── DatabaseUnavailable    the read side cannot reach PostgreSQL right now
    ├── QuestionError              a question got no answer; the answer says why, in a sentence
    │   ├── UnsafeSQL              the validator refused the SQL (not one read-only SELECT over logs)
    │   ├── QueryFailed            PostgreSQL refused the query, or it ran past the timeout
    │   └── AttemptsExhausted      no query worked within the attempts
    │       └── SQLRefused         ... and the last one was refused as unsafe
    └── IngestError                a receiver refuses a request; nothing of it was stored
        ├── MalformedPayload       undecodable body               HTTP 400  gRPC INVALID_ARGUMENT
        ├── PayloadTooLarge        over the size limit, inflated  HTTP 413  gRPC RESOURCE_EXHAUSTED
        ├── Unauthorized           missing or wrong ingest token  HTTP 401  gRPC UNAUTHENTICATED
        └── RetryLater             try again after retry_after_s  HTTP 503  gRPC UNAVAILABLE
            ├── Overloaded         the writer is saturated        HTTP 429
            └── StorageUnavailable the database cannot commit     HTTP 503

The agent turns a ``QuestionError`` into an ``error`` event (a 200 with ``error`` over REST):
``UnsafeSQL`` and ``QueryFailed`` first go back to the model to fix, while attempts remain.
Receivers translate an ``IngestError`` into their protocol's answer; anything else that
escapes a handler is a bug, answered as a 500 and logged with its traceback.

The Fluentd forward protocol has no error answer: its receiver leaves the chunk
unacknowledged (the client sends it again) and closes the connection with the reason
logged; ``Unauthorized`` is first told to the client in the handshake's PONG, and
``Overloaded`` only pauses reading (TCP back-pressure) until the writer catches up.
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


class DatabaseUnavailable(DatabaseError):
    pass


class QuestionError(LoglensError):
    pass


class UnsafeSQL(QuestionError):
    pass


class QueryFailed(QuestionError):
    pass


class AttemptsExhausted(QuestionError):
    pass


class SQLRefused(AttemptsExhausted):
    pass


class IngestError(LoglensError):
    http_status = 400


class MalformedPayload(IngestError):
    http_status = 400


class PayloadTooLarge(IngestError):
    http_status = 413


class Unauthorized(IngestError):
    http_status = 401


class RetryLater(IngestError):
    http_status = 503

    def __init__(self, message: str, retry_after_s: int = 1) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class Overloaded(RetryLater):
    http_status = 429


class StorageUnavailable(RetryLater):
    http_status = 503
