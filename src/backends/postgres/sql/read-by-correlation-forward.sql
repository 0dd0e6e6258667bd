-- read-by-correlation-forward: one page of one correlation id in position order, on its index.
-- Inputs: $1 correlation id, $2 cursor (last position seen, exclusive), $3 hi (inclusive),
--   $4 type regexes (text[] or NULL), $5 limit.
-- Outputs: event (the stored event JSON).
SELECT event
FROM {schema}.events
WHERE correlation_id = $1::text AND position > $2::bigint AND position <= $3::bigint
  AND ($4::text[] IS NULL OR type IN (SELECT type FROM {schema}.event_types WHERE type ~ ANY ($4::text[])))
ORDER BY position
LIMIT $5::bigint
