-- select-event-by-id: one stored event.
-- Inputs (positional): id. Outputs: event (the stored event JSON; one row or none).
SELECT event FROM events WHERE id = ?
