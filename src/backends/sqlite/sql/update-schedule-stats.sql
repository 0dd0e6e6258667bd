-- update-schedule-stats: counts one transaction that added scheduled events.
-- Inputs: none. Outputs: none.
UPDATE schedule_stats SET added = added + 1 WHERE id = 1
