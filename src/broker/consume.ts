import type { HeraldEvent } from '../event/types.js';
import type { ConsumeOptions, EventStream, Handler, SubscribeOptions, Subscription } from './types.js';

/**
 * Turns a subscription into an async iterator. The handler resolves only when the consumer takes
 * the event, so at most `bufferSize` events wait in the subscription's queue (plus the one on
 * offer); past that the overflow policy applies (`block` by default: publishers wait).
 * Events still buffered when the iterator ends are discarded with the subscription.
 */
export function openStream(
  subscribe: (handler: Handler, options: SubscribeOptions) => Subscription,
  options: ConsumeOptions,
): EventStream<HeraldEvent> {
  const readers: ((result: IteratorResult<HeraldEvent>) => void)[] = [];
  let offered: { event: HeraldEvent; take: () => void } | undefined;
  let done = false;

  const handler: Handler = (event) => {
    if (done) return undefined;
    const reader = readers.shift();
    if (reader) {
      reader({ value: event, done: false });
      return undefined;
    }
    return new Promise<void>((take) => (offered = { event, take }));
  };
  const subscription = subscribe(handler, {
    ...(options.name !== undefined && { name: options.name }),
    ...(options.group !== undefined && { group: options.group }),
    ...(options.durable !== undefined && { durable: options.durable }),
    overflow: options.overflow ?? 'block',
    maxQueue: options.bufferSize ?? 256,
    concurrency: 1,
    deadLetter: false,
  });

  const finish = async (): Promise<IteratorResult<HeraldEvent>> => {
    if (!done) {
      done = true;
      for (const reader of readers.splice(0)) reader({ value: undefined, done: true });
      const pending = offered;
      offered = undefined;
      pending?.take();
      await subscription.unsubscribe();
    }
    return { value: undefined, done: true };
  };
  options.signal?.addEventListener('abort', () => void finish(), { once: true });
  if (options.signal?.aborted) void finish();

  const stream: EventStream<HeraldEvent> = {
    next() {
      if (done) return Promise.resolve({ value: undefined, done: true });
      if (offered) {
        const { event, take } = offered;
        offered = undefined;
        take();
        return Promise.resolve({ value: event, done: false });
      }
      return new Promise((resolve) => readers.push(resolve));
    },
    return: finish,
    async close() {
      await finish();
    },
    [Symbol.asyncIterator]() {
      return stream;
    },
  };
  return stream;
}
