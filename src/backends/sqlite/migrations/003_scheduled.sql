-- 003_scheduled: delayed and scheduled delivery (`schedule`, `cancelScheduled`, `scheduled`).
-- Creates: scheduled (one row per pending event, until the mover appended it) and schedule_stats
-- (a counter of add transactions, which other processes poll to wake their movers).
-- An event enters the log only when a mover claims it (sets lease_until, in a write transaction)
-- and appends it; the row is deleted once the append succeeded. A mover that died between claim
-- and delete leaves a lease that runs out, and another mover claims the row again.

CREATE TABLE scheduled (
  -- The event id (the append that moves it is idempotent by id).
  id          TEXT    PRIMARY KEY,
  -- Unix ms: when it is due.
  due_at      INTEGER NOT NULL,
  stream      TEXT,
  -- Unix ms: NULL while no mover holds it; else the end of the claiming mover's lease.
  lease_until INTEGER,
  -- The prepared event as JSON (id, source, time filled; no log-assigned attributes).
  event       TEXT    NOT NULL
);

-- Untaken rows by due time: claim (the due ones, in order), the next due time, one half of a
-- `scheduled()` page. A claim takes a row out of it, so a claim never walks over taken rows.
CREATE INDEX scheduled_due ON scheduled (due_at, id) WHERE lease_until IS NULL;
-- Taken rows by lease end (few: the batches in movers' hands): expired leases, the other half.
CREATE INDEX scheduled_lease ON scheduled (lease_until) WHERE lease_until IS NOT NULL;

-- One row. `added` grows with every transaction that added rows: another process notices a new
-- entry by reading it (after PRAGMA data_version said something was committed).
CREATE TABLE schedule_stats (
  id    INTEGER PRIMARY KEY CHECK (id = 1),
  added INTEGER NOT NULL
);
INSERT INTO schedule_stats (id, added) VALUES (1, 0);
