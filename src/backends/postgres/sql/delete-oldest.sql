-- delete-oldest: retention by count, one bounded chunk: deletes the oldest events (pending
--   deliveries cascade) and keeps the head's count.
-- Inputs: $1 how many to delete at most. Outputs: n (how many were deleted).
WITH doomed AS (
  DELETE FROM {schema}.events
  WHERE position IN (SELECT position FROM {schema}.events ORDER BY position LIMIT $1::bigint)
  RETURNING 1
), counted AS (
  UPDATE {schema}.log_head SET event_count = event_count - (SELECT count(*) FROM doomed)
  WHERE (SELECT count(*) FROM doomed) > 0
)
SELECT count(*) AS n FROM doomed
