-- plan-read: what turns a read's times into a position range, in one snapshot. Recorded times
--   never decrease along positions, so each is one seek of the recorded_at index.
-- Inputs: $1 from (forward: the first event recorded at or after it), $2 from (backward: the last
--   recorded at or before it), $3 after (the first recorded at or after it), $4 before (the last
--   recorded strictly before it): each an RFC 3339 time or NULL.
-- Outputs: last (the last position assigned), from_first, from_last, after_first, before_last
--   (positions, NULL when no event qualifies or the input was NULL).
SELECT
  (SELECT last_position FROM {schema}.log_head) AS last,
  (SELECT position FROM {schema}.events WHERE recorded_at >= $1::timestamptz
    ORDER BY recorded_at, position LIMIT 1) AS from_first,
  (SELECT position FROM {schema}.events WHERE recorded_at <= $2::timestamptz
    ORDER BY recorded_at DESC, position DESC LIMIT 1) AS from_last,
  (SELECT position FROM {schema}.events WHERE recorded_at >= $3::timestamptz
    ORDER BY recorded_at, position LIMIT 1) AS after_first,
  (SELECT position FROM {schema}.events WHERE recorded_at < $4::timestamptz
    ORDER BY recorded_at DESC, position DESC LIMIT 1) AS before_last
