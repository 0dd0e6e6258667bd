-- delete-pending: an ack (or the move to the dead letters).
-- Inputs (positional): group id, position. Outputs: changes.
DELETE FROM group_pending WHERE group_id = ? AND position = ?
