-- undo-insert: takes back an insert-events that skipped an id stored already (its positions would
--   have a hole), restoring the head as lock-head read it; the round then runs with a preflight.
--   Still under the head's lock, so nobody saw or assigned anything meanwhile.
-- Inputs: $1 the head's last position, $2 its event count, both before the insert. Outputs: none.
WITH gone AS (
  DELETE FROM {schema}.events WHERE position > $1::bigint
)
UPDATE {schema}.log_head SET last_position = $1::bigint, event_count = $2::bigint
