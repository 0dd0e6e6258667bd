-- nack-pending: hands a delivery back: due again after a delay, or a dead letter when asked or
--   when it was delivered max_deliveries times. A nack carrying an older token (the delivery was
--   redelivered since) changes nothing. A delay notifies the log's listeners, so waiting pulls in
--   every process look at the new due time.
-- Inputs: $1 group id, $2 position, $3 token, $4 delay ms, $5 error (or NULL: keep the last),
--   $6 dead-letter now (boolean), $7 the notification channel.
-- Outputs: one row when delayed, none otherwise.
WITH p AS (
  SELECT position, deliveries, coalesce($5::text, last_error) AS error
  FROM {schema}.group_pending
  WHERE position = $2::bigint AND group_id = $1::bigint AND token = $3::bigint
  FOR UPDATE
), g AS (
  SELECT max_deliveries FROM {schema}.groups WHERE id = $1::bigint
), buried AS (
  DELETE FROM {schema}.group_pending AS x
  USING p, g
  WHERE x.position = p.position AND x.group_id = $1::bigint
    AND ($6::boolean OR p.deliveries >= g.max_deliveries)
  RETURNING x.position
), dead AS (
  INSERT INTO {schema}.group_dead_letters (group_id, position, event, deliveries, error, dead_at)
  SELECT $1::bigint, p.position, e.event, p.deliveries, p.error, clock_timestamp()
  FROM buried AS b
  JOIN p ON p.position = b.position
  JOIN {schema}.events AS e ON e.position = p.position
  ON CONFLICT (group_id, position) DO UPDATE
  SET event = excluded.event, deliveries = excluded.deliveries, error = excluded.error,
      dead_at = excluded.dead_at
), delayed AS (
  UPDATE {schema}.group_pending AS x
  SET due_at = clock_timestamp() + $4::float8 * interval '1 millisecond', last_error = p.error
  FROM p, g
  WHERE x.position = p.position AND x.group_id = $1::bigint
    AND NOT ($6::boolean OR p.deliveries >= g.max_deliveries)
  RETURNING x.position
)
SELECT pg_notify($7::text, 'g' || $1::bigint) FROM delayed
