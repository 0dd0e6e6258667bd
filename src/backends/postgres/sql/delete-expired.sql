-- delete-expired: retention by age, one bounded chunk: deletes events recorded longer ago than
--   $1 ms (recorded times never decrease along positions, so they are the oldest ones) and keeps
--   the head's count.
-- Inputs: $1 maxAgeMs, $2 how many to delete at most. Outputs: n (how many were deleted).
WITH doomed AS (
  DELETE FROM {schema}.events
  WHERE position IN (
    SELECT position FROM {schema}.events
    WHERE recorded_at < clock_timestamp() - $1::float8 * interval '1 millisecond'
    ORDER BY recorded_at
    LIMIT $2::bigint
  )
  RETURNING 1
), counted AS (
  UPDATE {schema}.log_head SET event_count = event_count - (SELECT count(*) FROM doomed)
  WHERE (SELECT count(*) FROM doomed) > 0
)
SELECT count(*) AS n FROM doomed
