-- Idempotency receipts keyed by bytes and by content (defects 0 and 4 of issue 14).
--
-- A key is the client's id exactly as sent (an Idempotency-Key header or a Fluentd chunk id),
-- valid UTF-8 or not: as TEXT, one id with a byte like 0xff could not even be sent to
-- PostgreSQL and failed the whole batch it was in, other clients' rows too. As bytea, any
-- bytes are stored as they are.
--
-- digest is a hash of the content committed under the key (BLAKE2b-128 of the JSON body, or
-- of the forward chunk's tag and entries). A request under a used key is a replay, answered
-- from here and not stored again, only if its digest is the same: clients reuse ids (Go's
-- fluent-logger seeds its generator alike in every process), and taking another chunk for a
-- resend acknowledged logs that were never stored. The JSON API answers a key reused for a
-- different body with 422; a forward chunk id is remembered with its digest
-- (key = 'fluent:' || id || '\x00' || digest), so each different chunk is stored.
--
-- Receipts written before this migration keep their keys (as UTF-8 bytes) and have no
-- digest: for the hours they are still kept (LOGLENS_IDEMPOTENCY_TTL_HOURS), a key
-- without a digest is taken as a replay, as it was then.

ALTER TABLE ingest_receipts ALTER COLUMN key TYPE bytea USING convert_to(key, 'UTF8');
ALTER TABLE ingest_receipts ADD COLUMN digest bytea;

COMMENT ON TABLE ingest_receipts IS
    'Receipts of committed requests that carried an idempotency key: a replay (same key, same digest) is answered from here.';
COMMENT ON COLUMN ingest_receipts.key IS 'Protocol prefix and the client''s id, byte for byte (json:<Idempotency-Key>, fluent:<chunk id>\x00<digest>).';
COMMENT ON COLUMN ingest_receipts.digest IS 'BLAKE2b-128 of the content committed under the key; NULL for receipts from before migration 0003.';
