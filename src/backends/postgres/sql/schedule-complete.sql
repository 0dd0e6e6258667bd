-- schedule-complete: forgets entries a mover appended, and answers how long until something is
--   due (as schedule-next-due, leaving out the rows it deletes), for the mover's look right
--   after. Committed without waiting for the WAL flush (synchronous_commit off for this
--   transaction only): should a crash of the server lose the delete, the rows stay taken until
--   their lease runs out, are claimed again and appended again by id, which stores nothing (the
--   events are in the log already, flushed before this, since the WAL is flushed in order). It
--   saves a flush per move.
-- Inputs: $1 ids (text[]).
-- Outputs: due_in_ms (bigint; NULL when nothing else is pending, <= 0 when due now).
WITH quick AS (
  SELECT set_config('synchronous_commit', 'off', true)
), gone AS (
  DELETE FROM {schema}.scheduled_events
  WHERE id = ANY ($1::text[]) AND EXISTS (SELECT FROM quick)
)
SELECT LEAST(
  (SELECT due_at FROM {schema}.scheduled_events WHERE lease_until IS NULL ORDER BY due_at, id LIMIT 1),
  (SELECT lease_until FROM {schema}.scheduled_events
   WHERE lease_until IS NOT NULL AND id <> ALL ($1::text[])
   ORDER BY lease_until LIMIT 1)
) - floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS due_in_ms
