-- redeliver-pending: counts one more delivery and sets its new ack deadline and token.
-- Inputs (positional): due_at (Unix ms), delivery token, group id, position. Outputs: changes.
UPDATE group_pending SET deliveries = deliveries + 1, due_at = ?, token = ?
WHERE group_id = ? AND position = ?
