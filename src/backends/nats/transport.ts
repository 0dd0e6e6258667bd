import { connect, errors, type Msg, type NatsConnection, type Subscription } from '@nats-io/transport-node';
import type {
  EventTransport,
  RequestTransport,
  TransportMessage,
  TransportUnsubscribe,
} from '../../broker/transport.js';
import { HandlerFailedError, HeraldError, describe } from '../../errors/herald-error.js';
import type { HandlerFailure } from '../../errors/herald-error.js';
import { validateEvent } from '../../event/validate-event.js';
import type { HeraldEvent } from '../../event/types.js';
import { checkInteger, checkMillis, invalidOption } from '../../log/invalid-option.js';

/** Options of `natsTransport`. Give `servers` (the transport connects and closes) or `connection`. */
export interface NatsTransportOptions {
  /** Where to connect, e.g. `'127.0.0.1:4222'`; the transport owns this connection. */
  servers?: string | string[];
  /** An open connection the transport uses and leaves open on `close`. */
  connection?: NatsConnection;
  /**
   * Events go on `<prefix>.<type>`, requests on `<prefix>_req.<type>` (default `herald`). Use a
   * prefix other than a `natsLog`'s `subjectPrefix`: its stream would capture these messages.
   */
  prefix?: string;
  /** Sends (and requests) waiting at once; past it they reject with `QUEUE_FULL` (default 1,024). */
  maxInFlight?: number;
  /** How long a send waits for the first connection (default 10,000 ms). */
  connectTimeoutMs?: number;
}

/** `natsTransport`'s transport: an `EventTransport` with request/reply, and `flush`. */
export interface NatsTransport extends EventTransport {
  readonly requests: RequestTransport;
  /** Resolves once what was sent so far (subscriptions and responders included) reached the server. */
  flush(): Promise<void>;
}

/** What a responder sends back: a value, or a failure the requester rejects with. */
interface Reply {
  ok: boolean;
  value?: unknown;
  failures?: { subscription: string; attempts: number; error: string }[];
  error?: string;
}

// Literal subject tokens: what a prefix of every Herald subject must be.
const PREFIX = /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * Ephemeral events and request/reply across brokers on one NATS (core NATS, no JetStream):
 * `createBroker({ transport })`. Each event is published as JSON (`{ origin, event }`) on
 * `<prefix>.<type>`, and every transport subscribes once to `<prefix>.>` (a plain NATS subscriber
 * there sees the same events). A request is a NATS request on `<prefix>_req.<type>` (outside
 * `<prefix>.>`, so event subscribers never see requests) with the broker's timeout; a responder
 * subscribes to `<prefix>_req.<pattern>`, in the NATS queue group `group` when it has one, so one
 * member of a group answers. NATS's "no responders" status rejects the request at once with
 * `NO_RESPONDERS`; no reply in time is `REQUEST_TIMEOUT`; a responder's failure comes back as
 * `HANDLER_FAILED`. At-most-once: a disconnected broker misses what is sent meanwhile.
 *
 * Outage policy: nothing is buffered by the transport. While the connection is disconnected
 * (after the first connection, which a send waits for up to `connectTimeoutMs`), `publish` and
 * `request` reject at once with `TRANSPORT_UNAVAILABLE`, and so do they once the connection is
 * closed. At most `maxInFlight` sends and requests wait at once (for the first connection or a
 * reply); past that they reject with `QUEUE_FULL`. The client re-subscribes after a reconnect.
 *
 * @example
 * ```ts
 * import { createBroker } from 'herald';
 * import { natsTransport } from 'herald/nats';
 *
 * const broker = createBroker({ transport: natsTransport({ servers: '127.0.0.1:4222', prefix: 'shop' }) });
 * await broker.ready();
 * broker.reply('price.get', (e) => 42);
 * await broker.request('price.get', { sku: 'a' }); // answered by any instance on `shop`
 * ```
 */
