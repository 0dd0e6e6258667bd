-- 002-groups: durable consumer groups.
-- Creates: groups (options and cursor), group_pending (deliveries not yet acked, with their count,
-- due time, last error and token) and group_dead_letters (events a group gave up on, copied so
-- that they outlive retention).

CREATE TABLE {schema}.groups (
  id             bigint           GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name           text             NOT NULL UNIQUE,
  -- JSON array of NATS patterns ([">"] for every type).
  types          json             NOT NULL,
  -- The same patterns as PostgreSQL regular expressions, what claims filter with (NULL: every type).
  type_regexes   text[],
  ack_wait_ms    double precision NOT NULL,
  max_deliveries integer          NOT NULL,
  -- JSON array of delays in milliseconds.
  backoff        json             NOT NULL,
  -- Events at or below this position were never meant for the group.
  start_position bigint           NOT NULL,
  -- The highest position handed out (or passed as not matching).
  cursor         bigint           NOT NULL,
  created_at     timestamptz      NOT NULL DEFAULT clock_timestamp()
);

CREATE TABLE {schema}.group_pending (
  -- Deleting an event (retention, deleteStream) drops its pending deliveries with it.
  position   bigint      NOT NULL REFERENCES {schema}.events (position) ON DELETE CASCADE,
  group_id   bigint      NOT NULL REFERENCES {schema}.groups (id) ON DELETE CASCADE,
  deliveries integer     NOT NULL,
  -- When it is delivered again (the ack deadline, or the end of a nack's delay).
  due_at     timestamptz NOT NULL,
  last_error text,
  -- Random, new at every delivery: a nack of an older delivery (one redelivered since) is ignored.
  token      bigint      NOT NULL,
  -- Position first: the cascade from events looks rows up by position alone.
  PRIMARY KEY (position, group_id)
);

-- A group's pending deliveries: what is due, when the next one is.
CREATE INDEX group_pending_due ON {schema}.group_pending (group_id, due_at);

CREATE TABLE {schema}.group_dead_letters (
  group_id   bigint      NOT NULL REFERENCES {schema}.groups (id) ON DELETE CASCADE,
  position   bigint      NOT NULL,
  -- The stored event, copied.
  event      json        NOT NULL,
  deliveries integer     NOT NULL,
  error      text,
  dead_at    timestamptz NOT NULL,
  PRIMARY KEY (group_id, position)
);
