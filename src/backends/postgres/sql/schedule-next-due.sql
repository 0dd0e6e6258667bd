-- schedule-next-due: how long until a claim could take something: the earliest untaken due time
--   or the earliest lease end, by the database's clock (each an index lookup).
-- Inputs: none. Outputs: due_in_ms (bigint; NULL when nothing is pending, <= 0 when due now).
SELECT LEAST(
  (SELECT due_at FROM {schema}.scheduled_events WHERE lease_until IS NULL ORDER BY due_at, id LIMIT 1),
  (SELECT lease_until FROM {schema}.scheduled_events WHERE lease_until IS NOT NULL
   ORDER BY lease_until LIMIT 1)
) - floor(extract(epoch FROM clock_timestamp()) * 1000)::bigint AS due_in_ms
