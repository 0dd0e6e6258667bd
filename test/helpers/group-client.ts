/**
 * A small client of the hub's group routes (`POST /v1/groups/{name}/pull`, `.../ack`,
 * `.../nack`) over fetch, for tests and the scale-out children.
 */

/** One delivery as a pull returns it. */
export interface HttpDelivery {
  receipt: string;
  deliveryCount: number;
  event: { id: string; type: string; position: number; data?: unknown; [key: string]: unknown };
}

/** What became of one receipt. */
export interface SettleResult {
  receipt: string;
  status: 'acked' | 'nacked' | 'unknown' | 'expired' | 'failed';
  error?: { code: string; message: string };
}

/** A reply: its status and parsed JSON body. */
export interface GroupReply<T> {
  status: number;
  body: T;
}

async function post<T>(
  url: string,
  body: unknown,
  token: string | undefined,
  signal?: AbortSignal,
): Promise<GroupReply<T>> {
  const res = await fetch(url, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(token !== undefined && { authorization: `Bearer ${token}` }),
    },
    body: typeof body === 'string' ? body : JSON.stringify(body),
    ...(signal !== undefined && { signal }),
  });
  const text = await res.text();
  return { status: res.status, body: (text === '' ? {} : JSON.parse(text)) as T };
}

const url = (base: string, group: string, verb: string) =>
  `${base}/v1/groups/${encodeURIComponent(group)}/${verb}`;

/**
 * `POST /v1/groups/{group}/pull` with `body`; throws unless 200 (use `pullRaw` to see errors).
 *
 * @example
 * ```ts
 * const deliveries = await pull(hub.base, 'mailer', { types: ['orders.>'], max: 10, waitMs: 1000 });
 * ```
 */
export async function pull(
  base: string,
  group: string,
  body: Record<string, unknown> = {},
  options: { token?: string; signal?: AbortSignal } = {},
): Promise<HttpDelivery[]> {
  const reply = await pullRaw(base, group, body, options);
  if (reply.status !== 200) throw new Error(`pull ${group}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return (reply.body as { deliveries: HttpDelivery[] }).deliveries;
}

/** `POST /v1/groups/{group}/pull`, whatever the status. */
export function pullRaw(
  base: string,
  group: string,
  body: unknown = {},
  options: { token?: string; signal?: AbortSignal } = {},
): Promise<GroupReply<Record<string, unknown>>> {
  return post(url(base, group, 'pull'), body, options.token, options.signal);
}

/**
 * `POST /v1/groups/{group}/ack` (or `nack` with its options); throws unless 200.
 *
 * @example
 * ```ts
 * const results = await settle(hub.base, 'mailer', 'ack', deliveries.map((d) => d.receipt));
 * ```
 */
export async function settle(
  base: string,
  group: string,
  verb: 'ack' | 'nack',
  receipts: readonly string[],
  options: { token?: string; delayMs?: number; error?: string; deadLetter?: boolean } = {},
): Promise<SettleResult[]> {
  const { token, ...nack } = options;
  const reply = await settleRaw(base, group, verb, { receipts, ...nack }, token);
  if (reply.status !== 200)
    throw new Error(`${verb} ${group}: ${reply.status} ${JSON.stringify(reply.body)}`);
  return (reply.body as { results: SettleResult[] }).results;
}

/** `POST /v1/groups/{group}/ack` or `.../nack`, whatever the status. */
export function settleRaw(
  base: string,
  group: string,
  verb: 'ack' | 'nack',
  body: unknown,
  token?: string,
): Promise<GroupReply<Record<string, unknown>>> {
  return post(url(base, group, verb), body, token);
}
