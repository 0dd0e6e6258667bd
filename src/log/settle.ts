/**
 * Runs `fn` now and returns its result as a promise, a throw as a rejection: the shape of an
 * async method for code that has nothing to await (the memory log answers synchronously).
 *
 * @example
 * ```ts
 * get(id: string): Promise<StoredEvent | undefined> {
 *   return settle(() => this.#byId.get(id));
 * }
 * ```
 */
export function settle<T>(fn: () => T): Promise<Awaited<T>> {
  try {
    return Promise.resolve(fn());
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * An `AsyncIterable` over a synchronous iterator made when iteration starts; each step is
 * `settle`d, so a throw in the iterator rejects that step.
 *
 * @example
 * ```ts
 * read(options?: ReadOptions): AsyncIterable<StoredEvent> {
 *   return asyncIterable(() => this.#rows(readFilter(options)));
 * }
 * ```
 */
export function asyncIterable<T>(make: () => Iterator<T, void, undefined>): AsyncIterable<T> {
  return {
    [Symbol.asyncIterator](): AsyncIterator<T, void, undefined> {
      let iterator: Iterator<T, void, undefined> | undefined;
      return {
        next: () => settle(() => (iterator ??= make()).next()),
        return: () => settle(() => iterator?.return?.() ?? { done: true, value: undefined }),
      };
    },
  };
}
