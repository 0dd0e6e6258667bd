-- read-by-position-backward: one page in descending position order (see read-by-position-forward).
-- Inputs: $1 cursor (last position seen, exclusive), $2 lo (lowest position wanted, inclusive),
--   $3 type regexes (text[], NULL for every type), $4 limit.
-- Outputs: event (the stored event JSON).
SELECT event
FROM {schema}.events
WHERE position < $1::bigint AND position >= $2::bigint
  AND ($3::text[] IS NULL OR type IN (SELECT type FROM {schema}.event_types WHERE type ~ ANY ($3::text[])))
ORDER BY position DESC
LIMIT $4::bigint
