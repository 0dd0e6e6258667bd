-- nack-pending: hands a delivery back, to be delivered again at due_at.
-- Inputs (positional): due_at (Unix ms), error text (or NULL), group id, position. Outputs: changes.
UPDATE group_pending SET due_at = ?, last_error = ? WHERE group_id = ? AND position = ?
