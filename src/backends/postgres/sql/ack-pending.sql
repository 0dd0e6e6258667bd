-- ack-pending: acks deliveries (of any groups), so they are never delivered again. Idempotent,
--   and an ack of a delivery redelivered since still counts: the work was done.
-- Inputs: $1 group ids (bigint[]), $2 positions (bigint[]), pairwise. Outputs: none.
DELETE FROM {schema}.group_pending AS p
USING unnest($1::bigint[], $2::bigint[]) AS a (group_id, position)
WHERE p.position = a.position AND p.group_id = a.group_id
