-- purge-dead-letters: deletes dead letters for good.
-- Inputs: :group, :positions (JSON array, or NULL for all). Outputs: changes.
DELETE FROM group_dead_letters
WHERE group_id = :group
  AND (:positions IS NULL OR position IN (SELECT value FROM json_each(:positions)))
