-- select-pending: one pending delivery.
-- Inputs (positional): group id, position. Outputs: deliveries, due_at, last_error, token (one row or none).
SELECT deliveries, due_at, last_error, token FROM group_pending WHERE group_id = ? AND position = ?
