-- read-by-stream-forward: one page of a stream in version order (the same as position order), on
--   the (stream, version) index.
-- Inputs: $1 stream, $2 cursor (last version seen, exclusive), $3 lo, $4 hi (position range,
--   inclusive), $5 type regexes (text[] or NULL), $6 correlation id (or NULL), $7 limit.
-- Outputs: event (the stored event JSON).
SELECT event
FROM {schema}.events
WHERE stream = $1::text AND version > $2::bigint
  AND position >= $3::bigint AND position <= $4::bigint
  AND ($5::text[] IS NULL OR type IN (SELECT type FROM {schema}.event_types WHERE type ~ ANY ($5::text[])))
  AND ($6::text IS NULL OR correlation_id = $6::text)
ORDER BY version
LIMIT $7::bigint
