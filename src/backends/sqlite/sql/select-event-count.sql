-- select-event-count: how many events are stored.
-- Inputs: none. Outputs: events.
SELECT events FROM log_stats WHERE id = 1
