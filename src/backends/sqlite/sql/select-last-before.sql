-- select-last-before: the last position recorded strictly before a time.
-- Inputs (positional): Unix ms. Outputs: position (no row when none).
SELECT position FROM events WHERE recorded_at < ? ORDER BY recorded_at DESC, position DESC LIMIT 1
