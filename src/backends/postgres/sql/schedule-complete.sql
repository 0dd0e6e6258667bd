-- schedule-complete: forgets entries a mover appended.
-- Inputs: $1 ids (text[]). Outputs: none.
DELETE FROM {schema}.scheduled_events WHERE id = ANY ($1::text[])
