-- claim-due: a pull's first part: the group's deliveries whose ack deadline or nack delay has
--   passed, oldest first, skipping rows another member is claiming at this moment (SKIP LOCKED),
--   so members in any process never claim the same one. Each is delivered again with a new
--   deadline and token, or, once delivered max_deliveries times, becomes a dead letter instead.
--   One whose type the group's current types no longer match (they changed since it was
--   delivered, or it is a redriven dead letter) leaves the group as if acked: it is not its event.
-- Inputs: $1 group id, $2 limit.
-- Outputs: position, deliveries (this delivery's count), token, event (the stored event JSON),
--   buried (true: dead-lettered, not delivered; token and event are then 0 and NULL).
WITH g AS (
  SELECT ack_wait_ms, max_deliveries, type_regexes FROM {schema}.groups WHERE id = $1::bigint
), due AS (
  SELECT p.position, p.deliveries,
    (SELECT g.type_regexes IS NULL OR e.type ~ ANY (g.type_regexes) FROM g) AS matches
  FROM {schema}.group_pending AS p
  JOIN {schema}.events AS e ON e.position = p.position
  WHERE p.group_id = $1::bigint AND p.due_at <= clock_timestamp()
  ORDER BY p.position
  LIMIT $2::bigint
  FOR UPDATE OF p SKIP LOCKED
), dropped AS (
  DELETE FROM {schema}.group_pending AS p
  USING due
  WHERE p.group_id = $1::bigint AND p.position = due.position AND NOT due.matches
), buried AS (
  DELETE FROM {schema}.group_pending AS p
  USING due, g
  WHERE p.group_id = $1::bigint AND p.position = due.position AND due.matches
    AND due.deliveries >= g.max_deliveries
  RETURNING p.position, p.deliveries
), dead AS (
  INSERT INTO {schema}.group_dead_letters (group_id, position, event, deliveries, error, dead_at)
  SELECT $1::bigint, b.position, e.event, b.deliveries,
    'not acked within ' || g.ack_wait_ms || ' ms', clock_timestamp()
  FROM buried AS b
  JOIN {schema}.events AS e ON e.position = b.position
  CROSS JOIN g
  ON CONFLICT (group_id, position) DO UPDATE
  SET event = excluded.event, deliveries = excluded.deliveries, error = excluded.error,
      dead_at = excluded.dead_at
), redelivered AS (
  UPDATE {schema}.group_pending AS p
  SET deliveries = p.deliveries + 1,
      due_at = clock_timestamp() + g.ack_wait_ms * interval '1 millisecond',
      token = floor(random() * 4503599627370496)::bigint
  FROM due, g
  WHERE p.group_id = $1::bigint AND p.position = due.position AND due.matches
    AND due.deliveries < g.max_deliveries
  RETURNING p.position, p.deliveries, p.token
)
SELECT r.position, r.deliveries, r.token, e.event, false AS buried
FROM redelivered AS r
JOIN {schema}.events AS e ON e.position = r.position
UNION ALL
SELECT b.position, b.deliveries, 0, NULL, true
FROM buried AS b
ORDER BY position
