-- select-next-due: how long until the group's next pending delivery is due (by the database's
--   clock, so members on other machines agree).
-- Inputs: $1 group id. Outputs: due_in_ms (NULL when nothing is pending; <= 0 when due now).
SELECT (extract(epoch FROM min(due_at) - clock_timestamp()) * 1000)::float8 AS due_in_ms
FROM {schema}.group_pending
WHERE group_id = $1::bigint
