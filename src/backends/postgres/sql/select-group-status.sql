-- select-group-status: what a group knows about one event, for its status.
-- Inputs: $1 group id, $2 position.
-- Outputs: start_position, cursor, type (NULL when no such event), due (NULL when not pending,
--   else whether its redelivery is due now), dead.
SELECT
  g.start_position,
  g.cursor,
  (SELECT type FROM {schema}.events WHERE position = $2::bigint) AS type,
  (SELECT due_at <= clock_timestamp() FROM {schema}.group_pending
    WHERE position = $2::bigint AND group_id = g.id) AS due,
  EXISTS (SELECT 1 FROM {schema}.group_dead_letters WHERE group_id = g.id AND position = $2::bigint) AS dead
FROM {schema}.groups AS g
WHERE g.id = $1::bigint
