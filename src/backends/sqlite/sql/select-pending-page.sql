-- select-pending-page: one page of a group's pending deliveries (in a member's hands or waiting to
--   be redelivered) in position order, with their events. It walks the key (position, group_id)
--   from :after and stops after :limit rows of the group: `+group_id` keeps the planner off
--   group_pending_due, which would read every pending row of the group and sort them.
-- Inputs: :group (id), :after (exclusive position), :limit.
-- Outputs: event (the stored event JSON), deliveries, due_at (Unix ms), last_error.
SELECT e.event, p.deliveries, p.due_at, p.last_error
FROM group_pending AS p
JOIN events AS e ON e.position = p.position
WHERE p.position > :after AND +p.group_id = :group
ORDER BY p.position
LIMIT :limit
