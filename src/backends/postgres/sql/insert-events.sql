-- insert-events: stores an append round's new events in one statement (positions follow the head
--   with no hole), registers their types, moves the head past them and notifies the log's
--   listeners (PostgreSQL delivers the notification at commit, never on rollback). An id stored
--   already is skipped, not an error: the caller sees it in `inserted` and takes the round back
--   with undo-insert (a round that skips the preflight learns about duplicates this way).
-- Inputs: $1 positions (bigint[]), $2 ids (text[]), $3 types (text, one per line: a type has no
--   whitespace), $4 streams (text[], NULL elements for events without one), $5 versions (bigint[],
--   NULL alike), $6 correlation ids (text[], NULL alike), $7 stored events (text, one JSON per line:
--   JSON.stringify never writes a raw newline), $8 recorded_at (RFC 3339), $9 how many events ($1
--   runs from the head's last position + 1 to + $9), $10 the notification channel. Lines instead
--   of arrays: no escaping to write or parse for the bulk of the data.
-- Outputs: inserted (how many rows were stored: less than $9 when an id was stored already).
WITH new_types AS (
  INSERT INTO {schema}.event_types (type)
  SELECT DISTINCT t FROM unnest(string_to_array($3::text, E'\n')) AS t
  WHERE NOT EXISTS (SELECT 1 FROM {schema}.event_types AS x WHERE x.type = t)
  ON CONFLICT (type) DO NOTHING
), head AS (
  UPDATE {schema}.log_head
  SET last_position = last_position + $9::bigint,
      event_count = event_count + $9::bigint,
      last_recorded_at = $8::timestamptz
  RETURNING last_position
), stored AS (
  INSERT INTO {schema}.events (position, id, type, stream, version, recorded_at, correlation_id, event)
  SELECT r.p, r.i, r.t, r.s, r.v, $8::timestamptz, r.c, r.e::json
  FROM unnest(
    $1::bigint[], $2::text[], string_to_array($3::text, E'\n'), $4::text[], $5::bigint[], $6::text[],
    string_to_array($7::text, E'\n')
  ) AS r (p, i, t, s, v, c, e)
  ON CONFLICT (id) DO NOTHING
  RETURNING 1
)
SELECT (SELECT count(*) FROM stored) AS inserted, pg_notify($10::text, last_position::text)::text AS notified
FROM head
