import { createInbox, type Msg, type NatsConnection } from '@nats-io/transport-node';

/** Where a JetStream delivery came from, parsed from its `$JS.ACK...` reply subject. */
export interface DeliveryInfo {
  /** The stream sequence of the message. */
  readonly seq: number;
  /** 1 on its first delivery to this consumer. */
  readonly deliveryCount: number;
  /** `$JS.ACK.<stream>.<consumer>` (with domain and account hash in the v2 form): whose ack it is. */
  readonly consumer: string;
}

/**
 * The stream sequence and delivery count of a pulled message, from its reply subject (the v1
 * form `$JS.ACK.<stream>.<consumer>.<count>.<sseq>.<cseq>.<ts>.<pending>` or the v2 form with a
 * domain and account hash). Internal.
 *
 * @example
 * ```ts
 * deliveryInfo('$JS.ACK.S.C.2.17.3.1700000000000000000.0'); // { seq: 17, deliveryCount: 2, consumer: '$JS.ACK.S.C' }
 * ```
 */
export function deliveryInfo(reply: string): DeliveryInfo {
  // Where the dots are: 8 in the v1 form (9 tokens), more in the v2 form.
  const dots: number[] = [];
  for (let i = reply.indexOf('.'); i >= 0; i = reply.indexOf('.', i + 1)) dots.push(i);
  const at = dots.length === 8 ? 4 : 6; // the index of the delivery count's token
  return {
    deliveryCount: Number(reply.slice(dots[at - 1]! + 1, dots[at])),
    seq: Number(reply.slice(dots[at]! + 1, dots[at + 1])),
    consumer: reply.slice(0, dots[at - 1]),
  };
}

/** Options of one pull request: `expiresMs` waits for messages, without it `no_wait`. */
export interface PullRequest {
  readonly batch: number;
  readonly expiresMs?: number;
}

/**
 * Sends one pull request to a durable consumer and collects its messages until the batch is
 * full or the server ends the request (404 no messages, 408 expired, 409). The request is over
 * the core API (`$JS.API.CONSUMER.MSG.NEXT`) so that a `no_wait` pull and waits under a second
 * both work. Internal.
 *
 * @example
 * ```ts
 * const messages = await pullMessages(nc, 'HERALD', 'g_bWFpbGVy', { batch: 10 });
 * ```
 */
export async function pullMessages(
  nc: NatsConnection,
  stream: string,
  durable: string,
  request: PullRequest,
): Promise<Msg[]> {
  const inbox = createInbox();
  const sub = nc.subscribe(inbox);
  const body =
    request.expiresMs === undefined
      ? { batch: request.batch, no_wait: true }
      : { batch: request.batch, expires: Math.round(request.expiresMs * 1e6) };
  // A lost end-of-request status must not hang the pull.
  const guard = setTimeout(() => sub.unsubscribe(), (request.expiresMs ?? 0) + 5_000);
  nc.publish(`$JS.API.CONSUMER.MSG.NEXT.${stream}.${durable}`, JSON.stringify(body), { reply: inbox });
  const out: Msg[] = [];
  try {
    for await (const m of sub) {
      if (m.reply === undefined || m.reply === '') {
        const code = m.headers?.code ?? 0;
        if (code === 100) continue; // a heartbeat
        break; // 404, 408, 409: the request is over
      }
      out.push(m);
      if (out.length >= request.batch) break;
    }
  } finally {
    clearTimeout(guard);
    sub.unsubscribe();
  }
  return out;
}
