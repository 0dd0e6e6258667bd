-- select-first-at-or-after: the first position recorded at or after a time.
-- Inputs (positional): Unix ms. Outputs: position (no row when none).
SELECT position FROM events WHERE recorded_at >= ? ORDER BY recorded_at, position LIMIT 1
