-- select-group-stats: counts for GroupInfo.
-- Inputs: :group (id). Outputs: pending, first_pending (NULL when none), dead_letters.
SELECT
  (SELECT count(*) FROM group_pending WHERE group_id = :group) AS pending,
  (SELECT min(position) FROM group_pending WHERE group_id = :group) AS first_pending,
  (SELECT count(*) FROM group_dead_letters WHERE group_id = :group) AS dead_letters
