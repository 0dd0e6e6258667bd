import type { HeraldEvent } from '../event/types.js';
import { BoundedQueue } from './bounded-queue.js';
import type { StreamRequest, StreamState } from './follow.js';
import { linkedController, type RetryOptions } from './timing.js';
import type { EventStream, EventsOptions, LiveOptions, SubscribeOptions, Subscription } from './types.js';

/** A promise and its settlers, the rejection already observed (so an unread one is not reported). */
function settled(): { promise: Promise<void>; resolve: () => void; reject: (error: unknown) => void } {
  let resolve!: () => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

function streamRequest(
  patterns: readonly string[],
  options: LiveOptions,
  retry: RetryOptions | undefined,
  onOpen: () => void,
): StreamRequest {
  return {
    patterns,
    from: options.from,
    lastEventId: options.lastEventId === undefined ? undefined : String(options.lastEventId),
    retry: options.retry ?? retry,
    onOpen: (info) => {
      onOpen();
      options.onOpen?.(info);
    },
    ...(options.onLost && { onLost: options.onLost }),
    ...(options.onNote && { onNote: options.onNote }),
    ...(options.onRetry && { onRetry: options.onRetry }),
  };
}

/** Runs one live stream (`follow` over SSE, `followWs` over a WebSocket), same contract. */
export type Follower = (
  request: StreamRequest,
  state: StreamState,
  deliver: (event: HeraldEvent) => void | Promise<void>,
  signal: AbortSignal,
) => Promise<void>;

/**
 * Calls `handler` for each event of `patterns`, one at a time (an async handler is awaited before
 * the next event is read), over a resuming SSE stream.
 *
 * @example
 * ```ts
 * const sub = subscribeLive(follower, ['order.*'], (e) => console.log(e), {}, clientSignal, undefined);
 * ```
 */
export function subscribeLive(
  follower: Follower,
  patterns: readonly string[],
  handler: (event: HeraldEvent) => unknown,
  options: SubscribeOptions,
  clientSignal: AbortSignal,
  retry: RetryOptions | undefined,
): Subscription {
  const { controller, detach } = linkedController([options.signal, clientSignal]);
  const state: StreamState = { lastEventId: undefined };
  const ready = settled();
  const closed = settled();
  const onError =
    options.onError ?? ((error: unknown) => console.error('herald/client: subscription error', error));
  const request = streamRequest(patterns, options, retry, ready.resolve);
  const deliver = async (event: HeraldEvent): Promise<void> => {
    try {
      await handler(event);
    } catch (error) {
      onError(error, event);
    }
  };
  follower(request, state, deliver, controller.signal).then(
    () => {
      detach();
      ready.reject(new Error('the subscription closed before the hub accepted it'));
      closed.resolve();
    },
    (error: unknown) => {
      detach();
      controller.abort();
      ready.reject(error);
      closed.reject(error);
      onError(error);
    },
  );
  return {
    get lastEventId() {
      return state.lastEventId;
    },
    ready: ready.promise,
    closed: closed.promise,
    close: () => controller.abort(),
  };
}

/**
 * The events of `patterns` as an async iterator over a resuming SSE stream, with a bounded buffer
 * (backpressure when full). It connects on the first `next()` (or `ready`); `break`, `close()` or
 * the signal end it; a failure retrying cannot fix is thrown from the loop.
 *
 * @example
 * ```ts
 * for await (const e of eventsLive(follower, ['order.>'], { from: 'start' }, clientSignal, undefined)) console.log(e);
 * ```
 */
export function eventsLive(
  follower: Follower,
  patterns: readonly string[],
  options: EventsOptions,
  clientSignal: AbortSignal,
  retry: RetryOptions | undefined,
): EventStream<HeraldEvent> {
  const { controller, detach } = linkedController([options.signal, clientSignal]);
  const signal = controller.signal;
  const queue = new BoundedQueue<HeraldEvent>(Math.max(1, options.buffer ?? 100));
  const state: StreamState = { lastEventId: undefined };
  const ready = settled();
  let started = false;
  let yielded: string | undefined =
    options.lastEventId === undefined ? undefined : String(options.lastEventId);
  const onAbort = (): void => {
    queue.clear();
    detach();
  };
  signal.addEventListener('abort', onAbort, { once: true });

  const start = (): void => {
    if (started) return;
    started = true;
    const request = streamRequest(patterns, options, retry, ready.resolve);
    follower(request, state, (event) => queue.push(event), signal).then(
      () => {
        ready.reject(new Error('the stream closed before the hub accepted it'));
        queue.end();
        detach();
      },
      (error: unknown) => {
        ready.reject(error);
        queue.end(error);
        detach();
      },
    );
  };

  const stream: EventStream<HeraldEvent> = {
    get lastEventId() {
      return yielded;
    },
    get ready() {
      start();
      return ready.promise;
    },
    async next() {
      start();
      const result = await queue.next();
      if (!result.done && result.value.position !== undefined) yielded = String(result.value.position);
      return result;
    },
    return() {
      controller.abort();
      return Promise.resolve({ done: true, value: undefined });
    },
    close: () => controller.abort(),
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  if (signal.aborted) queue.clear();
  return stream;
}
