/**
 * Loading and shaping a trace: the events that share a correlation id, linked into a tree by
 * `causationid`. Kept apart from the view so the rules are in one place:
 * - The trace of an event is its correlation: `correlationid`, or the event's own id when it has
 *   none (Herald's broker gives a root's children `correlationid = root.id`).
 * - An id that is no readable event is taken as a correlation id.
 * - An event's parent is the event whose id is its `causationid`; one whose cause is not in the
 *   set is a root. Such a cause is looked up by id: it may sit in another correlation (the page
 *   links its trace) or be missing or unreadable.
 */
import type { HeraldEvent } from '../../src/client/index.js';
import { ApiError, getJson } from '../api.js';

/** A stored event as the hub answers it. */
export type Stored = HeraldEvent & { recordedat?: string };

/** The page loads at most this many events of one correlation (and says so when it stops). */
export const MAX_TRACE_EVENTS = 10_000;
/** Events per `GET /v1/events` request (the hub's maximum). */
const PAGE = 1000;
/** Causes outside the correlation looked up by id, at most. */
const MAX_CAUSE_LOOKUPS = 20;

/** One event in the tree. */
export interface TraceNode {
  event: Stored;
  parent: TraceNode | undefined;
  children: TraceNode[];
  /** 1 for a root. */
  level: number;
  /** Its place in `Trace.nodes` (a stable key for the page). */
  index: number;
  /** Milliseconds since the parent's time, and since the root's. */
  sinceParent: number | undefined;
  sinceRoot: number | undefined;
}

/** What a root's `causationid` points to, when that event is not in the trace. */
export type OutsideCause = { kind: 'other'; event: Stored } | { kind: 'missing' };

/** A loaded trace. */
export interface Trace {
  /** The event the trace was opened from (undefined when the id was a correlation id). */
  origin: Stored | undefined;
  correlation: string;
  roots: TraceNode[];
  /** Every node, in tree order (depth first, children by position). */
  nodes: TraceNode[];
  /** More events carried the correlation than `MAX_TRACE_EVENTS`. */
  truncated: boolean;
  /** Causes of roots that are not in the trace, by id. */
  outside: Map<string, OutsideCause>;
}

async function eventById(id: string, signal?: AbortSignal): Promise<Stored | undefined> {
  try {
    return await getJson<Stored>(`/v1/events/${encodeURIComponent(id)}`, signal);
  } catch (error) {
    if (error instanceof ApiError && error.status === 404) return undefined;
    throw error;
  }
}

/** The time of an event in ms: its `time`, else when it was recorded. */
function millis(event: Stored): number | undefined {
  const ms = Date.parse(event.time ?? event.recordedat ?? '');
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Links events into trees by `causationid`, children and roots in position order. A cycle of
 * causes (which a hand-made event can create) is cut where it is first met, so every event is
 * shown once.
 *
 * @example
 * ```ts
 * const { roots, nodes } = buildTree(events); // roots[0].children[0].event.causationid === roots[0].event.id
 * ```
 */
export function buildTree(events: readonly Stored[]): { roots: TraceNode[]; nodes: TraceNode[] } {
  const sorted = [...events].sort((a, b) => (a.position ?? 0) - (b.position ?? 0));
  const byId = new Map<string, TraceNode>();
  for (const event of sorted) {
    if (!byId.has(event.id))
      byId.set(event.id, {
        event,
        parent: undefined,
        children: [],
        level: 1,
        index: 0,
        sinceParent: undefined,
        sinceRoot: undefined,
      });
  }
  const roots: TraceNode[] = [];
  for (const node of byId.values()) {
    const cause = node.event.causationid;
    const parent = cause === undefined || cause === node.event.id ? undefined : byId.get(cause);
    if (parent === undefined) roots.push(node);
    else parent.children.push(node);
  }
  const nodes: TraceNode[] = [];
  const seen = new Set<TraceNode>();
  // Depth first with a stack of its own: a chain of 10,000 causes is 10,000 levels deep.
  const walk = (top: TraceNode) => {
    const rootAt = millis(top.event);
    const stack: [TraceNode, TraceNode | undefined][] = [[top, undefined]];
    for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
      const [node, parent] = item;
      seen.add(node);
      node.parent = parent;
      node.level = parent === undefined ? 1 : parent.level + 1;
      const at = millis(node.event);
      const parentAt = parent === undefined ? undefined : millis(parent.event);
      node.sinceParent = at === undefined || parentAt === undefined ? undefined : at - parentAt;
      node.sinceRoot =
        parent === undefined || at === undefined || rootAt === undefined ? undefined : at - rootAt;
      node.index = nodes.length;
      nodes.push(node);
      node.children = node.children.filter((c) => !seen.has(c));
      for (let i = node.children.length - 1; i >= 0; i--) stack.push([node.children[i]!, node]);
    }
  };
  for (const root of roots) walk(root);
  // Events in a cycle of causes are reachable from no root: the first of each becomes one.
  for (const node of byId.values()) {
    if (seen.has(node)) continue;
    roots.push(node);
    walk(node);
  }
  return { roots, nodes };
}

