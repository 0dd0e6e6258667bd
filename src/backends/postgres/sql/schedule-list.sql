-- schedule-list: a page of pending entries (taken or not) in (due_at, id) order after a cursor,
--   walking the (due_at, id) index: a page costs its rows. A taken entry whose event is in the
--   log already is done, only not yet deleted (its mover appends, then completes, in two
--   statements): it is left out, so once an event can be read it is no longer listed.
-- Inputs: $1 after due_at (bigint; the lowest bigint for the first page), $2 after id (text),
--   $3 limit.
-- Outputs: id, due_at, stream, event.
SELECT s.id, s.due_at, s.stream, s.event
FROM {schema}.scheduled_events AS s
WHERE (s.due_at, s.id) > ($1::bigint, $2::text)
  -- A scalar subquery, not NOT EXISTS: one lookup in the events' id index per taken row (NOT
  -- EXISTS under OR may become a hash of every event id).
  AND (s.lease_until IS NULL OR (SELECT e.position FROM {schema}.events AS e WHERE e.id = s.id) IS NULL)
ORDER BY s.due_at, s.id
LIMIT $3::bigint
