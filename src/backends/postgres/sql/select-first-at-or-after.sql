-- select-first-at-or-after: where a tail from a time starts, and the head.
-- Inputs: $1 RFC 3339 time. Outputs: first (the first position recorded at or after it, or NULL), last.
SELECT
  (SELECT position FROM {schema}.events WHERE recorded_at >= $1::timestamptz
    ORDER BY recorded_at, position LIMIT 1) AS first,
  (SELECT last_position FROM {schema}.log_head) AS last
