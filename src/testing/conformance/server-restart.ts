import { expect } from 'vitest';
import { HeraldError } from '../../errors/index.js';
import type { Appended, EventLog, StoredEvent } from '../../log/types.js';
import { waitFor } from '../wait-for.js';
import { numbered, pullUntil, readAll } from './helpers.js';
import type { Suite } from './suite.js';

/** The events with these ids once all are in the log (reads failing meanwhile are tried again). */
async function stored(log: EventLog, ids: readonly string[], timeoutMs = 20_000): Promise<StoredEvent[]> {
  const wanted = new Set(ids);
  const found = await waitFor(
    async () => {
      const all = await readAll(log).catch(() => []);
      const found = all.filter((e) => wanted.has(e.id));
      return found.length >= wanted.size ? found : undefined;
    },
    { timeoutMs, message: `${ids.length} events were not all in the log` },
  );
  return found!;
}

/**
 * Resolves once the log answers again after its server came back: a log may take a moment to
 * reconnect, and fails calls with `LOG_UNREACHABLE` meanwhile (any other failure fails the case).
 */
async function reconnected(log: EventLog, stream: string, timeoutMs = 20_000): Promise<void> {
  await waitFor(
    () =>
      log.streamVersion(stream).then(
        () => true,
        (error: unknown) => {
          if (error instanceof HeraldError && error.code === 'LOG_UNREACHABLE') return false;
          throw error;
        },
      ),
    { timeoutMs, message: 'the log did not answer again after its server restarted' },
  );
}

/**
 * What an append that resolved keeps across a restart of the server the log talks to (its
 * process killed and started again, `restartServer`), with the same log object going on after it:
 * what `survivesServerRestart` claims.
 */
export function serverRestartCases(suite: Suite): void {
  suite.test(
    'appended events and stream versions survive a restart of the server, and a group goes on',
    ['survivesServerRestart', 'consumerGroups', 'restartServer'],
    async (t) => {
      const stream = t.name('s');
      const group = await t.log.group(t.name('g'), { types: [t.type('>')], ackWaitMs: 1_000 });
      const before = await t.log.append(numbered(t.type('a'), 2), { stream });
      for (const d of await pullUntil(group, (all) => all.length >= 2)) await d.ack();
      await t.restartServer();
      await reconnected(t.log, stream);
      expect((await readAll(t.log, { stream })).map((e) => e.id)).toEqual(before.map((a) => a.id));
      expect(await t.log.streamVersion(stream)).toBe(2);
      const after = await t.log.append(numbered(t.type('a'), 2, 2), { stream });
      expect(after.map((a) => a.version)).toEqual([3, 4]);
      expect(after[0]!.position).toBeGreaterThan(before[1]!.position);
      // At least once: each event appended since comes. An ack the server took just before it
      // was killed may be lost with it (nats-server writes consumer state after it answers), so
      // an event acked before may come again after the ack wait; in the end every one is acked.
      const ids = [...before, ...after].map((a) => a.id);
      const seen = new Set<string>();
      await waitFor(
        async () => {
          for (const d of await group.pull({ max: 10, waitMs: 50 })) {
            expect(ids).toContain(d.event.id);
            seen.add(d.event.id);
            await d.ack();
          }
          const info = await group.info();
          return after.every((a) => seen.has(a.id)) && info.pending === 0 && info.lag === 0;
        },
        { timeoutMs: 15_000, message: 'the group did not deliver and ack everything after the restart' },
      );
    },
  );

  suite.test(
    'an append during a restart of the server fails with LOG_UNREACHABLE or is stored, once',
    ['survivesServerRestart', 'restartServer'],
    async (t) => {
      const type = t.type('during');
      const outcomes: Promise<{ id: string; appended?: Appended; error?: unknown }>[] = [];
      const append = (n: number): void => {
        const id = `${t.prefix}-during-${n}`;
        outcomes.push(
          t.log.append([{ id, type, data: { n } }]).then(
            ([appended]) => ({ id, appended }),
            (error: unknown) => ({ id, error }),
          ),
        );
      };
      const server = { back: false };
      const restarting = t.restartServer().then(() => void (server.back = true));
      // Appends through the outage, one every 20 ms, until the server is back.
      let n = 0;
      while (!server.back) {
        append(n++);
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      await restarting;
      await reconnected(t.log, t.name('s'));
      // Once the log answers again, an append goes through.
      append(n);
      const results = await Promise.all(outcomes);
      expect(results.at(-1)!.error).toBeUndefined();
      for (const { error } of results) {
        if (error === undefined) continue;
        expect(error).toBeInstanceOf(HeraldError);
        expect((error as HeraldError).code).toBe('LOG_UNREACHABLE');
      }
      const resolved = results.filter((r) => r.error === undefined);
      // Every append that resolved is stored where it said, once, and was this caller's first attempt.
      const found = await stored(
        t.log,
        resolved.map((r) => r.id),
      );
      const all = (await readAll(t.log, { types: [type] })).map((e) => e.id);
      for (const { id, appended } of resolved) {
        expect(appended).toMatchObject({ id, duplicate: false });
        expect(found.find((e) => e.id === id)?.position).toBe(appended!.position);
        expect(all.filter((x) => x === id)).toHaveLength(1);
      }
    },
  );

  suite.test(
    'scheduled events pending at a restart of the server are appended after it, once',
    ['survivesServerRestart', 'restartServer'],
    async (t) => {
      const type = t.type('later');
      // One batch due during the restart, one after it.
      const soon = await t.log.schedule(numbered(type, 2), { delayMs: 300 });
      const later = await t.log.schedule(numbered(type, 2, 2), { delayMs: 2_000 });
      const ids = [...soon, ...later].map((s) => s.id);
      await t.restartServer();
      await stored(t.log, ids);
      const all = (await readAll(t.log, { types: [type] })).map((e) => e.id);
      expect([...all].sort()).toEqual([...ids].sort());
      await waitFor(async () => (await t.log.scheduled()).length === 0, {
        timeoutMs: 10_000,
        message: 'moved events were still listed as scheduled',
      });
    },
  );
}
