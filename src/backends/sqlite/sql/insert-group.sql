-- insert-group: creates a consumer group (a concurrent creator in another process may have won).
-- Inputs: :name, :types (JSON array of patterns), :ackWaitMs, :maxDeliveries, :backoff (JSON),
--   :startPosition (the cursor starts there too), :createdAt (Unix ms).
-- Outputs: changes (0 when the name already existed).
INSERT INTO groups (name, types, ack_wait_ms, max_deliveries, backoff, start_position, cursor, created_at)
VALUES (:name, :types, :ackWaitMs, :maxDeliveries, :backoff, :startPosition, :startPosition, :createdAt)
ON CONFLICT (name) DO NOTHING
