-- read-by-type-forward: one page of one concrete type, in position order.
-- Inputs: :type, :cursor (last position seen, exclusive), :hi, :limit.
-- Outputs: event (the stored event JSON).
SELECT event
FROM events
WHERE type = :type AND position > :cursor AND position <= :hi
ORDER BY position
LIMIT :limit
