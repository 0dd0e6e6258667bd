import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { natsLog } from '../src/backends/nats/index.js';
import { HeraldError } from '../src/errors/index.js';
import type { EventLog, StoredEvent } from '../src/log/types.js';
import { waitFor } from '../src/testing/index.js';
import { natsBinaryMissing, privateNats, type FaultServer } from './fixtures/private-servers.js';

const missing = natsBinaryMissing();

async function readAll(log: EventLog): Promise<StoredEvent[]> {
  const out: StoredEvent[] = [];
  for await (const e of log.read()) out.push(e);
  return out;
}

// A private nats-server: these cases stop and kill it (never the shared one on :4222).
describe('nats scheduled delivery across nats-server outages', () => {
  if (missing !== undefined) {
    it.skip(`needs nats-server: ${missing}`, () => undefined);
    return;
  }
  let server: FaultServer;
  beforeAll(async () => {
    server = await privateNats();
  });
  afterAll(async () => {
    await server.dispose();
  });

  it('pending events survive a SIGKILL of nats-server and are appended after it', async () => {
    const log = await natsLog({ servers: server.url, stream: 'SCHED_crash', subjectPrefix: 'sched_crash' });
    try {
      const scheduled = await log.schedule(
        [
          { type: 'c.a', data: { n: 0 } },
          { type: 'c.a', data: { n: 1 } },
        ],
        { delayMs: 1_500 },
      );
      await server.crash();
      // While it is down: a schedule fails at once, as an append does.
      const started = Date.now();
      const refused = await log
        .schedule([{ type: 'c.b', data: {} }], { delayMs: 10 })
        .catch((e: unknown) => e);
      expect(refused).toBeInstanceOf(HeraldError);
      expect((refused as HeraldError).code).toBe('LOG_UNREACHABLE');
      expect(Date.now() - started).toBeLessThan(1_000);
      await server.start();
      const ids = scheduled.map((s) => s.id);
      await waitFor(
        async () => {
          // A read while the client reconnects fails with LOG_UNREACHABLE: asked again.
          const found = (await readAll(log).catch(() => [])).filter((e) => ids.includes(e.id));
          return found.length === 2 ? found : undefined;
        },
        { timeoutMs: 20_000, message: 'the scheduled events were not appended after the restart' },
      );
      expect(await log.scheduled()).toEqual([]);
    } finally {
      await log.close();
    }
  }, 40_000);

  it('a log opened after a restart moves what another scheduled before it', async () => {
    const first = await natsLog({
      servers: server.url,
      stream: 'SCHED_handover',
      subjectPrefix: 'sched_handover',
      scheduler: { move: false },
    });
    const [s] = await first.schedule([{ type: 'h.a', data: {} }], { delayMs: 300 });
    await first.close();
    await server.stop();
    await server.start();
    const second = await natsLog({
      servers: server.url,
      stream: 'SCHED_handover',
      subjectPrefix: 'sched_handover',
    });
    try {
      await waitFor(async () => (await second.get(s!.id)) !== undefined, {
        timeoutMs: 15_000,
        message: 'the scheduled event was not appended by the second log',
      });
      expect((await readAll(second)).filter((e) => e.id === s!.id)).toHaveLength(1);
    } finally {
      await second.close();
    }
  }, 40_000);
});
