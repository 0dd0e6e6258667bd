import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, HubError } from '../src/client/index.js';
import { memoryLog } from '../src/backends/memory/index.js';
import type { EventLog } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import { startHub, type TestHub } from './helpers/sse-hub.js';

// A type alias, not an interface: an event map needs the index signature an alias has.
type Shop = {
  'invoice.reminder': { id: string };
};

let hub: TestHub;
let log: EventLog;

beforeAll(async () => {
  log = memoryLog();
  hub = await startHub({
    log,
    auth: {
      keys: [
        { name: 'shop', key: 'shop-key-123', publish: ['invoice.>'], subscribe: ['invoice.>'] },
        { name: 'ops', key: 'ops-key-1234', admin: true },
      ],
    },
  });
});
afterAll(async () => {
  await hub.app.close();
  await log.close();
});

describe('the client schedules through the hub', () => {
  it('publishes with delayMs and deliverAt, lists, cancels (admin) and receives when due', async () => {
    const shop = createClient<Shop>({ url: hub.base, token: 'shop-key-123' });
    const ops = createClient<Shop>({ url: hub.base, token: 'ops-key-1234' });
    const seen: string[] = [];
    const sub = shop.subscribe('invoice.>', (event) => void seen.push(event.id));
    const later = await shop.publish('invoice.reminder', { id: 'i-1' }, { delayMs: 300 });
    const at = new Date(Date.now() + 3_600_000);
    const far = await shop.publish('invoice.reminder', { id: 'i-2' }, { deliverAt: at });
    expect(later).toMatchObject({ duplicate: false, deliverAt: expect.any(String) });
    expect(far).toEqual({ id: far.id, deliverAt: at.toISOString(), duplicate: false });
    const page = await shop.scheduled({ limit: 10 });
    expect(page.scheduled.map((s) => s.event.id)).toEqual([later.id, far.id]);
    expect(page.scheduled[1]).toMatchObject({ stream: null, deliverAt: at.toISOString() });
    const refused = await shop.cancelScheduled(far.id).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(HubError);
    expect((refused as HubError).code).toBe('FORBIDDEN');
    expect(await ops.cancelScheduled(far.id)).toBe(true);
    expect(await ops.cancelScheduled(far.id)).toBe(false);
    await waitFor(() => seen.includes(later.id), { message: 'the subscriber never got the due event' });
    expect(seen).not.toContain(far.id);
    expect((await shop.scheduled()).scheduled).toEqual([]);
    sub.close();
    shop.close();
    ops.close();
  });
});
