import { randomUUID } from 'node:crypto';

/**
 * Where the messages of each `append` call in progress landed, as the feed hands them over: each
 * call gets a token, sent on its messages (`Herald-Append`), and the feed records the sequence
 * of every message carrying the token of a call still in progress. When JetStream's ack of a
 * publish is lost (the connection dropped after the server stored it), the log's retry finds the
 * event stored; an id stored at the very sequence where the call's own message landed was stored
 * by this call, so the caller is told `duplicate: false`, while the same id stored by anyone else
 * (an earlier call, another process) is a duplicate. Internal.
 *
 * @example
 * ```ts
 * const landings = new AppendLandings<AppendRequest>();
 * const token = landings.token(request); // sent on the request's messages
 * landings.landed(token, event.id, m.seq); // from the feed
 * landings.own(request, event.id, index.byId(event.id)?.position); // true: stored by this call
 * landings.forget(request); // the call settled
 * ```
 */
export class AppendLandings<K extends object> {
  // A log's tokens differ from every other log's: another process's message is never "ours".
  readonly #nonce = randomUUID().slice(0, 8);
  #next = 0;
  readonly #tokens = new Map<K, string>();
  /** Token → event id → the sequence where the call's message with that id landed. */
  readonly #landed = new Map<string, Map<string, number>>();

  /** The token of `call`, made on first use. */
  token(call: K): string {
    let token = this.#tokens.get(call);
    if (token === undefined) {
      token = `${this.#nonce}.${(this.#next++).toString(36)}`;
      this.#tokens.set(call, token);
      this.#landed.set(token, new Map());
    }
    return token;
  }

  /** Records a message of the feed; ignored unless `token` is a call's in progress. */
  landed(token: string | undefined, id: string, seq: number): void {
    if (token !== undefined) this.#landed.get(token)?.set(id, seq);
  }

  /** True while some call is in progress (the feed then reads the token of each message). */
  get active(): boolean {
    return this.#landed.size > 0;
  }

  /** Whether `id`, stored at `position`, was stored by a message of `call`. */
  own(call: K, id: string, position: number | undefined): boolean {
    const token = this.#tokens.get(call);
    return position !== undefined && token !== undefined && this.#landed.get(token)?.get(id) === position;
  }

  /**
   * The sequences of `call`'s messages that landed but are not where the event is stored
   * (`stored(id)`: a batch cut short, never visible), forgotten once returned.
   */
  strays(call: K, stored: (id: string) => number | undefined): number[] {
    const landed = this.#landed.get(this.#tokens.get(call) ?? '');
    if (landed === undefined) return [];
    const strays: number[] = [];
    for (const [id, seq] of landed) {
      if (stored(id) === seq) continue;
      strays.push(seq);
      landed.delete(id);
    }
    return strays;
  }

  /** Forgets `call` (it settled). */
  forget(call: K): void {
    const token = this.#tokens.get(call);
    if (token === undefined) return;
    this.#tokens.delete(call);
    this.#landed.delete(token);
  }
}
