-- delete-redriven-dead-letters: removes the dead letters redrive-dead-letters put back.
-- Inputs: :group, :positions (JSON array, or NULL for all). Outputs: changes (how many were redriven).
DELETE FROM group_dead_letters
WHERE group_id = :group
  AND (:positions IS NULL OR position IN (SELECT value FROM json_each(:positions)))
  AND position IN (SELECT position FROM group_pending WHERE group_id = :group)
