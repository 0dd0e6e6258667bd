import { ConcurrencyError } from '../../errors/index.js';
import { satisfiesExpectedVersion } from '../../log/expected-version.js';
import type { PreparedAppend } from '../../log/prepare-append.js';
import type { Appended, ExpectedVersion } from '../../log/types.js';
import type { Statements } from './statements.js';
import { isoAt, storedJson } from '../../log/stored-json.js';
import type { WriteOp } from './write-queue.js';

/** One event ready for `insert-event`: serialised before the round, so the transaction stays short. */
interface EventRecord {
  readonly id: string;
  readonly type: string;
  readonly correlationId: string | null;
  readonly json: string;
}

/** What an append op returns: the contract's results, and the types it registered. */
export interface AppendResult {
  readonly appended: Appended[];
  /** Types first stored by this append, for the caller's cache once the round committed. */
  readonly newTypes: readonly string[];
}

/**
 * The write of one `append` call, run inside a round: checks `expectedVersion` against the
 * stream's version in the transaction, then inserts each event unless its id is stored already
 * (`ON CONFLICT (id) DO NOTHING`; a duplicate reports the original). When the check fails but
 * every event is a duplicate, the originals are returned (a retry after a lost reply succeeds);
 * otherwise it throws `ConcurrencyError` and its savepoint rolls back only this call.
 *
 * @example
 * ```ts
 * const { appended } = await queue.submit(appendOp(sql, knownTypes, prepareAppend(inputs, options)));
 * ```
 */
export function appendOp(
  sql: Statements,
  knownTypes: ReadonlySet<string>,
  prepared: PreparedAppend,
): WriteOp<AppendResult> {
  const records: EventRecord[] = prepared.events.map((event) => ({
    id: event.id,
    type: event.type,
    correlationId: typeof event.correlationid === 'string' ? event.correlationid : null,
    json: JSON.stringify(event),
  }));
  const { stream, expectedVersion } = prepared;
  return {
    weight: Math.max(1, records.length),
    run(round): AppendResult {
      let version = 0;
      if (stream !== undefined) {
        version = (sql['select-stream-version'].get(stream) as { version: number }).version;
        if (!satisfiesExpectedVersion(expectedVersion, version))
          return retried(sql, records, stream, expectedVersion, version);
      }
      const recordedAt = round.recordedAt();
      const recordedat = isoAt(recordedAt);
      const streamJson = stream === undefined ? undefined : JSON.stringify(stream);
      const insert = sql['insert-event'];
      const appended: Appended[] = [];
      const newTypes: string[] = [];
      let position = round.lastPosition;
      let inserted = 0;
      const count = records.length;
      for (let i = 0; i < count;) {
        // Whole chunks go in one statement each; when one of a chunk's ids is stored already, the
        // chunk is taken back and stored one event at a time below (duplicates report originals).
        if (
          count - i >= CHUNK &&
          insertChunk(sql, records, i, position, version, stream, streamJson, recordedAt, recordedat)
        ) {
          for (let k = 0; k < CHUNK; k++) {
            const { id, type } = records[i + k]!;
            if (!knownTypes.has(type) && !newTypes.includes(type)) {
              sql['insert-event-type'].run(type);
              newTypes.push(type);
            }
            position++;
            const next = stream === undefined ? null : ++version;
            appended.push({ id, position, stream, version: next ?? undefined, duplicate: false });
          }
          inserted += CHUNK;
          i += CHUNK;
          continue;
        }
        const end = count - i >= CHUNK ? i + CHUNK : count;
        for (; i < end; i++) {
          const { id, type, correlationId, json } = records[i]!;
          // The type registry is what lets a pattern find its types; skipping known ones keeps the
          // common append to one statement per event.
          if (!knownTypes.has(type) && !newTypes.includes(type)) {
            sql['insert-event-type'].run(type);
            newTypes.push(type);
          }
          const next = stream === undefined ? null : version + 1;
          const stored = storedJson(json, streamJson, next, position + 1, recordedat);
          const info = insert.run(
            position + 1,
            id,
            type,
            stream ?? null,
            next,
            recordedAt,
            correlationId,
            stored,
          );
          if (info.changes === 0) {
            appended.push(original(sql, id));
            continue;
          }
          inserted++;
          position++;
          if (next !== null) version = next;
          appended.push({ id, position, stream, version: next ?? undefined, duplicate: false });
        }
      }
      if (inserted > 0) {
        round.eventDelta += inserted;
        round.lastPosition = position;
        round.appended = true;
        round.wake = true;
      }
      return { appended, newTypes };
    },
  };
}

/** Events per `insert-event-chunk` statement (its file lists this many rows of parameters). */
const CHUNK = 32;
// Reused for every chunk's parameters (a round runs on one thread, one statement at a time).
const chunkParams: unknown[] = new Array<unknown>(CHUNK * 8);

/**
 * Stores `records[from .. from + CHUNK)` at the positions (and versions) after `position` (and
 * `version`) with one statement. Returns false, having taken the chunk back, when one of its ids
 * was stored already (or repeated within the chunk): the caller then stores it event by event.
 */
function insertChunk(
  sql: Statements,
  records: readonly EventRecord[],
  from: number,
  position: number,
  version: number,
  stream: string | undefined,
  streamJson: string | undefined,
  recordedAt: number,
  recordedat: string,
): boolean {
  const params = chunkParams;
  for (let k = 0, p = 0; k < CHUNK; k++, p += 8) {
    const { id, type, correlationId, json } = records[from + k]!;
    const next = stream === undefined ? null : version + k + 1;
    params[p] = position + k + 1;
    params[p + 1] = id;
    params[p + 2] = type;
    params[p + 3] = stream ?? null;
    params[p + 4] = next;
    params[p + 5] = recordedAt;
    params[p + 6] = correlationId;
    params[p + 7] = storedJson(json, streamJson, next, position + k + 1, recordedat);
  }
  const { changes } = sql['insert-event-chunk'].run(params);
  params.fill(null); // the event JSON is not kept alive until the next chunk
  if (changes === CHUNK) return true;
  if (changes > 0) sql['delete-events-after'].run(position);
  return false;
}

/** A failed version check: fine when the whole batch is stored already (a retry), else a conflict. */
function retried(
  sql: Statements,
  records: readonly EventRecord[],
  stream: string,
  expected: ExpectedVersion,
  actual: number,
): AppendResult {
  const appended: Appended[] = [];
  for (const { id } of records) {
    if (sql['select-event-ref'].get(id) === undefined) throw new ConcurrencyError(stream, expected, actual);
    appended.push(original(sql, id));
  }
  return { appended, newTypes: [] };
}

function original(sql: Statements, id: string): Appended {
  const row = sql['select-event-ref'].get(id) as {
    position: number;
    stream: string | null;
    version: number | null;
  };
  return {
    id,
    position: row.position,
    stream: row.stream ?? undefined,
    version: row.version ?? undefined,
    duplicate: true,
  };
}
