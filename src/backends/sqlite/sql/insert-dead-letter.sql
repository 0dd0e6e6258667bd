-- insert-dead-letter: records that a group gave up on an event (again, after a redrive).
-- Inputs: :group, :position, :event (stored event JSON), :deliveries, :error (or NULL), :deadAt (Unix ms).
-- Outputs: none.
INSERT INTO group_dead_letters (group_id, position, event, deliveries, error, dead_at)
VALUES (:group, :position, :event, :deliveries, :error, :deadAt)
ON CONFLICT (group_id, position) DO UPDATE
SET event = excluded.event, deliveries = excluded.deliveries, error = excluded.error, dead_at = excluded.dead_at
