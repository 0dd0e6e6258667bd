-- update-group-cursor: moves a group's cursor forward (never back).
-- Inputs: :group (id), :cursor (the new cursor position). Outputs: changes.
UPDATE groups SET cursor = :cursor WHERE id = :group AND cursor < :cursor
