-- select-next-due: when the group's next pending delivery becomes due.
-- Inputs (positional): group id. Outputs: due_at (Unix ms, NULL when nothing is pending).
SELECT min(due_at) AS due_at FROM group_pending WHERE group_id = ?
