-- select-stream-version: a stream's current version.
-- Inputs: $1 stream. Outputs: version (0 when the stream has no event).
SELECT coalesce(max(version), 0) AS version FROM {schema}.events WHERE stream = $1::text
