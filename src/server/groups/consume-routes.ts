import type { FastifyInstance, FastifyReply } from 'fastify';
import { HeraldError } from '../../errors/herald-error.js';
import type { ConsumerGroup, GroupDelivery, GroupOptions } from '../../log/types.js';
import { assertAdmin, assertCanSubscribe, type Principal } from '../auth/principal.js';
import type { HubContext } from '../hub-context.js';
import type { GroupSettleStatus } from '../metrics.js';
import { groupUpdateBody, pullBody, settleBody, type PullBody } from './consume-body.js';
import { resolveGroupConsumeOptions, type GroupConsumeOptions } from './consume-options.js';
import { GroupHandles } from './group-handles.js';
import { GroupMembers } from './group-members.js';
import { ReceiptBook } from './receipt-book.js';

interface SettleResult {
  receipt: string;
  status: GroupSettleStatus;
  error?: { code: string; message: string };
}

/**
 * Consumer groups over HTTP, one member per caller: `POST /v1/groups/{name}/pull` opens the group
 * (creating it like `log.group(name, options)`) and long-polls for deliveries, each with an
 * opaque receipt; `POST .../ack` and `.../nack` settle receipts. Receipts are held by the hub that
 * issued them (bounded by `maxReceipts`, oldest forgotten first) until settled or until the group's
 * ack wait passes; the event of a receipt that is lost (the hub died, the receipt was forgotten)
 * is redelivered after the ack wait. A pull ends early when its client disconnects and when the
 * hub closes. See `docs/http-groups.md`.
 *
 * @example
 * ```ts
 * groupConsumeRoutes(api, ctx, { maxReceipts: 100_000 });
 * ```
 */
