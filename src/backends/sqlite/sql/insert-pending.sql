-- insert-pending: records the first delivery of an event to a group.
-- Inputs (positional): group id, position, due_at (Unix ms, the ack deadline), delivery token.
-- Outputs: none.
INSERT INTO group_pending (group_id, position, deliveries, due_at, token) VALUES (?, ?, 1, ?, ?)
