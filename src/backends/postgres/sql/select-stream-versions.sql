-- select-stream-versions: the current version of each stream an append round appends to, read
--   after lock-head (no other append can change them meanwhile).
-- Inputs: $1 streams (text[]). Outputs: stream, version (0 when the stream has no event).
SELECT s AS stream, coalesce((SELECT max(version) FROM {schema}.events WHERE stream = s), 0) AS version
FROM unnest($1::text[]) AS s
