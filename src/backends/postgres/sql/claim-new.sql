-- claim-new: a pull's second part: new matching events after the group's cursor, each recorded as
--   pending with its ack deadline; the cursor moves past what was examined (to the head's last
--   position when the page came back short: commits happen in position order, so nothing below
--   it can still appear). The group row is locked while members claim new events, one at a time;
--   when the cursor is already at the head nothing is locked or written.
-- Inputs: $1 group id, $2 limit.
-- Outputs: position, token, event (the stored event JSON), in position order.
WITH g AS (
  SELECT cursor, ack_wait_ms, type_regexes
  FROM {schema}.groups
  WHERE id = $1::bigint AND cursor < (SELECT last_position FROM {schema}.log_head)
  FOR UPDATE
), picked AS (
  SELECT e.position, e.event
  FROM {schema}.events AS e, g
  WHERE e.position > g.cursor
    AND (g.type_regexes IS NULL
      OR e.type IN (SELECT type FROM {schema}.event_types WHERE type ~ ANY (g.type_regexes)))
  ORDER BY e.position
  LIMIT $2::bigint
), pending AS (
  INSERT INTO {schema}.group_pending (position, group_id, deliveries, due_at, token)
  SELECT k.position, $1::bigint, 1, clock_timestamp() + g.ack_wait_ms * interval '1 millisecond',
    floor(random() * 4503599627370496)::bigint
  FROM picked AS k, g
  RETURNING position, token
), moved AS (
  UPDATE {schema}.groups
  SET cursor = greatest(cursor, CASE
    WHEN (SELECT count(*) FROM picked) < $2::bigint THEN (SELECT last_position FROM {schema}.log_head)
    ELSE (SELECT max(position) FROM picked) END)
  WHERE id = $1::bigint AND EXISTS (SELECT 1 FROM g)
)
SELECT p.position, p.token, k.event
FROM pending AS p
JOIN picked AS k ON k.position = p.position
ORDER BY p.position
