-- select-dead-letters: one page of a group's dead letters in position order (the key's order).
-- Inputs: $1 group id, $2 after (exclusive position, 0 for the first page), $3 limit.
-- Outputs: event (the stored event JSON), deliveries, error, dead_at (RFC 3339, UTC).
SELECT event, deliveries, error,
  to_char(dead_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS dead_at
FROM {schema}.group_dead_letters
WHERE group_id = $1::bigint AND position > $2::bigint
ORDER BY position
LIMIT $3::bigint
