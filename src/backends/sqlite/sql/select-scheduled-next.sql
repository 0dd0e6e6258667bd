-- select-scheduled-next: the earliest time a claim could take something: the lowest untaken
--   due_at and the earliest lease end, each one index seek.
-- Inputs: none. Outputs: due (Unix ms or NULL), lease (Unix ms or NULL).
SELECT
  (SELECT due_at FROM scheduled WHERE lease_until IS NULL ORDER BY due_at, id LIMIT 1) AS due,
  (SELECT lease_until FROM scheduled WHERE lease_until IS NOT NULL ORDER BY lease_until LIMIT 1) AS lease
