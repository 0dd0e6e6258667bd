-- cancel-scheduled: removes a scheduled event no mover has taken.
-- Inputs (positional): id. Outputs: none (changes is 1 when it was removed).
DELETE FROM scheduled WHERE id = ? AND lease_until IS NULL
