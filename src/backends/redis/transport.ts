import { Redis } from 'ioredis';
import { HeraldError } from '../../errors/herald-error.js';
import type { EventTransport, TransportMessage, TransportUnsubscribe } from '../../broker/transport.js';

/** Options of `redisTransport`. */
export interface RedisTransportOptions {
  /** A connection to publish on (kept open by `close`); the subscriber is its `duplicate()`. */
  client?: Redis;
  /** Or a URL (`redis://host:6379/0`): the transport opens and closes its own connections. */
  url?: string;
  /** Channels are `<prefix>:events:<type>` (default `herald`). */
  prefix?: string;
  /** Sends waiting for Redis at once; past it `publish` rejects with `QUEUE_FULL` (default 1,024). */
  maxInFlight?: number;
  /** How long a publish waits for the first connection (default 10,000 ms). */
  connectTimeoutMs?: number;
}

/**
 * Ephemeral events across brokers on one Redis, over pub/sub: `createBroker({ transport })`. Each
 * event is PUBLISHed as JSON (`{ origin, event }`) on `<prefix>:events:<type>`, and every
 * transport PSUBSCRIBEs `<prefix>:events:*` on its own subscriber connection (which ioredis
 * re-subscribes after a reconnect). At-most-once: a broker whose subscriber is disconnected misses
 * what is sent meanwhile.
 *
 * Outage policy: nothing is buffered. While the publishing connection is not ready (after the
 * first connection, which a publish waits for up to `connectTimeoutMs`), `publish` rejects at once
 * with `TRANSPORT_UNAVAILABLE`; so does a PUBLISH that fails. At most `maxInFlight` sends wait for
 * Redis; past that `publish` rejects with `QUEUE_FULL`. Request/reply is not carried (pub/sub has
 * no queue groups nor a responder count per type): `request` stays in-process.
 *
 * @example
 * ```ts
 * import { createBroker } from 'herald';
 * import { redisTransport } from 'herald/redis';
 *
 * const broker = createBroker({ transport: redisTransport({ url: 'redis://127.0.0.1:6379', prefix: 'shop' }) });
 * await broker.ready();
 * broker.subscribe('cursor.moved', (e) => console.log(e.data));
 * await broker.publish('cursor.moved', { x: 1 }); // every broker on `shop` gets it
 * ```
 */
export function redisTransport(options: RedisTransportOptions): EventTransport {
  const { client, url } = options;
  if (client === undefined && url === undefined) {
    throw new HeraldError('INVALID_OPTION', 'redisTransport needs a client or a url', {
      details: { option: 'url' },
    });
  }
  const prefix = options.prefix ?? 'herald';
  const maxInFlight = options.maxInFlight ?? 1_024;
  const connectTimeoutMs = options.connectTimeoutMs ?? 10_000;
  const channel = (type: string): string => `${prefix}:events:${type}`;
  const pattern = `${escapeGlob(prefix)}:events:*`;
  // Own connections fail a command at the first disconnect instead of retrying it later: a late
  // PUBLISH would be a surprise, and a resent one a duplicate.
  const own = { maxRetriesPerRequest: 0, autoResendUnfulfilledCommands: false };
  const pub = client ?? new Redis(url!, own);
  const sub = client ? client.duplicate() : new Redis(url!, { ...own, maxRetriesPerRequest: null });
  let lastError: unknown;
  const remember = (error: unknown): void => void (lastError = error);
  if (!client) pub.on('error', remember);
  sub.on('error', remember);
  let everReady = pub.status === 'ready';
  const markReady = (): void => void (everReady = true);
  pub.on('ready', markReady);
  let inFlight = 0;
  let closed = false;
  const listeners = new Set<(message: TransportMessage) => void>();
  const errorListeners = new Set<(error: unknown) => void>();
  let subscribed: Promise<unknown> | undefined;

  const unavailable = (why: string, type: string, cause?: unknown): HeraldError =>
    new HeraldError('TRANSPORT_UNAVAILABLE', `cannot send "${type}" over Redis: ${why}`, {
      details: { transport: 'redis', channel: channel(type) },
      ...((cause ?? lastError) !== undefined && { cause: cause ?? lastError }),
    });

  sub.on('pmessage', (_pattern: string, _channel: string, text: string) => {
    let message: TransportMessage;
    try {
      message = JSON.parse(text) as TransportMessage;
    } catch (error) {
      for (const onError of errorListeners) onError(error);
      return;
    }
    for (const listener of listeners) listener(message);
  });

  return {
    async publish(message) {
      const type = message.event.type;
      if (closed) throw unavailable('the transport is closed', type);
      if (inFlight >= maxInFlight) {
        throw new HeraldError('QUEUE_FULL', `${inFlight} sends are already waiting for Redis`, {
          details: { transport: 'redis', maxInFlight },
        });
      }
      inFlight++;
      try {
        if (pub.status !== 'ready') {
          if (everReady) throw unavailable(`the connection is ${pub.status}`, type);
          await firstConnection(pub, connectTimeoutMs, unavailable, type);
        }
        await pub.publish(channel(type), JSON.stringify(message));
      } catch (error) {
        if (error instanceof HeraldError) throw error;
        throw unavailable((error as Error).message, type, error);
      } finally {
        inFlight--;
      }
    },
    async subscribe(onMessage, onError) {
      listeners.add(onMessage);
      if (onError) errorListeners.add(onError);
      subscribed ??= sub.psubscribe(pattern);
      await subscribed;
      const unsubscribe: TransportUnsubscribe = async () => {
        listeners.delete(onMessage);
        if (onError) errorListeners.delete(onError);
        if (listeners.size === 0 && subscribed && sub.status === 'ready') {
          subscribed = undefined;
          await sub.punsubscribe(pattern);
        }
      };
      return unsubscribe;
    },
    async close() {
      if (closed) return;
      closed = true;
      listeners.clear();
      errorListeners.clear();
      pub.off('ready', markReady);
      await quit(sub);
      if (!client) await quit(pub);
    },
  };
}

/**
 * Before the first connection a publish waits for it (so a broker can publish right after it is
 * created); after that a connection that is not ready means Redis is away, and the publish fails.
 */
async function firstConnection(
  pub: Redis,
  timeoutMs: number,
  unavailable: (why: string, type: string) => HeraldError,
  type: string,
): Promise<void> {
  if (pub.status !== 'wait' && pub.status !== 'connecting' && pub.status !== 'connect') {
    throw unavailable(`the connection is ${pub.status}`, type);
  }
  if (pub.status === 'wait') void pub.connect().catch(() => undefined);
  let timer: NodeJS.Timeout | undefined;
  let onReady: (() => void) | undefined;
  try {
    await new Promise<void>((resolve, reject) => {
      onReady = resolve;
      pub.once('ready', onReady);
      timer = setTimeout(() => reject(unavailable(`no connection within ${timeoutMs} ms`, type)), timeoutMs);
    });
  } finally {
    clearTimeout(timer);
    if (onReady) pub.off('ready', onReady);
  }
}

async function quit(redis: Redis): Promise<void> {
  try {
    if (redis.status === 'ready') await redis.quit();
    else redis.disconnect();
  } catch {
    redis.disconnect();
  }
}

/** A prefix used in a PSUBSCRIBE pattern matches itself only. */
function escapeGlob(text: string): string {
  return text.replace(/[*?[\]\\]/g, (c) => `\\${c}`);
}