/** Every event of a correlation, a page of 1,000 at a time, at most `MAX_TRACE_EVENTS`. */
async function correlated(
  correlation: string,
  signal?: AbortSignal,
): Promise<{ events: Map<string, Stored>; truncated: boolean }> {
  const events = new Map<string, Stored>();
  const query = `/v1/events?correlationid=${encodeURIComponent(correlation)}`;
  let after = 0;
  for (;;) {
    const limit = Math.min(PAGE, MAX_TRACE_EVENTS - events.size);
    if (limit === 0) {
      const more = await getJson<{ events: Stored[] }>(`${query}&limit=1&after=${after}`, signal);
      return { events, truncated: more.events.length > 0 };
    }
    const page = await getJson<{ events: Stored[]; next: number }>(
      `${query}&limit=${limit}&after=${after}`,
      signal,
    );
    for (const event of page.events) events.set(event.id, event);
    if (page.events.length < limit) return { events, truncated: false };
    after = page.next;
  }
}

/**
 * Loads the trace of an event id (or of a correlation id): the event, every event of its
 * correlation (pages of 1,000, at most `MAX_TRACE_EVENTS`), the correlation's root by id when it
 * does not carry the correlation itself, and the causes of roots that lie outside it.
 *
 * @example
 * ```ts
 * const trace = await loadTrace('0193a1b2-...');
 * trace.nodes.map((n) => `${'  '.repeat(n.level - 1)}${n.event.type}`);
 * ```
 */
export async function loadTrace(id: string, signal?: AbortSignal): Promise<Trace | undefined> {
  // The id as a correlation first: an id that is no event then costs no 404 (which a browser logs).
  let correlation = id;
  let { events, truncated } = await correlated(id, signal);
  let origin = events.get(id);
  if (events.size === 0) {
    origin = await eventById(id, signal);
    if (origin === undefined) return undefined;
    correlation = origin.correlationid ?? origin.id;
    if (correlation !== id) ({ events, truncated } = await correlated(correlation, signal));
    events.set(origin.id, origin);
  }
  // The root of a flow often carries no correlation id: its children name its id as their
  // correlation and their cause. It is looked up only when something names it as a cause.
  if (!events.has(correlation) && [...events.values()].some((e) => e.causationid === correlation)) {
    const root = await eventById(correlation, signal);
    if (root !== undefined) events.set(root.id, root);
    if (root?.id === id) origin = root;
  }
  if (events.size === 0) return undefined;
  const { roots, nodes } = buildTree([...events.values()]);
  const outside = new Map<string, OutsideCause>();
  for (const root of roots) {
    const cause = root.event.causationid;
    if (cause === undefined || cause === root.event.id || outside.has(cause)) continue;
    if (outside.size >= MAX_CAUSE_LOOKUPS) break;
    const found = await eventById(cause, signal);
    outside.set(cause, found === undefined ? { kind: 'missing' } : { kind: 'other', event: found });
  }
  return { origin, correlation, roots, nodes, truncated, outside };
}
