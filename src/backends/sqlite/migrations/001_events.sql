-- 001_events: the event log itself.
-- Creates: events (one row per stored event, `position` is the global order), event_types
-- (every type ever appended, so a NATS pattern can be resolved to the concrete types that exist)
-- and log_stats (the last position assigned and the number of stored events).
-- Positions are assigned by the writer under SQLite's single write lock (last + 1), so commit
-- order is position order, and log_stats keeps the last one, so positions are never reused after
-- the newest events are deleted.

CREATE TABLE events (
  position       INTEGER PRIMARY KEY,
  id             TEXT    NOT NULL UNIQUE,
  type           TEXT    NOT NULL,
  stream         TEXT,
  version        INTEGER,
  -- The log's clock at append, Unix milliseconds, never decreasing with position.
  recorded_at    INTEGER NOT NULL,
  correlation_id TEXT,
  -- The stored event as JSON: the CloudEvent plus stream, version, position and recordedat, so a
  -- read is one column and one JSON.parse per event. The columns above are its indexed copies.
  event          TEXT    NOT NULL,
  CHECK ((stream IS NULL) = (version IS NULL))
);

CREATE UNIQUE INDEX events_stream_version ON events (stream, version) WHERE stream IS NOT NULL;
-- Single-column indexes end with the rowid, so each one also serves "... AND position > ? ORDER BY position".
CREATE INDEX events_type ON events (type);
CREATE INDEX events_correlation ON events (correlation_id) WHERE correlation_id IS NOT NULL;
CREATE INDEX events_recorded_at ON events (recorded_at);

-- Rows are never deleted: a type without events left matches nothing, and the increasing id lets a
-- reader fetch only the types added since it last looked.
CREATE TABLE event_types (
  id   INTEGER PRIMARY KEY,
  type TEXT NOT NULL UNIQUE
);

-- One row, updated once per write transaction (not per event): SQLite keeps neither number, and
-- retention needs the count.
CREATE TABLE log_stats (
  id            INTEGER PRIMARY KEY CHECK (id = 1),
  last_position INTEGER NOT NULL,
  events        INTEGER NOT NULL
);
INSERT INTO log_stats (id, last_position, events) VALUES (1, 0, 0);
