-- select-open: what a log needs to know when it opens.
-- Inputs: none.
-- Outputs: last (the last position assigned), durable_commit (true when the server flushes the
--   WAL to disk before a commit returns: fsync on and synchronous_commit not off), wal_commit
--   (true when a commit's WAL is written out of the server's memory before it returns, so a
--   crash of the server keeps it: synchronous_commit not off).
SELECT
  (SELECT last_position FROM {schema}.log_head) AS last,
  current_setting('synchronous_commit') <> 'off' AS wal_commit,
  current_setting('fsync') = 'on' AND current_setting('synchronous_commit') <> 'off' AS durable_commit
