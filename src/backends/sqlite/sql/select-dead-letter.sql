-- select-dead-letter: whether a group dead-lettered an event.
-- Inputs (positional): group id, position. Outputs: deliveries (one row or none).
SELECT deliveries FROM group_dead_letters WHERE group_id = ? AND position = ?
