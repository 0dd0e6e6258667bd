import { randomBytes } from 'node:crypto';
import { ConcurrencyError } from '../../errors/index.js';
import type { Appended } from '../../log/types.js';
import { budgetLeft, type AppendRequest } from '../../log/append-batcher.js';
import type { RedisContext } from './log-context.js';

type BatchReply = [2, number, number] | [1, ...(number | string)[]] | [0, number];
type RoundReply = [lost: number, last: number, recorded: number, ...batches: BatchReply[]];

/** What the log does after a round that reached the server. */
export interface RoundHooks {
  /** The server had lost its data; `lostUpTo` is the floor this round continued from. */
  dataLost(lostUpTo: number): void;
  /** Events were written up to `last`. */
  written(last: number): Promise<void>;
}

/**
 * How long a round's key outlives its retry budget: a retried call (see append.lua) finds it for
 * as long as the round may be retried, and a little longer.
 */
const ROUND_KEY_EXTRA_MS = 60_000;

function argsOf(requests: readonly AppendRequest[], ctx: RedisContext): (string | number)[] {
  const args: (string | number)[] = [ctx.keys.streamPrefix, ctx.knownLast, requests.length];
  for (const { prepared } of requests) {
    const expected = prepared.expectedVersion;
    args.push(prepared.stream ?? '', expected, prepared.events.length);
    for (const event of prepared.events) args.push(event.id, event.type, JSON.stringify(event));
  }
  args.push(ctx.options.retryTimeoutMs + ROUND_KEY_EXTRA_MS);
  return args;
}

function results(
  reply: (number | string)[],
  events: readonly { id: string }[],
  stream: string | undefined,
): Appended[] {
  const out: Appended[] = new Array<Appended>(events.length);
  if (reply[0] === 2) {
    // Every event new: consecutive positions (and versions, in a stream) from the first.
    const [, position, version] = reply as [2, number, number];
    for (let j = 0; j < events.length; j++) {
      out[j] = {
        id: events[j]!.id,
        position: position + j,
        stream,
        version: stream === undefined ? undefined : version + j,
        duplicate: false,
      };
    }
    return out;
  }
  for (let i = 1, j = 0; i < reply.length; i += 4, j++) {
    const stream = reply[i + 2] as string;
    out[j] = {
      id: events[j]!.id,
      position: Number(reply[i]),
      stream: stream === '' ? undefined : stream,
      version: stream === '' ? undefined : Number(reply[i + 1]),
      duplicate: Number(reply[i + 3]) === 1,
    };
  }
  return out;
}

/**
 * Runs one round of appends: every request's batch in one `append.lua` call (retried while the
 * server is unreachable: a repeated call finds the ids it stored and reports them), then settles
 * each request with its own outcome: its results, or `ConcurrencyError` for its own version
 * conflict. `LOG_UNREACHABLE` fails the whole round; such an append may or may not be stored.
 *
 * @example
 * ```ts
 * const batcher = new AppendBatcher((requests) => appendRound(ctx, requests, hooks), 1_000, 100_000);
 * ```
 */
export async function appendRound(
  ctx: RedisContext,
  requests: AppendRequest[],
  hooks: RoundHooks,
): Promise<void> {
  const { keys } = ctx;
  let reply: RoundReply;
  try {
    const args = argsOf(requests, ctx);
    // The budget runs from the first caller's append, not from the round: a caller queued behind
    // a round that spent it is not kept waiting a second budget.
    // One token per round, the same for every retry of it: its key tells a retried call which
    // stored events are its own (a caller's first attempt is never its own duplicate).
    const round = keys.round(randomBytes(12).toString('base64url'));
    reply = (await ctx.script('append', [keys.meta, keys.events, keys.ids, round], args, {
      timeoutMs: budgetLeft(requests, ctx.options.retryTimeoutMs),
    })) as RoundReply;
  } catch (error) {
    for (const request of requests) request.reject(error);
    return;
  }
  const [lost, last] = reply;
  if (lost > 0) hooks.dataLost(lost);
  // Retention runs before any caller hears back: a read right after an append sees the limits.
  const outcomes = requests.map((request, i) => {
    const batch = reply[3 + i] as BatchReply;
    const { prepared } = request;
    if (batch[0] === 0) return new ConcurrencyError(prepared.stream!, prepared.expectedVersion, batch[1]);
    return results(batch, prepared.events, prepared.stream);
  });
  if (outcomes.some((o) => Array.isArray(o) && o.some((r) => !r.duplicate))) await hooks.written(last);
  requests.forEach((request, i) => {
    const outcome = outcomes[i]!;
    if (Array.isArray(outcome)) request.resolve(outcome);
    else request.reject(outcome);
  });
}
