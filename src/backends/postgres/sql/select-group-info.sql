-- select-group-info: the counts of GroupInfo, in one snapshot.
-- Inputs: $1 group id.
-- Outputs: cursor, pending, first_pending (NULL when none), dead_letters, lag (matching events
--   after the cursor).
SELECT
  g.cursor,
  (SELECT count(*) FROM {schema}.group_pending WHERE group_id = g.id) AS pending,
  (SELECT min(position) FROM {schema}.group_pending WHERE group_id = g.id) AS first_pending,
  (SELECT count(*) FROM {schema}.group_dead_letters WHERE group_id = g.id) AS dead_letters,
  (SELECT count(*) FROM {schema}.events AS e
    WHERE e.position > g.cursor
      AND (g.type_regexes IS NULL
        OR e.type IN (SELECT type FROM {schema}.event_types WHERE type ~ ANY (g.type_regexes)))) AS lag
FROM {schema}.groups AS g
WHERE g.id = $1::bigint
