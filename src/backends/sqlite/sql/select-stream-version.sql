-- select-stream-version: a stream's current version.
-- Inputs (positional): stream. Outputs: version (0 when the stream has no event).
SELECT coalesce(max(version), 0) AS version FROM events WHERE stream = ?
