-- read-by-position-forward: one page in position order, on the primary key; the plan when no
--   stream or correlation id narrows the read. Type patterns are resolved against event_types in
--   the same statement (one snapshot: no event can have a type the filter has not seen).
-- Inputs: $1 cursor (last position seen, exclusive), $2 hi (highest position wanted, inclusive),
--   $3 type regexes (text[], NULL for every type), $4 limit.
-- Outputs: event (the stored event JSON).
SELECT event
FROM {schema}.events
WHERE position > $1::bigint AND position <= $2::bigint
  AND ($3::text[] IS NULL OR type IN (SELECT type FROM {schema}.event_types WHERE type ~ ANY ($3::text[])))
ORDER BY position
LIMIT $4::bigint
