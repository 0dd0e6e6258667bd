-- select-schedule-added: how many transactions added scheduled events so far.
-- Inputs: none. Outputs: added.
SELECT added FROM schedule_stats WHERE id = 1
