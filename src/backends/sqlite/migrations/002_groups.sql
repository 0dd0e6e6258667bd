-- 002_groups: durable consumer groups.
-- Creates: groups (options and cursor), group_pending (deliveries not yet acked, with their count,
-- due time and last error) and group_dead_letters (events a group gave up on, copied so that they
-- outlive retention).

CREATE TABLE groups (
  id             INTEGER PRIMARY KEY,
  name           TEXT    NOT NULL UNIQUE,
  -- JSON array of NATS patterns ([">"] for every type).
  types          TEXT    NOT NULL,
  ack_wait_ms    INTEGER NOT NULL,
  max_deliveries INTEGER NOT NULL,
  -- JSON array of delays in milliseconds.
  backoff        TEXT    NOT NULL,
  -- Events at or below this position were never meant for the group.
  start_position INTEGER NOT NULL,
  -- The highest position handed out (or skipped as not matching).
  cursor         INTEGER NOT NULL,
  created_at     INTEGER NOT NULL
);

CREATE TABLE group_pending (
  group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  -- Deleting an event (retention, deleteStream) drops its pending deliveries with it.
  position   INTEGER NOT NULL REFERENCES events (position) ON DELETE CASCADE,
  deliveries INTEGER NOT NULL,
  -- Unix ms: when it is delivered again (ack deadline, or nack delay).
  due_at     INTEGER NOT NULL,
  last_error TEXT,
  -- Random, new at every delivery: a nack of an older delivery (one redelivered since) is ignored.
  token      INTEGER NOT NULL,
  -- Position first: the cascade from events looks pending rows up by position alone, and the
  -- key serves it without an index of its own.
  PRIMARY KEY (position, group_id)
) WITHOUT ROWID;

-- A group's pending deliveries: what is due, when the next one is, how many, the lowest.
CREATE INDEX group_pending_due ON group_pending (group_id, due_at, position);

CREATE TABLE group_dead_letters (
  group_id   INTEGER NOT NULL REFERENCES groups (id) ON DELETE CASCADE,
  position   INTEGER NOT NULL,
  -- The stored event JSON, copied.
  event      TEXT    NOT NULL,
  deliveries INTEGER NOT NULL,
  error      TEXT,
  -- Unix ms.
  dead_at    INTEGER NOT NULL,
  PRIMARY KEY (group_id, position)
) WITHOUT ROWID;
