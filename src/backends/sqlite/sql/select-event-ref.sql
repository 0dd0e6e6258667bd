-- select-event-ref: where an id is stored (for duplicates).
-- Inputs (positional): id. Outputs: position, stream, version (one row or none).
SELECT position, stream, version FROM events WHERE id = ?