export function groupConsumeRoutes(
  app: FastifyInstance,
  ctx: HubContext,
  options?: GroupConsumeOptions,
): void {
  const { log, metrics } = ctx;
  const { maxReceipts } = resolveGroupConsumeOptions(options);
  const book = new ReceiptBook({ maxReceipts, onEvicted: (count) => metrics.receiptsEvicted(count) });
  const handles = new GroupHandles(log);
  const members = new GroupMembers();
  const closing = new AbortController();
  const stopSampling = metrics.groupReceipts(() => book.size);
  app.addHook('preClose', (done) => {
    closing.abort();
    done();
  });
  app.addHook('onClose', (_instance, done) => {
    stopSampling();
    book.clear();
    members.clear();
    done();
  });

  app.post('/v1/groups/:name/pull', async (request, reply) => {
    const { name } = request.params as { name: string };
    const who = request.principal;
    const body = pullBody(request);
    const group = await open(name, who, body);
    const stop = pullSignal(reply, closing.signal);
    let deliveries: GroupDelivery[];
    try {
      deliveries = await group.pull({ max: body.max, waitMs: body.waitMs, signal: stop.signal });
    } finally {
      stop.dispose();
    }
    const expiresAt = Date.now() + group.options.ackWaitMs;
    // The group's types were checked, but its options may have changed on another hub since this
    // one cached them: an event the caller may not read is withheld, left unsettled so it comes
    // back after the ack wait to whichever member pulls then.
    const readable = deliveries.filter((d) => who.canSubscribe(d.event.type));
    if (readable.length < deliveries.length) {
      request.log.warn(
        { group: name, caller: who.id, withheld: deliveries.length - readable.length },
        'group deliveries withheld: the caller may not read them',
      );
    }
    deliveries = readable;
    members.pulled(name, who.id, deliveries.length);
    if (deliveries.length > 0) metrics.groupDelivered(name, deliveries.length);
    return {
      deliveries: deliveries.map((delivery) => ({
        receipt: book.issue({ group: name, holder: who.id, delivery, expiresAt }),
        deliveryCount: delivery.deliveryCount,
        event: delivery.event,
      })),
    };
  });

  // The members of a group that pulled through this hub, with the receipts each holds now (admin).
  app.get('/v1/groups/:name/members', async (request) => {
    assertAdmin(request.principal);
    const { name } = request.params as { name: string };
    if ((await handles.existing(name)) === undefined) {
      throw new HeraldError('NOT_FOUND', `no consumer group named "${name}"`, { details: { group: name } });
    }
    const held = book.heldBy(name);
    return { members: members.list(name).map((m) => ({ ...m, held: held.get(m.id) ?? 0 })) };
  });

  app.patch('/v1/groups/:name', async (request) => {
    const { name } = request.params as { name: string };
    const who = request.principal;
    const update = groupUpdateBody(request);
    const group = await handles.existing(name);
    if (group === undefined) {
      throw new HeraldError('NOT_FOUND', `no consumer group named "${name}"`, { details: { group: name } });
    }
    // Whoever changes a group must be allowed to read what it delivered and what it will deliver.
    assertCanSubscribe(who, group.options.types);
    if (update.types !== undefined) assertCanSubscribe(who, update.types);
    const updated = await handles.update(name, update);
    const { types, ackWaitMs, maxDeliveries, backoff } = updated.options;
    return { name, options: { types, ackWaitMs, maxDeliveries, backoff } };
  });

  app.post('/v1/groups/:name/ack', async (request) => {
    const { name } = request.params as { name: string };
    const { receipts } = settleBody(request, false);
    return { results: await settle(name, request.principal, receipts, 'acked', (d) => d.ack()) };
  });

  app.post('/v1/groups/:name/nack', async (request) => {
    const { name } = request.params as { name: string };
    const { receipts, delayMs, error, deadLetter } = settleBody(request, true);
    const nack = {
      ...(delayMs !== undefined && { delayMs }),
      ...(error !== undefined && { error }),
      ...(deadLetter !== undefined && { deadLetter }),
    };
    return { results: await settle(name, request.principal, receipts, 'nacked', (d) => d.nack(nack)) };
  });

  /**
   * The group a pull consumes. An existing group keeps the options it was created with: the
   * caller must be allowed to read all of its types, and options in the pull must equal the
   * group's (409 `GROUP_OPTIONS_CONFLICT` otherwise; `PATCH /v1/groups/{name}` changes them). A new
   * group is created with the pull's options; without types it takes the caller's grants.
   */
  async function open(name: string, who: Principal, body: PullBody): Promise<ConsumerGroup> {
    const existing = await handles.existing(name);
    if (existing !== undefined) {
      assertCanSubscribe(who, existing.options.types);
      const differ = differingOptions(existing.options, body);
      if (differ.length > 0) {
        throw new HeraldError(
          'GROUP_OPTIONS_CONFLICT',
          `group "${name}" exists with other ${differ.join(', ')}: pull without them, or change the group with PATCH /v1/groups/${name}`,
          { details: { group: name, options: differ } },
        );
      }
      return existing;
    }
    let { types } = body;
    if (types !== undefined) assertCanSubscribe(who, types);
    else if (!who.subscribe.includes('>')) {
      if (who.subscribe.length === 0) assertCanSubscribe(who, ['>']); // may read nothing: 403
      types = [...who.subscribe];
    }
    const groupOptions: GroupOptions = {
      ...(types !== undefined && { types }),
      ...(body.ackWaitMs !== undefined && { ackWaitMs: body.ackWaitMs }),
      ...(body.maxDeliveries !== undefined && { maxDeliveries: body.maxDeliveries }),
      ...(body.startAt !== undefined && { startAt: body.startAt }),
    };
    return handles.open(name, groupOptions);
  }

  /** Settles each receipt (at most once per request: a repeated receipt is `unknown` the second time). */
  async function settle(
    name: string,
    who: Principal,
    receipts: readonly string[],
    done: GroupSettleStatus,
    act: (delivery: GroupDelivery) => Promise<void>,
  ): Promise<SettleResult[]> {
    const results = await Promise.all(
      receipts.map(async (receipt): Promise<SettleResult> => {
        const found = book.claim(receipt, name, who.id);
        if (!found.found) return { receipt, status: found.status };
        try {
          await act(found.held.delivery);
          return { receipt, status: done };
        } catch (error) {
          // Kept, so the client may try again while the ack wait lasts.
          book.restore(receipt, found.held);
          const code = error instanceof HeraldError ? error.code : 'INTERNAL';
          const message = error instanceof HeraldError ? error.message : 'internal error; see the server log';
          if (!(error instanceof HeraldError))
            app.log.error({ err: error }, 'settling a group delivery failed');
          return { receipt, status: 'failed', error: { code, message } };
        }
      }),
    );
    const counts = new Map<GroupSettleStatus, number>();
    for (const r of results) counts.set(r.status, (counts.get(r.status) ?? 0) + 1);
    for (const [status, count] of counts) metrics.groupSettled(name, status, count);
    return results;
  }
}

/**
 * A signal that aborts when the client goes away before its reply was sent, or when the hub
 * closes. (Listeners are removed by `dispose`, rather than `AbortSignal.any`, which holds on to
 * every signal it combined with the hub's long-lived one on some Node versions.)
 */
function pullSignal(reply: FastifyReply, closing: AbortSignal): { signal: AbortSignal; dispose(): void } {
  const controller = new AbortController();
  const res = reply.raw;
  const abort = (): void => controller.abort();
  const onClose = (): void => {
    if (!res.writableEnded) abort();
  };
  if (closing.aborted) abort();
  closing.addEventListener('abort', abort, { once: true });
  res.on('close', onClose);
  return {
    signal: controller.signal,
    dispose: () => {
      closing.removeEventListener('abort', abort);
      res.off('close', onClose);
    },
  };
}

/** The options of a pull that an existing group does not have (set-equal types). */
function differingOptions(current: ConsumerGroup['options'], body: PullBody): string[] {
  const differ: string[] = [];
  if (body.types !== undefined) {
    const have = new Set(current.types);
    const want = new Set(body.types);
    if (have.size !== want.size || [...want].some((t) => !have.has(t))) differ.push('types');
  }
  if (body.ackWaitMs !== undefined && body.ackWaitMs !== current.ackWaitMs) differ.push('ackWaitMs');
  if (body.maxDeliveries !== undefined && body.maxDeliveries !== current.maxDeliveries)
    differ.push('maxDeliveries');
  return differ;
}
