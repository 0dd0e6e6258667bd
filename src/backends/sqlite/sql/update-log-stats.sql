-- update-log-stats: the end of a write transaction that appended or deleted events.
-- Inputs (positional): the change in the number of stored events, the last position assigned.
-- Outputs: none.
UPDATE log_stats SET events = events + ?, last_position = max(last_position, ?) WHERE id = 1
