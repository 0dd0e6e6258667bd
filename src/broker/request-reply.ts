import { isThenable } from '../delivery/compose.js';
import type { DeliveryContext } from '../delivery/context.js';
import { HandlerFailedError, HeraldError, type HandlerFailure } from '../errors/herald-error.js';
import type { HeraldEvent } from '../event/types.js';
import { closedError } from './broker-errors.js';
import type { Tracker } from './delivery.js';
import type { Envelopes } from './envelope.js';
import type { SubscriptionRuntime } from './subscription-runtime.js';
import type { SubscriptionRegistry } from './subscriptions.js';
import type { TransportLink } from './transport-link.js';
import type { Handler, RequestOptions, SubscribeOptions, Subscription } from './types.js';

interface PendingRequest {
  resolve(value: unknown): void;
  reject(error: unknown): void;
  /** None for a request from another instance: its requester keeps the deadline. */
  timer?: NodeJS.Timeout;
}

/**
 * Request/reply: responders are in-process subscriptions whose handler's value answers the
 * request; with a transport that carries requests, every responder (this instance's too) is
 * reached over it, and requests from other instances run through the responders here.
 */
export class RequestReply {
  readonly #requests = new Map<string, PendingRequest>();
  readonly #registry: SubscriptionRegistry;
  readonly #envelopes: Envelopes;
  readonly #link: TransportLink | undefined;
  readonly #closed: () => boolean;

  constructor(
    registry: SubscriptionRegistry,
    envelopes: Envelopes,
    link: TransportLink | undefined,
    closed: () => boolean,
  ) {
    this.#registry = registry;
    this.#envelopes = envelopes;
    this.#link = link;
    this.#closed = closed;
  }

  reply(
    pattern: string,
    handler: (event: HeraldEvent, ctx: DeliveryContext) => unknown,
    options: SubscribeOptions,
  ): Subscription {
    const answer = (id: string, value: unknown): void => {
      const pending = this.#requests.get(id);
      if (!pending) return; // already answered by another responder, or timed out
      this.#requests.delete(id);
      clearTimeout(pending.timer);
      pending.resolve(value);
    };
    const respond: Handler = (event, ctx) => {
      const value = handler(event, ctx);
      if (isThenable(value)) return value.then((v) => answer(event.id, v));
      answer(event.id, value);
      return undefined;
    };
    // A failed responder answers the requester with its error instead of a dead letter.
    const sub = this.#registry.add(pattern, respond, { deadLetter: false, ...options }, true);
    const remote = this.#link?.requests;
    if (remote === undefined) return sub;
    const runtime = this.#registry.runtime(sub.name)!;
    const stop = remote.respond(
      pattern,
      { ...(options.group !== undefined && { group: options.group }) },
      (e) => this.#answerRemote(runtime, e),
    );
    return { ...sub, unsubscribe: () => Promise.all([stop(), sub.unsubscribe()]).then(() => undefined) };
  }

  request(type: string, data: unknown, options: RequestOptions): Promise<unknown> {
    const { timeoutMs = 5_000, ...attributes } = options;
    let made: HeraldEvent | Promise<HeraldEvent>;
    try {
      made = this.#envelopes.make(type, data, attributes);
    } catch (error) {
      return Promise.reject(error);
    }
    return Promise.resolve(made).then((event) => {
      if (this.#closed()) throw closedError();
      // Over the transport every responder, this instance's too, is reached the same way.
      if (this.#link?.requests) return this.#link.requests.request(event, timeoutMs);
      const targets = this.#registry.routeRequest(event.type);
      if (targets.length === 0) {
        throw new HeraldError('NO_RESPONDERS', `no responders for request "${event.type}"`, {
          details: { type: event.type },
        });
      }
      return new Promise<unknown>((resolve, reject) => {
        const timer = setTimeout(() => {
          this.#requests.delete(event.id);
          reject(
            new HeraldError(
              'REQUEST_TIMEOUT',
              `request "${event.type}" got no reply within ${timeoutMs} ms`,
              { details: { type: event.type, timeoutMs } },
            ),
          );
        }, timeoutMs);
        this.#requests.set(event.id, { resolve, reject, timer });
        let remaining = targets.length;
        const failures: HandlerFailure[] = [];
        const tracker: Tracker = {
          settle: (subscription, error, attempts, failed) => {
            if (failed) failures.push({ subscription, error, attempts });
            if (--remaining > 0 || !this.#requests.has(event.id)) return;
            // Every responder finished without answering: all of them failed.
            this.#requests.delete(event.id);
            clearTimeout(timer);
            reject(new HandlerFailedError(event.type, failures));
          },
        };
        for (const sub of targets) {
          const offered = sub.offer(event, tracker);
          if (offered instanceof HeraldError) tracker.settle(sub.name, offered, 0, true);
        }
      });
    });
  }

  /** Fails every pending request with `reason` (at close). */
  rejectAll(reason: unknown): void {
    for (const [id, pending] of this.#requests) {
      clearTimeout(pending.timer);
      pending.reject(reason);
      this.#requests.delete(id);
    }
  }

  /** Runs a request from another instance through this responder, policies included. */
  #answerRemote(runtime: SubscriptionRuntime, event: HeraldEvent): Promise<unknown> {
    if (this.#closed()) return Promise.reject(closedError());
    return new Promise((resolve, reject) => {
      this.#requests.set(event.id, { resolve, reject });
      const tracker: Tracker = {
        settle: (subscription, error, attempts, failed) => {
          if (!failed || !this.#requests.delete(event.id)) return;
          reject(new HandlerFailedError(event.type, [{ subscription, error, attempts }]));
        },
      };
      const offered = runtime.offer(event, tracker);
      if (offered instanceof HeraldError) tracker.settle(runtime.name, offered, 0, true);
      else if (offered !== true)
        offered.catch((error: unknown) => tracker.settle(runtime.name, error, 0, true));
    });
  }
}
