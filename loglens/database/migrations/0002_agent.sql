-- What the agent needs from the database: a role that can only read logs, and a history of
-- questions. Both live here because the schema has one owner (these migrations); the agent
-- and the bots only read through the schema.
--
-- loglens_reader runs every query that comes from a model or a user: it can SELECT from
-- logs and nothing else (not query_history, not ingest_receipts, not the partitions by
-- their own names), its transactions are read-only by default, and its statements time out
-- even if a query somehow escaped the agent's own timeout. The embedded server lets it log
-- in over the Unix socket; on your own server, give it a password and set
-- LOGLENS_READER_DATABASE_URL, or the agent switches to it with SET ROLE after connecting.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'loglens_reader') THEN
        CREATE ROLE loglens_reader LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOINHERIT;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'cannot create role loglens_reader (%); create it yourself: '
        'CREATE ROLE loglens_reader LOGIN; then run loglens db migrate again', SQLERRM;
END $$;

DO $$
BEGIN
    IF EXISTS (SELECT FROM pg_roles WHERE rolname = 'loglens_reader') THEN
        ALTER ROLE loglens_reader SET default_transaction_read_only = on;
        ALTER ROLE loglens_reader SET statement_timeout = '30s';
        ALTER ROLE loglens_reader SET idle_in_transaction_session_timeout = '60s';
        ALTER ROLE loglens_reader SET search_path = pg_catalog, public;
        EXECUTE format('GRANT CONNECT ON DATABASE %I TO loglens_reader', current_database());
        GRANT USAGE ON SCHEMA public TO loglens_reader;
        GRANT SELECT ON logs TO loglens_reader;
        -- lets the owner switch to the reader with SET ROLE when it cannot log in as it
        GRANT loglens_reader TO CURRENT_USER;
    END IF;
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'cannot configure role loglens_reader: %', SQLERRM;
END $$;

CREATE TABLE query_history (
    id                BIGSERIAL PRIMARY KEY,
    asked_at          TIMESTAMPTZ NOT NULL DEFAULT now(),
    question          TEXT NOT NULL,
    source            TEXT NOT NULL DEFAULT 'api',   -- web, slack, api, cli
    engine            TEXT NOT NULL,                 -- offline, anthropic:<model>, ...
    outcome           TEXT NOT NULL,                 -- answered, refused, failed, unanswerable
    sql               TEXT,
    row_count         INTEGER,
    execution_time_ms DOUBLE PRECISION,
    total_time_ms     DOUBLE PRECISION,
    attempts          INTEGER,
    insight           TEXT,
    error             TEXT
);
CREATE INDEX query_history_asked_at ON query_history (asked_at DESC);
REVOKE ALL ON query_history FROM PUBLIC;
