-- redrive-dead-letters: puts dead letters whose event is still stored back as deliveries due now,
--   with the count reset, and notifies waiting pulls.
-- Inputs: $1 group id, $2 positions (bigint[], or NULL for all), $3 the notification channel.
-- Outputs: n (how many were redriven).
WITH back AS (
  DELETE FROM {schema}.group_dead_letters AS d
  USING {schema}.events AS e
  WHERE d.group_id = $1::bigint AND e.position = d.position
    AND ($2::bigint[] IS NULL OR d.position = ANY ($2::bigint[]))
  RETURNING d.position
), pending AS (
  INSERT INTO {schema}.group_pending (position, group_id, deliveries, due_at, token)
  SELECT position, $1::bigint, 0, clock_timestamp(), 0 FROM back
  ON CONFLICT (position, group_id) DO NOTHING
)
SELECT count(*) AS n, CASE WHEN count(*) > 0 THEN pg_notify($3::text, 'g' || $1::bigint)::text END AS notified
FROM back
