-- select-scheduled-page: one page of pending scheduled events (taken or not) in (due_at, id)
--   order after (:dueAt, :id). The untaken ones come from scheduled_due (a seek, then :limit
--   rows); the taken ones (few: the batches in movers' hands) from scheduled_lease, sorted.
-- Inputs: :dueAt (Unix ms), :id (exclusive cursor; '' with a low :dueAt for the first page), :limit.
-- Outputs: id, due_at, stream, event (JSON).
SELECT id, due_at, stream, event FROM (
  SELECT id, due_at, stream, event FROM scheduled
  WHERE lease_until IS NULL AND (due_at, id) > (:dueAt, :id)
  ORDER BY due_at, id
  LIMIT :limit
)
UNION ALL
SELECT id, due_at, stream, event FROM scheduled
WHERE lease_until IS NOT NULL AND (due_at, id) > (:dueAt, :id)
ORDER BY due_at, id
LIMIT :limit
