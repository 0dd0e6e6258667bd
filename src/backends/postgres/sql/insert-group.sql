-- insert-group: creates a consumer group unless it exists (a concurrent creator may have won),
--   its cursor just before the first event it takes.
-- Inputs: $1 name, $2 types (JSON array of patterns), $3 the patterns as regexes (text[], NULL for
--   every type), $4 ack_wait_ms, $5 max_deliveries, $6 backoff (JSON array), $7 how it starts
--   ('start', 'end', 'position' or 'time'), $8 the start position (for 'position'), $9 the start
--   time (RFC 3339, for 'time': the first event recorded at or after it, else the end).
-- Outputs: none.
INSERT INTO {schema}.groups
  (name, types, type_regexes, ack_wait_ms, max_deliveries, backoff, start_position, cursor)
SELECT $1::text, $2::json, $3::text[], $4::float8, $5::integer, $6::json, s.p, s.p
FROM (
  SELECT CASE $7::text
    WHEN 'start' THEN 0
    WHEN 'position' THEN greatest($8::bigint - 1, 0)
    WHEN 'end' THEN (SELECT last_position FROM {schema}.log_head)
    ELSE coalesce(
      (SELECT position - 1 FROM {schema}.events WHERE recorded_at >= $9::timestamptz
        ORDER BY recorded_at, position LIMIT 1),
      (SELECT last_position FROM {schema}.log_head))
  END AS p
) AS s
ON CONFLICT (name) DO NOTHING
