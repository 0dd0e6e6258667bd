import { HandlerFailedError, HeraldError } from '../errors/herald-error.js';
import type { HeraldEvent } from '../event/types.js';
import { matchesPattern } from '../subject/subject.js';
import type { EventTransport, RequestTransport, TransportMessage } from './transport.js';

interface Responder {
  pattern: string;
  group: string | undefined;
  handler: (event: HeraldEvent) => Promise<unknown>;
}

/** A set of in-process transports that reach each other, as brokers on one server would. */
export interface MemoryTransportHub {
  /** A new transport on this hub, for one broker. */
  transport(): EventTransport;
  /** While down, every `publish` and `request` rejects with `TRANSPORT_UNAVAILABLE` (an outage). */
  down: boolean;
  /** Messages published so far, for assertions. */
  readonly sent: number;
}

/**
 * Transports in one process that behave like brokers on one server: messages are copied through
 * JSON and delivered asynchronously to every transport of the hub (the sender's too), requests go
 * to one responder per queue group. For tests of code that runs on a transport, and for trying
 * multi-instance code without a server.
 *
 * @example
 * ```ts
 * const hub = memoryTransportHub();
 * const a = createBroker({ transport: hub.transport() });
 * const b = createBroker({ transport: hub.transport() });
 * b.subscribe('cursor.moved', (e) => console.log(e.data));
 * await a.publish('cursor.moved', { x: 1 }); // b's handler runs
 * ```
 */
export function memoryTransportHub(): MemoryTransportHub {
  const listeners = new Set<(message: TransportMessage) => void>();
  const responders = new Set<Responder>();
  const turns = new Map<string, number>();
  const hub = { down: false, sent: 0 } as MemoryTransportHub & { sent: number };
  const unavailable = (): HeraldError =>
    new HeraldError('TRANSPORT_UNAVAILABLE', 'the memory transport is down', {
      details: { transport: 'memory' },
    });

  const requestsFor = (mine: Set<Responder>): RequestTransport => ({
    request(event, timeoutMs) {
      if (hub.down) return Promise.reject(unavailable());
      const chosen = pickResponders([...responders], event.type, turns);
      if (chosen.length === 0) {
        return Promise.reject(
          new HeraldError('NO_RESPONDERS', `no responders for request "${event.type}"`, {
            details: { type: event.type },
          }),
        );
      }
      const copy = JSON.parse(JSON.stringify(event)) as HeraldEvent;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(
          () =>
            reject(
              new HeraldError(
                'REQUEST_TIMEOUT',
                `request "${event.type}" got no reply within ${timeoutMs} ms`,
                {
                  details: { type: event.type, timeoutMs },
                },
              ),
            ),
          timeoutMs,
        );
        // The first answer wins, a failure included, as with core NATS.
        const settle = (fn: () => void): void => {
          clearTimeout(timer);
          fn();
        };
        for (const r of chosen) {
          r.handler(copy).then(
            (value) => settle(() => resolve(value)),
            (error: unknown) =>
              settle(() =>
                reject(
                  error instanceof HandlerFailedError
                    ? error
                    : new HandlerFailedError(event.type, [{ subscription: r.pattern, error, attempts: 1 }]),
                ),
              ),
          );
        }
      });
    },
    respond(pattern, options, handler) {
      const responder: Responder = { pattern, group: options.group, handler };
      responders.add(responder);
      mine.add(responder);
      return () => {
        responders.delete(responder);
        mine.delete(responder);
        return Promise.resolve();
      };
    },
  });

  hub.transport = () => {
    const own = new Set<(message: TransportMessage) => void>();
    const mine = new Set<Responder>();
    return {
      requests: requestsFor(mine),
      publish(message) {
        if (hub.down) return Promise.reject(unavailable());
        hub.sent++;
        const text = JSON.stringify(message);
        for (const listener of listeners) {
          queueMicrotask(() => listener(JSON.parse(text) as TransportMessage));
        }
        return Promise.resolve();
      },
      subscribe(onMessage) {
        listeners.add(onMessage);
        own.add(onMessage);
        return Promise.resolve(() => {
          listeners.delete(onMessage);
          own.delete(onMessage);
          return Promise.resolve();
        });
      },
      close() {
        for (const listener of own) listeners.delete(listener);
        for (const responder of mine) responders.delete(responder);
        own.clear();
        mine.clear();
        return Promise.resolve();
      },
    };
  };
  return hub;
}

/** Every ungrouped responder that matches, and one member (round-robin) of each matching group. */
function pickResponders(all: Responder[], type: string, turns: Map<string, number>): Responder[] {
  const matching = all.filter((r) => matchesPattern(r.pattern, type));
  const chosen = matching.filter((r) => r.group === undefined);
  const groups = new Map<string, Responder[]>();
  for (const r of matching)
    if (r.group !== undefined) groups.set(r.group, [...(groups.get(r.group) ?? []), r]);
  for (const [group, members] of groups) {
    const turn = turns.get(group) ?? 0;
    turns.set(group, turn + 1);
    chosen.push(members[turn % members.length]!);
  }
  return chosen;
}
