-- claim-scheduled-expired: takes again up to :max scheduled events whose lease ran out by :now
--   (their mover died between claim and delete), oldest lease first, until :until.
-- Inputs: :now, :max, :until (Unix ms).
-- Outputs: id, due_at, stream, event (JSON), in no particular order.
UPDATE scheduled SET lease_until = :until
WHERE rowid IN (
  SELECT rowid FROM scheduled
  WHERE lease_until IS NOT NULL AND lease_until <= :now
  ORDER BY lease_until
  LIMIT :max
)
RETURNING id, due_at, stream, event
