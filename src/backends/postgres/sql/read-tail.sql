-- read-tail: one page of a live tail (or of a group's new events) after a cursor, with the last
--   position assigned as seen by the same snapshot: commits happen in position order, so when the
--   page comes back short every matching event up to that position was in it, and the cursor can
--   jump there without a gap.
-- Inputs: $1 cursor (exclusive), $2 type regexes (text[], NULL for every type), $3 only events
--   recorded at or after this time (RFC 3339, or NULL), $4 limit.
-- Outputs: last (the head's last position), event (the stored event JSON; NULL on the one row
--   returned when nothing matched).
SELECT h.last_position AS last, e.event
FROM {schema}.log_head AS h
LEFT JOIN LATERAL (
  SELECT position, event
  FROM {schema}.events
  WHERE position > $1::bigint
    AND ($2::text[] IS NULL OR type IN (SELECT type FROM {schema}.event_types WHERE type ~ ANY ($2::text[])))
    AND ($3::timestamptz IS NULL OR recorded_at >= $3::timestamptz)
  ORDER BY position
  LIMIT $4::bigint
) AS e ON true
ORDER BY e.position
