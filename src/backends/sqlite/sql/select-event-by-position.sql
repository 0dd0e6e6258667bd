-- select-event-by-position: one stored event.
-- Inputs (positional): position. Outputs: type, event (one row or none).
SELECT type, event FROM events WHERE position = ?
