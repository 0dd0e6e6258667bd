-- select-open: what a log needs to know when it opens.
-- Inputs: none.
-- Outputs: last (the last position assigned), durable_commit (true when the server flushes the
--   WAL to disk before a commit returns: fsync on and synchronous_commit not off).
SELECT
  (SELECT last_position FROM {schema}.log_head) AS last,
  current_setting('fsync') = 'on' AND current_setting('synchronous_commit') <> 'off' AS durable_commit