export function natsTransport(options: NatsTransportOptions): NatsTransport {
  const { servers, connection } = options;
  if ((servers === undefined) === (connection === undefined))
    throw new HeraldError('INVALID_CONFIG', 'natsTransport needs exactly one of `servers` and `connection`');
  const prefix = options.prefix ?? 'herald';
  if (typeof prefix !== 'string' || !PREFIX.test(prefix))
    throw invalidOption('prefix', prefix, 'literal subject tokens, e.g. "herald"');
  const maxInFlight = checkInteger('maxInFlight', options.maxInFlight ?? 1_024, 1);
  const connectTimeoutMs = checkMillis('connectTimeoutMs', options.connectTimeoutMs ?? 10_000, 1);
  const subject = (type: string): string => `${prefix}.${type}`;
  const requestSubject = (type: string): string => `${prefix}_req.${type}`;

  let nc: NatsConnection | undefined = connection;
  let connected = connection !== undefined && !connection.isClosed();
  let lastError: unknown;
  let closed = false;
  let inFlight = 0;
  let status: { stop?: () => void } | undefined;
  const subs = new Set<Subscription>();

  const watch = (c: NatsConnection): void => {
    const iterable = c.status();
    status = iterable as { stop?: () => void };
    void (async () => {
      for await (const s of iterable) {
        if (s.type === 'disconnect') connected = false;
        else if (s.type === 'reconnect') connected = true;
        else if (s.type === 'error') lastError = s.error;
        else if (s.type === 'close') connected = false;
      }
    })().catch(() => undefined);
  };

  const opened: Promise<NatsConnection> =
    nc !== undefined
      ? Promise.resolve(nc)
      : connect({ servers: servers!, timeout: connectTimeoutMs, maxReconnectAttempts: -1 }).then(
          (c) => {
            nc = c;
            connected = true;
            if (closed) {
              void c.close();
              throw new Error('the transport is closed');
            }
            return c;
          },
          (error: unknown) => {
            lastError = error;
            throw error;
          },
        );
  opened.catch(() => undefined); // surfaced by the send or subscribe that awaits it
  if (connection !== undefined) watch(connection);
  else void opened.then(watch, () => undefined);

  const unavailable = (why: string, subjectName: string, cause?: unknown): HeraldError =>
    new HeraldError('TRANSPORT_UNAVAILABLE', `cannot send on "${subjectName}" over NATS: ${why}`, {
      details: { transport: 'nats', subject: subjectName },
      ...((cause ?? lastError) !== undefined && { cause: cause ?? lastError }),
    });

  /** The connection, once usable: waits for the first one (bounded), fails at once in an outage. */
  const usable = async (subjectName: string): Promise<NatsConnection> => {
    if (closed) throw unavailable('the transport is closed', subjectName);
    if (nc === undefined) {
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          opened,
          new Promise((_, reject) => {
            timer = setTimeout(
              () => reject(unavailable(`no connection within ${connectTimeoutMs} ms`, subjectName)),
              connectTimeoutMs,
            );
          }),
        ]);
      } catch (error) {
        if (error instanceof HeraldError) throw error;
        throw unavailable((error as Error).message, subjectName, error);
      } finally {
        clearTimeout(timer);
      }
    }
    // Closed while waiting: an own connection is closed then, a lent one is never waited for.
    if (nc!.isClosed()) throw unavailable('the connection is closed', subjectName);
    if (!connected) throw unavailable('the connection is disconnected', subjectName);
    return nc!;
  };

  /** Counts a send against `maxInFlight` while `run` lasts. */
  const bounded = async <T>(run: () => Promise<T>): Promise<T> => {
    if (inFlight >= maxInFlight) {
      throw new HeraldError('QUEUE_FULL', `${inFlight} sends are already waiting for NATS`, {
        details: { transport: 'nats', maxInFlight },
      });
    }
    inFlight++;
    try {
      return await run();
    } finally {
      inFlight--;
    }
  };

  /** Subscribes once the connection is open (a subscription made before is made on connect). */
  const subscribeOn = (
    name: string,
    opts: { queue?: string },
    onMsg: (msg: Msg) => void,
  ): { active: Promise<void>; stop: TransportUnsubscribe } => {
    let sub: Subscription | undefined;
    let stopped = false;
    const active = opened.then(async (c) => {
      if (stopped || closed) return;
      sub = c.subscribe(name, {
        ...(opts.queue !== undefined && { queue: opts.queue }),
        callback: (err, msg) => {
          if (err === null) onMsg(msg);
        },
      });
      subs.add(sub);
      await c.flush();
    });
    const stop: TransportUnsubscribe = () => {
      stopped = true;
      if (sub !== undefined) {
        subs.delete(sub);
        if (!sub.isClosed()) sub.unsubscribe();
      }
      return Promise.resolve();
    };
    return { active, stop };
  };

  const requests: RequestTransport = {
    request(event, timeoutMs) {
      const name = requestSubject(event.type);
      return bounded(async () => {
        const c = await usable(name);
        let msg: Msg;
        try {
          msg = await c.request(name, encoder.encode(JSON.stringify(event)), { timeout: timeoutMs });
        } catch (error) {
          throw requestError(error, event.type, timeoutMs, (why, cause) => unavailable(why, name, cause));
        }
        return decodeReply(msg, event.type);
      });
    },
    respond(pattern, opts, handler) {
      const { active, stop } = subscribeOn(
        requestSubject(pattern),
        { ...(opts.group !== undefined && { queue: opts.group }) },
        (msg) => {
          void answer(msg, pattern, handler).then(
            (reply) => {
              if (!closed) msg.respond(encoder.encode(JSON.stringify(reply)));
            },
            () => undefined, // the connection went: the requester times out
          );
        },
      );
      active.catch(() => undefined); // a responder without a connection is never asked
      return stop;
    },
  };

  return {
    requests,
    async publish(message) {
      const name = subject(message.event.type);
      await bounded(async () => {
        const c = await usable(name);
        try {
          c.publish(name, encoder.encode(JSON.stringify(message)));
        } catch (error) {
          throw unavailable((error as Error).message, name, error);
        }
      });
    },
    async subscribe(onMessage, onError) {
      const { active, stop } = subscribeOn(`${prefix}.>`, {}, (msg) => {
        let message: TransportMessage;
        try {
          message = JSON.parse(decoder.decode(msg.data)) as TransportMessage;
        } catch (error) {
          onError?.(error);
          return;
        }
        onMessage(message);
      });
      try {
        await active;
      } catch (error) {
        throw unavailable((error as Error).message, `${prefix}.>`, error);
      }
      return stop;
    },
    async flush() {
      const c = await opened;
      await c.flush();
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const sub of subs) if (!sub.isClosed()) sub.unsubscribe();
      subs.clear();
      if (connection !== undefined) {
        status?.stop?.();
        return;
      }
      const c = await opened.catch(() => undefined);
      if (c !== undefined && !c.isClosed()) await c.close();
    },
  };
}

