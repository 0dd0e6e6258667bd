-- truncate-stream: deletes a stream's events below a version (pending deliveries cascade),
--   keeping the head's count. Run after lock-head, like every writer of events.
-- Inputs: $1 stream, $2 the first version kept. Outputs: n (how many were deleted).
WITH doomed AS (
  DELETE FROM {schema}.events WHERE stream = $1::text AND version < $2::bigint RETURNING 1
), counted AS (
  UPDATE {schema}.log_head SET event_count = event_count - (SELECT count(*) FROM doomed)
  WHERE (SELECT count(*) FROM doomed) > 0
)
SELECT count(*) AS n FROM doomed
