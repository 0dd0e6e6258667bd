-- delete-stream: deletes every event of a stream (pending deliveries cascade).
-- Inputs (positional): stream. Outputs: changes.
DELETE FROM events WHERE stream = ?
