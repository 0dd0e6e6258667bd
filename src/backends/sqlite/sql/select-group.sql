-- select-group: a consumer group by name.
-- Inputs (positional): name.
-- Outputs: id, name, types, ack_wait_ms, max_deliveries, backoff, start_position, cursor (one row or none).
SELECT id, name, types, ack_wait_ms, max_deliveries, backoff, start_position, cursor
FROM groups WHERE name = ?
