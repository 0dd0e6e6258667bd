-- insert-event: stores one event unless its id is already stored.
-- Inputs (positional): position (the round's next one), id, type, stream (or NULL), version (or NULL),
--   recorded_at (Unix ms), correlation_id (or NULL), event (the stored event JSON).
-- Outputs: changes (0 when the id was a duplicate: nothing stored, the position stays free).
INSERT INTO events (position, id, type, stream, version, recorded_at, correlation_id, event)
VALUES (?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT (id) DO NOTHING
