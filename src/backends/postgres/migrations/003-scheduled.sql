-- 003-scheduled: delayed and scheduled delivery (EventLog.schedule).
-- Creates: scheduled_events (one row per event waiting for its due time, or taken by a mover and
-- not yet completed). Times are Unix milliseconds by the database's clock (due_at as the
-- scheduling process computed it), so movers on machines whose clocks disagree agree on what is
-- due, and an event is never recorded before its due time.

CREATE TABLE {schema}.scheduled_events (
  id          text   PRIMARY KEY,
  -- When the event is due, Unix ms.
  due_at      bigint NOT NULL,
  -- The stream it is appended to (NULL: none).
  stream      text,
  -- The prepared CloudEvent as JSON text: `json`, not `jsonb`, kept byte for byte like events.event.
  event       json   NOT NULL,
  -- NULL while no mover has taken it; else until when a mover holds it (Unix ms): past that, the
  -- mover is presumed dead and another may take it again.
  lease_until bigint
);

-- claim (untaken, due first), list (pages by (due_at, id)) and nextDue: each reads only the rows
-- it returns (plus the few taken ones it steps over), whatever the number pending.
CREATE INDEX scheduled_events_due ON {schema}.scheduled_events (due_at, id);
-- Leases that may run out (only the rows in movers' hands): claim again, nextDue.
CREATE INDEX scheduled_events_lease ON {schema}.scheduled_events (lease_until) WHERE lease_until IS NOT NULL;
