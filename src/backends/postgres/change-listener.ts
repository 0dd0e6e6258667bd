import { Client, escapeIdentifier, type ClientConfig, type Notification } from 'pg';

/** What a `ChangeListener` reports. */
export interface ChangeHandlers {
  /** Another transaction appended up to `last`. */
  appended(last: number): void;
  /** Something in group `id` became due (a nack with a delay, a redrive). */
  groupChanged(id: number): void;
  /** Another log object added scheduled events (the payload after `s`: its token, `:`, ms until due). */
  scheduleAdded(payload: string): void;
  /** The connection came back after a loss: notifications may have been missed meanwhile. */
  reconnected(): void;
}

const MAX_PAUSE_MS = 2_000;

/**
 * The log's one dedicated LISTEN connection. Appends, nacks, redrives and schedules call `pg_notify` in
 * their transaction; PostgreSQL delivers the notification to every listening session at commit
 * (never on rollback), so tails and waiting pulls wake without polling. When the connection
 * drops (a server restart, a network cut, a terminated backend) it connects again, with a pause
 * growing from 50 ms to 2 s, and reports `reconnected` so every reader looks again: what was
 * notified while it was away is not lost, only late.
 *
 * @example
 * ```ts
 * const listener = new ChangeListener(config, sql.channel, { appended, groupChanged, scheduleAdded, reconnected });
 * await listener.start();
 * ```
 */
export class ChangeListener {
  readonly #config: ClientConfig;
  readonly #channel: string;
  readonly #handlers: ChangeHandlers;
  #client: Client | undefined;
  #closed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #pause = 50;
  #connecting: Promise<void> | undefined;

  constructor(config: ClientConfig, channel: string, handlers: ChangeHandlers) {
    // pg-pool keeps the password as a non-enumerable property, which a spread would drop.
    this.#config = { ...config, password: config.password, keepAlive: true };
    this.#channel = channel;
    this.#handlers = handlers;
  }

  /** True while a listening connection is up. */
  get connected(): boolean {
    return this.#client !== undefined;
  }

  /** Connects and listens; rejects when the first connection fails. */
  async start(): Promise<void> {
    await this.#connect();
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearTimeout(this.#timer);
    await this.#connecting?.catch(() => undefined);
    const client = this.#client;
    this.#client = undefined;
    await client?.end().catch(() => undefined);
  }

  #connect(): Promise<void> {
    const connecting = (async () => {
      const client = new Client(this.#config);
      client.on('error', () => this.#lost(client));
      client.on('end', () => this.#lost(client));
      client.on('notification', (message) => this.#dispatch(message));
      try {
        await client.connect();
        await client.query(`LISTEN ${escapeIdentifier(this.#channel)}`);
      } catch (error) {
        client.removeAllListeners('end');
        await client.end().catch(() => undefined);
        throw error;
      }
      if (this.#closed) {
        await client.end().catch(() => undefined);
        return;
      }
      this.#client = client;
      this.#pause = 50;
    })();
    this.#connecting = connecting;
    return connecting;
  }

  #dispatch(message: Notification): void {
    if (message.channel !== this.#channel || message.payload === undefined) return;
    const { payload } = message;
    if (payload.startsWith('g')) this.#handlers.groupChanged(Number(payload.slice(1)));
    else if (payload.startsWith('s')) this.#handlers.scheduleAdded(payload.slice(1));
    else this.#handlers.appended(Number(payload));
  }

  #lost(client: Client): void {
    if (this.#client !== client) return;
    this.#client = undefined;
    client.end().catch(() => undefined);
    this.#retry();
  }

  #retry(): void {
    if (this.#closed) return;
    this.#timer = setTimeout(() => {
      this.#connect().then(
        () => this.#handlers.reconnected(),
        () => {
          this.#pause = Math.min(this.#pause * 2, MAX_PAUSE_MS);
          this.#retry();
        },
      );
    }, this.#pause);
  }
}
