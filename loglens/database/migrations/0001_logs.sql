-- The log store: one table, `logs`, partitioned by day on created_at.
--
-- The 21 columns are the mission's, with its names and types; span_id is ours. Daily
-- partitions make retention a DROP TABLE instead of a DELETE, and let a time window
-- (nearly every question has one) skip whole days. Partitions are created on demand by the
-- writer (storage/partitions.py) for the days it is about to write.
--
-- Indexes are the price every COPY pays, so each one here earns its place (measured with
-- bench/copy_indexes.py on 300k generated rows, 2 cores; see the README for the figures):
--   * BRIN on created_at: a few pages per partition, nearly free to maintain, and enough
--     for "last hour" within a day partition, since rows arrive in time order.
--   * (service, created_at): "errors of payment-api today", per-service volumes, and the
--     explorer's service facet.
--   * partial (created_at) WHERE level >= ERROR: errors are a few percent of the rows, so
--     this index is small and cheap, and serves the most frequent question ("errors in the
--     last hour", top error types, error rate numerators).
--   * partial trace_id and user_id: looking up one trace or one user is the second most
--     frequent action after an alert; a sequential scan of a day is too slow for that.
-- Left out on purpose: an index on message (full-text search scans the chosen window
-- instead) and on metadata (its keys vary by application; the GIN costs more than any
-- single key query saves at this size).

CREATE TYPE log_level AS ENUM ('TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR', 'FATAL');
CREATE TYPE log_type AS ENUM ('BACKEND', 'FRONTEND', 'MOBILE', 'IOT', 'WORKER');
CREATE TYPE environment AS ENUM ('production', 'staging', 'development', 'test', 'local');
CREATE TYPE http_method AS ENUM ('GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'HEAD', 'OPTIONS');

CREATE TABLE logs (
    id              BIGSERIAL,
    created_at      TIMESTAMPTZ NOT NULL DEFAULT now(),
    level           log_level NOT NULL DEFAULT 'INFO',
    log_type        log_type NOT NULL DEFAULT 'BACKEND',
    service         VARCHAR(100),
    environment     environment,
    service_version VARCHAR(50),
    trace_id        VARCHAR(64),
    user_id         VARCHAR(100),
    session_id      VARCHAR(100),
    error_type      VARCHAR(200),
    message         TEXT NOT NULL,
    stack_trace     TEXT,
    path            VARCHAR(2048),
    method          http_method,
    action_type     VARCHAR(100),
    function_name   VARCHAR(200),
    file_path       VARCHAR(500),
    duration_ms     NUMERIC(10, 3),
    deleted         BOOLEAN NOT NULL DEFAULT false,
    metadata        JSONB,
    span_id         VARCHAR(16)
) PARTITION BY RANGE (created_at);

COMMENT ON TABLE logs IS 'Application logs, one row per log record; partitioned by day on created_at.';
COMMENT ON COLUMN logs.created_at IS 'When the event happened (the record''s own timestamp, else its arrival).';
COMMENT ON COLUMN logs.level IS 'Severity, ordered: TRACE < DEBUG < INFO < WARN < ERROR < FATAL.';
COMMENT ON COLUMN logs.log_type IS 'Where the log comes from: BACKEND, FRONTEND (browser), MOBILE, IOT, WORKER.';
COMMENT ON COLUMN logs.service IS 'The emitting service (OpenTelemetry service.name).';
COMMENT ON COLUMN logs.environment IS 'Deployment environment.';
COMMENT ON COLUMN logs.service_version IS 'The emitting service''s version (OpenTelemetry service.version).';
COMMENT ON COLUMN logs.trace_id IS 'W3C trace id, 32 lowercase hex digits.';
COMMENT ON COLUMN logs.user_id IS 'The end user the log is about.';
COMMENT ON COLUMN logs.session_id IS 'The user session the log belongs to.';
COMMENT ON COLUMN logs.error_type IS 'Exception or error class name, for errors.';
COMMENT ON COLUMN logs.message IS 'The log message.';
COMMENT ON COLUMN logs.stack_trace IS 'Stack trace, for errors.';
COMMENT ON COLUMN logs.path IS 'HTTP route or URL path (or page path for front ends).';
COMMENT ON COLUMN logs.method IS 'HTTP method.';
COMMENT ON COLUMN logs.action_type IS 'User action on a front end (click, submit, navigate, ...).';
COMMENT ON COLUMN logs.function_name IS 'Function that emitted the log.';
COMMENT ON COLUMN logs.file_path IS 'Source file that emitted the log.';
COMMENT ON COLUMN logs.duration_ms IS 'Duration of the request or operation, in milliseconds.';
COMMENT ON COLUMN logs.deleted IS 'Soft delete flag: deleted rows are excluded from every answer.';
COMMENT ON COLUMN logs.metadata IS 'Every other attribute (http_status, ip, browser, device, region, ...).';
COMMENT ON COLUMN logs.span_id IS 'W3C span id, 16 lowercase hex digits.';

CREATE INDEX logs_created_at_brin ON logs USING brin (created_at) WITH (pages_per_range = 32);
CREATE INDEX logs_errors_created_at ON logs (created_at) WHERE level >= 'ERROR';

-- Receipts of committed batches that carried an idempotency key (the JSON API's
-- Idempotency-Key header, Fluentd's chunk id): a replay is answered from here, not stored twice.
CREATE TABLE ingest_receipts (
    key          TEXT PRIMARY KEY,
    committed_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    receipt      JSONB NOT NULL
);
CREATE INDEX ingest_receipts_committed_at ON ingest_receipts (committed_at);
