-- 001-events: the event log itself, in the log's schema ({schema} is replaced by its quoted name).
-- Creates: log_head (one row: the last position assigned, the number of stored events, the last
-- recorded time), events (one row per stored event, `position` is the global order) and
-- event_types (every type ever appended, so a NATS pattern can be resolved to concrete types).
-- Positions are assigned from log_head inside the appending transaction, under its row lock:
-- transactions that append commit in position order, so a reader never sees position n + 1
-- before n (see docs/postgres.md).

CREATE TABLE {schema}.log_head (
  id               boolean     PRIMARY KEY DEFAULT true CHECK (id),
  -- The last position ever assigned: positions are never reused, even after deletes.
  last_position    bigint      NOT NULL,
  -- How many events are stored (exact maxEvents retention without counting rows).
  event_count      bigint      NOT NULL,
  -- The recorded time of the newest append: the next one is never earlier.
  last_recorded_at timestamptz NOT NULL
);
INSERT INTO {schema}.log_head (last_position, event_count, last_recorded_at) VALUES (0, 0, 'epoch');

CREATE TABLE {schema}.events (
  position       bigint      PRIMARY KEY,
  id             text        NOT NULL UNIQUE,
  type           text        NOT NULL,
  stream         text,
  version        bigint,
  -- The log's clock (the database's) at append, millisecond precision, never decreasing with position.
  recorded_at    timestamptz NOT NULL,
  correlation_id text,
  -- The stored event as JSON text, exactly as Herald returns it: the CloudEvent plus stream,
  -- version, position and recordedat. `json`, not `jsonb`: kept byte for byte (key order, \u0000).
  event          json        NOT NULL,
  CHECK ((stream IS NULL) = (version IS NULL))
);

CREATE UNIQUE INDEX events_stream_version ON {schema}.events (stream, version) WHERE stream IS NOT NULL;
CREATE INDEX events_type ON {schema}.events (type, position);
CREATE INDEX events_correlation ON {schema}.events (correlation_id, position) WHERE correlation_id IS NOT NULL;
CREATE INDEX events_recorded_at ON {schema}.events (recorded_at);

-- Rows are never deleted: a type without events left matches nothing.
CREATE TABLE {schema}.event_types (
  type text PRIMARY KEY
);
