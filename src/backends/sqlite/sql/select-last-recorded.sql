-- select-last-recorded: the recorded time of the newest event, so the next stays at or after it.
-- Inputs: none. Outputs: recorded_at (Unix ms; no row when empty).
SELECT recorded_at FROM events ORDER BY position DESC LIMIT 1
