/**
 * A bounded FIFO between a producer that awaits room (`push`) and one consumer (`next`): the
 * buffer of an async iterator. When it holds `capacity` items, `push` waits until the consumer
 * takes one, so a slow consumer slows the producer down instead of growing memory. `end` lets the
 * consumer drain what is buffered, then finish (or throw the error).
 *
 * @example
 * ```ts
 * const queue = new BoundedQueue<number>(100);
 * await queue.push(1);
 * queue.end();
 * await queue.next(); // { done: false, value: 1 }
 * ```
 */
export class BoundedQueue<T> {
  readonly #capacity: number;
  #items: T[] = [];
  #head = 0;
  #ended = false;
  #error: unknown;
  #failed = false;
  #reader: ((result: IteratorResult<T>) => void) | undefined;
  #readerFail: ((error: unknown) => void) | undefined;
  #writer: (() => void) | undefined;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  /** Items buffered, not yet taken. */
  get size(): number {
    return this.#items.length - this.#head;
  }

  /** Adds `item`; resolves at once when there is room, else once the consumer takes one. */
  push(item: T): Promise<void> | undefined {
    if (this.#ended) return undefined;
    const reader = this.#reader;
    if (reader) {
      this.#reader = undefined;
      this.#readerFail = undefined;
      reader({ done: false, value: item });
      return undefined;
    }
    this.#items.push(item);
    if (this.size < this.#capacity) return undefined;
    return new Promise((resolve) => (this.#writer = resolve));
  }

  /** No more items: the consumer gets what is buffered, then the end (or `error`, thrown). */
  end(error?: unknown): void {
    if (this.#ended) return;
    this.#ended = true;
    if (error !== undefined) {
      this.#failed = true;
      this.#error = error;
    }
    this.#wakeWriter();
    if (this.#reader && this.size === 0) this.#settleEnd(this.#reader, this.#readerFail!);
  }

  /** Drops what is buffered and ends: the consumer's next `next` is the end. */
  clear(): void {
    this.#items = [];
    this.#head = 0;
    this.#failed = false;
    this.end();
  }

  /** The next item, waiting for one; the end once ended and drained. */
  next(): Promise<IteratorResult<T>> {
    if (this.size > 0) {
      const value = this.#items[this.#head]!;
      this.#head++;
      if (this.#head > 1024 && this.#head * 2 > this.#items.length) {
        this.#items = this.#items.slice(this.#head);
        this.#head = 0;
      }
      if (this.size < this.#capacity) this.#wakeWriter();
      return Promise.resolve({ done: false, value });
    }
    return new Promise((resolve, reject) => {
      if (this.#ended) this.#settleEnd(resolve, reject);
      else {
        this.#reader = resolve;
        this.#readerFail = reject;
        this.#wakeWriter();
      }
    });
  }

  #settleEnd(resolve: (result: IteratorResult<T>) => void, reject: (error: unknown) => void): void {
    this.#reader = undefined;
    this.#readerFail = undefined;
    if (this.#failed) {
      this.#failed = false;
      reject(this.#error);
    } else resolve({ done: true, value: undefined });
  }

  #wakeWriter(): void {
    const writer = this.#writer;
    this.#writer = undefined;
    writer?.();
  }
}
