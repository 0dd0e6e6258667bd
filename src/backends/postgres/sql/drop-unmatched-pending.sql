-- drop-unmatched-pending: after a group's types changed, its pending deliveries whose type the
--   new types do not match leave the group as if acked (they are no longer its events).
-- Inputs: $1 group id. Outputs: none.
DELETE FROM {schema}.group_pending AS p
USING {schema}.events AS e, {schema}.groups AS g
WHERE p.group_id = $1::bigint AND g.id = $1::bigint AND e.position = p.position
  AND g.type_regexes IS NOT NULL AND NOT (e.type ~ ANY (g.type_regexes))
