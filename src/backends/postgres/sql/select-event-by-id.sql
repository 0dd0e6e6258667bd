-- select-event-by-id: one stored event.
-- Inputs: $1 id. Outputs: event (one row or none).
SELECT event FROM {schema}.events WHERE id = $1::text
