-- select-dead-letters: a group's dead letters in position order.
-- Inputs (positional): group id, limit (-1 for all). Outputs: position, event, deliveries, error, dead_at.
SELECT position, event, deliveries, error, dead_at
FROM group_dead_letters WHERE group_id = ? ORDER BY position LIMIT ?
