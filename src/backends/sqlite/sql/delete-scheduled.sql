-- delete-scheduled: forgets a scheduled event whose append succeeded.
-- Inputs (positional): id. Outputs: none.
DELETE FROM scheduled WHERE id = ?
