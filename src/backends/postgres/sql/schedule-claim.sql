-- schedule-claim: a mover takes up to $1 due entries in (due_at, id) order: untaken ones whose
--   due time passed and taken ones whose lease ran out (their mover died before completing them),
--   and leases them for $2 ms. SKIP LOCKED: movers in any process never wait for each other's
--   rows and never take the same one (a row taken meanwhile fails the recheck of its condition
--   and is skipped). Each part walks its index from the start and stops after $1 rows, so the
--   cost does not depend on how many entries are pending. Now is the database's clock.
--   When it takes nothing, it answers how long until something is due instead (as
--   schedule-next-due), for the mover's look right after.
-- Inputs: $1 max (bigint), $2 lease ms (bigint).
-- Outputs: id, due_at, stream, event per entry taken, in no particular order; or, when none,
--   one row with those NULL and due_in_ms (NULL when nothing is pending).
WITH clock AS (
  SELECT floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS ms
), expired AS (
  SELECT s.id, s.due_at
  FROM {schema}.scheduled_events AS s
  WHERE s.lease_until IS NOT NULL AND s.lease_until <= (SELECT ms FROM clock)
  ORDER BY s.lease_until
  LIMIT $1::bigint
  FOR UPDATE OF s SKIP LOCKED
), due AS (
  SELECT s.id, s.due_at
  FROM {schema}.scheduled_events AS s
  WHERE s.lease_until IS NULL AND s.due_at <= (SELECT ms FROM clock)
  ORDER BY s.due_at, s.id
  LIMIT $1::bigint
  FOR UPDATE OF s SKIP LOCKED
), taken AS (
  SELECT id FROM (SELECT * FROM expired UNION ALL SELECT * FROM due) AS c
  ORDER BY due_at, id
  LIMIT $1::bigint
), moved AS (
  UPDATE {schema}.scheduled_events AS s
  SET lease_until = (SELECT ms FROM clock) + $2::bigint
  FROM taken
  WHERE s.id = taken.id
  RETURNING s.id, s.due_at, s.stream, s.event
)
SELECT id, due_at, stream, event, NULL::bigint AS due_in_ms FROM moved
UNION ALL
SELECT NULL, NULL, NULL, NULL,
  LEAST(
    (SELECT due_at FROM {schema}.scheduled_events WHERE lease_until IS NULL ORDER BY due_at, id LIMIT 1),
    (SELECT lease_until FROM {schema}.scheduled_events WHERE lease_until IS NOT NULL
     ORDER BY lease_until LIMIT 1)
  ) - (SELECT ms FROM clock)
WHERE NOT EXISTS (SELECT FROM moved)
