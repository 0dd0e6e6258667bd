import type { ClientBase } from 'pg';
import { ConcurrencyError } from '../../errors/index.js';
import { satisfiesExpectedVersion } from '../../log/expected-version.js';
import type { PreparedAppend } from '../../log/prepare-append.js';
import type { Appended, ExpectedVersion } from '../../log/types.js';
import type { SchemaSql } from './sql-file.js';
import { isoAt, storedJson } from '../../log/stored-json.js';

/** One `append` call, serialised before its round so the transaction holding the head stays short. */
export interface AppendRequest {
  readonly ids: readonly string[];
  readonly types: readonly string[];
  readonly correlations: readonly (string | null)[];
  /** Each event's CloudEvent JSON. */
  readonly jsons: readonly string[];
  readonly stream: string | undefined;
  readonly streamJson: string | undefined;
  readonly expectedVersion: ExpectedVersion;
  /** Its share of a round: its number of events, at least 1. */
  readonly weight: number;
  /**
   * Positions an earlier attempt of this request assigned, when that attempt lost its connection
   * at a moment the commit may have happened: an id found stored at exactly that position was
   * stored by this request, not before it.
   */
  attempted?: Map<string, number>;
}

/**
 * Serialises a checked batch for `appendRound`.
 *
 * @example
 * ```ts
 * const request = appendRequest(prepareAppend(inputs, options));
 * ```
 */
export function appendRequest(prepared: PreparedAppend): AppendRequest {
  const { events, stream, expectedVersion } = prepared;
  return {
    ids: events.map((e) => e.id),
    types: events.map((e) => e.type),
    correlations: events.map((e) => (typeof e.correlationid === 'string' ? e.correlationid : null)),
    jsons: events.map((e) => JSON.stringify(e)),
    stream,
    streamJson: stream === undefined ? undefined : JSON.stringify(stream),
    expectedVersion,
    weight: Math.max(1, events.length),
  };
}

/** The head row as `lock-head` returns it. */
export interface HeadRow {
  readonly last_position: number;
  readonly event_count: number;
  readonly last_recorded_ms: number;
  readonly now_ms: number;
}

/** How one request of a round ended. */
export type Outcome =
  { readonly ok: true; readonly value: Appended[] } | { readonly ok: false; readonly error: unknown };

/** What a round did. */
export interface RoundResult {
  readonly outcomes: Outcome[];
  /** The last position assigned after the round (the head's, when nothing was stored). */
  readonly last: number;
  /** How many events it stored. */
  readonly inserted: number;
}

interface Ref {
  readonly position: number;
  readonly stream: string | null;
  readonly version: number | null;
}

interface PreflightRow extends Ref {
  readonly kind: 'id' | 'stream';
  readonly key: string;
}

/** The columns of `insert-events`, one array each. */
class Rows {
  readonly positions: number[] = [];
  readonly ids: string[] = [];
  readonly types: string[] = [];
  readonly streams: (string | null)[] = [];
  readonly versions: (number | null)[] = [];
  readonly correlations: (string | null)[] = [];
  readonly events: string[] = [];
}

/** A round worked out in memory: what to insert and what each request gets. */
interface Plan {
  readonly rows: Rows;
  readonly outcomes: Outcome[];
  readonly last: number;
  /** The positions each request's new events take, to remember once they are sent. */
  readonly attempts: Map<string, number>[];
  /** A version check failed: without knowing the stored ids, the round cannot tell a retry. */
  readonly unsure: boolean;
}

/**
 * Works a round out against what is stored: `stored` (ids known to be stored, or `undefined` when
 * not looked up) and each stream's version. Duplicates (stored before, or earlier in the round)
 * report the original; a request whose version check fails but whose ids are all stored returns
 * the originals (a retry after a lost reply), else it gets a `ConcurrencyError`.
 */
