/**
 * The Dead letters view's calls to the hub: a group's dead letters a page at a time (`after`), its
 * error groups, and redrive or purge in chunks. A chunked run pages the dead letters with `after`
 * (1,000 at a time) and acts on each page by positions, so it reports progress and can stop
 * between chunks; every number it shows comes from the hub's replies, never from local guesses.
 */
import { getJson, sendJson } from '../api.js';

/** Positions one page of a chunked run reads and acts on. */
export const CHUNK = 1000;

/** A dead letter as `GET /v1/groups/:name/dead-letters` lists it. */
export interface DeadLetter {
  event: { position: number; id: string; type: string; [field: string]: unknown };
  deliveries: number;
  error: string | null;
  /** The error with numbers, ids and times stripped (`null`: no error). */
  normalisedError?: string | null;
  at: string;
}

/** One row of `GET /v1/groups/:name/dead-letters/errors`. */
export interface ErrorGroup {
  error: string | null;
  count: number;
  firstDeadAt: string;
  lastDeadAt: string;
  positions: number[];
  /** The raw error of the group's latest letter (numbers and ids included), or null. */
  example: string | null;
}

/** The path of a group's admin route. */
export function groupPath(group: string, rest = ''): string {
  return `/v1/groups/${encodeURIComponent(group)}${rest}`;
}

/**
 * One page of a group's dead letters: positions above `after`, at most `limit`, in position order.
 *
 * @example
 * ```ts
 * const first = await deadLetterPage('mailer', 0, 1000);
 * const next = await deadLetterPage('mailer', first.at(-1)!.event.position, 1000);
 * ```
 */
export async function deadLetterPage(group: string, after: number, limit: number): Promise<DeadLetter[]> {
  const reply = await getJson<{ deadLetters: DeadLetter[] }>(
    groupPath(group, `/dead-letters?limit=${limit}&after=${after}`),
  );
  return reply.deadLetters;
}

/**
 * The dead letter at `position`, or undefined when it is no longer one (redriven, purged).
 *
 * @example
 * ```ts
 * const letter = await deadLetterAt('mailer', 42);
 * ```
 */
export async function deadLetterAt(group: string, position: number): Promise<DeadLetter | undefined> {
  const [letter] = await deadLetterPage(group, position - 1, 1);
  return letter?.event.position === position ? letter : undefined;
}

/** What a chunked run acts on: every dead letter, or those of one normalised error. */
export interface ChunkTarget {
  group: string;
  action: 'redrive' | 'purge';
  /** Only dead letters with this normalised error (`null`: no error); absent: all of them. */
  error?: string | null;
}

/**
 * Redrives or purges a group's dead letters in chunks of `CHUNK`: pages them with `after` and
 * acts on each page's positions (only those whose `normalisedError` is `target.error`, when it
 * is given). Calls `onChunk` with the running total the hub reported after each chunk, and
 * stops between chunks once `cancelled()` is true. Resolves to that total.
 *
 * @example
 * ```ts
 * const done = await runInChunks({ group: 'mailer', action: 'redrive' }, (n) => console.log(n), () => false);
 * ```
 */
export async function runInChunks(
  target: ChunkTarget,
  onChunk: (done: number) => void,
  cancelled: () => boolean,
): Promise<number> {
  let after = 0;
  let done = 0;
  while (!cancelled()) {
    const page = await deadLetterPage(target.group, after, CHUNK);
    const last = page.at(-1)?.event.position;
    // A hub that ignored `after` would hand the same page back: stop rather than loop.
    if (last === undefined || last <= after) break;
    after = last;
    const positions = page
      .filter((d) => target.error === undefined || (d.normalisedError ?? null) === target.error)
      .map((d) => d.event.position);
    if (positions.length > 0) {
      const reply = await sendJson<{ redriven?: number; purged?: number }>(
        groupPath(target.group, `/dead-letters/${target.action}`),
        { positions },
      );
      done += reply.redriven ?? reply.purged ?? 0;
    }
    onChunk(done);
    if (page.length < CHUNK) break;
  }
  return done;
}
