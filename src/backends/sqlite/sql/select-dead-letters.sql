-- select-dead-letters: one page of a group's dead letters in position order (the key's order).
-- Inputs (positional): group id, after (exclusive position, 0 for the first page), limit (-1 for all).
-- Outputs: position, event, deliveries, error, dead_at.
SELECT position, event, deliveries, error, dead_at
FROM group_dead_letters WHERE group_id = ? AND position > ? ORDER BY position LIMIT ?
