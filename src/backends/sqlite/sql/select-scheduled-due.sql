-- select-scheduled-due: the due time of the pending scheduled event with this id.
-- Inputs (positional): id. Outputs: due_at (Unix ms), no row when none is pending.
SELECT due_at FROM scheduled WHERE id = ?
