-- select-group: a consumer group by name.
-- Inputs: $1 name.
-- Outputs: id, types, ack_wait_ms, max_deliveries, backoff (one row or none).
SELECT id, types, ack_wait_ms, max_deliveries, backoff FROM {schema}.groups WHERE name = $1::text
