-- truncate-stream: deletes a stream's events below a version (pending deliveries cascade).
-- Inputs (positional): stream, the first version kept. Outputs: changes.
DELETE FROM events WHERE stream = ? AND version < ?
