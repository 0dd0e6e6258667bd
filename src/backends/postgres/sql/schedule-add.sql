-- schedule-add: stores a batch of scheduled events in one statement (all or none). An id already
--   pending (untaken or taken) stores nothing for it and reports the pending row instead: the
--   conflict locks that row and rewrites it unchanged (DO UPDATE), so it is returned, and a row
--   completed at that moment is not mistaken for a pending one. Notifies the log's listeners of
--   the new rows (at commit): the payload is `s<token>:<ms until the earliest new one is due>`.
-- Inputs: $1 ids (text[], distinct), $2 due times (bigint[], Unix ms), $3 streams (text[], NULL
--   elements for none), $4 events (text, one JSON per line: JSON.stringify never writes a raw
--   newline), $5 the notification channel, $6 the adding store's token (it ignores its own).
-- Outputs: one row per input: id, due_at (the stored row's), inserted (false: an id already
--   pending), existing (the pending row's event as text when not inserted, else NULL).
WITH input AS (
  SELECT r.id, r.due_at, r.stream, r.event
  FROM unnest($1::text[], $2::bigint[], $3::text[], string_to_array($4::text, E'\n'))
    AS r (id, due_at, stream, event)
), stored AS (
  INSERT INTO {schema}.scheduled_events AS s (id, due_at, stream, event)
  -- In id order: two batches sharing ids lock their conflicts in the same order.
  SELECT id, due_at, stream, event::json FROM input ORDER BY id
  ON CONFLICT (id) DO UPDATE SET id = s.id
  RETURNING s.id, s.due_at, (s.xmax = 0) AS inserted,
    CASE WHEN s.xmax = 0 THEN NULL ELSE s.event::text END AS existing
)
SELECT id, due_at, inserted, existing,
  (SELECT pg_notify($5::text, 's' || $6::text || ':' ||
      (min(due_at) - floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint)::text)
   FROM stored WHERE inserted HAVING count(*) > 0) AS notified
FROM stored
