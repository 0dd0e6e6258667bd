import { HeraldError } from '../errors/index.js';
import type { HeraldEvent } from '../event/types.js';
import type { Appended } from './types.js';

/** What `checkDuplicates` loads: the stored event with this id, if any. */
export type LoadStored = (id: string) => HeraldEvent | undefined | Promise<HeraldEvent | undefined>;

// The attributes that make two events with one id the same event. `time` and extension
// attributes are left out on purpose: a retry that regenerated them is still the same event.
const IDENTITY = ['source', 'type', 'subject', 'datacontenttype', 'dataschema', 'data_base64'] as const;

/** The JSON value `value` stores as (what `JSON.stringify` keeps), or undefined. */
function asJson(value: unknown): unknown {
  if (value === undefined) return undefined;
  const text = JSON.stringify(value) as string | undefined;
  return text === undefined ? undefined : JSON.parse(text);
}

// Key order is ignored: PostgreSQL's jsonb, for one, stores an object's keys in its own order.
function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a);
  const kb = Object.keys(b);
  if (ka.length !== kb.length) return false;
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  return ka.every((key) => Object.hasOwn(rb, key) && jsonEqual(ra[key], rb[key]));
}

/**
 * Whether `a` and `b` are the same event for deduplication: equal `source`, `type`, `subject`,
 * `datacontenttype`, `dataschema`, `data_base64` and `data` (as JSON: key order ignored). `id`
 * is the caller's to compare; `time` and extension attributes are not compared.
 *
 * @example
 * ```ts
 * sameEvent(stored, { ...stored, time: new Date().toISOString(), traceparent: undefined }); // true
 * sameEvent(stored, { ...stored, source: '/other' }); // false
 * ```
 */
export function sameEvent(a: HeraldEvent, b: HeraldEvent): boolean {
  for (const key of IDENTITY) if ((a[key] ?? undefined) !== (b[key] ?? undefined)) return false;
  return jsonEqual(asJson(a.data), asJson(b.data));
}

function conflict(events: readonly HeraldEvent[], results: readonly Appended[], bad: number[]): HeraldError {
  const index = bad[0]!;
  const id = events[index]!.id;
  const conflicting = new Set(bad);
  // Nothing about the stored event: a conflicting entry says only that it was refused.
  const appended = results.map((r, i) => (conflicting.has(i) ? { id: r.id, conflict: true } : r));
  return new HeraldError(
    'DUPLICATE_ID_CONFLICT',
    `event ${index} of the batch: an event with id ${JSON.stringify(id)} was already stored with ` +
      'other content (source, type, subject, data, ...); it was not stored: give it a new id',
    { details: { index, id, conflicts: bad, appended } },
  );
}

async function check(
  events: readonly HeraldEvent[],
  results: readonly Appended[],
  load: LoadStored,
): Promise<Appended[]> {
  const first = new Map<string, number>(); // id -> index of its first copy in the batch
  const loaded = new Map<string, HeraldEvent | undefined>();
  const bad: number[] = [];
  for (let i = 0; i < events.length; i++) {
    const event = events[i]!;
    const f = first.get(event.id);
    if (f === undefined) first.set(event.id, i);
    if (!results[i]!.duplicate) continue;
    let original: HeraldEvent | undefined;
    // A first copy this batch stored is the original itself: no need to load it.
    if (f !== undefined && !results[f]!.duplicate) original = events[f];
    else {
      if (!loaded.has(event.id)) loaded.set(event.id, await load(event.id));
      original = loaded.get(event.id);
    }
    // An original deleted since the append (retention, deleteStream) cannot be shown to be the
    // same event, so it is not reported as one.
    if (original === undefined || !sameEvent(original, event)) bad.push(i);
  }
  if (bad.length > 0) throw conflict(events, results, bad);
  return results as Appended[];
}

/**
 * The rule every backend's `append` applies to its results: an event reported as a duplicate
 * (its id already stored, or repeated in the batch) is one only when it is the same event
 * (`sameEvent`); otherwise the append fails with `DUPLICATE_ID_CONFLICT`, whose message and
 * details say nothing about the stored event (`details`: `index` and `id` of the first
 * conflicting event, `conflicts` every conflicting index, `appended` every event's result with
 * conflicting ones as `{ id, conflict: true }`). New events of the batch were stored all the same
 * (a retry reports them as duplicates). Without a duplicate in `results` it returns them as they
 * are, with no await and no load.
 *
 * @example
 * ```ts
 * const results = await store(prepared);
 * return checkDuplicates(prepared.events, results, (id) => this.get(id));
 * ```
 */
export function checkDuplicates(
  events: readonly HeraldEvent[],
  results: Appended[],
  load: LoadStored,
): Appended[] | Promise<Appended[]> {
  for (const result of results) if (result.duplicate) return check(events, results, load);
  return results;
}
