-- lock-head: starts an append: locks the log's head row until the transaction ends, so appenders
--   take turns and commit in position order; reports where the log stands.
-- Inputs: none.
-- Outputs: last_position, event_count, last_recorded_ms (Unix ms), now_ms (the database clock,
--   Unix ms).
SELECT
  last_position,
  event_count,
  floor(extract(epoch FROM last_recorded_at) * 1000)::bigint AS last_recorded_ms,
  floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS now_ms
FROM {schema}.log_head
FOR UPDATE
