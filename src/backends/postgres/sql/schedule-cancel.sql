-- schedule-cancel: removes an entry no mover has taken. A claim that holds the row makes this
--   wait for it and then find it taken (the condition is checked again on the new row): nothing
--   is removed, and the claim's append goes ahead.
-- Inputs: $1 id. Outputs: none (the row count says whether it was removed).
DELETE FROM {schema}.scheduled_events WHERE id = $1::text AND lease_until IS NULL
