-- purge-dead-letters: deletes dead letters for good.
-- Inputs: $1 group id, $2 positions (bigint[], or NULL for all). Outputs: n (how many).
WITH gone AS (
  DELETE FROM {schema}.group_dead_letters
  WHERE group_id = $1::bigint AND ($2::bigint[] IS NULL OR position = ANY ($2::bigint[]))
  RETURNING 1
)
SELECT count(*) AS n FROM gone