function plan(
  requests: readonly AppendRequest[],
  head: HeadRow,
  known: Map<string, Ref> | undefined,
  versions: Map<string, number>,
): Plan {
  const stored = known ?? new Map<string, Ref>();
  const recordedAt = isoAt(Math.max(head.now_ms, head.last_recorded_ms));
  const rows = new Rows();
  const attempts: Map<string, number>[] = [];
  let last = head.last_position;
  let unsure = false;
  // Ids this round gives a position: a later copy of one is a duplicate of it, never "ours".
  const inRound = new Set<string>();
  const outcomes = requests.map((request): Outcome => {
    const { stream } = request;
    const attempt = new Map<string, number>();
    const claimed = new Set<string>();
    attempts.push(attempt);
    const actual = stream === undefined ? 0 : versions.get(stream)!;
    if (!satisfiesExpectedVersion(request.expectedVersion, actual)) {
      if (known === undefined) unsure = true;
      if (!request.ids.every((id) => stored.has(id))) {
        return { ok: false, error: new ConcurrencyError(stream!, request.expectedVersion, actual) };
      }
    }
    let version = actual;
    const value = request.ids.map((id, i): Appended => {
      const ref = stored.get(id);
      if (ref !== undefined) {
        // Stored by this very request in an attempt whose commit went through unseen: its first
        // copy only, as the first attempt reported it; a repeat in the batch is a duplicate.
        const ours = !inRound.has(id) && !claimed.has(id) && request.attempted?.get(id) === ref.position;
        if (ours) claimed.add(id);
        return reported(id, ref, !ours);
      }
      const position = ++last;
      const next = stream === undefined ? null : ++version;
      stored.set(id, { position, stream: stream ?? null, version: next });
      inRound.add(id);
      attempt.set(id, position);
      rows.positions.push(position);
      rows.ids.push(id);
      rows.types.push(request.types[i]!);
      rows.streams.push(stream ?? null);
      rows.versions.push(next);
      rows.correlations.push(request.correlations[i]!);
      rows.events.push(storedJson(request.jsons[i]!, request.streamJson, next, position, recordedAt));
      return { id, position, stream, version: next ?? undefined, duplicate: false };
    });
    if (stream !== undefined) versions.set(stream, version);
    return { ok: true, value };
  });
  return { rows, outcomes, last, attempts, unsure };
}

/** Inserts a plan's rows; returns how many were stored (fewer when an id was stored already). */
async function insert(
  client: ClientBase,
  sql: SchemaSql,
  requests: readonly AppendRequest[],
  { rows, attempts }: Plan,
  recordedAt: string,
): Promise<number> {
  // From here the commit may happen without this process hearing of it.
  requests.forEach((request, i) => (request.attempted = attempts[i]));
  const values = [
    rows.positions,
    rows.ids,
    rows.types.join('\n'),
    rows.streams,
    rows.versions,
    rows.correlations,
    rows.events.join('\n'),
    recordedAt,
    rows.positions.length,
    sql.channel,
  ];
  const result = await client.query<{ inserted: number }>(sql.query('insert-events', values, true));
  return result.rows[0]!.inserted;
}

/**
 * Runs the writes of a round of appends on `client`, inside a transaction that already holds the
 * head row (`head` is what `lock-head` returned), and returns what each request gets; the caller
 * commits. Each request is checked on its own (a `ConcurrencyError` fails it alone, before
 * anything is written); all the new events go in one `insert-events`, which also moves the head
 * and queues the notification.
 *
 * The common round needs no look at stored ids: it inserts at once (`ON CONFLICT (id) DO
 * NOTHING`), and only when the count says an id was stored already (a retry), or a version check
 * failed (maybe a retry), does it take the insert back and run again after a `preflight` of the
 * ids. A request retried after a lost connection always takes that path.
 *
 * @example
 * ```ts
 * const head = (await client.query(sql.query('lock-head', []))).rows[0];
 * const { outcomes } = await appendRound(client, sql, [appendRequest(prepared)], head);
 * ```
 */
export async function appendRound(
  client: ClientBase,
  sql: SchemaSql,
  requests: readonly AppendRequest[],
  head: HeadRow,
): Promise<RoundResult> {
  const recordedAt = isoAt(Math.max(head.now_ms, head.last_recorded_ms));
  const streams = [...new Set(requests.flatMap((r) => (r.stream === undefined ? [] : [r.stream])))];
  if (requests.every((r) => r.attempted === undefined)) {
    const versions = new Map<string, number>();
    if (streams.length > 0) {
      const found = await client.query<{ stream: string; version: number }>(
        sql.query('select-stream-versions', [streams]),
      );
      for (const row of found.rows) versions.set(row.stream, row.version);
    }
    const optimistic = plan(requests, head, undefined, versions);
    if (!optimistic.unsure) {
      const count = optimistic.rows.positions.length;
      if (count === 0 || (await insert(client, sql, requests, optimistic, recordedAt)) === count) {
        return { outcomes: optimistic.outcomes, last: optimistic.last, inserted: count };
      }
      await client.query(sql.query('undo-insert', [head.last_position, head.event_count]));
      // Taken back in this transaction: those positions were never stored by anyone.
      for (const request of requests) request.attempted = undefined;
    }
  }
  const stored = new Map<string, Ref>();
  const versions = new Map<string, number>();
  const ids = [...new Set(requests.flatMap((r) => r.ids))];
  const found = await client.query<PreflightRow>(sql.query('preflight', [ids, streams]));
  for (const row of found.rows) {
    if (row.kind === 'id') stored.set(row.key, row);
    else versions.set(row.key, row.version ?? 0);
  }
  const careful = plan(requests, head, stored, versions);
  const count = careful.rows.positions.length;
  if (count > 0) await insert(client, sql, requests, careful, recordedAt);
  return { outcomes: careful.outcomes, last: careful.last, inserted: count };
}

function reported(id: string, ref: Ref, duplicate: boolean): Appended {
  return {
    id,
    position: ref.position,
    stream: ref.stream ?? undefined,
    version: ref.version ?? undefined,
    duplicate,
  };
}
