import type { FastifyInstance } from 'fastify';
import { HeraldError } from '../../errors/herald-error.js';
import { typeMatcher } from '../../log/type-matcher.js';
import type { ConsumerGroup, EventLog } from '../../log/types.js';
import { assertCanSubscribe, type Principal } from '../auth/principal.js';
import type { HubContext } from '../hub-context.js';
import { integer, patternList, single } from '../routes/query-params.js';
import { RING_SECONDS } from './hub-stats.js';

/** Consumer groups one reading examines (the first in the log's order); the rest are not looked at. */
export const MAX_GROUPS_EXAMINED = 200;

/** Groups a reply lists: those with the largest lag. */
export const TOP_GROUPS = 5;

/** How long one reading of the groups is reused (every caller within it shares it). */
const GROUPS_FRESH_MS = 1_000;

/** A group as the stats list it: its figures and the types it consumes (to filter by caller). */
interface GroupFigures {
  name: string;
  lag: number;
  pending: number;
  deadLetters: number;
  types: readonly string[];
}

/**
 * `GET /v1/stats`: the backend and its capabilities, the log's head, live clients, uptime,
 * per-second publish and delivery rates from the hub's ring (`HubStats`), and the groups with the
 * largest lag. Any authenticated caller may read it; per-type figures name only types the caller
 * may read, and only groups whose types it may read are listed (admins and a hub without auth:
 * everything). See `docs/http-stats.md`.
 *
 * @example
 * ```ts
 * statsRoutes(api, ctx);
 * ```
 */
export function statsRoutes(app: FastifyInstance, ctx: HubContext): void {
  const groups = groupReader(ctx.log);
  app.get('/v1/stats', async (request) => {
    const who = request.principal;
    const query = request.query as Record<string, string | string[] | undefined>;
    const since = integer(single(query.since) ?? '300', 'since', 1, RING_SECONDS);
    const types = patternList(query.types);
    const filtered = types !== undefined && types.length > 0;
    if (filtered) assertCanSubscribe(who, types);
    const wanted = filtered ? typeMatcher(types) : () => true;
    const visible = (type: string) => who.canSubscribe(type) && wanted(type);
    let head: number;
    let top: GroupFigures[];
    try {
      [head, top] = await Promise.all([ctx.log.bounds().then((b) => b.last), groups()]);
    } catch (error) {
      request.log.warn({ err: error }, 'stats: the event log does not answer');
      throw new HeraldError('LOG_UNREACHABLE', 'the event log does not answer', { cause: error });
    }
    return {
      backend: { ...ctx.log.capabilities },
      head,
      live: ctx.stats.clients(),
      uptimeMs: ctx.stats.uptimeMs(),
      rates: ctx.stats.rates(since, visible),
      groups: top
        .filter((g) => mayRead(who, g.types))
        .sort((a, b) => b.lag - a.lag)
        .slice(0, TOP_GROUPS)
        .map(({ name, lag, pending, deadLetters }) => ({ name, lag, pending, deadLetters })),
    };
  });
}

/** True when the caller may read every type the group consumes. */
function mayRead(who: Principal, types: readonly string[]): boolean {
  if (who.admin) return true;
  return types.length > 0 && types.every((pattern) => who.canSubscribePattern(pattern));
}

/**
 * Reads the figures of the first `MAX_GROUPS_EXAMINED` groups, at most once per
 * `GROUPS_FRESH_MS` (callers in between, and concurrent ones, share a reading). Handles are kept
 * between readings: opening a group is a write on some backends. Only listed names are opened,
 * so a reading never creates a group.
 */
function groupReader(log: EventLog): () => Promise<GroupFigures[]> {
  let handles = new Map<string, ConsumerGroup>();
  let last: { at: number; groups: GroupFigures[] } | undefined;
  let inFlight: Promise<GroupFigures[]> | undefined;
  const read = async (): Promise<GroupFigures[]> => {
    const names = (await log.groups()).slice(0, MAX_GROUPS_EXAMINED);
    // Names that went away are dropped, so the handles stay within the bound.
    const kept = new Map<string, ConsumerGroup>();
    const figures = await Promise.all(
      names.map(async (name) => {
        const group = handles.get(name) ?? (await log.group(name));
        kept.set(name, group);
        const info = await group.info();
        return {
          name,
          lag: info.lag,
          pending: info.pending,
          deadLetters: info.deadLetters,
          types: group.options.types,
        };
      }),
    );
    handles = kept;
    return figures;
  };
  return () => {
    if (last !== undefined && Date.now() - last.at < GROUPS_FRESH_MS) return Promise.resolve(last.groups);
    inFlight ??= read()
      .then((groups) => {
        last = { at: Date.now(), groups };
        return groups;
      })
      .finally(() => {
        inFlight = undefined;
      });
    return inFlight;
  };
}
