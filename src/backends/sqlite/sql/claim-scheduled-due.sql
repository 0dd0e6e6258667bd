-- claim-scheduled-due: takes the first :max untaken scheduled events due by :now, in (due_at, id)
--   order, until :until (the claiming mover's lease). Runs in a write transaction: two movers
--   never take the same row.
-- Inputs: :now, :max, :until (Unix ms).
-- Outputs: id, due_at, stream, event (JSON), in no particular order.
UPDATE scheduled SET lease_until = :until
WHERE rowid IN (
  SELECT rowid FROM scheduled
  WHERE lease_until IS NULL AND due_at <= :now
  ORDER BY due_at, id
  LIMIT :max
)
RETURNING id, due_at, stream, event