/** Runs a request through the broker's responder, and says how it went as a `Reply`. */
async function answer(
  msg: Msg,
  pattern: string,
  handler: (event: HeraldEvent) => Promise<unknown>,
): Promise<Reply> {
  let event: HeraldEvent;
  try {
    event = validateEvent(JSON.parse(decoder.decode(msg.data)));
  } catch (error) {
    return { ok: false, error: `the request is malformed: ${describe(error)}` };
  }
  try {
    return { ok: true, value: await handler(event) };
  } catch (error) {
    if (error instanceof HandlerFailedError) {
      return {
        ok: false,
        failures: error.failures.map((f) => ({
          subscription: f.subscription,
          attempts: f.attempts,
          error: describe(f.error),
        })),
      };
    }
    return { ok: false, failures: [{ subscription: pattern, attempts: 1, error: describe(error) }] };
  }
}

/** The value a responder sent, or the `HANDLER_FAILED` it answered with. */
function decodeReply(msg: Msg, type: string): unknown {
  let reply: Reply;
  try {
    reply = JSON.parse(decoder.decode(msg.data)) as Reply;
  } catch (error) {
    throw new HeraldError('INVALID_MESSAGE', `the reply to "${type}" is not JSON`, {
      details: { type },
      cause: error,
    });
  }
  if (reply.ok) return reply.value;
  const failures: HandlerFailure[] = (
    reply.failures ?? [{ subscription: 'remote', attempts: 0, error: reply.error ?? 'failed' }]
  ).map((f) => ({ subscription: f.subscription, attempts: f.attempts, error: new Error(f.error) }));
  throw new HandlerFailedError(type, failures);
}

/** NATS's request errors as Herald's: no responders, timeout, or the connection. */
function requestError(
  error: unknown,
  type: string,
  timeoutMs: number,
  unavailable: (why: string, cause: unknown) => HeraldError,
): HeraldError {
  if (
    error instanceof errors.NoRespondersError ||
    (error instanceof errors.RequestError && error.isNoResponders())
  ) {
    return new HeraldError('NO_RESPONDERS', `no responders for request "${type}"`, {
      details: { type },
    });
  }
  if (error instanceof errors.TimeoutError) {
    return new HeraldError('REQUEST_TIMEOUT', `request "${type}" got no reply within ${timeoutMs} ms`, {
      details: { type, timeoutMs },
    });
  }
  return unavailable((error as Error).message, error);
}
