-- schedule-complete: forgets entries a mover appended. Committed without waiting for the WAL
--   flush (synchronous_commit off for this transaction only): should a crash of the server lose
--   the delete, the rows stay taken until their lease runs out, are claimed again and appended
--   again by id, which stores nothing (the events are in the log already, flushed before this,
--   since the WAL is flushed in order). It saves a flush per move.
-- Inputs: $1 ids (text[]). Outputs: none.
WITH quick AS (SELECT set_config('synchronous_commit', 'off', true))
DELETE FROM {schema}.scheduled_events
WHERE id = ANY ($1::text[]) AND EXISTS (SELECT FROM quick)
