-- update-group-options: a later `group(name, options)` call changes the options.
-- Inputs: :id, :types (JSON array of patterns), :ackWaitMs, :maxDeliveries, :backoff (JSON). Outputs: changes.
UPDATE groups
SET types = :types, ack_wait_ms = :ackWaitMs, max_deliveries = :maxDeliveries, backoff = :backoff
WHERE id = :id
