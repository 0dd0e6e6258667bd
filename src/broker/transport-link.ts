import { randomUUID } from 'node:crypto';
import { HeraldError } from '../errors/herald-error.js';
import { validateEvent } from '../event/validate-event.js';
import type { HeraldEvent } from '../event/types.js';
import type {
  EventTransport,
  RequestTransport,
  TransportMessage,
  TransportUnsubscribe,
} from './transport.js';

/**
 * A broker's end of an `EventTransport`: tags what it sends with this broker's instance id, drops
 * its own echo, checks what arrives (another process wrote it) and hands the rest to `deliver`.
 * Failures of received events have no publisher to tell, so they go to `report`.
 *
 * @example
 * ```ts
 * const link = new TransportLink(transport, (e) => dispatch(e), (error) => console.error(error));
 * await link.ready();
 * await link.send(event);
 * ```
 */
export class TransportLink {
  /** This broker's instance id, as `origin` of what it sends. */
  readonly origin = randomUUID();
  readonly requests: RequestTransport | undefined;
  private readonly subscribed: Promise<TransportUnsubscribe>;
  private unsubscribe: TransportUnsubscribe | undefined;
  private closing: Promise<void> | undefined;

  constructor(
    private readonly transport: EventTransport,
    private readonly deliver: (event: HeraldEvent) => Promise<unknown>,
    private readonly report: (error: unknown, event: HeraldEvent | undefined) => void,
  ) {
    this.requests = transport.requests;
    this.subscribed = transport.subscribe(
      (message) => this.receive(message),
      (error) => this.report(error, undefined),
    );
    // A failure is surfaced by `ready()`; handled here so it is not also an unhandled rejection.
    this.subscribed.then(
      (unsubscribe) => (this.unsubscribe = unsubscribe),
      () => undefined,
    );
  }

  /** Resolves once this broker receives what other instances send. */
  async ready(): Promise<void> {
    await this.subscribed;
  }

  /** Sends `event` to the other instances; rejects when the transport cannot take it. */
  send(event: HeraldEvent): Promise<void> {
    return this.transport.publish({ origin: this.origin, event });
  }

  /** Stops receiving, then closes the transport. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      // A subscription still pending (server unreachable) is not waited for: closing ends it.
      await this.unsubscribe?.();
      await this.transport.close();
    })();
    return this.closing;
  }

  private receive(message: TransportMessage): void {
    if (this.closing !== undefined) return;
    const { origin, event } = message as Partial<TransportMessage>;
    if (origin === this.origin) return; // our own echo: local subscribers already had it
    let checked: HeraldEvent;
    try {
      if (typeof origin !== 'string') throw invalidMessage('origin must be a string');
      checked = validateEvent(event);
    } catch (error) {
      this.report(error, undefined);
      return;
    }
    this.deliver(checked).catch((error: unknown) => this.report(error, checked));
  }
}

function invalidMessage(reason: string): HeraldError {
  return new HeraldError('INVALID_MESSAGE', `a transport message is malformed: ${reason}`, {
    details: { field: 'origin' },
  });
}
