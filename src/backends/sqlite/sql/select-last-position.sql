-- select-last-position: the last position ever assigned (deleted or not): what 'end' means.
-- Inputs: none. Outputs: position (0 before the first append).
SELECT last_position AS position FROM log_stats WHERE id = 1
