-- select-pending-page: one page of a group's pending deliveries (in a member's hands or waiting to
--   be redelivered) in position order, with their events. It walks the primary key
--   (position, group_id) from $2 and stops after $3 rows of the group (group_id is checked in the
--   index), so a page costs its rows plus other groups' pending rows at positions in between.
-- Inputs: $1 group id, $2 after (exclusive position), $3 limit.
-- Outputs: event (the stored event JSON), deliveries, last_error, due_at (RFC 3339, UTC).
SELECT e.event, p.deliveries, p.last_error,
  to_char(p.due_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS due_at
FROM {schema}.group_pending AS p
JOIN {schema}.events AS e ON e.position = p.position
WHERE p.position > $2::bigint AND p.group_id = $1::bigint
ORDER BY p.position
LIMIT $3::bigint
